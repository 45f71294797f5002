package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/jobs"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/testkit"
)

// BenchmarkBookingWithIntegrations books 400 distinct slots from 16
// clients for a clinic with SMS (Twilio) and calendar sync (Google) on,
// and as many for a clinic with neither, against local fake providers:
// bookings per second for both, and the lag from a booking to its text and
// to its calendar event.
func BenchmarkBookingWithIntegrations(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	w := testkit.TwoClinics(b, d)
	twilioFake := testkit.NewFakeTwilio(b, "tokenA0123456789abcdef")
	googleFake := testkit.NewFakeGoogle(b)
	gc := google.New(google.Config{ClientID: "c", ClientSecret: "s", RedirectURL: "https://frontdesk.test/api/calendar/oauth/callback",
		AuthURL: googleFake.URL + "/auth", TokenURL: googleFake.URL + "/token", RevokeURL: googleFake.URL + "/revoke",
		APIURL: googleFake.URL + "/calendar/v3/", HTTP: googleFake.Client()})
	api := newAPI(b, d, gc)
	tokA, _ := api.issuer.Issue(w.A.Owner.ID, frontdesk.OrgID{}, time.Hour)
	tokB, _ := api.issuer.Issue(w.B.Owner.ID, frontdesk.OrgID{}, time.Hour)
	svcA, resA := calendarClinic(b, api.url, tokA, 2)
	svcB, resB := calendarClinic(b, api.url, tokB, 2)
	send(b, http.MethodPut, api.url+"/api/integrations/twilio", tokA, map[string]any{"account_sid": "AC0123456789abcdef0123456789abcdef",
		"auth_token": "tokenA0123456789abcdef", "from_number": "+15125550100", "reminder_hours_before": 0}, nil)
	for _, r := range resA {
		connectCalendar(b, api.url, tokA, r, googleFake)
	}
	worker, err := jobs.New(jobs.Config{Store: d.Store, Bucket: api.bucket, Log: quiet, Secrets: api.box, Google: gc,
		TwilioHTTP: twilioFake.HTTPClient(), PublicURL: "https://frontdesk.test", Fetch: jobs.FetchConfig{Timeout: time.Minute}}, true)
	if err != nil {
		b.Fatal(err)
	}
	if err := worker.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer worker.Stop(ctx)

	const n = 400
	type bookedAt struct {
		at   time.Time
		name string
	}
	run := func(tok, svc string, res []string, tag string) (result, map[string]bookedAt) {
		loc, _ := time.LoadLocation("America/New_York")
		y, m, dd := time.Now().In(loc).AddDate(0, 0, 1).Date()
		day0 := time.Date(y, m, dd, 8, 0, 0, 0, loc)
		work := make(chan int, n)
		for i := range n {
			work <- i
		}
		close(work)
		var mu sync.Mutex
		var lat []time.Duration
		booked := map[string]bookedAt{}
		begin := time.Now()
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					start := day0.AddDate(0, 0, i/40).Add(time.Duration(i%20) * 30 * time.Minute)
					name := fmt.Sprintf("%s-patient-%d", tag, i)
					// One patient each: a number gets at most 5 texts a day.
					body, _ := json.Marshal(map[string]any{"patient_name": name, "patient_phone": fmt.Sprintf("+1512555%04d", 2000+i),
						"service_id": svc, "resource_id": res[(i/20)%2], "start": start.Format(time.RFC3339)})
					req, _ := http.NewRequest(http.MethodPost, api.url+"/api/bookings", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+tok)
					req.Header.Set("Content-Type", "application/json")
					t0 := time.Now()
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					var out struct{ ID string }
					json.NewDecoder(resp.Body).Decode(&out)
					resp.Body.Close()
					if resp.StatusCode != 201 {
						b.Errorf("booking %d: %d", i, resp.StatusCode)
						return
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					booked[out.ID] = bookedAt{time.Now(), name}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return result{lat: lat, elapsed: time.Since(begin)}, booked
	}
	plain, _ := run(tokB, svcB, resB, "B")
	with, booked := run(tokA, svcA, resA, "A")

	// Every text and event arrives; the lag is from the booking's answer.
	deadline := time.Now().Add(2 * time.Minute)
	for len(twilioFake.Messages()) < n || googleFake.Inserts < n {
		if time.Now().After(deadline) {
			b.Fatalf("after 2 minutes: %d texts, %d events of %d", len(twilioFake.Messages()), googleFake.Inserts, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	sentAt := map[string]time.Time{}
	times := twilioFake.SentAt()
	for i, m := range twilioFake.Messages() {
		for _, f := range strings.Fields(m.Get("Body")) {
			if strings.HasPrefix(f, "A-patient-") {
				sentAt[strings.TrimSuffix(f, ",")] = times[i]
			}
		}
	}
	var smsLag, calLag []time.Duration
	for id, bk := range booked {
		if t, ok := sentAt[bk.name]; ok {
			smsLag = append(smsLag, t.Sub(bk.at))
		}
		if t, ok := googleFake.CreatedAt(strings.ReplaceAll(id, "-", "")); ok {
			calLag = append(calLag, t.Sub(bk.at))
		}
	}
	if len(smsLag) != n || len(calLag) != n || len(twilioFake.Messages()) != n || googleFake.Inserts != n {
		b.Fatalf("%d texts matched, %d events matched, %d texts, %d events for %d bookings", len(smsLag), len(calLag),
			len(twilioFake.Messages()), googleFake.Inserts, n)
	}
	slices.Sort(smsLag)
	slices.Sort(calLag)
	q := func(ds []time.Duration, p int) time.Duration { return ds[(len(ds)-1)*p/100].Round(time.Millisecond) }
	fmt.Printf("\nbookings, 16 clients, %d each: without integrations %.0f/s (p99 %s); with SMS and calendar sync %.0f/s (p99 %s): %.2f× slower\n",
		n, plain.rps(), plain.p(99), with.rps(), with.p(99), plain.rps()/with.rps())
	fmt.Printf("queue lag from a booking's answer: text p50 %s, p99 %s; calendar event p50 %s, p99 %s (exactly one of each per booking)\n",
		q(smsLag, 50), q(smsLag, 99), q(calLag, 50), q(calLag, 99))
	b.ReportMetric(with.rps(), "bookings/s-integrations")
	b.ReportMetric(plain.rps(), "bookings/s-plain")
}

// connectCalendar runs the OAuth flow for resource against the fake.
func connectCalendar(b *testing.B, base, token, resource string, g *testkit.FakeGoogle) {
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/calendar/oauth/start?resource_id="+resource, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := noRedirect.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var out struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	u, _ := url.Parse(out.AuthorizeURL)
	code := g.Approve(u.Query().Get("code_challenge"))
	cb, _ := http.NewRequest(http.MethodGet, base+"/api/calendar/oauth/callback?state="+url.QueryEscape(u.Query().Get("state"))+"&code="+code, nil)
	for _, c := range res.Cookies() { // the starting browser finishes the flow
		cb.AddCookie(c)
	}
	res, err = http.DefaultClient.Do(cb)
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("connect calendar: %v %v", err, res.Status)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
}
