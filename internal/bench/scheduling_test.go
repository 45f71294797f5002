package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"frontdesk"
	"frontdesk/internal/testkit"
)

// calendarClinic sets up clinic org through the API: hours 8:00-18:00
// every day, no notice, a 30-minute service, and n clinicians offering it.
func calendarClinic(b *testing.B, base, token string, n int) (service string, resources []string) {
	var hours []map[string]any
	for d := 0; d < 7; d++ {
		hours = append(hours, map[string]any{"weekday": d, "opens": "08:00", "closes": "18:00"})
	}
	send(b, http.MethodPut, base+"/api/settings/booking", token, map[string]any{"timezone": "America/New_York",
		"min_notice_minutes": 0, "max_days_ahead": 90, "hold_minutes": 5}, nil)
	send(b, http.MethodPut, base+"/api/settings/hours", token, map[string]any{"hours": hours}, nil)
	var svc struct{ ID string }
	send(b, http.MethodPost, base+"/api/services", token, map[string]any{"name": "Cleaning", "duration_minutes": 30}, &svc)
	for i := range n {
		var r struct{ ID string }
		send(b, http.MethodPost, base+"/api/resources", token, map[string]any{"name": fmt.Sprintf("Clinician %02d", i), "service_ids": []string{svc.ID}}, &r)
		resources = append(resources, r.ID)
	}
	return svc.ID, resources
}

func send(b *testing.B, method, url, token string, body, out any) int {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	} else {
		io.Copy(io.Discard, res.Body)
	}
	return res.StatusCode
}

func mustConn(b *testing.B, url string) *pgx.Conn {
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// BenchmarkAvailability: 30 days of availability for a clinic with 10
// clinicians and 5,000 bookings, over HTTP from 4 clients.
func BenchmarkAvailability(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	w := testkit.TwoClinics(b, d)
	base, issuer := voiceAPI(b, d)
	tok, _ := issuer.Issue(w.A.Owner.ID, frontdesk.OrgID{}, time.Hour)
	svc, resources := calendarClinic(b, base, tok, 10)
	// 5,000 bookings: 10 clinicians x 500 half-hours over the next 30 days.
	if err := d.Admin.Exec(ctx, fmt.Sprintf(`
		INSERT INTO bookings (org_id, resource_id, service_id, status, starts_at, ends_at, blocked, patient_name)
		SELECT '%s', r.id, '%s', 'confirmed', s, s + interval '30 minutes', tstzrange(s, s + interval '30 minutes'), 'P'
		FROM resources r,
		     LATERAL (SELECT date_trunc('day', now() AT TIME ZONE 'America/New_York') AT TIME ZONE 'America/New_York'
		                     + interval '1 day' * (k / 17) + interval '8 hours' + interval '30 minutes' * (k %% 17) * 1 AS s
		              FROM generate_series(0, 499) k) t
		WHERE r.org_id = '%s'`, w.A.ID, svc, w.A.ID)); err != nil {
		b.Fatal(err)
	}
	var n int
	owner := mustConn(b, d.OwnerURL)
	owner.QueryRow(ctx, "SELECT count(*) FROM bookings").Scan(&n)
	from := time.Now().Format(time.DateOnly)
	to := time.Now().AddDate(0, 0, 30).Format(time.DateOnly)
	url := base + "/api/availability?service=" + svc + "&from=" + from + "&to=" + to
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	load(b, client, url, tok, 40) // warm
	var out struct{ Slots []any }
	send(b, http.MethodGet, url, tok, nil, &out)
	for _, conc := range []int{1, 4} {
		r := loadN(b, client, url, tok, 300, conc)
		fmt.Printf("availability, 30 days, %d clinicians, %d bookings (%d slots returned), %d client(s): p50 %s, p99 %s, %.0f req/s\n",
			len(resources), n, len(out.Slots), conc, r.p(50), r.p(99), r.rps())
		b.ReportMetric(float64(r.p(99).Microseconds())/1000, fmt.Sprintf("p99-ms-%d-clients", conc))
	}
}

// BenchmarkBookingContention: 32 clients book random half-hours of one
// week on 2 clinicians (672 slots): bookings per second, and proof that
// none overlap.
func BenchmarkBookingContention(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	w := testkit.TwoClinics(b, d)
	base, issuer := voiceAPI(b, d)
	tok, _ := issuer.Issue(w.A.Owner.ID, frontdesk.OrgID{}, time.Hour)
	svc, resources := calendarClinic(b, base, tok, 2)
	loc, _ := time.LoadLocation("America/New_York")
	y, m, dd := time.Now().In(loc).AddDate(0, 0, 1).Date()
	day0 := time.Date(y, m, dd, 8, 0, 0, 0, loc)
	var starts []time.Time
	for day := 0; day < 7; day++ {
		for k := 0; k < 20; k++ {
			starts = append(starts, day0.AddDate(0, 0, day).Add(time.Duration(k)*30*time.Minute))
		}
	}
	const attempts = 3000
	var mu sync.Mutex
	statuses := map[int]int{}
	var lat []time.Duration
	work := make(chan int, attempts)
	for i := range attempts {
		work <- i
	}
	close(work)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	begin := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 9))
			for range work {
				body, _ := json.Marshal(map[string]any{"patient_name": "P", "patient_phone": "+15125550123", "service_id": svc,
					"resource_id": resources[rng.IntN(2)], "start": starts[rng.IntN(len(starts))].Format(time.RFC3339)})
				status, _, took, err := postTimed(client, base+"/api/bookings", tok, body)
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				statuses[status]++
				lat = append(lat, took)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r := result{lat: lat, elapsed: time.Since(begin)}
	var confirmed, overlaps int
	owner := mustConn(b, d.OwnerURL)
	owner.QueryRow(ctx, "SELECT count(*) FROM bookings WHERE status = 'confirmed'").Scan(&confirmed)
	owner.QueryRow(ctx, `SELECT count(*) FROM bookings a JOIN bookings b ON a.org_id = b.org_id AND a.resource_id = b.resource_id
		AND a.id < b.id AND a.blocked && b.blocked WHERE a.status = 'confirmed' AND b.status = 'confirmed'`).Scan(&overlaps)
	if overlaps != 0 || confirmed != statuses[201] || statuses[201]+statuses[409] != attempts {
		b.Fatalf("statuses %v, %d confirmed, %d overlaps", statuses, confirmed, overlaps)
	}
	fmt.Printf("booking under contention, 32 clients, 280 slots: %.0f attempts/s (p50 %s, p99 %s); %d booked (%.0f bookings/s), %d refused 409, 0 overlaps\n",
		r.rps(), r.p(50), r.p(99), statuses[201], float64(statuses[201])/r.elapsed.Seconds(), statuses[409])
	b.ReportMetric(r.rps(), "attempts/s")
}

