package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/twilio"
	"frontdesk/internal/scheduling"
)

// Default templates, used until a clinic sets its own. Placeholders:
// {patient}, {service}, {when}, {clinician}, {clinic}.
const (
	DefaultConfirmationTemplate = "Hi {patient}, your {service} at {clinic} is booked for {when} with {clinician}. Reply C to confirm or STOP to opt out."
	DefaultReminderTemplate     = "Reminder: your {service} at {clinic} is {when} with {clinician}. Reply C to confirm or STOP to opt out."
)

// SMSSendArgs sends one logged message.
type SMSSendArgs struct {
	OrgID frontdesk.OrgID `json:"org_id"`
	LogID uuid.UUID       `json:"log_id"`
}

func (SMSSendArgs) Kind() string { return "sms_send" }

// QueueSMS holds outgoing texts.
const QueueSMS = "sms"

// EnqueueBookingMessages logs a new booking's confirmation text (now) and
// reminder (before the appointment, never at night) and enqueues their
// sending, in the booking's own transaction. Nothing happens when the
// clinic has no Twilio account; a booking never gets a second
// confirmation or reminder, whatever retries happen.
func (c *Client) EnqueueBookingMessages(ctx context.Context, tx *postgres.Tx, booking uuid.UUID) error {
	org := tx.Org
	acct, err := tx.GetTwilioAccount(ctx, org.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	b, err := tx.GetBooking(ctx, db.GetBookingParams{OrgID: org.ID, ID: booking})
	if err != nil {
		return err
	}
	if b.PatientPhone == "" || b.Status != "confirmed" {
		return nil
	}
	render := strings.NewReplacer("{patient}", b.PatientName, "{service}", b.ServiceName,
		"{when}", b.StartsAt.In(org.Location).Format("Monday 2 January at 3:04 PM"),
		"{clinician}", b.ResourceName, "{clinic}", org.Name).Replace
	now := time.Now()
	if err := c.logAndEnqueue(ctx, tx, booking, "confirmation", b.PatientPhone, render(acct.ConfirmationTemplate), now); err != nil {
		return err
	}
	if acct.ReminderHoursBefore == 0 {
		return nil
	}
	at, ok := ReminderTime(b.StartsAt, time.Duration(acct.ReminderHoursBefore)*time.Hour,
		int(scheduling.ClockOf(acct.QuietStart)), int(scheduling.ClockOf(acct.QuietEnd)), org.Location, now)
	if !ok {
		return nil // too close to the appointment to remind
	}
	return c.logAndEnqueue(ctx, tx, booking, "reminder", b.PatientPhone, render(acct.ReminderTemplate), at)
}

func (c *Client) logAndEnqueue(ctx context.Context, tx *postgres.Tx, booking uuid.UUID, kind, to, body string, at time.Time) error {
	id, err := tx.AddSMSLog(ctx, db.AddSMSLogParams{OrgID: tx.Org.ID, BookingID: booking, Kind: kind, ToNumber: to, Body: body, SendAt: at})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // already logged: at most one per booking and kind
	}
	if err != nil {
		return err
	}
	opts := &river.InsertOpts{Queue: QueueSMS, MaxAttempts: 5}
	if at.After(time.Now()) {
		// Scheduled jobs wait for River's scheduler (every few seconds):
		// only texts due later are scheduled.
		opts.ScheduledAt = at
	}
	_, err = c.river.InsertTx(ctx, tx.PgxTx(), SMSSendArgs{OrgID: tx.Org.ID, LogID: id}, opts)
	return err
}

// ReminderTime is when to remind of an appointment at start: before by
// before, moved earlier out of the clinic's quiet hours (quietStart to
// quietEnd, minutes after midnight, clinic time), and never in the past:
// a reminder whose time has passed goes now, unless it is night or the
// appointment is within the hour, when there is none (ok false).
func ReminderTime(start time.Time, before time.Duration, quietStart, quietEnd int, loc *time.Location, now time.Time) (time.Time, bool) {
	at := start.Add(-before)
	if quiet(at, quietStart, quietEnd, loc) {
		// The last minute before this night's quiet hours began.
		l := at.In(loc)
		day := l
		if minutesOf(l) < quietEnd && quietStart > quietEnd { // after midnight: the night began yesterday
			day = l.AddDate(0, 0, -1)
		}
		at = time.Date(day.Year(), day.Month(), day.Day(), 0, quietStart-1, 0, 0, loc)
	}
	if at.Before(now) {
		if quiet(now, quietStart, quietEnd, loc) || start.Sub(now) < time.Hour {
			return time.Time{}, false
		}
		at = now
	}
	return at, true
}

