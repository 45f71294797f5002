package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob/fileblob"

	"frontdesk/internal/access"
	"frontdesk/internal/app"
	"frontdesk/internal/secrets"
	"frontdesk/internal/testkit"
)

// BenchmarkPatientCustody exports and then erases a patient with 500
// calls (transcripts of a few KB) and 500 MB of recordings
// (FRONTDESK_BENCH_EXPORT_MB), against reading the same recordings
// straight from storage in the same run; and reports the export's peak
// heap, sampled every 5 ms.
func BenchmarkPatientCustody(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	w := testkit.TwoClinics(b, d)
	const calls = 500
	mb := envInt("FRONTDESK_BENCH_EXPORT_MB", 500)
	bucket, err := fileblob.OpenBucket(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer bucket.Close()
	key := make([]byte, 32)
	rand.Read(key)
	box, _ := secrets.NewBox(key)
	services := app.New(app.Config{Store: d.Store, Secrets: box, Bucket: bucket, Log: quiet})
	owner, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close(ctx)

	const phone = "+12125559876"
	audio := make([]byte, mb<<20/calls)
	rand.Read(audio)
	copy(audio, "RIFF\x00\x00\x00\x00WAVE")
	transcript := strings.Repeat("AI: How can I help?\nUser: I need to move my appointment, my knee still hurts.\n", 50)
	var keys []string
	for i := range calls {
		k := fmt.Sprintf("bench/%s/%d.wav", w.A.ID, i)
		if err := bucket.WriteAll(ctx, k, audio, nil); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
		if _, err := owner.Exec(ctx, `INSERT INTO call_logs (org_id, direction, status, from_number, to_number, started_at, duration_seconds,
			summary, transcript, recording_status, recording_key, recording_size)
			VALUES ($1, 'inbound', 'ended', $2, '+15550000000', now() - $3 * interval '1 hour', 240, 'Moved an appointment.', $4, 'stored', $5, $6)`,
			w.A.ID, phone, i, transcript, k, len(audio)); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()

	// The baseline: the same recordings, read straight from storage.
	t0 := time.Now()
	for _, k := range keys {
		r, err := bucket.NewReader(ctx, k, nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, r)
		r.Close()
	}
	baseline := time.Since(t0)

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	op := access.By(ctx, access.CLI, "", "bench")
	var size countingWriter
	t1 := time.Now()
	if err := services.Patients.Export(op, w.A.ID, phone, &size); err != nil {
		b.Fatal(err)
	}
	export := time.Since(t1)
	close(done)

	t2 := time.Now()
	out, err := services.Patients.Erase(op, w.A.ID, phone, phone)
	if err != nil {
		b.Fatal(err)
	}
	erase := time.Since(t2)
	if out.Calls != calls || out.Recordings != calls {
		b.Fatalf("erased %+v", out)
	}
	fmt.Printf("\npatient with %d calls and %d MB of recordings:\n", calls, mb)
	fmt.Printf("  reading the recordings from storage (baseline)  %8s\n", baseline.Round(time.Millisecond))
	fmt.Printf("  export (zip of %d MB)                          %8s  %.2f× the baseline\n", size/(1<<20), export.Round(time.Millisecond), ratio(export, baseline))
	fmt.Printf("  export's peak heap in use                        %6.1f MB (%.1f MB before it)\n", float64(peak.Load())/(1<<20), float64(before.HeapInuse)/(1<<20))
	fmt.Printf("  erasure (recordings deleted, rows blanked)       %8s  %.2f× the baseline\n", erase.Round(time.Millisecond), ratio(erase, baseline))
	b.ReportMetric(export.Seconds(), "export-s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "export-peak-heap-MB")
	b.ReportMetric(erase.Seconds(), "erase-s")
	b.ReportMetric(0, "ns/op")
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
