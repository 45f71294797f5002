package jobs

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"frontdesk"
	"frontdesk/internal/testkit"
)

func (rw *recordingWorld) put(t *testing.T, key string) {
	t.Helper()
	if err := rw.bucket.WriteAll(context.Background(), key, rw.audio, nil); err != nil {
		t.Fatal(err)
	}
}

func (rw *recordingWorld) markStored(t *testing.T, org frontdesk.OrgID, call frontdesk.CallID, extra string) {
	t.Helper()
	if err := rw.db.Admin.Exec(context.Background(), "UPDATE call_logs SET recording_status = 'stored', recording_url = '"+
		rw.server.URL+"/r.wav', recording_key = '"+RecordingKey(org, call)+"'"+extra+" WHERE id = '"+call.String()+"'"); err != nil {
		t.Fatal(err)
	}
}

// The periodic sweep, run by a real worker: orphans deleted, missing
// objects fetched again, retention applied, and each clinic's sweep
// touching only its own objects.
func TestRecordingSweep(t *testing.T) {
	t.Parallel()
	rw := setupRecordings(t)
	a, b := rw.w.A, rw.w.B
	kept, missing := a.Calls[0].ID, a.Calls[1].ID
	rw.markStored(t, a.ID, kept, "")
	rw.put(t, RecordingKey(a.ID, kept))
	rw.markStored(t, a.ID, missing, "") // its object was lost
	orphanA := "orgs/" + a.ID.String() + "/calls/" + frontdesk.NewCallID().String() + "/recording"
	rw.put(t, orphanA)
	// Clinic B keeps recordings 30 days: its old call's recording goes, its
	// recent one stays.
	old, recent := b.Calls[0].ID, b.Calls[1].ID
	if err := rw.db.Admin.Exec(context.Background(), "UPDATE organizations SET recording_retention_days = 30 WHERE id = '"+b.ID.String()+"'"); err != nil {
		t.Fatal(err)
	}
	rw.markStored(t, b.ID, old, "")
	rw.markStored(t, b.ID, recent, ", started_at = now() - interval '1 day'")
	rw.put(t, RecordingKey(b.ID, old))
	rw.put(t, RecordingKey(b.ID, recent))

	cfg := rw.cfg
	cfg.OrphanGrace = time.Millisecond
	client, err := New(cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(context.Background())

	defer func() {
		if t.Failed() {
			t.Logf("missing %+v old %+v objects %v", rw.state(t, a.ID, missing), rw.state(t, b.ID, old), rw.objects(t))
			conn, _ := pgx.Connect(context.Background(), rw.db.OwnerURL)
			rows, _ := conn.Query(context.Background(), "SELECT kind, state, coalesce(errors::text, '') FROM river_job")
			for rows.Next() {
				var k, s, e string
				rows.Scan(&k, &s, &e)
				t.Logf("job %s %s %s", k, s, e)
			}
		}
	}()
	testkit.Eventually(t, 20*time.Second, func() bool {
		// The missing recording starts out "stored": it is done when its
		// object is back.
		objs := rw.objects(t)
		return rw.state(t, a.ID, missing).RecordingStatus == "stored" && slices.Contains(objs, RecordingKey(a.ID, missing)) &&
			rw.state(t, b.ID, old).RecordingStatus == "deleted" && !slices.Contains(objs, orphanA)
	})
	want := []string{RecordingKey(a.ID, kept), RecordingKey(a.ID, missing), RecordingKey(b.ID, recent)}
	slices.Sort(want)
	got := rw.objects(t)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("objects after the sweep:\n%v\nwant\n%v", got, want)
	}
	if s := rw.state(t, a.ID, kept).RecordingStatus; s != "stored" {
		t.Fatalf("a recording with its object became %q", s)
	}
	if s := rw.state(t, b.ID, recent).RecordingStatus; s != "stored" {
		t.Fatalf("a recent recording under retention became %q", s)
	}
}
