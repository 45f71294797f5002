package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/jobs"
	"frontdesk/internal/testkit"
)

const (
	sidA   = "AC0123456789abcdef0123456789abcdef"
	tokenA = "tokenA0123456789abcdef"
	sidB   = "ACfedcba9876543210fedcba9876543210"
	tokenB = "tokenB0123456789abcdef"
)

func (b *bundle) twilioPost(t *testing.T, path, token string, form url.Values) response {
	t.Helper()
	sig := testkit.TwilioSignature(token, "https://frontdesk.test"+path, form)
	return b.request(t, http.MethodPost, path, "", []byte(form.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "X-Twilio-Signature", sig)
}

func TestSMSConfirmationsOverTheClinicsTwilio(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fake := testkit.NewFakeTwilio(t, tokenA, tokenB)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	csB := setupCalendar(t, b, b.w.B, "Europe/London")
	db := b.owner(t)
	ctx := context.Background()

	// Credentials: admins only, the token stored sealed and never returned.
	cfg := map[string]any{"account_sid": sidA, "auth_token": tokenA, "from_number": "+15125550100",
		"confirmation_template": "{patient}: {service} at {clinic}, {when}, with {clinician}. Reply C to confirm."}
	staff := b.token(t, b.w.A.Staff, frontdesk.OrgID{})
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", staff, cfg); r.status != 403 {
		t.Fatalf("staff sets Twilio: %d", r.status)
	}
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", cs.token, cfg); r.status != 200 || strings.Contains(string(r.body), tokenA) {
		t.Fatalf("owner sets Twilio: %d %s", r.status, r.body)
	}
	if r := b.get(t, "/api/integrations/twilio", cs.token); !strings.Contains(string(r.body), sidA) || strings.Contains(string(r.body), tokenA) {
		t.Fatalf("read back: %s", r.body)
	}
	if n := count(t, db, "SELECT count(*) FROM twilio_accounts WHERE position($1::bytea in auth_token_ciphertext) > 0", []byte(tokenA)); n != 0 {
		t.Fatal("the auth token is stored in the clear")
	}
	cfgB := map[string]any{"account_sid": sidB, "auth_token": tokenB, "from_number": "+15125550100"}
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", csB.token, cfgB); r.status != 409 || strings.Contains(string(r.body), b.w.A.Name) {
		t.Fatalf("clinic B takes clinic A's number: %d %s", r.status, r.body)
	}
	cfgB["from_number"] = "+442079460002"
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", csB.token, cfgB); r.status != 200 {
		t.Fatalf("clinic B sets Twilio: %d %s", r.status, r.body)
	}

	// A booking enqueues one confirmation; the worker sends it once.
	worker := b.smsWorker(t, fake)
	defer worker.Stop(ctx)
	var booking struct{ ID string }
	b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(9, 0))).json(t, &booking)
	testkit.Eventually(t, 20*time.Second, func() bool { return len(fake.Messages()) == 1 })
	m := fake.Messages()[0]
	if m.Get("To") != "+15125550123" || m.Get("From") != "+15125550100" ||
		m.Get("Body") != "Pat Doe: Cleaning at Alpha Dental, "+cs.at(9, 0).Format("Monday 2 January at 3:04 PM")+", with Dr A. Reply C to confirm." ||
		m.Get("StatusCallback") != "https://frontdesk.test/api/webhooks/twilio/status" {
		t.Fatalf("sent %v", m)
	}
	// The reminder waits for its time: a day before, 9:00 clinic time.
	if n := count(t, db, "SELECT count(*) FROM sms_confirmation_logs WHERE booking_id = $1 AND kind = 'reminder' AND status = 'pending' AND send_at = $2",
		booking.ID, cs.at(9, 0).AddDate(0, 0, -1)); n != 1 {
		t.Fatal("no reminder scheduled a day before")
	}
	var sid string
	testkit.Eventually(t, 20*time.Second, func() bool {
		db.QueryRow(ctx, "SELECT coalesce(message_sid, '') FROM sms_confirmation_logs WHERE booking_id = $1 AND kind = 'confirmation'", booking.ID).Scan(&sid)
		return sid != ""
	})

	// Status callbacks: signed with the clinic's token over the public URL;
	// repeated and out of order, the status only moves forward.
	status := func(token, st string) int {
		return b.twilioPost(t, "/api/webhooks/twilio/status", token, url.Values{"AccountSid": {sidA}, "From": {"+15125550100"},
			"To": {"+15125550123"}, "MessageSid": {sid}, "MessageStatus": {st}}).status
	}
	for _, st := range []string{"sent", "delivered", "sent", "delivered"} {
		if s := status(tokenA, st); s != 204 {
			t.Fatalf("status %s: %d", st, s)
		}
	}
	if s := status(tokenB, "undelivered"); s != 403 {
		t.Fatalf("clinic B's token on clinic A's callback: %d", s)
	}
	bad := b.request(t, http.MethodPost, "/api/webhooks/twilio/status", "", []byte(url.Values{"AccountSid": {sidA}, "From": {"+15125550100"},
		"MessageSid": {sid}, "MessageStatus": {"failed"}}.Encode()), "Content-Type", "application/x-www-form-urlencoded", "X-Twilio-Signature", "bm9wZQ==")
	if bad.status != 403 {
		t.Fatalf("bad signature: %d", bad.status)
	}
	var st string
	db.QueryRow(ctx, "SELECT status FROM sms_confirmation_logs WHERE message_sid = $1", sid).Scan(&st)
	if st != "delivered" {
		t.Fatalf("status after callbacks: %s", st)
	}

	// The patient replies: C confirms, STOP opts out (no text is sent again),
	// START opts back in; each redelivery is one row.
	inbound := func(body, msgSid string) response {
		return b.twilioPost(t, "/api/webhooks/twilio/inbound", tokenA, url.Values{"AccountSid": {sidA}, "To": {"+15125550100"},
			"From": {"+15125550123"}, "Body": {body}, "MessageSid": {msgSid}})
	}
	if r := inbound("C", "SMin1"); r.status != 200 || !strings.Contains(string(r.body), "is confirmed") {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE id = $1 AND patient_confirmed_at IS NOT NULL", booking.ID); n != 1 {
		t.Fatal("the booking is not confirmed by the patient")
	}
	inbound("STOP", "SMin2")
	inbound("STOP", "SMin2")
	if n := count(t, db, "SELECT count(*) FROM sms_inbound"); n != 2 { // C and one STOP
		t.Fatalf("%d inbound rows", n)
	}
	var second struct{ ID string }
	b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(10, 0))).json(t, &second)
	testkit.Eventually(t, 20*time.Second, func() bool {
		return count(t, db, "SELECT count(*) FROM sms_confirmation_logs WHERE booking_id = $1 AND kind = 'confirmation' AND status = 'skipped'", second.ID) == 1
	})
	if len(fake.Messages()) != 1 {
		t.Fatal("a text went to a number that opted out")
	}
	inbound("Can I bring my daughter?", "SMin4")
	if r := b.get(t, "/api/sms/inbound", staff); !strings.Contains(string(r.body), `"body":"Can I bring my daughter?","action":"message"`) {
		t.Fatalf("staff cannot read the patient's text: %s", r.body)
	}
	if r := b.get(t, "/api/sms/inbound", csB.token); strings.Contains(string(r.body), "daughter") {
		t.Fatalf("clinic B reads clinic A's inbound texts: %s", r.body)
	}
	inbound("START", "SMin3")
	if n := count(t, db, "SELECT count(*) FROM sms_opt_outs"); n != 0 {
		t.Fatal("START did not opt back in")
	}
	// Clinic A's opt-out is not clinic B's: nothing of A's is in B's list.
	if r := b.get(t, "/api/sms/messages", csB.token); strings.Contains(string(r.body), "Pat Doe") {
		t.Fatalf("clinic B sees clinic A's texts: %s", r.body)
	}

	// A crash after Twilio accepted the text: the retry finds it and does
	// not send a second one.
	fake.DropNext()
	var third struct{ ID string }
	b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(11, 0))).json(t, &third)
	testkit.Eventually(t, 20*time.Second, func() bool {
		return count(t, db, "SELECT count(*) FROM sms_confirmation_logs WHERE booking_id = $1 AND kind = 'confirmation' AND message_sid IS NOT NULL", third.ID) == 1
	})
	if got := len(fake.Messages()); got != 2 {
		t.Fatalf("%d texts at Twilio after a crash and retry, want 2 (one per booking)", got)
	}
}

