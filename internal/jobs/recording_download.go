package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gocloud.dev/blob"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// QueueRecordings is the queue of recording downloads.
const QueueRecordings = "recordings"

// fairShare is how many pending recordings a clinic may have at normal
// priority; beyond it, its downloads wait behind other clinics' (River
// claims by priority first), so one clinic's backlog cannot hold up
// another's single call.
const fairShare = 20

// RecordingDownloadArgs asks for one call's recording to be stored.
type RecordingDownloadArgs struct {
	OrgID  frontdesk.OrgID  `json:"org_id"`
	CallID frontdesk.CallID `json:"call_id"`
}

func (RecordingDownloadArgs) Kind() string { return "recording_download" }

// RecordingKey is where a call's recording is stored: derived from the
// clinic and the call, so a retried or rescued download overwrites its own
// object and never leaves a second one.
func RecordingKey(org frontdesk.OrgID, call frontdesk.CallID) string {
	return fmt.Sprintf("orgs/%s/calls/%s/recording", org, call)
}

// EnqueueRecordingDownload marks the call's recording pending and enqueues
// its download in the caller's tenant transaction: if the transaction rolls
// back, so does the job; if it commits, the job exists. It reports whether
// anything was enqueued (false when there is no URL or the recording is
// already pending or stored).
func (c *Client) EnqueueRecordingDownload(ctx context.Context, tx *postgres.Tx, call frontdesk.CallID) (bool, error) {
	n, err := tx.MarkRecordingPending(ctx, db.MarkRecordingPendingParams{OrgID: tx.Org.ID, ID: call})
	if err != nil || n == 0 {
		return false, err
	}
	pending, err := tx.PendingRecordings(ctx, tx.Org.ID)
	if err != nil {
		return false, err
	}
	_, err = c.river.InsertTx(ctx, tx.PgxTx(), RecordingDownloadArgs{OrgID: tx.Org.ID, CallID: call}, c.DownloadOpts(pending))
	if err != nil {
		return false, fmt.Errorf("enqueue recording download: %w", err)
	}
	return true, nil
}

// DownloadOpts are a recording download's insert options for a clinic with
// pending recordings waiting: past its fair share, its jobs drop to a lower
// priority, behind other clinics' (exported for the fairness benchmark,
// which enqueues a backlog in bulk).
func (c *Client) DownloadOpts(pending int64) *river.InsertOpts {
	priority := 1
	if pending > fairShare {
		priority = 3
	}
	return &river.InsertOpts{
		Queue: QueueRecordings, MaxAttempts: c.attempts, Priority: priority,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled}},
	}
}

// RecordingDownloader stores a call's recording: it streams the provider's
// file into blob storage, then records key, size and checksum on the call.
// A failure that retrying cannot fix, or the last attempt's failure, marks
// the recording failed with the reason.
type RecordingDownloader struct {
	river.WorkerDefaults[RecordingDownloadArgs]
	store   *postgres.Store
	bucket  *blob.Bucket
	fetcher *Fetcher
	timeout time.Duration
}

func (w *RecordingDownloader) Timeout(*river.Job[RecordingDownloadArgs]) time.Duration {
	return w.timeout
}

func (w *RecordingDownloader) Work(ctx context.Context, job *river.Job[RecordingDownloadArgs]) error {
	a := job.Args
	var target db.RecordingTargetRow
	err := w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) (err error) {
		target, err = tx.RecordingTarget(ctx, db.RecordingTargetParams{OrgID: a.OrgID, ID: a.CallID})
		return err
	})
	switch {
	case errors.Is(err, frontdesk.ErrNotFound):
		return river.JobCancel(fmt.Errorf("call %s of %s no longer exists", a.CallID, a.OrgID))
	case err != nil:
		return err
	case target.RecordingStatus == "stored":
		return nil
	}
	key := RecordingKey(a.OrgID, a.CallID)
	got, err := w.fetcher.Copy(ctx, target.RecordingUrl, w.bucket, key)
	if err != nil {
		var perm *PermanentError
		isPerm := errors.As(err, &perm)
		if isPerm || job.Attempt >= job.MaxAttempts {
			if markErr := w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) error {
				return tx.MarkRecordingFailed(ctx, db.MarkRecordingFailedParams{OrgID: a.OrgID, ID: a.CallID,
					RecordingError: fmt.Sprintf("gave up after attempt %d of %d: %v", job.Attempt, job.MaxAttempts, err)})
			}); markErr != nil {
				return errors.Join(err, markErr)
			}
		}
		if isPerm {
			return river.JobCancel(err)
		}
		return err
	}
	return w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) error {
		return tx.MarkRecordingStored(ctx, db.MarkRecordingStoredParams{OrgID: a.OrgID, ID: a.CallID,
			RecordingKey: key, RecordingSize: pgInt8(got.Size), RecordingSha256: got.SHA256})
	})
}
