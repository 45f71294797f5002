package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
)

// The periodic call sweep: calls that never got their end-of-call report
// end as "no-report" once silent for calls.SilentAfter. A fan-out finds the
// clinics with such calls; each clinic's are closed in its own InTenant.

// CallSweepInterval is how often the sweep runs.
const CallSweepInterval = 10 * time.Minute

// CallSweepFanOutArgs starts a call sweep.
type CallSweepFanOutArgs struct{}

func (CallSweepFanOutArgs) Kind() string { return "call_sweep_fan_out" }

// CallSweepArgs closes one clinic's silent calls.
type CallSweepArgs struct {
	OrgID frontdesk.OrgID `json:"org_id"`
}

func (CallSweepArgs) Kind() string { return "call_sweep" }

type callSweepFanOut struct {
	river.WorkerDefaults[CallSweepFanOutArgs]
	store *postgres.Store
}

func (w *callSweepFanOut) Work(ctx context.Context, job *river.Job[CallSweepFanOutArgs]) error {
	orgs, err := w.store.SilentCallOrgs(ctx, time.Now().Add(-calls.SilentAfter))
	if err != nil || len(orgs) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(orgs))
	for i, o := range orgs {
		params[i] = river.InsertManyParams{Args: CallSweepArgs{OrgID: o},
			InsertOpts: &river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: CallSweepInterval}}}
	}
	_, err = river.ClientFromContext[pgx.Tx](ctx).InsertMany(ctx, params)
	return err
}

type callSweep struct {
	river.WorkerDefaults[CallSweepArgs]
	calls *calls.Service
	log   *slog.Logger
}

func (w *callSweep) Work(ctx context.Context, job *river.Job[CallSweepArgs]) error {
	n, err := w.calls.CloseSilent(ctx, job.Args.OrgID, time.Now())
	if n > 0 {
		w.log.InfoContext(ctx, "closed calls without an end-of-call report", "org_id", job.Args.OrgID, "calls", n)
	}
	return err
}
