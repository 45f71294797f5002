package web_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"frontdesk"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/testkit"
)

const (
	numberA = "+15125550100" // the fixtures' clinic number
	numberB = "+442079460001"
	callID  = "7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601"
)

// voiceSetup registers number for the clinic and returns its new secret,
// through the API, as the clinic's owner.
func voiceSetup(t *testing.T, b *bundle, c testkit.Clinic, number string) string {
	t.Helper()
	tok := b.token(t, c.Owner, frontdesk.OrgID{})
	b.connectVapi(t, c, number)
	if res := b.request(t, http.MethodPost, "/api/voice/phone-numbers", tok, map[string]string{"number": number}); res.status != 201 {
		t.Fatalf("register %s: %d %s", number, res.status, res.body)
	}
	res := b.request(t, http.MethodPost, "/api/voice/secret/rotate", tok, nil)
	var out struct{ Secret string }
	res.json(t, &out)
	if res.status != 201 || len(out.Secret) < 40 {
		t.Fatalf("rotate: %d %s", res.status, res.body)
	}
	testkit.Sensitive(out.Secret)
	return out.Secret
}

// connectVapi gives the clinic a Vapi organization owning these numbers
// and assistants, and stores its key in Frontdesk.
func (b *bundle) connectVapi(t *testing.T, c testkit.Clinic, owned ...string) {
	t.Helper()
	key := "vapi-private-" + c.ID.String()
	testkit.Sensitive(key)
	b.vapi.Own(key, owned...)
	if res := b.request(t, http.MethodPut, "/api/integrations/vapi", b.token(t, c.Owner, frontdesk.OrgID{}), map[string]string{"api_key": key}); res.status != 200 {
		t.Fatalf("connect Vapi: %d %s", res.status, res.body)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../providers/vapi/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deliver posts a Vapi message with a bearer secret (or the given headers).
func (b *bundle) deliver(t *testing.T, body []byte, secret string, headers ...string) response {
	t.Helper()
	if secret != "" {
		headers = append(headers, "Authorization", "Bearer "+secret)
	}
	return b.request(t, http.MethodPost, "/api/webhooks/vapi", "", body, headers...)
}

// owner queries the test database as the owner (RLS bypassed), to see
// exactly what was stored.
func (b *bundle) owner(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), b.db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func count(t *testing.T, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

type callRow struct {
	Status, Direction, From, To, EndedReason, Summary, RecordingStatus, RecordingURL string
	StartedAt                                                                        time.Time
	Duration                                                                         *int32
}

func (b *bundle) call(t *testing.T, conn *pgx.Conn, org frontdesk.OrgID) callRow {
	t.Helper()
	var c callRow
	err := conn.QueryRow(context.Background(), `SELECT status, direction, from_number, to_number, ended_reason, summary,
		recording_status, recording_url, started_at, duration_seconds FROM call_logs WHERE org_id = $1 AND provider_call_id = $2`,
		org, callID).Scan(&c.Status, &c.Direction, &c.From, &c.To, &c.EndedReason, &c.Summary, &c.RecordingStatus,
		&c.RecordingURL, &c.StartedAt, &c.Duration)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVapiWebhookStoresCalls(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret := voiceSetup(t, b, b.w.A, numberA)
	db := b.owner(t)

	if res := b.deliver(t, fixture(t, "status-update.json"), secret); res.status != 200 {
		t.Fatalf("status-update: %d %s", res.status, res.body)
	}
	c := b.call(t, db, b.w.A.ID)
	if c.Status != "in-progress" || c.Direction != "inbound" || c.From != "+15125550123" || c.To != numberA ||
		!c.StartedAt.Equal(time.UnixMilli(1767225600123)) {
		t.Fatalf("after status-update: %+v", c)
	}
	if res := b.deliver(t, fixture(t, "end-of-call-report.json"), secret); res.status != 200 {
		t.Fatalf("end-of-call-report: %d %s", res.status, res.body)
	}
	c = b.call(t, db, b.w.A.ID)
	if c.Status != "ended" || c.EndedReason != "customer-ended-call" || c.Summary != "Caller booked a cleaning on Jan 9 at 10:00." ||
		c.RecordingStatus != "pending" || c.RecordingURL != "https://storage.vapi.ai/7d1f3c2a-mono.wav" ||
		c.Duration == nil || *c.Duration != 174 || !c.StartedAt.Equal(time.Date(2026, 1, 1, 0, 0, 5, 120e6, time.UTC)) {
		t.Fatalf("after end-of-call-report: %+v", c)
	}
	if n := count(t, db, "SELECT count(*) FROM river_job WHERE kind = 'recording_download' AND args->>'org_id' = $1", b.w.A.ID.String()); n != 1 {
		t.Fatalf("%d download jobs, want 1", n)
	}
	if n := count(t, db, "SELECT count(*) FROM contacts WHERE org_id = $1 AND phone = '+15125550123' AND source = 'call'", b.w.A.ID); n != 1 {
		t.Fatalf("the caller is not a contact (%d)", n)
	}
	if res := b.deliver(t, fixture(t, "hang.json"), secret); res.status != 200 {
		t.Fatalf("hang: %d", res.status)
	}
	if n := count(t, db, "SELECT count(*) FROM call_logs WHERE provider_call_id = $1 AND last_hang_at = $2", callID,
		time.UnixMilli(1767225650000)); n != 1 {
		t.Fatal("the hang is not recorded on the call")
	}
	// Clinic A's dashboard shows the call; clinic B's does not.
	tokA, tokB := b.token(t, b.w.A.Owner, frontdesk.OrgID{}), b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	if res := b.get(t, "/api/calls-dashboard?q=%2B15125550123", tokA); !bytes.Contains(res.body, []byte(`"total":1`)) {
		t.Fatalf("clinic A's dashboard: %s", res.body)
	}
	if res := b.get(t, "/api/calls-dashboard?q=%2B15125550123&call_type=all", tokB); !bytes.Contains(res.body, []byte(`"total":0`)) {
		t.Fatalf("clinic B's dashboard: %s", res.body)
	}
	// Types Frontdesk does not act on are answered and not stored.
	before := count(t, db, "SELECT count(*) FROM webhook_events")
	for _, f := range []string{"transcript.json", "assistant-request.json"} {
		if res := b.deliver(t, fixture(t, f), secret); res.status != 200 {
			t.Fatalf("%s: %d", f, res.status)
		}
	}
	if n := count(t, db, "SELECT count(*) FROM webhook_events"); n != before {
		t.Fatalf("ignored types stored %d events", n-before)
	}
}

// The same event twice, or the report before the status, leaves one
// correct row and one download.
func TestVapiWebhookIsIdempotentAndOrderProof(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret := voiceSetup(t, b, b.w.A, numberA)
	db := b.owner(t)
	report := fixture(t, "end-of-call-report.json")
	// A redelivery carries fresh pre-signed URLs: the key ignores them.
	redelivered := bytes.ReplaceAll(report, []byte("X-Amz-Signature=abc123"), []byte("X-Amz-Signature=def456"))
	for _, body := range [][]byte{report, redelivered, fixture(t, "status-update.json"), fixture(t, "status-update.json"), report} {
		if res := b.deliver(t, body, secret); res.status != 200 {
			t.Fatalf("%d %s", res.status, res.body)
		}
	}
	if n := count(t, db, "SELECT count(*) FROM call_logs WHERE org_id = $1", b.w.A.ID); n != len(b.w.A.Calls)+1 {
		t.Fatalf("%d call rows, want %d", n, len(b.w.A.Calls)+1)
	}
	c := b.call(t, db, b.w.A.ID)
	// A late in-progress neither moves the status back nor the start time.
	if c.Status != "ended" || !c.StartedAt.Equal(time.Date(2026, 1, 1, 0, 0, 5, 120e6, time.UTC)) {
		t.Fatalf("after out-of-order delivery: %+v", c)
	}
	if n := count(t, db, "SELECT count(*) FROM river_job WHERE kind = 'recording_download'"); n != 1 {
		t.Fatalf("%d download jobs, want 1", n)
	}
	if n := count(t, db, "SELECT count(*) FROM webhook_events"); n != 2 {
		t.Fatalf("%d events recorded, want 2", n)
	}
}

// Unverified requests get 4xx and store nothing.
func TestVapiWebhookRefusesUnverified(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secretA := voiceSetup(t, b, b.w.A, numberA)
	secretB := voiceSetup(t, b, b.w.B, numberB)
	db := b.owner(t)
	body := fixture(t, "status-update.json")
	forB := fixture(t, "end-of-call-report-2024.json") // on clinic B's number
	stale := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	sig := func(secret, ts string, b []byte) string { return hex.EncodeToString(vapi.Sign([]byte(secret), ts, b)) }
	unknown := bytes.ReplaceAll(body, []byte(numberA), []byte("+15125559999"))
	cases := []struct {
		name    string
		body    []byte
		headers []string
		status  int
	}{
		{"no credential", body, nil, 401},
		{"wrong secret", body, []string{"Authorization", "Bearer " + secretA + "x"}, 401},
		{"clinic B's secret on clinic A's number", body, []string{"Authorization", "Bearer " + secretB}, 401},
		{"clinic A's secret on clinic B's number", forB, []string{"Authorization", "Bearer " + secretA}, 401},
		{"unknown number", unknown, []string{"Authorization", "Bearer " + secretA}, 401},
		{"stale HMAC timestamp", body, []string{"X-Signature", sig(secretA, stale, body), "X-Timestamp", stale}, 401},
		{"HMAC over another body", body, []string{"X-Signature", sig(secretA, now, forB), "X-Timestamp", now}, 401},
		{"malformed JSON", []byte(`{"message":{"type":`), []string{"Authorization", "Bearer " + secretA}, 400},
		{"wrong field type", []byte(`{"message":{"type":"status-update","status":7,"phoneNumber":{"number":"` + numberA + `"}}}`), []string{"Authorization", "Bearer " + secretA}, 400},
		{"no message", []byte(`{"type":"status-update"}`), []string{"Authorization", "Bearer " + secretA}, 400},
		{"oversized", append(append([]byte(`{"message":{"type":"transcript","transcript":"`), bytes.Repeat([]byte("a"), 1<<20)...), []byte(`"}}`)...),
			[]string{"Authorization", "Bearer " + secretA}, 413},
		{"not JSON", []byte("type=status-update"), []string{"Authorization", "Bearer " + secretA, "Content-Type", "application/x-www-form-urlencoded"}, 415},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := b.request(t, http.MethodPost, "/api/webhooks/vapi", "", c.body, c.headers...)
			if res.status != c.status || !bytes.Contains(res.body, []byte(`"error"`)) {
				t.Fatalf("%d %s, want %d", res.status, res.body, c.status)
			}
		})
	}
	if n := count(t, db, "SELECT count(*) FROM webhook_events"); n != 0 {
		t.Fatalf("%d events stored from refused requests", n)
	}
	if n := count(t, db, "SELECT count(*) FROM call_logs WHERE provider_call_id IS NOT NULL AND provider_call_id NOT LIKE 'test-%'"); n != 0 {
		t.Fatalf("%d calls stored from refused requests", n)
	}
	// The right credentials in every accepted form.
	for _, h := range [][]string{
		{"Authorization", "Bearer " + secretA},
		{"X-Vapi-Secret", secretA},
		{"X-Signature", sig(secretA, now, body), "X-Timestamp", now},
	} {
		if res := b.request(t, http.MethodPost, "/api/webhooks/vapi", "", body, h...); res.status != 200 {
			t.Fatalf("%v: %d %s", h[0], res.status, res.body)
		}
	}
}

// A rotated secret keeps working for its grace period, and not after.
func TestVoiceSecretRotation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	old := voiceSetup(t, b, b.w.A, numberA)
	tok := b.token(t, b.w.A.Owner, frontdesk.OrgID{})
	res := b.request(t, http.MethodPost, "/api/voice/secret/rotate", tok, map[string]any{"grace_hours": 24})
	var rotated struct{ Secret string }
	res.json(t, &rotated)
	body := fixture(t, "status-update.json")
	for _, s := range []string{old, rotated.Secret} {
		if r := b.deliver(t, body, s); r.status != 200 {
			t.Fatalf("secret during grace: %d", r.status)
		}
	}
	res = b.request(t, http.MethodPost, "/api/voice/secret/rotate", tok, map[string]any{"grace_hours": 0})
	var latest struct{ Secret string }
	res.json(t, &latest)
	for _, s := range []string{old, rotated.Secret} {
		if r := b.deliver(t, body, s); r.status != 401 {
			t.Fatalf("secret after grace 0: %d", r.status)
		}
	}
	if r := b.deliver(t, body, latest.Secret); r.status != 200 {
		t.Fatalf("latest secret: %d", r.status)
	}
	// Stored encrypted: the secret's bytes are nowhere in the table.
	db := b.owner(t)
	if n := count(t, db, "SELECT count(*) FROM voice_secrets WHERE position($1::bytea in ciphertext) > 0", []byte(latest.Secret)); n != 0 {
		t.Fatal("a voice secret is stored in the clear")
	}
}

// Voice setup is for admins and owners; numbers and assistants belong to
// one clinic, and a clash names no one.
func TestVoiceSetupAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.w
	ownerA := b.token(t, w.A.Owner, frontdesk.OrgID{})
	staffA := b.token(t, w.A.Staff, frontdesk.OrgID{})
	ownerB := b.token(t, w.B.Owner, frontdesk.OrgID{})
	bothAsAdminOfB := b.token(t, w.Both, w.B.ID)
	bothAsStaffOfA := b.token(t, w.Both, w.A.ID)
	assistant := "3e4f5a6b-0000-4000-8000-000000000042"
	b.connectVapi(t, w.A, numberA, assistant)
	b.connectVapi(t, w.B, numberB)
	notInVapi := `{"error":{"code":"invalid","message":"number: is not in the clinic's Vapi organization (the one its API key belongs to)","field":"number"}}`

	for _, c := range []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"staff cannot register", http.MethodPost, "/api/voice/phone-numbers", staffA, map[string]string{"number": numberA}, 403},
		{"staff cannot rotate", http.MethodPost, "/api/voice/secret/rotate", staffA, nil, 403},
		{"staff cannot list", http.MethodGet, "/api/voice/phone-numbers", staffA, nil, 403},
		{"staff role of a two-clinic user", http.MethodPost, "/api/voice/assistants", bothAsStaffOfA, map[string]string{"assistant_id": assistant}, 403},
		{"owner registers", http.MethodPost, "/api/voice/phone-numbers", ownerA, map[string]string{"number": "(512) 555-0100"}, 201},
		{"owner registers an assistant", http.MethodPost, "/api/voice/assistants", ownerA, map[string]string{"assistant_id": assistant}, 201},
		{"same number again", http.MethodPost, "/api/voice/phone-numbers", ownerA, map[string]string{"number": numberA}, 409},
		// Another clinic's number is refused exactly like any number
		// outside the clinic's Vapi organization: it tells nothing.
		{"another clinic's number", http.MethodPost, "/api/voice/phone-numbers", ownerB, map[string]string{"number": numberA}, 422},
		{"a number in no one's Vapi", http.MethodPost, "/api/voice/phone-numbers", ownerB, map[string]string{"number": "+12125550177"}, 422},
		{"another clinic's assistant", http.MethodPost, "/api/voice/assistants", bothAsAdminOfB, map[string]string{"assistant_id": assistant}, 422},
		{"not a number", http.MethodPost, "/api/voice/phone-numbers", ownerB, map[string]string{"number": "call me"}, 422},
		{"not an assistant id", http.MethodPost, "/api/voice/assistants", ownerB, map[string]string{"assistant_id": "asst_1"}, 422},
		{"unknown field", http.MethodPost, "/api/voice/phone-numbers", ownerB, map[string]string{"phone": numberB}, 400},
		{"admin of B registers", http.MethodPost, "/api/voice/phone-numbers", bothAsAdminOfB, map[string]string{"number": numberB}, 201},
		{"B cannot delete A's number", http.MethodDelete, "/api/voice/phone-numbers/" + numberA, ownerB, nil, 404},
		{"bad grace", http.MethodPost, "/api/voice/secret/rotate", ownerB, map[string]any{"grace_hours": -1}, 422},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := b.request(t, c.method, c.path, c.token, c.body)
			if res.status != c.status {
				t.Fatalf("%d %s, want %d", res.status, res.body, c.status)
			}
			for _, s := range []string{w.A.ID.String(), w.A.Name} {
				if c.token != ownerA && bytes.Contains(res.body, []byte(s)) {
					t.Fatalf("response names clinic A: %s", res.body)
				}
			}
			if c.status == 422 && c.path == "/api/voice/phone-numbers" && strings.HasPrefix(c.body.(map[string]string)["number"], "+") &&
				strings.TrimSpace(string(res.body)) != notInVapi {
				t.Fatalf("refusal differs: %s", res.body)
			}
		})
	}
	var list struct {
		PhoneNumbers []struct{ Value string } `json:"phone_numbers"`
	}
	b.get(t, "/api/voice/phone-numbers", ownerB).json(t, &list)
	if len(list.PhoneNumbers) != 1 || list.PhoneNumbers[0].Value != numberB {
		t.Fatalf("clinic B's numbers: %+v", list)
	}
	if res := b.request(t, http.MethodDelete, "/api/voice/phone-numbers/"+numberA, ownerA, nil); res.status != 204 {
		t.Fatalf("owner deletes own number: %d %s", res.status, res.body)
	}
	// The secret is shown once, with what to paste into Vapi.
	res := b.request(t, http.MethodPost, "/api/voice/secret/rotate", ownerA, nil)
	if !strings.Contains(string(res.body), `"webhook_url":"https://frontdesk.test/api/webhooks/vapi"`) ||
		!strings.Contains(string(res.body), `"type":"hmac"`) {
		t.Fatalf("rotate response: %s", res.body)
	}
}

