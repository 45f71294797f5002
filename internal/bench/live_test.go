package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"frontdesk/internal/testkit"
)

// BenchmarkLiveUpdates opens 100 calls pages' live streams (10 on each of
// 10 clinics, each signed in by its own session) and sends status-update
// webhooks, each a new call in progress, 10 clinics × 60 at 10 a second
// each. It measures, for every stream of the call's clinic, the time from
// sending the webhook to its row arriving on the stream, against the
// webhook's own round trip in the same run; and checks that no stream
// gets another clinic's call, and none misses one of its own.
func BenchmarkLiveUpdates(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	api := newAPI(b, d, nil)
	owner, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close(ctx)
	const clinics, pagesEach, updatesEach = 10, 10, 60
	cs := voiceClinics(b, d, api.url, api.issuer, owner, clinics)
	report, err := os.ReadFile("../providers/vapi/testdata/status-update.json")
	if err != nil {
		b.Fatal(err)
	}

	// The open pages: each stream records when each call's row arrived.
	type arrival struct {
		clinic, stream int
		call           string
		at             time.Time
	}
	var (
		mu       sync.Mutex
		arrivals []arrival
		ready    sync.WaitGroup
	)
	streamCtx, stop := context.WithCancel(ctx)
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clinics * pagesEach * 2, MaxConnsPerHost: 0}}
	var streams sync.WaitGroup
	for i, c := range cs {
		for p := range pagesEach {
			cookie := fmt.Sprintf("bench-live-%d-%d-%s", i, p, uuid.NewString())
			hash := sha256.Sum256([]byte(cookie))
			if err := d.Store.StartWebSession(ctx, hash[:], c.owner, "bench-csrf-token-0123456789abcdef01", time.Hour); err != nil {
				b.Fatal(err)
			}
			if err := d.Store.SetWebSessionOrg(ctx, hash[:], c.org); err != nil {
				b.Fatal(err)
			}
			req, _ := http.NewRequestWithContext(streamCtx, http.MethodGet, api.url+"/calls/live", nil)
			req.AddCookie(&http.Cookie{Name: "frontdesk_session", Value: cookie})
			ready.Add(1)
			streams.Add(1)
			go func() {
				defer streams.Done()
				res, err := client.Do(req)
				if err != nil {
					ready.Done()
					b.Error(err)
					return
				}
				defer res.Body.Close()
				ready.Done()
				if res.StatusCode != 200 {
					b.Errorf("live stream: %d", res.StatusCode)
					return
				}
				lines := bufio.NewScanner(res.Body)
				lines.Buffer(make([]byte, 64<<10), 1<<20)
				for lines.Scan() {
					data, ok := strings.CutPrefix(lines.Text(), "data: ")
					if !ok {
						continue
					}
					at := time.Now()
					var ev struct{ ID string }
					if json.Unmarshal([]byte(data), &ev) == nil {
						mu.Lock()
						arrivals = append(arrivals, arrival{i, i*pagesEach + p, ev.ID, at})
						mu.Unlock()
					}
				}
			}()
		}
	}
	ready.Wait()
	time.Sleep(200 * time.Millisecond) // every stream past its first read

	// The webhooks: one sender per clinic, one new call every 100 ms.
	sent := map[string]time.Time{} // provider call id → when sent
	sentBy := map[string]int{}
	var hooks []time.Duration
	var senders sync.WaitGroup
	for i, c := range cs {
		senders.Add(1)
		go func() {
			defer senders.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for range updatesEach {
				<-tick.C
				id := uuid.NewString()
				body := bytes.ReplaceAll(report, []byte("7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601"), []byte(id))
				body = bytes.ReplaceAll(body, []byte("+15125550100"), []byte(c.number))
				t0 := time.Now()
				status, _, took, err := postTimed(client, api.url+"/api/webhooks/vapi", c.secret, body)
				if err != nil || status != 200 {
					b.Errorf("webhook: %d %v", status, err)
					return
				}
				mu.Lock()
				sent[id], sentBy[id] = t0, i
				hooks = append(hooks, took)
				mu.Unlock()
			}
		}()
	}
	senders.Wait()
	time.Sleep(2 * time.Second) // the last rows on their way
	stop()
	streams.Wait()

	// Our call ids for the provider's, then each stream's first arrival.
	ids := map[string]string{}
	rows, err := owner.Query(ctx, "SELECT id::text, provider_call_id FROM call_logs")
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id, provider string
		if err := rows.Scan(&id, &provider); err != nil {
			b.Fatal(err)
		}
		ids[id] = provider
	}
	rows.Close()
	// Each stream's first arrival of each call, which must be its
	// clinic's.
	type key struct {
		stream int
		call   string
	}
	first := map[key]bool{}
	var live []time.Duration
	for _, a := range arrivals {
		provider, ok := ids[a.call]
		if !ok {
			b.Fatalf("a stream got a call that was never stored: %s", a.call)
		}
		if sentBy[provider] != a.clinic {
			b.Fatalf("clinic %d's page got clinic %d's call", a.clinic, sentBy[provider])
		}
		if k := (key{a.stream, a.call}); !first[k] {
			first[k] = true
			live = append(live, a.at.Sub(sent[provider]))
		}
	}
	want := clinics * updatesEach * pagesEach
	fmt.Printf("\nlive updates, %d open pages on %d clinics, %d status-updates at %d/s:\n", clinics*pagesEach, clinics, clinics*updatesEach, clinics*10)
	hook := result{lat: hooks}
	row := result{lat: live}
	fmt.Printf("  webhook round trip      p50 %9s  p99 %9s\n", hook.p(50), hook.p(99))
	fmt.Printf("  row on every open page  p50 %9s  p99 %9s  (%d of %d rows arrived)\n", row.p(50), row.p(99), len(live), want)
	fmt.Printf("  row / webhook: p50 %.2f×, p99 %.2f×; target p99 < 1 s\n", ratio(row.p(50), hook.p(50)), ratio(row.p(99), hook.p(99)))
	if len(live) < want {
		b.Errorf("%d rows arrived on the open pages, want %d", len(live), want)
	}
	b.ReportMetric(float64(row.p(99).Milliseconds()), "row-p99-ms")
	b.ReportMetric(0, "ns/op")
}
