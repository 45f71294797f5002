package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gocloud.dev/blob/fileblob"

	"frontdesk"
	"frontdesk/internal/jobs"
	"frontdesk/internal/postgres"
	"frontdesk/internal/testkit"
)

// BenchmarkWorkerIdle counts the database transactions an idle worker
// causes per second, with 10 clinics and with 10,000: River claims jobs
// for all clinics in one query, so the two must be the same.
func BenchmarkWorkerIdle(b *testing.B) {
	ctx := context.Background()
	rates := map[int]float64{}
	for _, n := range []int{10, 10_000} {
		d := testkit.NewDB(b)
		if err := d.Admin.Exec(ctx, fmt.Sprintf(
			"INSERT INTO organizations (name, timezone) SELECT 'Clinic ' || i, 'Europe/London' FROM generate_series(1, %d) i", n)); err != nil {
			b.Fatal(err)
		}
		bucket, err := fileblob.OpenBucket(b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		w, err := jobs.New(jobs.Config{Store: d.Store, Bucket: bucket, Log: quiet, Fetch: jobs.FetchConfig{Timeout: time.Minute}}, true)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Start(ctx); err != nil {
			b.Fatal(err)
		}
		time.Sleep(5 * time.Second) // leader elected, startup sweep done
		owner, err := pgx.Connect(ctx, d.OwnerURL)
		if err != nil {
			b.Fatal(err)
		}
		xacts := func() int64 {
			var x int64
			// Statistics are flushed by each backend about once a second.
			if err := owner.QueryRow(ctx, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()").Scan(&x); err != nil {
				b.Fatal(err)
			}
			return x
		}
		before := xacts()
		const window = 20 * time.Second
		time.Sleep(window)
		after := xacts()
		rates[n] = float64(after-before-1) / window.Seconds() // minus our own first query
		w.Stop(ctx)
		owner.Close(ctx)
		fmt.Printf("idle worker, %5d clinics: %.2f transactions/s\n", n, rates[n])
	}
	fmt.Printf("idle cost at 10,000 clinics / at 10: %.2f×\n", rates[10_000]/rates[10])
	b.ReportMetric(rates[10], "tx/s-10-clinics")
	b.ReportMetric(rates[10_000], "tx/s-10000-clinics")
}

// BenchmarkRecordingFairness measures one small clinic's recording
// download latency (enqueue to stored) with the queue empty, and again
// behind a neighbour's backlog of 100,000 downloads. Each download takes
// 5 ms at a local fake provider.
func BenchmarkRecordingFairness(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	w := testkit.TwoClinics(b, d)
	big, small := w.A, w.B
	backlog := envInt("FRONTDESK_BENCH_BACKLOG", 100_000)
	provider := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		rw.Header().Set("Content-Type", "audio/wav")
		rw.Write(append([]byte("RIFF\x00\x00\x00\x00WAVE"), make([]byte, 4084)...))
	}))
	defer provider.Close()
	bucket, err := fileblob.OpenBucket(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg := jobs.Config{Store: d.Store, Bucket: bucket, Log: quiet, Workers: 10,
		Fetch: jobs.FetchConfig{AllowedHosts: []string{"127.0.0.1"}, AllowPrivate: true, MaxBytes: 1 << 20, Timeout: 10 * time.Second}}
	worker, err := jobs.New(cfg, true)
	if err != nil {
		b.Fatal(err)
	}
	if err := worker.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer worker.Stop(ctx)
	owner, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close(ctx)
	time.Sleep(3 * time.Second) // leader elected, startup sweep done

	// smallOnce enqueues one download for the small clinic, as a webhook
	// would, and waits until it is stored.
	smallOnce := func() time.Duration {
		call := testkit.AddCall(b, d, small.ID, testkit.Call{Direction: "inbound", Status: "ended", StartedAt: time.Now()})
		if _, err := owner.Exec(ctx, "UPDATE call_logs SET recording_url = $1 WHERE id = $2", provider.URL+"/s.wav", call.ID); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := d.Store.InTenant(ctx, small.ID, func(tx *postgres.Tx) error {
			_, err := worker.EnqueueRecordingDownload(ctx, tx, call.ID)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		for {
			var status string
			if err := owner.QueryRow(ctx, "SELECT recording_status FROM call_logs WHERE id = $1", call.ID).Scan(&status); err != nil {
				b.Fatal(err)
			}
			if status == "stored" {
				return time.Since(t0)
			}
			if time.Since(t0) > 5*time.Minute {
				b.Fatal("small clinic's recording not stored within 5 minutes")
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	// median and worst of n (the worst shows one stuck behind the backlog).
	sample := func(n int) (time.Duration, time.Duration) {
		var ds []time.Duration
		for range n {
			ds = append(ds, smallOnce())
		}
		slices.Sort(ds)
		return ds[n/2], ds[n-1]
	}
	smallOnce() // warm up
	alone, aloneWorst := sample(7)

	// The neighbour's backlog: calls with recordings, and their downloads
	// enqueued with the options the webhook would give them.
	if _, err := owner.Exec(ctx, `INSERT INTO call_logs (org_id, provider, provider_call_id, direction, status, started_at,
		recording_status, recording_url)
		SELECT $1, 'vapi', 'backlog-' || i, 'inbound', 'ended', now(), 'pending', $2 FROM generate_series(1, $3) i`,
		big.ID, provider.URL+"/b.wav", backlog); err != nil {
		b.Fatal(err)
	}
	rows, err := owner.Query(ctx, "SELECT id FROM call_logs WHERE org_id = $1 AND provider_call_id LIKE 'backlog-%'", big.ID)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[frontdesk.CallID])
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < len(ids); start += 5000 {
		var params []river.InsertManyParams
		for i, id := range ids[start:min(start+5000, len(ids))] {
			params = append(params, river.InsertManyParams{Args: jobs.RecordingDownloadArgs{OrgID: big.ID, CallID: id},
				InsertOpts: worker.DownloadOpts(int64(start + i))})
		}
		if _, err := worker.River().InsertMany(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second) // the neighbour's downloads are under way
	behind, behindWorst := sample(7)
	var left int
	owner.QueryRow(ctx, "SELECT count(*) FROM call_logs WHERE org_id = $1 AND recording_status = 'pending'", big.ID).Scan(&left)
	fmt.Printf("\nsmall clinic's download, median (worst) of 7: alone %s (%s); behind a %d-job neighbour %s (%s): %.2f× (%d of the neighbour's still pending after)\n",
		alone.Round(time.Millisecond), aloneWorst.Round(time.Millisecond), backlog, behind.Round(time.Millisecond),
		behindWorst.Round(time.Millisecond), float64(behind)/float64(alone), left)
	b.ReportMetric(float64(alone.Milliseconds()), "alone-ms")
	b.ReportMetric(float64(behind.Milliseconds()), "behind-backlog-ms")
}
