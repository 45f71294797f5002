package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"frontdesk/internal/app"
	"frontdesk/internal/campaigns"
	"frontdesk/internal/jobs"
	"frontdesk/internal/secrets"
	"frontdesk/internal/testkit"
)

// BenchmarkCampaignFairness runs a 50,000-contact campaign in one clinic
// (FRONTDESK_BENCH_CONTACTS) and a 100-contact one in another, through the
// worker's dialer and a fake Vapi that takes 200 ms to answer each call,
// calls ending a second after they are placed: the small clinic's first
// call is timed alone and beside the big campaign; the calls placed per
// second at the caps; and an inbound webhook's latency with the campaigns
// running against none.
func BenchmarkCampaignFairness(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	big := envInt("FRONTDESK_BENCH_CONTACTS", 50_000)
	k := make([]byte, 32)
	rand.Read(k)
	box, _ := secrets.NewBox(k)
	fake := testkit.NewFakeVapi(b)
	owner, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close(ctx)
	api := newAPIOn(b, d, d.Store, nil, box)
	cs := voiceClinics(b, d, api.url, api.issuer, owner, 2) // inbound numbers and secrets, for the webhook latency
	services := app.New(app.Config{Store: d.Store, Secrets: box, Log: quiet, VapiAPIURL: fake.URL})
	// Clinics in a zone where it is now midday, so calling hours are open.
	off := 12 - time.Now().UTC().Hour()     // hours ahead of UTC where it is noon now
	zone := fmt.Sprintf("Etc/GMT%+d", -off) // Etc/GMT-9 is nine hours ahead
	setup := func(c benchClinic, n int, tag string) {
		if _, err := owner.Exec(ctx, "UPDATE organizations SET timezone = $2 WHERE id = $1", c.org, zone); err != nil {
			b.Fatal(err)
		}
		key := "vapi-key-" + c.org.String()
		fake.Own(key)
		if _, err := services.Voice.SetAccount(ctx, c.org, key); err != nil {
			b.Fatal(err)
		}
		var sb strings.Builder
		sb.WriteString("name,phone,tags,ok to call\n")
		for i := range n {
			fmt.Fprintf(&sb, "P%d,+1212%07d,%s,yes\n", i, 3000000+i, tag)
		}
		if _, err := services.Contacts.Import(ctx, c.org, strings.NewReader(sb.String()), true, nil); err != nil {
			b.Fatal(err)
		}
	}
	large, small := cs[0], cs[1]
	setup(large, big, "recall")
	setup(small, 100, "recall")
	fake.SetCalls(0, "", 200*time.Millisecond)

	worker, err := jobs.New(jobs.Config{Store: d.Store, Bucket: api.bucket, Log: quiet, Secrets: box, Workers: 40, VapiAPIURL: fake.URL}, true)
	if err != nil {
		b.Fatal(err)
	}
	if err := worker.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer worker.Stop(ctx)
	// Calls end a second after they are placed (as their reports would).
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			rows, err := owner.Query(ctx, `UPDATE campaign_attempts a SET state = 'ended' FROM campaign_targets t
				WHERE a.state = 'placed' AND a.created_at < now() - interval '1 second'
				  AND t.org_id = a.org_id AND t.campaign_id = a.campaign_id AND t.phone = a.phone RETURNING a.org_id, a.campaign_id, a.phone`)
			if err != nil {
				continue
			}
			var ended [][3]any
			for rows.Next() {
				var org, camp uuid.UUID
				var phone string
				rows.Scan(&org, &camp, &phone)
				ended = append(ended, [3]any{org, camp, phone})
			}
			rows.Close()
			for _, e := range ended {
				owner.Exec(ctx, "UPDATE campaign_targets SET state = 'done', outcome = 'answered' WHERE org_id = $1 AND campaign_id = $2 AND phone = $3", e[0], e[1], e[2])
			}
		}
	}()

	start := func(c benchClinic, cap int) (uuid.UUID, time.Time) {
		camp, err := services.Campaigns.Create(ctx, c.org, campaigns.Campaign{Name: "Recall", AudienceTags: []string{"recall"},
			AssistantID: "asst", PhoneNumberID: "pn-" + c.org.String(), CallingHours: [2]string{"08:00", "21:00"},
			Days: []int32{0, 1, 2, 3, 4, 5, 6}, MaxConcurrent: int32(cap)})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if _, err := services.Campaigns.Act(ctx, c.org, camp.ID, "start"); err != nil {
			b.Fatal(err)
		}
		return camp.ID, t0
	}
	firstCall := func(c benchClinic, since time.Time) time.Duration {
		for {
			for _, p := range fake.Placed() {
				if p.PhoneNumberID == "pn-"+c.org.String() && p.At.After(since) {
					return p.At.Sub(since)
				}
			}
			if time.Since(since) > 2*time.Minute {
				b.Fatal("no call placed in two minutes")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	webhooks := func(n int) result {
		report, _ := os.ReadFile("../providers/vapi/testdata/status-update.json")
		client := &http.Client{}
		var lat []time.Duration
		for range n {
			body := bytes.ReplaceAll(report, []byte("7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601"), []byte(uuid.NewString()))
			body = bytes.ReplaceAll(body, []byte("+15125550100"), []byte(small.number))
			status, _, took, err := postTimed(client, api.url+"/api/webhooks/vapi", small.secret, body)
			if err != nil || status != 200 {
				b.Fatalf("webhook: %d %v", status, err)
			}
			lat = append(lat, took)
			time.Sleep(10 * time.Millisecond)
		}
		return result{lat: lat}
	}
	quiet := webhooks(300)

	// The small clinic alone.
	smallAlone, t0 := start(small, 5)
	alone := firstCall(small, t0)
	services.Campaigns.Act(ctx, small.org, smallAlone, "cancel")

	// The big campaign running, then the small one again.
	_, bigStart := start(large, 20)
	firstCall(large, bigStart)
	time.Sleep(3 * time.Second)
	before := len(fake.Placed())
	_, t1 := start(small, 5)
	beside := firstCall(small, t1)
	busy := webhooks(300)
	window := 10 * time.Second
	time.Sleep(window)
	rate := float64(len(fake.Placed())-before) / (time.Since(t1).Seconds())
	placedSmall := 0
	for _, p := range fake.Placed() {
		if p.PhoneNumberID == "pn-"+small.org.String() {
			placedSmall++
		}
	}
	fmt.Printf("\ncampaigns: %d contacts (cap 20) beside 100 (cap 5), Vapi answering in 200 ms, calls ending after 1 s:\n", big)
	fmt.Printf("  small clinic's first call: alone %s, beside the big campaign %s (%.2f×)\n", alone.Round(time.Millisecond), beside.Round(time.Millisecond), ratio(beside, alone))
	fmt.Printf("  calls placed per second, both campaigns at their caps: %.1f (the small clinic's so far: %d)\n", rate, placedSmall)
	fmt.Printf("  inbound webhook: quiet p50 %s p99 %s; during campaigns p50 %s p99 %s (%.2f×, %.2f×)\n",
		quiet.p(50), quiet.p(99), busy.p(50), busy.p(99), ratio(busy.p(50), quiet.p(50)), ratio(busy.p(99), quiet.p(99)))
	b.ReportMetric(ratio(beside, alone), "first-call-beside/alone")
	b.ReportMetric(rate, "calls/s")
	b.ReportMetric(0, "ns/op")
}
