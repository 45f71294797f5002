package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"frontdesk/internal/testkit"
)

// A caller may change a booking made under another number only after
// reading back a code texted to that number, on that call only. Codes: six
// digits, kept only as a MAC (the text goes out from a sealed copy, then
// forgotten), 5 tries, 3 a call.
func TestVerificationCodeUnlocksAnotherNumber(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	fake := testkit.NewFakeTwilio(t, tokenA)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	secret := voiceSetup(t, b, b.w.A, numberA)
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", cs.token,
		map[string]any{"account_sid": sidA, "auth_token": tokenA, "from_number": "+15125550100", "reminder_hours_before": 0}); r.status != 200 {
		t.Fatalf("set Twilio: %d %s", r.status, r.body)
	}
	worker := b.smsWorker(t, fake)
	defer worker.Stop(ctx)
	// The patient booked from her mobile; she calls from her office.
	bk := cs.booking(cs.resources[0], cs.at(10, 0))
	bk["patient_phone"] = "+15125550144"
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, bk); r.status != 201 {
		t.Fatalf("book: %d %s", r.status, r.body)
	}
	testkit.Eventually(t, 20*time.Second, func() bool { return len(fake.Messages()) == 1 }) // its confirmation
	one := func(id, name string, args map[string]any) string {
		return b.tools(t, secret, [3]any{id, name, args}).Results[0].Result
	}
	mobile := map[string]any{"phone": "(512) 555-0144"}

	if r := one("v1", "cancelAppointment", mobile); !strings.Contains(r, "sendVerificationCode") {
		t.Fatalf("another number before any code: %q", r)
	}
	if r := one("v2", "sendVerificationCode", mobile); !strings.Contains(r, "six-digit code is being texted") {
		t.Fatalf("send a code: %q", r)
	}
	testkit.Eventually(t, 20*time.Second, func() bool { return len(fake.Messages()) == 2 })
	text := fake.Messages()[1]
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(text.Get("Body"))
	if text.Get("To") != "+15125550144" || code == "" || !strings.HasPrefix(text.Get("Body"), b.w.A.Name+": your code is ") {
		t.Fatalf("the code text: %v", text)
	}
	// Nothing stored says the code: the log has a placeholder, the sealed
	// copy is gone once sent, the MAC does not contain it.
	db := b.owner(t)
	testkit.Eventually(t, 10*time.Second, func() bool {
		return count(t, db, "SELECT count(*) FROM call_verifications WHERE code_sealed IS NULL") == 1
	})
	if n := count(t, db, "SELECT count(*) FROM sms_confirmation_logs WHERE position($1 in body) > 0", code); n != 0 {
		t.Fatal("the code is in the text log")
	}
	if n := count(t, db, "SELECT count(*) FROM call_verifications WHERE position($1::bytea in code_hash) > 0", []byte(code)); n != 0 {
		t.Fatal("the code is stored as is")
	}

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if r := one("v3", "verifyCode", map[string]any{"code": wrong}); !strings.Contains(r, "not right") || !strings.Contains(r, "4 tries left") {
		t.Fatalf("a wrong code: %q", r)
	}
	if r := one("v4", "verifyCode", map[string]any{"code": code}); !strings.Contains(r, "Verified") || !strings.Contains(r, "+15125550144") {
		t.Fatalf("the right code: %q", r)
	}
	// Another call does not inherit the verification.
	other := map[string]any{"id": "other-call", "type": "inboundPhoneCall", "customer": map[string]any{"number": "+15125550123"}}
	if r := b.toolsOn(t, secret, toolMessageOn(t, other, [3]any{"v5", "cancelAppointment", mobile}), "v5"); !strings.Contains(r.Results[0].Result, "sendVerificationCode") {
		t.Fatalf("another call uses the verification: %q", r.Results[0].Result)
	}
	// A number neither the caller's nor verified still changes nothing.
	if r := one("v6", "cancelAppointment", map[string]any{"phone": "+15125550199"}); !strings.Contains(r, "sendVerificationCode") {
		t.Fatalf("an unverified number: %q", r)
	}
	if r := one("v7", "cancelAppointment", mobile); !strings.HasPrefix(r, "Cancelled the Cleaning") {
		t.Fatalf("cancel under the verified number: %q", r)
	}

	// Five tries per code, three codes per call.
	if r := one("v8", "sendVerificationCode", map[string]any{"phone": "+15125550155"}); !strings.Contains(r, "being texted") {
		t.Fatalf("second code: %q", r)
	}
	var last string
	for i := range 5 {
		last = one("t"+string(rune('0'+i)), "verifyCode", map[string]any{"code": "999999"})
	}
	if !strings.Contains(last, "cannot be tried again") {
		t.Fatalf("fifth wrong try: %q", last)
	}
	if r := one("t9", "verifyCode", map[string]any{"code": "999999"}); !strings.Contains(r, "too many times") {
		t.Fatalf("a sixth try: %q", r)
	}
	one("v9", "sendVerificationCode", map[string]any{"phone": "+15125550166"})
	if r := one("v10", "sendVerificationCode", map[string]any{"phone": "+15125550177"}); !strings.Contains(r, "No more codes") {
		t.Fatalf("a fourth code on one call: %q", r)
	}
	if r := one("v11", "verifyCode", map[string]any{"code": "12"}); !strings.Contains(r, "six-digit code") {
		t.Fatalf("a short code: %q", r)
	}
}