func quiet(t time.Time, start, end int, loc *time.Location) bool {
	m := minutesOf(t.In(loc))
	if start > end { // across midnight
		return m >= start || m < end
	}
	return m >= start && m < end
}

func minutesOf(t time.Time) int { return t.Hour()*60 + t.Minute() }

// smsSender sends a logged text through the clinic's own Twilio account.
// The log row is the outbox: a text already given a MessageSid is never
// sent again, and a retry after a crash first looks in Twilio for the text
// it may already have sent.
type smsSender struct {
	river.WorkerDefaults[SMSSendArgs]
	store     *postgres.Store
	open      func(org frontdesk.OrgID, ciphertext []byte) (string, error)
	http      *http.Client
	statusURL string
}

func (w *smsSender) Work(ctx context.Context, job *river.Job[SMSSendArgs]) error {
	a := job.Args
	var msg db.SMSLogRow
	var acct db.GetTwilioAccountRow
	var optedOut bool
	err := w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) (err error) {
		if msg, err = tx.SMSLog(ctx, db.SMSLogParams{OrgID: a.OrgID, ID: a.LogID}); err != nil {
			return err
		}
		if acct, err = tx.GetTwilioAccount(ctx, a.OrgID); err != nil {
			return err
		}
		optedOut, err = tx.OptedOut(ctx, db.OptedOutParams{OrgID: a.OrgID, Phone: msg.ToNumber})
		return err
	})
	if errors.Is(err, frontdesk.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("message %s or the clinic's Twilio account is gone", a.LogID))
	}
	if err != nil {
		return err
	}
	if msg.MessageSid.Valid || msg.Status != "pending" {
		return nil // sent (or settled) already
	}
	if optedOut || msg.BookingStatus == "cancelled" {
		reason := "the number opted out (STOP)"
		if !optedOut {
			reason = "the booking was cancelled"
		}
		return w.fail(ctx, a, "skipped", nil, reason)
	}
	token, err := w.open(a.OrgID, acct.AuthTokenCiphertext)
	if err != nil {
		return river.JobCancel(err)
	}
	tw := twilio.NewClient(twilio.Account{SID: acct.AccountSid, AuthToken: token}, w.http)
	var sent twilio.Sent
	found := false
	if job.Attempt > 1 {
		if sent, found, err = tw.FindSent(msg.ToNumber, acct.FromNumber, msg.Body, job.CreatedAt); err != nil {
			return err
		}
	}
	if !found {
		sent, err = tw.Send(msg.ToNumber, acct.FromNumber, msg.Body, w.statusURL)
	}
	if err != nil {
		code := twilio.ErrorCode(err)
		switch {
		case code == twilio.CodeOptedOut:
			if err := w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) error {
				return tx.OptOut(ctx, db.OptOutParams{OrgID: a.OrgID, Phone: msg.ToNumber})
			}); err != nil {
				return err
			}
			return w.fail(ctx, a, "skipped", &code, "the number opted out at Twilio")
		case twilio.Permanent(err):
			return w.fail(ctx, a, "failed", &code, err.Error())
		case job.Attempt >= job.MaxAttempts:
			return w.fail(ctx, a, "failed", nil, err.Error())
		}
		return err
	}
	status := sent.Status
	if status == "accepted" || status == "scheduled" || status == "" {
		status = "queued"
	}
	return w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) error {
		return tx.MarkSMSSent(ctx, db.MarkSMSSentParams{OrgID: a.OrgID, ID: a.LogID, Status: status,
			MessageSid: textOf(sent.SID)})
	})
}

func (w *smsSender) fail(ctx context.Context, a SMSSendArgs, status string, code *int, reason string) error {
	err := w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) error {
		p := db.MarkSMSFailedParams{OrgID: a.OrgID, ID: a.LogID, Status: status, ErrorMessage: reason}
		if code != nil && *code != 0 {
			p.ErrorCode = int4(int32(*code))
		}
		return tx.MarkSMSFailed(ctx, p)
	})
	if err != nil {
		return err
	}
	if status == "failed" {
		return river.JobCancel(errors.New(reason))
	}
	return nil
}

func textOf(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

func int4(n int32) pgtype.Int4 { return pgtype.Int4{Int32: n, Valid: true} }
