package bench

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"frontdesk/internal/app"
	"frontdesk/internal/contacts"
	"frontdesk/internal/testkit"
)

// BenchmarkContactsImport dry-runs and then imports a 100,000-row CSV
// (FRONTDESK_BENCH_ROWS) with a realistic mix of errors (2% invalid
// numbers, 1% duplicates, 1% bad emails), then imports it again (nothing
// to change); and reports each pass's time and the peak heap, against
// reading the same file with encoding/csv alone in the same run.
func BenchmarkContactsImport(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	w := testkit.TwoClinics(b, d)
	rows := envInt("FRONTDESK_BENCH_ROWS", 100_000)
	services := app.New(app.Config{Store: d.Store, Log: quiet})
	file := csvFile(rows)

	if _, err := services.Contacts.Import(ctx, w.A.ID, strings.NewReader(""), false, nil); err == nil {
		b.Fatal("an empty file was accepted")
	}
	// The baseline: reading the same file with encoding/csv alone.
	readOnly := time.Now()
	cr := csv.NewReader(&slowReader{r: strings.NewReader(file)})
	cr.ReuseRecord = true
	for {
		if _, err := cr.Read(); err != nil {
			break
		}
	}
	baseline := time.Since(readOnly)

	var peak atomic.Uint64
	pass := func(apply bool) (contacts.Summary, time.Duration) {
		runtime.GC()
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
		start := time.Now()
		sum, err := services.Contacts.Import(ctx, w.A.ID, &slowReader{r: strings.NewReader(file)}, apply, nil)
		took := time.Since(start)
		close(done)
		if err != nil {
			b.Fatal(err)
		}
		return sum, took
	}
	dry, dryTook := pass(false)
	imp, impTook := pass(true)
	again, againTook := pass(true)
	fmt.Printf("\ncontacts import, %d rows (%d KB):\n", rows, len(file)/1024)
	fmt.Printf("  reading it with encoding/csv (baseline)  %8s\n", baseline.Round(time.Millisecond))
	fmt.Printf("  dry run   %8s  %5.0f× the baseline  %v\n", dryTook.Round(time.Millisecond), ratio(dryTook, baseline), dry.Outcomes)
	fmt.Printf("  import    %8s  %5.0f× the baseline  %v\n", impTook.Round(time.Millisecond), ratio(impTook, baseline), imp.Outcomes)
	fmt.Printf("  again     %8s  %5.0f× the baseline  %v\n", againTook.Round(time.Millisecond), ratio(againTook, baseline), again.Outcomes)
	fmt.Printf("  peak heap in use %.1f MB (the file itself is %.1f MB, held by the benchmark)\n", float64(peak.Load())/(1<<20), float64(len(file))/(1<<20))
	if again.Outcomes[contacts.New]+again.Outcomes[contacts.Updated] != 0 {
		b.Fatalf("the same file twice changed: %v", again.Outcomes)
	}
	b.ReportMetric(impTook.Seconds(), "import-s")
	b.ReportMetric(dryTook.Seconds(), "dry-run-s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(0, "ns/op")
}

// csvFile is rows of contacts, with invalid numbers, duplicates and bad
// emails mixed in.
func csvFile(rows int) string {
	var sb strings.Builder
	sb.WriteString("First Name,Last Name,Mobile,Email,Tags,OK to call\n")
	for i := range rows {
		phone := fmt.Sprintf("+1212%07d", 2000000+i)
		email := fmt.Sprintf("p%d@example.com", i)
		switch {
		case i%50 == 7:
			phone = fmt.Sprintf("555-%d", i%100) // invalid
		case i%100 == 11:
			phone = fmt.Sprintf("+1212%07d", 2000000+i-1) // the row before
		case i%100 == 13:
			email = "no-at-sign"
		}
		fmt.Fprintf(&sb, "Pat%d,Lee%d,%s,%s,\"recall; 2026\",%s\n", i, i, phone, email, []string{"yes", ""}[i%2])
	}
	return sb.String()
}

// slowReader hands the import a little at a time, as a network body does.
type slowReader struct{ r io.Reader }

func (s *slowReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 32<<10)]) }