// A report without startedAt and endedAt (Vapi's 2024 shape) ends the call
// at the report's time, with its duration unknown (null), never negative.
func TestReportWithoutTimesEndsAtItsOwnTime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret := voiceSetup(t, b, b.w.B, "+442079460001")
	if res := b.deliver(t, fixture(t, "end-of-call-report-2024.json"), secret); res.status != 200 {
		t.Fatalf("report: %d %s", res.status, res.body)
	}
	tok := b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	var list struct {
		Calls []struct {
			Status          string
			EndedAt         *time.Time `json:"ended_at"`
			DurationSeconds *int32     `json:"duration_seconds"`
		}
	}
	b.get(t, "/api/calls-dashboard?call_type=all&from=2024-07-01&to=2024-07-31", tok).json(t, &list)
	if len(list.Calls) != 1 {
		t.Fatalf("calls: %+v", list)
	}
	c := list.Calls[0]
	if c.Status != "ended" || c.EndedAt == nil || !c.EndedAt.Equal(time.Date(2024, 7, 15, 18, 4, 11, 93e6, time.UTC)) || c.DurationSeconds != nil {
		t.Fatalf("call: %+v (ended %v)", c, c.EndedAt)
	}
}

// A clinic that redacts identifiers never stores a card or social
// security number said on a call; the call says how many were taken out.
// A clinic that does not keeps the words as said.
func TestReportsAreRedactedBeforeStorage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret := voiceSetup(t, b, b.w.A, numberA)
	owner := b.owner(t)
	report := func(id, words string) {
		t.Helper()
		body := bytes.ReplaceAll(fixture(t, "end-of-call-report.json"), []byte("I'd like a cleaning."), []byte(words))
		body = bytes.ReplaceAll(body, []byte("7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601"), []byte(id))
		if res := b.deliver(t, body, secret); res.status != 200 {
			t.Fatalf("report: %d %s", res.status, res.body)
		}
	}
	said := "My card is 4111 1111 1111 1111 and my social is 123-45-6789."
	report("kept-as-said", said)
	tok := b.token(t, b.w.A.Owner, frontdesk.OrgID{})
	if r := b.request(t, http.MethodPut, "/api/settings/retention", tok, map[string]any{"redact_identifiers": true}); r.status != 200 {
		t.Fatalf("retention: %d %s", r.status, r.body)
	}
	report("redacted", said)
	var transcript string
	var n int
	owner.QueryRow(context.Background(), "SELECT transcript, redactions FROM call_logs WHERE provider_call_id = 'redacted'").Scan(&transcript, &n)
	if strings.Contains(transcript, "4111") || strings.Contains(transcript, "6789") || n != 2 ||
		!strings.Contains(transcript, "My card is [card number] and my social is [SSN].") {
		t.Fatalf("redacted: %d %q", n, transcript)
	}
	owner.QueryRow(context.Background(), "SELECT transcript, redactions FROM call_logs WHERE provider_call_id = 'kept-as-said'").Scan(&transcript, &n)
	if !strings.Contains(transcript, said) || n != 0 {
		t.Fatalf("not redacted: %d %q", n, transcript)
	}
}
