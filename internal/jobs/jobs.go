// Package jobs holds the background jobs (River), one file per kind. Every
// job's args carry its clinic's OrgID and its body runs inside InTenant;
// River itself claims jobs globally (postgres.Store.JobDriver), so polling
// costs the same for ten clinics or ten thousand.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"
	"gocloud.dev/blob"

	"frontdesk"
	"frontdesk/internal/access"
	"frontdesk/internal/calls"
	"frontdesk/internal/campaigns"
	"frontdesk/internal/postgres"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/receptionist"
	"frontdesk/internal/retention"
	"frontdesk/internal/secrets"
	"frontdesk/internal/voice"
)

// Config is what the jobs need.
type Config struct {
	Store  *postgres.Store
	Bucket *blob.Bucket
	Fetch  FetchConfig
	// RecordingAttempts is how many times a recording download is tried
	// before the recording is marked failed.
	RecordingAttempts int
	// Workers is how many jobs run at once in this process.
	Workers int
	// SweepInterval is how often recordings are swept (orphans, missing
	// objects, retention); OrphanGrace is how old an unclaimed object must
	// be before the sweep deletes it.
	SweepInterval time.Duration
	OrphanGrace   time.Duration
	// Secrets opens the clinics' Twilio auth tokens; TwilioHTTP is the
	// transport to Twilio (nil: the default; tests use a local fake);
	// PublicURL is where Twilio sends status callbacks.
	Secrets    *secrets.Box
	TwilioHTTP *http.Client
	PublicURL  string
	// Google syncs bookings to connected calendars (nil: not configured).
	Google *google.Client
	// VapiAPIURL is Vapi's REST API, where campaigns place calls ("" for
	// the real one).
	VapiAPIURL string
	Log        *slog.Logger
}

// QueueMaintenance holds the periodic sweeps, apart from downloads.
const QueueMaintenance = "maintenance"

// Client enqueues jobs and, when started, works them.
type Client struct {
	river    *river.Client[pgx.Tx]
	attempts int
}

// New returns a client. With work set it registers the workers and queues
// (frontdesk worker, frontdesk dev); otherwise it only enqueues (serve).
func New(cfg Config, work bool) (*Client, error) {
	if cfg.RecordingAttempts <= 0 {
		cfg.RecordingAttempts = 3
	}
	rc := &river.Config{
		Logger: cfg.Log,
		// A download killed with its worker is taken up again after this.
		RescueStuckJobsAfter: cfg.Fetch.Timeout + time.Minute,
	}
	if work {
		if cfg.Workers <= 0 {
			cfg.Workers = 10
		}
		if cfg.SweepInterval <= 0 {
			cfg.SweepInterval = 6 * time.Hour
		}
		if cfg.OrphanGrace <= 0 {
			cfg.OrphanGrace = 24 * time.Hour
		}
		rc.Queues = map[string]river.QueueConfig{QueueRecordings: {MaxWorkers: cfg.Workers}, QueueMaintenance: {MaxWorkers: 2},
			QueueSMS: {MaxWorkers: cfg.Workers}, QueueCalendar: {MaxWorkers: cfg.Workers}, QueueCampaigns: {MaxWorkers: cfg.Workers}}
		// A queue fetches at most MaxWorkers jobs, then waits this long: at
		// River's default (100 ms) a burst of bookings drained at about
		// 40 texts a second.
		rc.FetchCooldown = 20 * time.Millisecond
		rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.SweepInterval),
			func() (river.JobArgs, *river.InsertOpts) {
				return RecordingSweepFanOutArgs{}, &river.InsertOpts{Queue: QueueMaintenance}
			}, &river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(CallSweepInterval), func() (river.JobArgs, *river.InsertOpts) {
				return CallSweepFanOutArgs{}, &river.InsertOpts{Queue: QueueMaintenance}
			}, &river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(DialInterval), func() (river.JobArgs, *river.InsertOpts) {
				return CampaignDialFanOutArgs{}, &river.InsertOpts{Queue: QueueCampaigns}
			}, &river.PeriodicJobOpts{RunOnStart: true})}
	}
	c := &Client{attempts: cfg.RecordingAttempts}
	if work {
		workers := river.NewWorkers()
		river.AddWorker(workers, &RecordingDownloader{store: cfg.Store, bucket: cfg.Bucket,
			fetcher: NewFetcher(cfg.Fetch), timeout: cfg.Fetch.Timeout + 30*time.Second})
		river.AddWorker(workers, &recordingSweepFanOut{store: cfg.Store, bucket: cfg.Bucket})
		river.AddWorker(workers, &recordingSweep{retention: retention.NewService(cfg.Store, cfg.Bucket), client: c, store: cfg.Store,
			bucket: cfg.Bucket, grace: cfg.OrphanGrace, log: cfg.Log})
		statusURL := "" // without a public URL Twilio cannot call back
		if cfg.PublicURL != "" {
			statusURL = strings.TrimRight(cfg.PublicURL, "/") + "/api/webhooks/twilio/status"
		}
		river.AddWorker(workers, &smsSender{store: cfg.Store, http: cfg.TwilioHTTP, statusURL: statusURL, log: cfg.Log,
			patientKey: func(phone string) string {
				if cfg.Secrets == nil {
					return ""
				}
				return access.PatientKey(cfg.Secrets, phone)
			},
			open: func(org frontdesk.OrgID, sealed []byte) (string, error) {
				if cfg.Secrets == nil {
					return "", errors.New("no secret key configured to open Twilio tokens")
				}
				b, err := cfg.Secrets.Open(sealed, org[:])
				return string(b), err
			}})
		river.AddWorker(workers, &callSweepFanOut{store: cfg.Store})
		river.AddWorker(workers, &callSweep{calls: calls.NewService(cfg.Store, c, cfg.Bucket, access.New(cfg.Store, cfg.Secrets)), log: cfg.Log})
		river.AddWorker(workers, &calendarSync{store: cfg.Store, google: cfg.Google,
			open: func(org frontdesk.OrgID, sealed []byte) ([]byte, error) {
				if cfg.Secrets == nil {
					return nil, errors.New("no secret key configured to open calendar tokens")
				}
				return cfg.Secrets.Open(sealed, org[:])
			}})
		dialer := campaigns.NewService(cfg.Store, c, vapi.NewAPI(cfg.VapiAPIURL), func(ctx context.Context, tx *postgres.Tx) (string, error) {
			if cfg.Secrets == nil {
				return "", errors.New("no secret key configured to open Vapi keys")
			}
			return voice.APIKey(ctx, tx, cfg.Secrets)
		}, receptionist.NewService(cfg.Store, cfg.Secrets, cfg.PublicURL).Outbound)
		river.AddWorker(workers, &campaignDialFanOut{store: cfg.Store})
		river.AddWorker(workers, &campaignDial{campaigns: dialer})
		river.AddWorker(workers, &campaignCall{campaigns: dialer})
		rc.Workers = workers
	}
	var err error
	if c.river, err = river.NewClient(cfg.Store.JobDriver(), rc); err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return c, nil
}

// Start works jobs until Stop.
func (c *Client) Start(ctx context.Context) error { return c.river.Start(ctx) }

// Stop finishes running jobs (up to ctx's deadline) and stops.
func (c *Client) Stop(ctx context.Context) error { return c.river.Stop(ctx) }

// River is the underlying client, for tests and benchmarks.
func (c *Client) River() *river.Client[pgx.Tx] { return c.river }

func pgInt8(n int64) pgtype.Int8 { return pgtype.Int8{Int64: n, Valid: true} }