// smsWorker runs the job worker with Twilio pointed at the fake.
func (b *bundle) smsWorker(t *testing.T, fake *testkit.FakeTwilio) *jobs.Client {
	t.Helper()
	w, err := jobs.New(jobs.Config{Store: b.db.Store, Bucket: b.bucket, Log: b.log, Secrets: b.secrets,
		TwilioHTTP: fake.HTTPClient(), PublicURL: "https://frontdesk.test",
		Fetch: jobs.FetchConfig{Timeout: time.Minute}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// A caller cannot turn the clinic's number into a relay: the agent texts
// only the caller's own number, names lose their links, texts go only to
// the clinic's countries, at most 3 a call and 5 a number a day; a text
// the rules refuse is logged as skipped, with why, and its booking kept.
func TestTextsGoOnlyWhereTheyShould(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	secret := voiceSetup(t, b, b.w.A, numberA)
	db := b.owner(t)
	cfg := map[string]any{"account_sid": sidA, "auth_token": tokenA, "from_number": "+15125550100", "reminder_hours_before": 0}
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", cs.token, cfg); r.status != 200 {
		t.Fatalf("set Twilio: %d %s", r.status, r.body)
	}
	type message struct {
		To, Body, Status, Error string
	}
	texts := func() map[string][]message {
		var out struct{ Messages []message }
		b.get(t, "/api/sms/messages", cs.token).json(t, &out)
		by := map[string][]message{}
		for _, m := range out.Messages {
			by[m.To] = append(by[m.To], m)
		}
		return by
	}
	at := func(h, m int) string { return cs.at(h, m).Format("2006-01-02 15:04") }
	caller, other := "+15125550123", "+15125550199"

	// The agent books for someone else's number: kept, not texted.
	r := b.tools(t, secret, [3]any{"t1", "bookAppointment", map[string]any{"service": "Cleaning", "start": at(9, 0),
		"patient_name": "ACTION REQUIRED http://evil.example/x call now", "patient_phone": other}})
	if !strings.HasPrefix(r.Results[0].Result, "Booked") {
		t.Fatalf("book for another number: %+v", r.Results[0])
	}
	if m := texts()[other]; len(m) != 1 || m[0].Status != "skipped" || !strings.Contains(m[0].Error, "caller") {
		t.Fatalf("text to another number: %+v", m)
	}
	// For the caller: texted, the name without its link.
	b.tools(t, secret, [3]any{"t2", "bookAppointment", map[string]any{"service": "Cleaning", "start": at(9, 30),
		"patient_name": "Pat www.evil.example/x \u0007Doe " + strings.Repeat("x", 80)}})
	m := texts()[caller]
	if len(m) != 1 || m[0].Status != "pending" || strings.Contains(m[0].Body, "evil") || strings.Contains(m[0].Body, "\u0007") ||
		strings.Contains(m[0].Body, strings.Repeat("x", 61)) {
		t.Fatalf("text to the caller: %+v", m)
	}
	// Three texts a call: the caller's fourth booking on this call is not texted.
	b.tools(t, secret, [3]any{"t3", "bookAppointment", map[string]any{"service": "Cleaning", "start": at(10, 0), "patient_name": "Pat Doe"}},
		[3]any{"t4", "bookAppointment", map[string]any{"service": "Cleaning", "start": at(10, 30), "patient_name": "Pat Doe"}},
		[3]any{"t5", "bookAppointment", map[string]any{"service": "Cleaning", "start": at(11, 0), "patient_name": "Pat Doe"}})
	sent, skipped := 0, 0
	for _, x := range texts()[caller] {
		if x.Status == "skipped" {
			skipped++
		} else {
			sent++
		}
	}
	if sent != 3 || skipped != 1 {
		t.Fatalf("caller's texts on one call: %d sent, %d skipped; want 3 and 1", sent, skipped)
	}
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE org_id = $1 AND status = 'confirmed'", b.w.A.ID); n != 5 {
		t.Fatalf("%d bookings, want all 5 kept", n)
	}

	// Staff bookings: a number abroad is not texted until the clinic allows
	// its country; five texts a number a day.
	abroad := cs.booking(cs.resources[0], cs.at(13, 0))
	abroad["patient_phone"] = "+447946000123"
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, abroad); r.status != 201 {
		t.Fatalf("book abroad: %d %s", r.status, r.body)
	}
	if m := texts()["+447946000123"]; len(m) != 1 || m[0].Status != "skipped" || !strings.Contains(m[0].Error, "GB") {
		t.Fatalf("text abroad: %+v", m)
	}
	cfg["allowed_countries"] = []string{"us", "GB"}
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", cs.token, cfg); r.status != 200 || !strings.Contains(string(r.body), `["US","GB"]`) {
		t.Fatalf("allow GB: %d %s", r.status, r.body)
	}
	cfg["allowed_countries"] = []string{"Narnia"}
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", cs.token, cfg); r.status != 422 || !strings.Contains(string(r.body), "allowed_countries") {
		t.Fatalf("allow Narnia: %d %s", r.status, r.body)
	}
	abroad["start"] = cs.at(13, 0).Add(24 * time.Hour).Format(time.RFC3339)
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, abroad); r.status != 201 {
		t.Fatalf("book abroad again: %d %s", r.status, r.body)
	}
	if m := texts()["+447946000123"]; len(m) != 2 || m[0].Status != "pending" && m[1].Status != "pending" {
		t.Fatalf("text abroad once allowed: %+v", m)
	}
	daily := "+15125550177"
	for i := range 6 {
		bk := cs.booking(cs.resources[1], cs.at(13, 0).Add(time.Duration(i)*24*time.Hour))
		bk["patient_phone"] = daily
		if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, bk); r.status != 201 {
			t.Fatalf("booking %d: %d %s", i, r.status, r.body)
		}
	}
	sent, skipped = 0, 0
	for _, x := range texts()[daily] {
		if x.Status == "skipped" {
			skipped++
		} else {
			sent++
		}
	}
	if sent != 5 || skipped != 1 {
		t.Fatalf("one number's texts in a day: %d sent, %d skipped; want 5 and 1", sent, skipped)
	}
}
