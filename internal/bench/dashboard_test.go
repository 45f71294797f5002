// Package bench holds the load benchmarks that `make bench` runs: the calls
// dashboard over HTTP at 32 concurrent clients, on 1,000 clinics and
// 1,000,000 calls (FRONTDESK_BENCH_ORGS / FRONTDESK_BENCH_CALLS to change),
// with and without row-level security in the same run.
package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"frontdesk/internal/app"
	"frontdesk/internal/demo"
	"frontdesk/internal/identity"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/testkit"
	"frontdesk/internal/web"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const clients = 32

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkDashboard reports p50/p99 latency and requests per second for
// the first page and page 50 of the default listing, for the largest clinic
// (20% of all calls) and a small one, served by the app role (RLS) and, as
// the baseline, by the owner role (RLS bypassed; the same SQL with its
// explicit org_id filter). Runs alternate (four rounds, in turn first) so noise hits both alike.
func BenchmarkDashboard(b *testing.B) {
	ctx := context.Background()
	orgs, calls := envInt("FRONTDESK_BENCH_ORGS", 1000), envInt("FRONTDESK_BENCH_CALLS", 1_000_000)
	d := testkit.NewDB(b)
	start := time.Now()
	made, err := demo.Bulk(ctx, d.Admin, orgs, calls, 42, nil)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("loaded %d clinics, %d calls in %s\n", orgs, calls, time.Since(start).Round(time.Second))
	// large holds 20% of all calls; small is the smallest clinic that still
	// has a page 50 (≥ 1,300 calls, about 1,000 inbound); tiny is the median
	// clinic, for page 1 only.
	large, small, tiny := made[0], made[0], made[len(made)/2]
	for _, o := range made {
		if o.Calls >= 1300 && o.Calls < small.Calls {
			small = o
		}
	}

	_, key, _ := ed25519.GenerateKey(rand.Reader)
	issuer := identity.NewIssuer(key, "frontdesk", "frontdesk")
	verifier, err := identity.NewVerifier(ctx, identity.VerifierConfig{PublicKey: key.Public().(ed25519.PublicKey), Issuer: "frontdesk", Audience: "frontdesk"})
	if err != nil {
		b.Fatal(err)
	}
	serve := func(url string) string {
		store, err := postgres.Open(ctx, url, postgres.PoolConfig{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(store.Close)
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		srv := httptest.NewServer(web.New(web.Config{App: app.New(app.Config{Store: store, Issuer: issuer, Log: quiet}),
			Verifier: verifier, Log: quiet}).Handler())
		b.Cleanup(srv.Close)
		return srv.URL
	}
	servers := []struct{ name, url string }{{"rls", serve(d.AppURL)}, {"owner-baseline", serve(d.OwnerURL)}}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}

	type scenario struct {
		name, path, token string
	}
	var scenarios []scenario
	for _, c := range []struct {
		name string
		org  demo.BulkOrg
	}{{"large", large}, {"small", small}, {"tiny", tiny}} {
		token, err := issuer.Issue(c.org.Owner, c.org.ID, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		first := "/api/calls-dashboard"
		scenarios = append(scenarios, scenario{c.name + "/page1", first, token})
		// Page 50 of 20, when the clinic has that many inbound calls.
		path := first
		for page := 1; page < 50 && path != ""; page++ {
			path = nextPage(b, client, servers[0].url, path, token)
		}
		if path != "" {
			scenarios = append(scenarios, scenario{c.name + "/page50", path, token})
		} else {
			b.Logf("%s clinic (%d calls) has fewer than 50 pages", c.name, c.org.Calls)
		}
	}

	fmt.Printf("\n%-14s %-16s %9s %9s %8s\n", "scenario", "server", "p50", "p99", "req/s")
	results := map[string]result{}
	for _, sc := range scenarios {
		for _, s := range servers { // warm caches and plans; not measured
			load(b, client, s.url+sc.path, sc.token, 200)
		}
		// Alternate which server goes first, so drift in the machine's load
		// falls on both.
		for round := 0; round < 4; round++ {
			order := []int{0, 1}
			if round%2 == 1 {
				order = []int{1, 0}
			}
			for _, i := range order {
				s := servers[i]
				r := load(b, client, s.url+sc.path, sc.token, 1000)
				key := sc.name + " " + s.name
				results[key] = results[key].merge(r)
			}
		}
		for _, s := range servers {
			r := results[sc.name+" "+s.name]
			fmt.Printf("%-14s %-16s %9s %9s %8.0f\n", sc.name, s.name, r.p(50), r.p(99), r.rps())
			b.ReportMetric(float64(r.p(50).Microseconds()), sc.name+"-"+s.name+"-p50-µs")
		}
		rls, base := results[sc.name+" rls"], results[sc.name+" owner-baseline"]
		fmt.Printf("%-14s RLS / baseline: p50 %.2f×, p99 %.2f×, throughput %.2f×\n", sc.name,
			ratio(rls.p(50), base.p(50)), ratio(rls.p(99), base.p(99)), base.rps()/rls.rps())
	}
	for _, size := range []string{"large", "small", "tiny"} {
		p1, ok1 := results[size+"/page1 rls"]
		p50, ok50 := results[size+"/page50 rls"]
		if ok1 && ok50 {
			fmt.Printf("%-14s page 50 / page 1 (RLS): p50 %.2f×\n", size, ratio(p50.p(50), p1.p(50)))
		}
	}
	countCost(b, d, large)
	b.ReportMetric(0, "ns/op")
}

// countCost times, for the largest clinic, the exact total of the default
// listing as served (hourly counts), a plain count(*) of the same rows, and
// the page query itself, in SQL through InTenant.
func countCost(b *testing.B, d *testkit.DB, org demo.BulkOrg) {
	ctx := context.Background()
	params := db.CountCallsParams{OrgID: org.ID}
	params.Direction.String, params.Direction.Valid = "inbound", true
	measure := func(fn func(*postgres.Tx) error) time.Duration {
		var ds []time.Duration
		for range 30 {
			t0 := time.Now()
			if err := d.Store.InTenant(ctx, org.ID, fn); err != nil {
				b.Fatal(err)
			}
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	var total, hourly int64
	count := measure(func(tx *postgres.Tx) (err error) {
		total, err = tx.OneShot().CountCalls(ctx, params)
		return err
	})
	fast := measure(func(tx *postgres.Tx) (err error) {
		hourly, err = tx.OneShot().CountCallsHourly(ctx, db.CountCallsHourlyParams{OrgID: org.ID, Direction: params.Direction})
		return err
	})
	if hourly != total {
		b.Fatalf("hourly total %d, plain count %d", hourly, total)
	}
	page := measure(func(tx *postgres.Tx) error {
		_, err := tx.OneShot().ListCalls(ctx, db.ListCallsParams{OrgID: org.ID, Direction: params.Direction, RowLimit: 21})
		return err
	})
	fmt.Printf("exact total for the largest clinic (%d inbound calls), median of 30: hourly counts %s, plain count(*) %s, page query %s\n",
		total, fast.Round(10*time.Microsecond), count.Round(10*time.Microsecond), page.Round(10*time.Microsecond))
}

func nextPage(b *testing.B, client *http.Client, base, path, token string) string {
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || res.StatusCode != 200 {
		b.Fatalf("%s: %d %v", path, res.StatusCode, err)
	}
	if page.NextCursor == nil {
		return ""
	}
	return "/api/calls-dashboard?cursor=" + url.QueryEscape(*page.NextCursor)
}

type result struct {
	lat     []time.Duration
	elapsed time.Duration
}

func (r result) merge(o result) result {
	return result{lat: append(r.lat, o.lat...), elapsed: r.elapsed + o.elapsed}
}

func (r result) p(q int) time.Duration {
	s := slices.Clone(r.lat)
	slices.Sort(s)
	return s[(len(s)-1)*q/100]
}

func (r result) rps() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// load sends n requests from 32 concurrent clients and records each
// latency.
func load(b *testing.B, client *http.Client, url, token string, n int) result {
	return loadN(b, client, url, token, n, clients)
}

// loadN sends n GET requests from conc concurrent clients.
func loadN(b *testing.B, client *http.Client, url, token string, n, conc int) result {
	return loadWith(b, client, url, n, conc, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) })
}

// loadWith sends n GET requests from conc concurrent clients, each signed
// in by sign.
func loadWith(b *testing.B, client *http.Client, url string, n, conc int, sign func(*http.Request)) result {
	var mu sync.Mutex
	lat := make([]time.Duration, 0, n)
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				sign(req)
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				d := time.Since(t0)
				if res.StatusCode != 200 {
					b.Errorf("%s: %d", url, res.StatusCode)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return result{lat: lat, elapsed: time.Since(start)}
}
