package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"frontdesk"
	"frontdesk/internal/campaigns"
	"frontdesk/internal/postgres"
)

// The dialer: every DialInterval a fan-out finds the clinics with running
// campaigns, and one dial job per clinic turns due targets into attempts
// (campaigns.Service.Dial); each attempt is placed by its own job
// (campaigns.Service.Place), on the campaigns queue, apart from texts,
// downloads and the sweeps. A campaign's cap bounds its jobs in flight,
// so one clinic's long campaign never fills the queue.

// DialInterval is how often the dialer turns: pause, resume and cancel
// take effect within it.
const DialInterval = 5 * time.Second

// QueueCampaigns holds the dialer's jobs.
const QueueCampaigns = "campaigns"

// CampaignDialFanOutArgs starts a turn of the dialer.
type CampaignDialFanOutArgs struct{}

func (CampaignDialFanOutArgs) Kind() string { return "campaign_dial_fan_out" }

// CampaignDialArgs is one clinic's turn.
type CampaignDialArgs struct {
	OrgID frontdesk.OrgID `json:"org_id"`
}

func (CampaignDialArgs) Kind() string { return "campaign_dial" }

// CampaignCallArgs places one attempt.
type CampaignCallArgs struct {
	OrgID   frontdesk.OrgID `json:"org_id"`
	Attempt uuid.UUID       `json:"attempt"`
}

func (CampaignCallArgs) Kind() string { return "campaign_call" }

// EnqueueCampaignCall enqueues the placing of an attempt in tx.
func (c *Client) EnqueueCampaignCall(ctx context.Context, tx *postgres.Tx, attempt uuid.UUID) error {
	_, err := c.river.InsertTx(ctx, tx.PgxTx(), CampaignCallArgs{OrgID: tx.Org.ID, Attempt: attempt},
		&river.InsertOpts{Queue: QueueCampaigns, MaxAttempts: 10})
	return err
}

type campaignDialFanOut struct {
	river.WorkerDefaults[CampaignDialFanOutArgs]
	store *postgres.Store
}

func (w *campaignDialFanOut) Work(ctx context.Context, job *river.Job[CampaignDialFanOutArgs]) error {
	orgs, err := w.store.CampaignOrgs(ctx)
	if err != nil || len(orgs) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(orgs))
	for i, o := range orgs {
		params[i] = river.InsertManyParams{Args: CampaignDialArgs{OrgID: o},
			InsertOpts: &river.InsertOpts{Queue: QueueCampaigns, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: DialInterval}}}
	}
	_, err = river.ClientFromContext[pgx.Tx](ctx).InsertMany(ctx, params)
	return err
}

type campaignDial struct {
	river.WorkerDefaults[CampaignDialArgs]
	campaigns *campaigns.Service
}

func (w *campaignDial) Work(ctx context.Context, job *river.Job[CampaignDialArgs]) error {
	_, err := w.campaigns.Dial(ctx, job.Args.OrgID)
	return err
}

type campaignCall struct {
	river.WorkerDefaults[CampaignCallArgs]
	campaigns *campaigns.Service
}

func (w *campaignCall) Work(ctx context.Context, job *river.Job[CampaignCallArgs]) error {
	err := w.campaigns.Place(ctx, job.Args.OrgID, job.Args.Attempt)
	var later *campaigns.ErrLater
	if errors.As(err, &later) {
		return river.JobSnooze(later.Wait)
	}
	return err
}
