package jobs

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"frontdesk/internal/calls"
	"frontdesk/internal/testkit"
)

// A call that never gets its end-of-call report ends as "no-report" after
// two silent hours; a call still talking, and another clinic's calls, are
// left alone.
func TestSilentCallsAreClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	conn, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Each clinic's in-progress calls fell silent three hours ago; one of
	// A's had an event an hour ago.
	if _, err := conn.Exec(ctx, "UPDATE call_logs SET updated_at = now() - interval '3 hours' WHERE status = 'in-progress'"); err != nil {
		t.Fatal(err)
	}
	recent := w.A.Calls[5].ID
	if _, err := conn.Exec(ctx, "UPDATE call_logs SET updated_at = now() - interval '1 hour' WHERE id = $1", recent); err != nil {
		t.Fatal(err)
	}
	orgs, err := d.Store.SilentCallOrgs(ctx, time.Now().Add(-calls.SilentAfter))
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 2 || !slices.Contains(orgs, w.A.ID) || !slices.Contains(orgs, w.B.ID) {
		t.Fatalf("clinics with silent calls: %v", orgs)
	}
	sweep := &callSweep{calls: calls.NewService(d.Store, nil, nil, nil), log: testkit.Logger()}
	if err := sweep.Work(ctx, &river.Job[CallSweepArgs]{JobRow: &rivertype.JobRow{}, Args: CallSweepArgs{OrgID: w.A.ID}}); err != nil {
		t.Fatal(err)
	}
	state := func(id any) (status, reason string, ended *time.Time) {
		if err := conn.QueryRow(ctx, "SELECT status, ended_reason, ended_at FROM call_logs WHERE id = $1", id).Scan(&status, &reason, &ended); err != nil {
			t.Fatal(err)
		}
		return
	}
	if st, reason, ended := state(w.A.Calls[2].ID); st != "ended" || reason != "no-report" || ended == nil {
		t.Fatalf("A's silent call: %s %q %v", st, reason, ended)
	}
	if st, _, _ := state(recent); st != "in-progress" {
		t.Fatalf("A's call with an event an hour ago: %s", st)
	}
	if st, _, _ := state(w.B.Calls[2].ID); st != "in-progress" {
		t.Fatalf("B's call, swept for A: %s", st)
	}
}