// BenchmarkLookupKnowledge: the lookupKnowledge tool over Vapi's webhook
// (verification included) for a clinic with 10,000 articles, next to
// another clinic with 10,000, from 8 clients.
func BenchmarkLookupKnowledge(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	base, issuer := voiceAPI(b, d)
	owner := mustConn(b, d.OwnerURL)
	cs := voiceClinics(b, d, base, issuer, owner, 2)
	words := strings.Fields(`parking insurance billing x-ray whitening braces crown implant cleaning filling emergency hours holiday
		weekend payment plan children sedation referral cancellation late fee wheelchair access elevator train bus directions
		anxiety numbing recovery aftercare pain swelling ice diet floss brush mouthguard sports night grinding jaw`)
	// Each article: a topic word in the title and twice in the body, among
	// 80 words of a 5,000-word filler vocabulary, so that a question's
	// words match a few hundred articles, as in a real knowledge base.
	for i, c := range cs {
		if err := d.Admin.Exec(ctx, fmt.Sprintf(`INSERT INTO kb_articles (org_id, title, body)
			SELECT '%s', initcap(t.topic) || ' note ' || k,
			       t.topic || ' ' || (SELECT string_agg('filler' || ((k * 7919 + j * 104729 + %d) %% 5000), ' ')
			                          FROM generate_series(1, 80) j) || ' ' || t.topic
			FROM generate_series(1, 10000) k,
			     LATERAL (SELECT (ARRAY['%s'])[1 + (k %% %d)] AS topic) t`,
			c.org, i, strings.Join(words, "','"), len(words))); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Admin.Exec(ctx, "ANALYZE kb_articles"); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	queries := []string{"where do I park", "do you take my insurance", "is there wheelchair access", "what about braces for children",
		"late cancellation fee", "pain and swelling after an implant"}
	for _, conc := range []int{1, 8} {
		r := lookupLoad(b, client, base, cs[0], queries, conc, 600)
		fmt.Printf("lookupKnowledge tool call over the webhook, 10,000 articles (+10,000 of another clinic), %d client(s): p50 %s, p99 %s, %.0f/s\n",
			conc, r.p(50), r.p(99), r.rps())
		b.ReportMetric(float64(r.p(99).Microseconds())/1000, fmt.Sprintf("p99-ms-%d-clients", conc))
	}
}

func lookupLoad(b *testing.B, client *http.Client, base string, c benchClinic, queries []string, conc, requests int) result {
	var mu sync.Mutex
	var lat []time.Duration
	work := make(chan int, requests)
	for i := range requests {
		work <- i
	}
	close(work)
	begin := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				body, _ := json.Marshal(map[string]any{"message": map[string]any{"type": "tool-calls",
					"toolCallList": []any{map[string]any{"id": fmt.Sprintf("kb-%d-%d", conc, i), "function": map[string]any{
						"name": "lookupKnowledge", "arguments": map[string]any{"query": queries[i%len(queries)]}}}},
					"call":        map[string]any{"id": fmt.Sprintf("call-%d", i%50)},
					"phoneNumber": map[string]any{"number": c.number}}})
				status, answer, took, err := postTimed(client, base+"/api/webhooks/vapi", c.secret, body)
				var out struct{ Results []struct{ Result string } }
				json.Unmarshal(answer, &out)
				if err != nil || status != 200 || len(out.Results) != 1 || strings.Contains(out.Results[0].Result, "nothing on that") {
					b.Errorf("lookup: %d %v %+v", status, err, out)
					return
				}
				mu.Lock()
				lat = append(lat, took)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return result{lat: lat, elapsed: time.Since(begin)}
}
