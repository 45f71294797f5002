package vapi_test

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"frontdesk/internal/providers/vapi"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeFixtures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, typ, call, status, clinic, customer, recording, direction, key string
		at                                                                   time.Time
	}{
		{"status-update.json", "status-update", "7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601", "in-progress", "+15125550100",
			"+15125550123", "", "inbound", "7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601:status-update:in-progress",
			time.UnixMilli(1767225600123)},
		// The combined mono recording wins over the deprecated fields.
		{"end-of-call-report.json", "end-of-call-report", "7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601", "", "+15125550100",
			"+15125550123", "https://storage.vapi.ai/7d1f3c2a-mono.wav", "inbound",
			"7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601:end-of-call-report", time.UnixMilli(1767225781456)},
		// 2024: ISO timestamp, legacy top-level fields, outbound.
		{"end-of-call-report-2024.json", "end-of-call-report", "0b9e8d7c-2222-4333-8444-555566667777", "", "+442079460001",
			"+447700900123", "https://auth.vapi.ai/storage/v1/object/public/recordings/0b9e-mono.wav", "outbound",
			"0b9e8d7c-2222-4333-8444-555566667777:end-of-call-report", time.Date(2024, 7, 15, 18, 4, 11, 93_000_000, time.UTC)},
		{"hang.json", "hang", "7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601", "", "+15125550100", "+15125550123", "", "inbound",
			"7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601:hang:1767225650000", time.UnixMilli(1767225650000)},
		{"transcript.json", "transcript", "7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601", "", "+15125550100", "", "", "inbound",
			"7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601:transcript", time.UnixMilli(1767225611000)},
		{"assistant-request.json", "assistant-request", "7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601", "", "+15125550100",
			"+15125550123", "", "inbound", "7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601:assistant-request", time.UnixMilli(1767225599000)},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			m, err := vapi.Decode(fixture(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			got := []string{m.Type, m.Call.ID, m.Status, m.ClinicNumber(), m.CustomerNumber(), m.RecordingURL(), m.Direction(), m.EventKey()}
			want := []string{c.typ, c.call, c.status, c.clinic, c.customer, c.recording, c.direction, c.key}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("field %d: got %q, want %q", i, got[i], want[i])
				}
			}
			if !m.Timestamp.Equal(c.at) {
				t.Errorf("timestamp %s, want %s", m.Timestamp.Time, c.at)
			}
		})
	}
	m, _ := vapi.Decode(fixture(t, "end-of-call-report.json"))
	if m.SummaryText() != "Caller booked a cleaning on Jan 9 at 10:00." || !strings.HasPrefix(m.TranscriptText(), "AI: Thanks") ||
		*m.Cost != 0.0731 || m.EndedReason != "customer-ended-call" || m.EndedAt.Sub(*m.StartedAt) != 173784*time.Millisecond ||
		m.AssistantID() != "3e4f5a6b-0000-4000-8000-000000000042" {
		t.Errorf("end-of-call-report fields: %+v", m)
	}
	m, _ = vapi.Decode(fixture(t, "end-of-call-report-2024.json"))
	if m.SummaryText() != "Caller asked whether knee injuries are treated." || !strings.HasPrefix(m.TranscriptText(), "AI: Hello") {
		t.Errorf("legacy fields: summary %q transcript %q", m.SummaryText(), m.TranscriptText())
	}
}

func TestDecodeRefusesBadBodies(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"not JSON":          `{"message":`,
		"no message":        `{"type":"status-update"}`,
		"no type":           `{"message":{"call":{"id":"x"}}}`,
		"call is a string":  `{"message":{"type":"status-update","call":"x"}}`,
		"cost is a string":  `{"message":{"type":"end-of-call-report","cost":"free","call":{"id":"x"}}}`,
		"timestamp is bool": `{"message":{"type":"hang","timestamp":true,"call":{"id":"x"}}}`,
		"bad ISO timestamp": `{"message":{"type":"hang","timestamp":"yesterday","call":{"id":"x"}}}`,
		"startedAt garbage": `{"message":{"type":"end-of-call-report","startedAt":"soon","call":{"id":"x"}}}`,
		"array":             `[1,2,3]`,
	} {
		if _, err := vapi.Decode([]byte(body)); err == nil {
			t.Errorf("%s: accepted %s", name, body)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := fixture(t, "status-update.json")
	current, previous := []byte("current-secret"), []byte("previous-secret")
	secrets := [][]byte{current, previous}
	now := time.Unix(1767225600, 0)
	sign := func(secret []byte, ts string, b []byte) http.Header {
		return http.Header{"X-Signature": {hex.EncodeToString(vapi.Sign(secret, ts, b))}, "X-Timestamp": {ts}}
	}
	sec := strconv.FormatInt(now.Unix(), 10)
	cases := []struct {
		name string
		h    http.Header
		body []byte
		ok   bool
	}{
		{"bearer", http.Header{"Authorization": {"Bearer current-secret"}}, body, true},
		{"bearer, rotated-out secret in its grace period", http.Header{"Authorization": {"Bearer previous-secret"}}, body, true},
		{"legacy X-Vapi-Secret", http.Header{"X-Vapi-Secret": {"current-secret"}}, body, true},
		{"hmac, seconds", sign(current, sec, body), body, true},
		{"hmac, milliseconds", sign(current, strconv.FormatInt(now.UnixMilli(), 10), body), body, true},
		{"no credential", http.Header{}, body, false},
		{"wrong bearer", http.Header{"Authorization": {"Bearer current-secreT"}}, body, false},
		{"bearer prefix only", http.Header{"Authorization": {"Bearer "}}, body, false},
		{"basic auth", http.Header{"Authorization": {"Basic Y3VycmVudC1zZWNyZXQ="}}, body, false},
		{"wrong X-Vapi-Secret", http.Header{"X-Vapi-Secret": {"guess"}}, body, false},
		{"hmac with another key", sign([]byte("other"), sec, body), body, false},
		{"hmac, body changed", sign(current, sec, body), append([]byte(" "), body...), false},
		{"hmac, stale timestamp (replay)", sign(current, strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10), body), body, false},
		{"hmac, future timestamp", sign(current, strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10), body), body, false},
		{"hmac, no timestamp", http.Header{"X-Signature": {"00"}}, body, false},
		{"hmac, not hex", http.Header{"X-Signature": {"zz"}, "X-Timestamp": {sec}}, body, false},
		// A valid bearer does not rescue a bad signature: the signature is checked when present.
		{"bad hmac plus good bearer", func() http.Header {
			h := sign([]byte("other"), sec, body)
			h.Set("Authorization", "Bearer current-secret")
			return h
		}(), body, false},
	}
	for _, c := range cases {
		err := vapi.Verify(c.h, c.body, secrets, now)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.name, err, c.ok)
		}
	}
	if err := vapi.Verify(http.Header{"Authorization": {"Bearer current-secret"}}, body, nil, now); err == nil {
		t.Error("verified against a clinic with no secret")
	}
}

// FuzzDecode: any body is a message or an error; never a panic.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"status-update.json", "end-of-call-report.json", "end-of-call-report-2024.json", "hang.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"message":{"type":"hang","timestamp":1e400}}`))
	f.Add([]byte(`{"message":{"type":"x","call":{"assistantId":null,"customer":null}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := vapi.Decode(body)
		if err != nil {
			return
		}
		if m.Type == "" {
			t.Fatal("decoded a message without a type")
		}
		_ = m.EventKey() + m.RecordingURL() + m.CustomerNumber() + m.ClinicNumber() + m.Direction() + m.AssistantID()
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }
