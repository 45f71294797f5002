package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/campaigns"
	"frontdesk/internal/postgres"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/receptionist"
	"frontdesk/internal/testkit"
	"frontdesk/internal/voice"
)

// dialerFor is the campaigns service as the worker builds it, reading the
// time from *clock and keeping the attempts it enqueues in outbox.
func dialerFor(b *bundle, outbox *attemptsOutbox, clock *time.Time) *campaigns.Service {
	s := campaigns.NewService(b.db.Store, outbox, vapi.NewAPI(b.vapi.URL), func(ctx context.Context, tx *postgres.Tx) (string, error) {
		return voice.APIKey(ctx, tx, b.secrets)
	}, receptionist.NewService(b.db.Store, b.secrets, "https://frontdesk.test").Outbound)
	s.SetClock(func() time.Time { return *clock })
	return s
}

// attemptsOutbox keeps the attempts the dialer enqueues, for the test to
// place.
type attemptsOutbox struct{ ids []uuid.UUID }

func (o *attemptsOutbox) EnqueueCampaignCall(_ context.Context, _ *postgres.Tx, id uuid.UUID) error {
	o.ids = append(o.ids, id)
	return nil
}

// A campaign through the fake Vapi: the cap holds; do-not-call and no
// consent are never dialled; calling hours in the callee's time are kept;
// a lost answer is found again instead of calling twice; 429 waits and
// 400 fails; the call's end settles its contact (no answer: again later;
// answered: done); pause stops placing; the other clinic sees nothing.
func TestCampaignPlacesCallsExactlyOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.w.A
	ctx := context.Background()
	secret := voiceSetup(t, b, a, numberA) // the clinic's number, its Vapi key, its secret
	tok := b.token(t, a.Owner, frontdesk.OrgID{})
	file := "name,phone,tags,ok to call,dnc\n" +
		"Ann,+12125550101,recall,yes,\nBen,+12125550102,recall,yes,\nCai,+12125550103,recall,yes,\n" +
		"Dee,+12125550104,recall,,\nEve,+12125550105,recall,yes,yes\nFay,+12125550106,other,yes,\n"
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/api/contacts/import", strings.NewReader(file))
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("import: %v", err)
	}
	var c struct {
		ID     string
		State  string
		Counts map[string]int
	}
	if r := b.request(t, http.MethodPost, "/api/campaigns", tok, map[string]any{"name": "Spring recall", "audience_tags": []string{"recall"},
		"assistant_id": "asst-recall", "phone_number_id": "pn-a", "calling_hours": []string{"07:00", "20:00"}}); r.status != 422 ||
		!strings.Contains(string(r.body), `"field":"calling_hours"`) {
		t.Fatalf("calling at 7: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPost, "/api/campaigns", tok, map[string]any{"name": "Spring recall", "assistant_id": "a", "phone_number_id": "p",
		"stop_on": []string{"maybe"}}); r.status != 422 || !strings.Contains(string(r.body), `"field":"stop_on"`) {
		t.Fatalf("stop on maybe: %d %s", r.status, r.body)
	}
	r := b.request(t, http.MethodPost, "/api/campaigns", tok, map[string]any{"name": "Spring recall", "audience_tags": []string{"recall"},
		"assistant_id": "asst-recall", "phone_number_id": "pn-a", "calling_hours": []string{"09:00", "20:00"}, "days": []int{1, 2, 3, 4, 5},
		"max_concurrent": 2, "max_attempts": 2, "retry_minutes": 60})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r.json(t, &c)
	if r := b.request(t, http.MethodPost, "/api/campaigns/"+c.ID+"/pause", tok, nil); r.status != 409 {
		t.Fatalf("pause a draft: %d %s", r.status, r.body)
	}
	b.request(t, http.MethodPost, "/api/campaigns/"+c.ID+"/start", tok, nil).json(t, &c)
	if c.State != "running" || c.Counts["pending"] != 5 {
		t.Fatalf("started: %+v", c)
	}

	outbox := &attemptsOutbox{}
	ny, _ := time.LoadLocation("America/New_York")
	clock := time.Date(2026, 12, 7, 22, 30, 0, 0, ny) // a Monday night
	svc := dialerFor(b, outbox, &clock)
	b.vapi.SetClock(func() time.Time { return clock })
	if n, err := svc.Dial(ctx, a.ID); err != nil || n != 0 {
		t.Fatalf("dial at night: %d %v", n, err)
	}
	clock = time.Date(2026, 12, 8, 10, 0, 0, 0, ny) // Tuesday morning
	n, err := svc.Dial(ctx, a.ID)
	if err != nil || n != 2 || len(outbox.ids) != 2 {
		t.Fatalf("dial: %d %v", n, err)
	}
	if n, _ := svc.Dial(ctx, a.ID); n != 0 {
		t.Fatalf("a second turn exceeded the cap: %d", n)
	}
	c.Counts = nil
	b.request(t, http.MethodGet, "/api/campaigns/"+c.ID, tok, nil).json(t, &c)
	if c.Counts["done/do_not_call"] != 1 || c.Counts["done/no_consent"] != 1 || c.Counts["dialling"] != 2 {
		t.Fatalf("counts: %+v", c.Counts)
	}

	// The first: Vapi makes the call but the answer is lost.
	b.vapi.SetCalls(0, "", 2*time.Second)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	if err := svc.Place(short, a.ID, outbox.ids[0]); err == nil {
		t.Fatal("a lost answer was taken as placed")
	}
	cancel()
	b.vapi.SetCalls(0, "", 0)
	if err := svc.Place(ctx, a.ID, outbox.ids[0]); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if err := svc.Place(ctx, a.ID, outbox.ids[0]); err != nil { // a duplicate job: nothing
		t.Fatal(err)
	}
	// The second: Vapi says wait, then places it.
	b.vapi.SetCalls(http.StatusTooManyRequests, "7", 0)
	var later *campaigns.ErrLater
	if err := svc.Place(ctx, a.ID, outbox.ids[1]); !errors.As(err, &later) || later.Wait != 10*time.Second && later.Wait != 7*time.Second {
		t.Fatalf("429: %v", err)
	}
	b.vapi.SetCalls(0, "", 0)
	if err := svc.Place(ctx, a.ID, outbox.ids[1]); err != nil {
		t.Fatal(err)
	}
	placed := b.vapi.Placed()
	if len(placed) != 2 || placed[0].Name != "fd-"+outbox.ids[0].String() || placed[0].AssistantID != "asst-recall" || placed[0].PhoneNumberID != "pn-a" {
		t.Fatalf("placed: %+v", placed)
	}

	// Their ends: no answer (again in an hour), answered (done).
	end := func(call testkit.PlacedCall, reason string) {
		t.Helper()
		body := bytes.ReplaceAll(fixture(t, "end-of-call-report.json"), []byte("7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601"), []byte(call.ID))
		body = bytes.ReplaceAll(body, []byte(`"inboundPhoneCall"`), []byte(`"outboundPhoneCall"`))
		body = bytes.ReplaceAll(body, []byte(`"customer-ended-call"`), []byte(`"`+reason+`"`))
		if res := b.deliver(t, body, secret); res.status != 200 {
			t.Fatalf("report: %d %s", res.status, res.body)
		}
	}
	end(placed[0], "customer-did-not-answer")
	end(placed[1], "customer-ended-call")
	c.Counts = nil
	b.request(t, http.MethodGet, "/api/campaigns/"+c.ID, tok, nil).json(t, &c)
	if c.Counts["pending"] != 1 || c.Counts["pending/no_answer"] != 1 || c.Counts["done/answered"] != 1 {
		t.Fatalf("after the calls: %+v", c.Counts)
	}
	// The contact keeps the outcome.
	if n := count(t, b.owner(t), "SELECT count(*) FROM contacts WHERE phone = $1 AND last_outcome = 'answered'", placed[1].Number); n != 1 {
		t.Fatal("the contact does not keep the call's outcome")
	}
	// The call, in the calls dashboard, names its campaign.
	var callID string
	b.owner(t).QueryRow(ctx, "SELECT id FROM call_logs WHERE provider_call_id = $1 AND direction = 'outbound'", placed[1].ID).Scan(&callID)
	var detail struct {
		Campaign *struct {
			Name    string
			Attempt int
		}
	}
	b.get(t, "/api/calls-dashboard/"+callID, tok).json(t, &detail)
	if detail.Campaign == nil || detail.Campaign.Name != "Spring recall" || detail.Campaign.Attempt != 1 {
		t.Fatalf("the call's campaign: %+v", detail.Campaign)
	}
	// Both slots free again: the third contact, and the first again (its
	// hour's wait, kept by the server's clock, is over by the test's).
	if n, _ := svc.Dial(ctx, a.ID); n != 2 {
		t.Fatalf("the next turn: %d", n)
	}
	// Paused: what is placing goes back to wait, nothing more is placed.
	b.request(t, http.MethodPost, "/api/campaigns/"+c.ID+"/pause", tok, nil)
	if err := svc.Place(ctx, a.ID, outbox.ids[2]); err != nil || len(b.vapi.Placed()) != 2 {
		t.Fatalf("placing in a paused campaign: %v, %d calls", err, len(b.vapi.Placed()))
	}
	clock = clock.Add(2 * time.Hour)
	if n, _ := svc.Dial(ctx, a.ID); n != 0 {
		t.Fatalf("a paused campaign dialled %d", n)
	}
	// 400: the attempt fails, nothing placed.
	b.request(t, http.MethodPost, "/api/campaigns/"+c.ID+"/resume", tok, nil)
	if n, err := svc.Dial(ctx, a.ID); n != 1 { // the slot the paused attempt left (the other is still placing)
		c.Counts = nil
		b.request(t, http.MethodGet, "/api/campaigns/"+c.ID, tok, nil).json(t, &c)
		t.Fatalf("after resume: %d %v %+v", n, err, c)
	}
	b.vapi.SetCalls(http.StatusBadRequest, "", 0)
	if err := svc.Place(ctx, a.ID, outbox.ids[len(outbox.ids)-1]); err != nil {
		t.Fatalf("400: %v", err)
	}
	if n := count(t, b.owner(t), "SELECT count(*) FROM campaign_attempts WHERE state = 'failed' AND error LIKE 'vapi refused%'"); n != 1 {
		t.Fatalf("%d failed attempts", n)
	}

	// The other clinic.
	other := b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	var list struct{ Campaigns []any }
	b.get(t, "/api/campaigns", other).json(t, &list)
	if len(list.Campaigns) != 0 {
		t.Fatal("clinic B sees clinic A's campaign")
	}
	if r := b.get(t, "/api/campaigns/"+c.ID, other); r.status != 404 {
		t.Fatalf("clinic B reads clinic A's campaign: %d", r.status)
	}
}

// A number put on the do-not-call list while its campaign runs is never
// dialled; a 5xx from Vapi (nothing created) is looked for, waited on,
// then asked again: one call in the end.
func TestCampaignDoNotCallMidwayAnd5xx(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.w.A
	ctx := context.Background()
	voiceSetup(t, b, a, numberA)
	tok := b.token(t, a.Owner, frontdesk.OrgID{})
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/api/contacts/import",
		strings.NewReader("name,phone,ok to call\nAnn,+12125550101,yes\nBen,+12125550102,yes\n"))
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("import: %v", err)
	}
	var c struct {
		ID     string
		Counts map[string]int
	}
	if r := b.request(t, http.MethodPost, "/api/campaigns", tok, map[string]any{"name": "Recall", "phone_number_id": "pn-a", "greeting": "Hi"}); r.status != 422 ||
		!strings.Contains(string(r.body), `"field":"greeting"`) {
		t.Fatalf("no assistant and no goal: %d %s", r.status, r.body)
	}
	// The clinic's own receptionist makes these calls.
	b.request(t, http.MethodPost, "/api/campaigns", tok, map[string]any{"name": "Recall", "phone_number_id": "pn-a",
		"greeting": "Hello, this is Northside Dental calling about your cleaning.", "goal": "Offer a time for the patient's six-monthly cleaning.",
		"days": []int{0, 1, 2, 3, 4, 5, 6}, "max_concurrent": 1}).json(t, &c)
	b.request(t, http.MethodPost, "/api/campaigns/"+c.ID+"/start", tok, nil)
	outbox := &attemptsOutbox{}
	ny, _ := time.LoadLocation("America/New_York")
	clock := time.Date(2026, 12, 8, 10, 0, 0, 0, ny)
	svc := dialerFor(b, outbox, &clock)
	b.vapi.SetClock(func() time.Time { return clock })
	if n, _ := svc.Dial(ctx, a.ID); n != 1 {
		t.Fatalf("dial: %d", n)
	}
	b.request(t, http.MethodPost, "/api/do-not-call", tok, map[string]any{"phone": "+12125550102", "reason": "asked by email"})

	b.vapi.SetCalls(http.StatusServiceUnavailable, "", 0)
	if err := svc.Place(ctx, a.ID, outbox.ids[0]); err == nil {
		t.Fatal("a 503 was taken as placed")
	}
	b.vapi.SetCalls(0, "", 0)
	var later *campaigns.ErrLater
	if err := svc.Place(ctx, a.ID, outbox.ids[0]); !errors.As(err, &later) || len(b.vapi.Placed()) != 0 {
		t.Fatalf("right after a 503: %v, %d calls", err, len(b.vapi.Placed()))
	}
	clock = clock.Add(61 * time.Second)
	if err := svc.Place(ctx, a.ID, outbox.ids[0]); err != nil || len(b.vapi.Placed()) != 1 {
		t.Fatalf("a minute after: %v, %d calls", err, len(b.vapi.Placed()))
	}
	var assistant struct {
		FirstMessage string `json:"firstMessage"`
		Model        struct {
			Messages []struct{ Content string }
			Tools    []struct {
				Function struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal(b.vapi.Placed()[0].Assistant, &assistant); err != nil || b.vapi.Placed()[0].AssistantID != "" ||
		!strings.HasPrefix(assistant.FirstMessage, "Hello, this is Northside Dental calling about your cleaning.") ||
		len(assistant.Model.Messages) != 1 || !strings.Contains(assistant.Model.Messages[0].Content, "six-monthly cleaning") {
		t.Fatalf("the receptionist for the call: %v %s", err, b.vapi.Placed()[0].Assistant)
	}
	optOut := false
	for _, tool := range assistant.Model.Tools {
		optOut = optOut || tool.Function.Name == "optOut"
	}
	if !optOut {
		t.Fatal("the outbound receptionist cannot take an opt-out")
	}
	// Ann's call ends; Ben's turn finds him on the list.
	if _, err := b.owner(t).Exec(ctx, "UPDATE campaign_attempts SET state = 'ended'"); err != nil {
		t.Fatal(err)
	}
	if n, _ := svc.Dial(ctx, a.ID); n != 0 {
		t.Fatalf("dialled a number on the do-not-call list: %d", n)
	}
	b.request(t, http.MethodGet, "/api/campaigns/"+c.ID, tok, nil).json(t, &c)
	if c.Counts["done/do_not_call"] != 1 || len(b.vapi.Placed()) != 1 {
		t.Fatalf("counts: %+v", c.Counts)
	}
}

// A scheduled campaign starts by itself at its time; one Vapi number never
// carries more than campaigns.MaxPerNumber calls at once, across
// campaigns.
func TestCampaignScheduleAndNumberCap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.w.A
	ctx := context.Background()
	voiceSetup(t, b, a, numberA)
	tok := b.token(t, a.Owner, frontdesk.OrgID{})
	var sb strings.Builder
	sb.WriteString("phone,ok to call\n")
	for i := range 30 {
		fmt.Fprintf(&sb, "+1212555%04d,yes\n", 1000+i)
	}
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/api/contacts/import", strings.NewReader(sb.String()))
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("import: %v", err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	clock := time.Date(2026, 12, 8, 10, 0, 0, 0, ny)
	outbox := &attemptsOutbox{}
	svc := dialerFor(b, outbox, &clock)
	var ids []string
	for i := range 2 {
		var c struct{ ID, State string }
		b.request(t, http.MethodPost, "/api/campaigns", tok, map[string]any{"name": fmt.Sprint("Recall ", i), "assistant_id": "asst",
			"phone_number_id": "pn-shared", "days": []int{0, 1, 2, 3, 4, 5, 6}, "max_concurrent": 6}).json(t, &c)
		r := b.request(t, http.MethodPost, "/api/campaigns/"+c.ID+"/schedule", tok, map[string]any{"starts_at": clock.Add(30 * time.Minute).Format(time.RFC3339)})
		r.json(t, &c)
		if c.State != "scheduled" {
			t.Fatalf("schedule: %d %s", r.status, r.body)
		}
		ids = append(ids, c.ID)
	}
	if n, _ := svc.Dial(ctx, a.ID); n != 0 {
		t.Fatalf("dialled before the start: %d", n)
	}
	clock = clock.Add(31 * time.Minute)
	if n, _ := svc.Dial(ctx, a.ID); n != campaigns.MaxPerNumber {
		t.Fatalf("two campaigns of 6 on one number: %d calls at once, want %d", n, campaigns.MaxPerNumber)
	}
	var c struct{ State string }
	b.get(t, "/api/campaigns/"+ids[1], tok).json(t, &c)
	if c.State != "running" {
		t.Fatalf("the scheduled campaign did not start: %s", c.State)
	}
	if r := b.request(t, http.MethodPost, "/api/campaigns/"+ids[1]+"/schedule", tok, map[string]any{"starts_at": clock.Format(time.RFC3339)}); r.status != 409 {
		t.Fatalf("schedule a running campaign: %d", r.status)
	}
	// A number put on the do-not-call list after the dialer's turn and
	// before its call is placed is not called.
	var phone string
	b.owner(t).QueryRow(ctx, "SELECT phone FROM campaign_attempts WHERE id = $1", outbox.ids[0]).Scan(&phone)
	b.request(t, http.MethodPost, "/api/do-not-call", tok, map[string]any{"phone": phone})
	if err := svc.Place(ctx, a.ID, outbox.ids[0]); err != nil || len(b.vapi.Placed()) != 0 {
		t.Fatalf("placed a call to a number on the do-not-call list: %v, %d", err, len(b.vapi.Placed()))
	}
	if n := count(t, b.owner(t), "SELECT count(*) FROM campaign_targets WHERE phone = $1 AND state = 'done' AND outcome = 'do_not_call'", phone); n != 1 {
		t.Fatal("its target is not finished as do-not-call")
	}
	// A key Vapi refuses (401): the attempt fails, nothing is placed.
	b.vapi.SetCalls(http.StatusUnauthorized, "", 0)
	if err := svc.Place(ctx, a.ID, outbox.ids[1]); err != nil || len(b.vapi.Placed()) != 0 ||
		count(t, b.owner(t), "SELECT count(*) FROM campaign_attempts WHERE id = $1 AND state = 'failed' AND error LIKE '%(401)%'", outbox.ids[1]) != 1 {
		t.Fatalf("401: %v", err)
	}
	b.vapi.SetCalls(0, "", 0)
	// An attempt that never settles stops holding its slot after two hours.
	clock = clock.Add(3 * time.Hour)
	if _, err := b.owner(t).Exec(ctx, "UPDATE campaign_attempts SET created_at = created_at - interval '3 hours'"); err != nil {
		t.Fatal(err)
	}
	if n, _ := svc.Dial(ctx, a.ID); n != campaigns.MaxPerNumber {
		t.Fatalf("after stale attempts expired: %d", n)
	}
}

// Two dialers (as in two worker processes) turning at the same moment
// never place more than a campaign's cap between them.
func TestCampaignCapHoldsAcrossDialers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.w.A
	ctx := context.Background()
	voiceSetup(t, b, a, numberA)
	tok := b.token(t, a.Owner, frontdesk.OrgID{})
	var sb strings.Builder
	sb.WriteString("phone,ok to call\n")
	for i := range 40 {
		fmt.Fprintf(&sb, "+1212555%04d,yes\n", 2000+i)
	}
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/api/contacts/import", strings.NewReader(sb.String()))
	req.Header.Set("Authorization", "Bearer "+tok)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("import: %v", err)
	}
	var c struct{ ID string }
	b.request(t, http.MethodPost, "/api/campaigns", tok, map[string]any{"name": "Recall", "assistant_id": "asst", "phone_number_id": "pn",
		"days": []int{0, 1, 2, 3, 4, 5, 6}, "max_concurrent": 5}).json(t, &c)
	b.request(t, http.MethodPost, "/api/campaigns/"+c.ID+"/start", tok, nil)
	ny, _ := time.LoadLocation("America/New_York")
	clock := time.Date(2026, 12, 8, 10, 0, 0, 0, ny)
	results := make(chan int, 4)
	for range 4 {
		go func() {
			n, err := dialerFor(b, &attemptsOutbox{}, &clock).Dial(ctx, a.ID)
			if err != nil {
				t.Error(err)
			}
			results <- n
		}()
	}
	total := 0
	for range 4 {
		total += <-results
	}
	if total != 5 || count(t, b.owner(t), "SELECT count(*) FROM campaign_attempts WHERE state = 'placing'") != 5 {
		t.Fatalf("four dialers at once placed %d, cap 5", total)
	}
}
