package web_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"frontdesk"
)

// A clinic's Vapi API key proves which numbers are its own: without one
// nothing is registered (outside development), a refused key or a Vapi
// that does not answer changes nothing, a slow Vapi holds no database
// transaction, and the key is stored sealed and never shown.
func TestVapiAccountProvesNumbers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ownerA := b.token(t, b.w.A.Owner, frontdesk.OrgID{})
	ownerB := b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	key := "vapi-private-key-of-a-0123"
	b.vapi.Own(key, numberA, "+12125550101")
	b.vapi.Own("vapi-private-key-of-b", numberB)

	if r := b.get(t, "/api/integrations/vapi", ownerA); r.status != 200 || !strings.Contains(string(r.body), `"configured":false,"proof_required":true`) {
		t.Fatalf("no account yet: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPost, "/api/voice/phone-numbers", ownerA, map[string]string{"number": numberA}); r.status != 409 ||
		!strings.Contains(string(r.body), "connect the clinic's Vapi account first") {
		t.Fatalf("register without a key: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPut, "/api/integrations/vapi", ownerA, map[string]string{"api_key": "not-a-key-vapi-knows"}); r.status != 422 ||
		!strings.Contains(string(r.body), `"field":"api_key"`) {
		t.Fatalf("a refused key: %d %s", r.status, r.body)
	}

	// Vapi failing or slow: 502, nothing stored, no transaction held open
	// while Frontdesk waits.
	b.vapi.Set(http.StatusServiceUnavailable, 0, nil)
	if r := b.request(t, http.MethodPut, "/api/integrations/vapi", ownerA, map[string]string{"api_key": key}); r.status != 502 {
		t.Fatalf("Vapi down: %d %s", r.status, r.body)
	}
	owner := b.owner(t)
	var held atomic.Int32
	held.Store(-1) // until Vapi is called
	b.vapi.Set(0, 6*time.Second, func() {
		var n int32
		_ = owner.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&n)
		held.Store(n)
	})
	start := time.Now()
	if r := b.request(t, http.MethodPut, "/api/integrations/vapi", ownerA, map[string]string{"api_key": key}); r.status != 502 || time.Since(start) > 5500*time.Millisecond {
		t.Fatalf("Vapi slow: %d after %s %s", r.status, time.Since(start), r.body)
	}
	if held.Load() != 0 {
		t.Fatalf("%d transactions held open while waiting for Vapi (-1: Vapi never called)", held.Load())
	}
	if n := count(t, owner, "SELECT count(*) FROM vapi_accounts"); n != 0 {
		t.Fatalf("%d accounts stored after Vapi failed", n)
	}
	b.vapi.Set(0, 0, nil)

	// A good key: stored sealed, shown by its last four characters only.
	r := b.request(t, http.MethodPut, "/api/integrations/vapi", ownerA, map[string]string{"api_key": key})
	if r.status != 200 || !strings.Contains(string(r.body), `"configured":true,"key_hint":"0123"`) || bytes.Contains(r.body, []byte(key)) {
		t.Fatalf("connect: %d %s", r.status, r.body)
	}
	if r := b.get(t, "/api/integrations/vapi", ownerA); bytes.Contains(r.body, []byte(key)) {
		t.Fatalf("the key is shown: %s", r.body)
	}
	if n := count(t, owner, "SELECT count(*) FROM vapi_accounts WHERE position($1::bytea in api_key) > 0", []byte(key)); n != 0 {
		t.Fatal("the Vapi key is stored in the clear")
	}
	if r := b.get(t, "/api/integrations/vapi", ownerB); !strings.Contains(string(r.body), `"configured":false`) {
		t.Fatalf("clinic B sees clinic A's account: %s", r.body)
	}

	// The clinic's own Vapi numbers, to pick from; registering one marks it.
	list := func(tok string) string { return string(b.get(t, "/api/voice/vapi-numbers", tok).body) }
	if l := list(ownerA); !strings.Contains(l, `"number":"+15125550100","name":"Line 1","registered":false`) || !strings.Contains(l, "+12125550101") {
		t.Fatalf("clinic A's Vapi numbers: %s", l)
	}
	if r := b.request(t, http.MethodPost, "/api/voice/phone-numbers", ownerA, map[string]string{"number": "(512) 555-0100"}); r.status != 201 {
		t.Fatalf("register an owned number: %d %s", r.status, r.body)
	}
	if l := list(ownerA); !strings.Contains(l, `"number":"+15125550100","name":"Line 1","registered":true`) {
		t.Fatalf("after registering: %s", l)
	}
	if r := b.get(t, "/api/voice/vapi-numbers", ownerB); r.status != 409 {
		t.Fatalf("clinic B without a key lists numbers: %d %s", r.status, r.body)
	}
	b.connectVapi(t, b.w.B, numberB)
	if l := list(ownerB); strings.Contains(l, numberA) || !strings.Contains(l, numberB) {
		t.Fatalf("clinic B's Vapi numbers: %s", l)
	}

	if r := b.request(t, http.MethodDelete, "/api/integrations/vapi", ownerA, nil); r.status != 204 {
		t.Fatalf("disconnect: %d", r.status)
	}
	if r := b.request(t, http.MethodDelete, "/api/integrations/vapi", ownerA, nil); r.status != 404 {
		t.Fatalf("disconnect twice: %d", r.status)
	}
}

// In development (no proof required), numbers register without a key, and
// one another clinic holds is a 409 that names no one.
func TestVapiProofOptionalInDevelopment(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.cfg.VapiProofOptional = true
	b.serve(t)
	ownerA, ownerB := b.token(t, b.w.A.Owner, frontdesk.OrgID{}), b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	if r := b.get(t, "/api/integrations/vapi", ownerA); !strings.Contains(string(r.body), `"proof_required":false`) {
		t.Fatalf("account: %s", r.body)
	}
	if r := b.request(t, http.MethodPost, "/api/voice/phone-numbers", ownerA, map[string]string{"number": numberA}); r.status != 201 {
		t.Fatalf("register in development: %d %s", r.status, r.body)
	}
	r := b.request(t, http.MethodPost, "/api/voice/phone-numbers", ownerB, map[string]string{"number": numberA})
	if r.status != 409 || bytes.Contains(r.body, []byte(b.w.A.Name)) {
		t.Fatalf("another clinic's number: %d %s", r.status, r.body)
	}
}
