// Package jobs holds the background jobs (River), one file per kind. Every
// job's args carry its clinic's OrgID and its body runs inside InTenant;
// River itself claims jobs globally (postgres.Store.JobDriver), so polling
// costs the same for ten clinics or ten thousand.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"
	"gocloud.dev/blob"

	"frontdesk/internal/postgres"
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
	Log     *slog.Logger
}

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
		workers := river.NewWorkers()
		river.AddWorker(workers, &RecordingDownloader{store: cfg.Store, bucket: cfg.Bucket,
			fetcher: NewFetcher(cfg.Fetch), timeout: cfg.Fetch.Timeout + 30*time.Second})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{QueueRecordings: {MaxWorkers: cfg.Workers}}
	}
	c, err := river.NewClient(cfg.Store.JobDriver(), rc)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Client{river: c, attempts: cfg.RecordingAttempts}, nil
}

// Start works jobs until Stop.
func (c *Client) Start(ctx context.Context) error { return c.river.Start(ctx) }

// Stop finishes running jobs (up to ctx's deadline) and stops.
func (c *Client) Stop(ctx context.Context) error { return c.river.Stop(ctx) }

// River is the underlying client, for tests and benchmarks.
func (c *Client) River() *river.Client[pgx.Tx] { return c.river }

func pgInt8(n int64) pgtype.Int8 { return pgtype.Int8{Int64: n, Valid: true} }
