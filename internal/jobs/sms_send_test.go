package jobs

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"frontdesk"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/scheduling"
	"frontdesk/internal/testkit"
)

// A text whose job ends unsent (Twilio unreachable through the last
// attempt, a token that no longer opens) is settled as failed with the
// reason, never left pending.
func TestTextWhoseJobEndsIsFailedNotPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	q := d.Admin
	org := w.A.ID
	if err := q.UpsertTwilioAccount(ctx, db.UpsertTwilioAccountParams{OrgID: org, AccountSid: "AC0123456789abcdef0123456789abcdef",
		AuthTokenCiphertext: []byte("sealed"), FromNumber: "+15125550100", ConfirmationTemplate: "hi", ReminderTemplate: "hi",
		QuietStart: scheduling.Clock(21 * 60).PG(), QuietEnd: scheduling.Clock(8 * 60).PG()}); err != nil {
		t.Fatal(err)
	}
	svc, err := q.CreateService(ctx, db.CreateServiceParams{OrgID: org, Name: "Cleaning", DurationMinutes: 30, Active: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.CreateResource(ctx, db.CreateResourceParams{OrgID: org, Name: "Dr A", Kind: "clinician", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	text := func(at time.Time) SMSSendArgs {
		b, err := q.InsertBooking(ctx, db.InsertBookingParams{OrgID: org, ResourceID: res, ServiceID: svc, Status: "confirmed",
			StartsAt: at, EndsAt: at.Add(30 * time.Minute), BlockedStart: at, BlockedEnd: at.Add(30 * time.Minute),
			PatientName: "Pat", PatientPhone: "+15125550123", Source: "staff"})
		if err != nil {
			t.Fatal(err)
		}
		id, err := q.AddSMSLog(ctx, db.AddSMSLogParams{OrgID: org, BookingID: b, Kind: "confirmation", ToNumber: "+15125550123", Body: "hi", SendAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return SMSSendArgs{OrgID: org, LogID: id}
	}
	status := func(a SMSSendArgs) (string, string) {
		var st, reason string
		conn, err := pgx.Connect(ctx, d.OwnerURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, "SELECT status, error_message FROM sms_confirmation_logs WHERE id = $1", a.LogID).Scan(&st, &reason); err != nil {
			t.Fatal(err)
		}
		return st, reason
	}
	unreachable := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("connection refused")
	}}}
	sender := &smsSender{store: d.Store, http: unreachable, log: testkit.Logger(),
		open:       func(frontdesk.OrgID, []byte) (string, error) { return "token0123456789abcdef", nil },
		patientKey: func(string) string { return "" }}
	run := func(s *smsSender, a SMSSendArgs, attempt int) error {
		return s.Work(ctx, &river.Job[SMSSendArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 5, CreatedAt: time.Now()}, Args: a})
	}
	base := time.Now().Add(72 * time.Hour).Truncate(time.Hour)

	a := text(base)
	if err := run(sender, a, 1); err == nil {
		t.Fatal("an unreachable Twilio succeeded")
	}
	if st, _ := status(a); st != "pending" {
		t.Fatalf("after a failed first attempt: %s, want pending (it will be retried)", st)
	}
	var cancel *rivertype.JobCancelError
	if err := run(sender, a, 5); !errors.As(err, &cancel) {
		t.Fatalf("last attempt: %v, want the job cancelled", err)
	}
	if st, reason := status(a); st != "failed" || !strings.Contains(reason, "attempt 5 of 5") || !strings.Contains(reason, "connection refused") {
		t.Fatalf("after the last attempt: %s %q", st, reason)
	}

	b := text(base.Add(time.Hour))
	locked := *sender
	locked.open = func(frontdesk.OrgID, []byte) (string, error) { return "", errors.New("message authentication failed") }
	if err := run(&locked, b, 1); !errors.As(err, &cancel) {
		t.Fatalf("token that does not open: %v, want the job cancelled", err)
	}
	if st, reason := status(b); st != "failed" || !strings.Contains(reason, "cannot be opened") {
		t.Fatalf("token that does not open: %s %q", st, reason)
	}
}
