package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/testkit"
)

// BenchmarkNoisyNeighbour measures clinic A's latencies (the calls list,
// the services list, a Vapi status webhook) with clinic B idle, then while
// 8 clients of clinic B ask for availability against a connected Google
// calendar that answers free/busy in 1.4 s. The pool is 4 connections (the
// size that once let B's slow Google stall every clinic): reading Google
// with no transaction open is what keeps A unaffected.
func BenchmarkNoisyNeighbour(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	w := testkit.TwoClinics(b, d)
	googleFake := testkit.NewFakeGoogle(b)
	gc := google.New(google.Config{ClientID: "c", ClientSecret: "s", RedirectURL: "https://frontdesk.test/api/calendar/oauth/callback",
		AuthURL: googleFake.URL + "/auth", TokenURL: googleFake.URL + "/token", RevokeURL: googleFake.URL + "/revoke",
		APIURL: googleFake.URL + "/calendar/v3/", HTTP: googleFake.Client()})
	store, err := postgres.Open(ctx, d.AppURL, postgres.PoolConfig{MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(store.Close)
	api := newAPIOn(b, d, store, gc, nil)
	tokA, _ := api.issuer.Issue(w.A.Owner.ID, frontdesk.OrgID{}, time.Hour)
	tokB, _ := api.issuer.Issue(w.B.Owner.ID, frontdesk.OrgID{}, time.Hour)
	calendarClinic(b, api.url, tokA, 2)
	svcB, resB := calendarClinic(b, api.url, tokB, 2)
	for _, r := range resB {
		connectCalendar(b, api.url, tokB, r, googleFake)
	}
	googleFake.BusyDelay = 1400 * time.Millisecond
	number := "+12125550199"
	post(b, api.url+"/api/voice/phone-numbers", tokA, `{"number":"`+number+`"}`, nil)
	var rot struct{ Secret string }
	post(b, api.url+"/api/voice/secret/rotate", tokA, "", &rot)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var seq atomic.Int64
	do := func(req *http.Request) time.Duration {
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode >= 300 {
			b.Fatalf("%s %s: %d", req.Method, req.URL.Path, res.StatusCode)
		}
		return time.Since(t0)
	}
	get := func(path, tok string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, api.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return req
	}
	webhook := func() *http.Request {
		body := fmt.Sprintf(`{"message":{"type":"status-update","status":"ringing","timestamp":%d,"call":{"id":"noisy-%d","type":"inboundPhoneCall"},"phoneNumber":{"number":"%s"},"customer":{"number":"+12125550123"}}}`,
			time.Now().UnixMilli(), seq.Add(1), number)
		req, _ := http.NewRequest(http.MethodPost, api.url+"/api/webhooks/vapi", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+rot.Secret)
		return req
	}
	kinds := []struct {
		name string
		req  func() *http.Request
	}{
		{"list", func() *http.Request { return get("/api/calls-dashboard?call_type=all", tokA) }},
		{"services", func() *http.Request { return get("/api/services", tokA) }},
		{"webhook", webhook},
	}
	rounds := envInt("FRONTDESK_BENCH_ROUNDS", 1000)
	measureA := func() map[string]result {
		out := map[string]result{}
		start := time.Now()
		for range rounds {
			for _, k := range kinds {
				r := out[k.name]
				r.lat = append(r.lat, do(k.req()))
				out[k.name] = r
			}
		}
		for name, r := range out {
			r.elapsed = time.Since(start)
			out[name] = r
		}
		return out
	}

	b.ResetTimer()
	idle := measureA()
	// Clinic B: 8 clients asking for availability, each range new (the
	// busy-time cache never answers), each waiting 1.4 s on Google.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bRequests atomic.Int64
	base := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				from := base.Add(time.Duration(seq.Add(1)) * time.Minute)
				do(get("/api/availability?service="+svcB+"&from="+url.QueryEscape(from.Format(time.RFC3339))+
					"&to="+url.QueryEscape(from.Add(24*time.Hour).Format(time.RFC3339)), tokB))
				bRequests.Add(1)
			}
		}()
	}
	time.Sleep(2 * time.Second) // let B's requests pile up on Google
	noisy := measureA()
	close(stop)
	wg.Wait()
	b.StopTimer()

	for _, k := range kinds {
		i, n := idle[k.name], noisy[k.name]
		b.Logf("clinic A %-8s B idle p50 %6.2f ms p99 %6.2f ms | B busy p50 %6.2f ms p99 %6.2f ms | p99 busy/idle %.2fx",
			k.name, ms(i.p(50)), ms(i.p(99)), ms(n.p(50)), ms(n.p(99)), ratio(n.p(99), i.p(99)))
		b.ReportMetric(ratio(n.p(99), i.p(99)), "p99-ratio-"+k.name)
	}
	b.Logf("clinic B: %d availability requests answered while A was measured", bRequests.Load())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
