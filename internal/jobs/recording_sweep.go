package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gocloud.dev/blob"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/retention"
)

// The periodic sweep: a fan-out job finds the clinics to check (every
// active one, and any with recordings in storage), then one sweep job per
// clinic:
//   - removes what is older than the clinic keeps (retention.Sweep:
//     recordings, transcripts, text bodies, access-log rows), and logs
//     what it removed;
//   - re-fetches recordings whose object has gone missing (while the
//     provider's URL still works; otherwise they end failed, with why);
//   - deletes objects under the clinic's prefix that no call row claims,
//     once older than the grace period (a download in flight writes its
//     object a moment before it marks the row).

// RecordingSweepFanOutArgs starts a sweep.
type RecordingSweepFanOutArgs struct{}

func (RecordingSweepFanOutArgs) Kind() string { return "recording_sweep_fan_out" }

// RecordingSweepArgs sweeps one clinic.
type RecordingSweepArgs struct {
	OrgID frontdesk.OrgID `json:"org_id"`
}

func (RecordingSweepArgs) Kind() string { return "recording_sweep" }

type recordingSweepFanOut struct {
	river.WorkerDefaults[RecordingSweepFanOutArgs]
	store  *postgres.Store
	bucket *blob.Bucket
}

func (w *recordingSweepFanOut) Work(ctx context.Context, job *river.Job[RecordingSweepFanOutArgs]) error {
	orgs, err := w.store.SweepOrgs(ctx)
	if err != nil {
		return err
	}
	// Clinics with objects but no stored rows (all orphans) are in the
	// bucket's listing, not the database's.
	seen := map[frontdesk.OrgID]bool{}
	for _, o := range orgs {
		seen[o] = true
	}
	it := w.bucket.List(&blob.ListOptions{Prefix: "orgs/", Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("list recording prefixes: %w", err)
		}
		id, err := uuid.Parse(strings.TrimSuffix(strings.TrimPrefix(obj.Key, "orgs/"), "/"))
		if err == nil && !seen[frontdesk.OrgID(id)] {
			seen[frontdesk.OrgID(id)] = true
			orgs = append(orgs, frontdesk.OrgID(id))
		}
	}
	client := river.ClientFromContext[pgx.Tx](ctx)
	params := make([]river.InsertManyParams, len(orgs))
	for i, o := range orgs {
		params[i] = river.InsertManyParams{Args: RecordingSweepArgs{OrgID: o},
			InsertOpts: &river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}}}
	}
	if len(params) == 0 {
		return nil
	}
	_, err = client.InsertMany(ctx, params)
	return err
}

type recordingSweep struct {
	river.WorkerDefaults[RecordingSweepArgs]
	retention *retention.Service
	client    *Client
	store     *postgres.Store
	bucket    *blob.Bucket
	grace     time.Duration
	log       *slog.Logger
}

func (w *recordingSweep) Work(ctx context.Context, job *river.Job[RecordingSweepArgs]) error {
	org := job.Args.OrgID
	removed, err := w.retention.Sweep(ctx, org, true)
	if err != nil {
		return err // a clinic that is gone or suspended keeps its data
	}
	if removed != (retention.Report{}) {
		w.log.InfoContext(ctx, "retention sweep", "org_id", org, "removed", removed.String())
	}
	stored := map[string]db.StoredRecordingsRow{} // by key
	err = w.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		after := uuid.NullUUID{}
		for {
			page, err := tx.StoredRecordings(ctx, db.StoredRecordingsParams{OrgID: org, After: after, RowLimit: 1000})
			if err != nil {
				return err
			}
			for _, r := range page {
				stored[r.RecordingKey] = r
			}
			if len(page) < 1000 {
				return nil
			}
			after = uuid.NullUUID{UUID: uuid.UUID(page[len(page)-1].ID), Valid: true}
		}
	})
	if err != nil {
		return err // a clinic that is gone or suspended keeps its objects
	}

	now := time.Now()
	present := map[string]bool{}
	candidates := map[uuid.UUID]string{} // unclaimed objects past the grace period, by call id
	it := w.bucket.List(&blob.ListOptions{Prefix: fmt.Sprintf("orgs/%s/", org)})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("list recordings: %w", err)
		}
		if _, ok := stored[obj.Key]; ok {
			present[obj.Key] = true
		} else if now.Sub(obj.ModTime) > w.grace {
			if call, ok := callOfKey(org, obj.Key); ok {
				candidates[call] = obj.Key
			}
		}
	}
	if err := w.deleteOrphans(ctx, org, candidates); err != nil {
		return err
	}
	for key, r := range stored {
		switch {
		case !present[key]:
			w.log.WarnContext(ctx, "stored recording missing; fetching again", "org_id", org, "call_id", r.ID)
			err = w.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
				if err := tx.MarkRecordingMissing(ctx, db.MarkRecordingMissingParams{OrgID: org, ID: r.ID}); err != nil {
					return err
				}
				_, err := w.client.EnqueueRecordingDownload(ctx, tx, r.ID)
				return err
			})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// deleteOrphans deletes the candidate objects whose call row does not
// exist. An object whose call exists but is not marked stored is left: its
// download may be finishing, or the row may be fixed by hand.
func (w *recordingSweep) deleteOrphans(ctx context.Context, org frontdesk.OrgID, candidates map[uuid.UUID]string) error {
	if len(candidates) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(candidates))
	for id := range candidates {
		ids = append(ids, id)
	}
	var existing []frontdesk.CallID
	err := w.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		existing, err = tx.ExistingCalls(ctx, db.ExistingCallsParams{OrgID: org, Ids: ids})
		return err
	})
	if err != nil {
		return err
	}
	for _, id := range existing {
		delete(candidates, uuid.UUID(id))
	}
	for _, key := range candidates {
		if err := w.bucket.Delete(ctx, key); err != nil {
			return fmt.Errorf("delete orphan %s: %w", key, err)
		}
		w.log.InfoContext(ctx, "deleted orphan recording", "org_id", org, "key", key)
	}
	return nil
}

// callOfKey reads the call id out of a key made by RecordingKey.
func callOfKey(org frontdesk.OrgID, key string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(key, fmt.Sprintf("orgs/%s/calls/", org))
	if !ok {
		return uuid.Nil, false
	}
	id, _, _ := strings.Cut(rest, "/")
	u, err := uuid.Parse(id)
	return u, err == nil
}
