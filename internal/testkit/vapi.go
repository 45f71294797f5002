package testkit

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// FakeVapi answers Vapi's REST API as Frontdesk calls it (GET
// /phone-number, GET /assistant/{id}) for the organizations whose private
// keys it was given: each key sees only its own numbers and assistants.
// Status, when set, is answered to every request instead; Delay slows
// every answer; During runs inside each request (to look at the database
// while Frontdesk waits).
type FakeVapi struct {
	*httptest.Server

	mu         sync.Mutex
	numbers    map[string][]string // key → E.164 numbers
	assistants map[string][]string // key → assistant ids
	Status     int
	Delay      time.Duration
	During     func()
	Requests   int
}

// NewFakeVapi starts a fake Vapi API.
func NewFakeVapi(t testing.TB) *FakeVapi {
	f := &FakeVapi{numbers: map[string][]string{}, assistants: map[string][]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// Own gives the organization of key these numbers and assistant ids.
func (f *FakeVapi) Own(key string, numbersOrAssistants ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.numbers[key]; !ok {
		f.numbers[key], f.assistants[key] = []string{}, []string{}
	}
	for _, v := range numbersOrAssistants {
		if strings.HasPrefix(v, "+") {
			f.numbers[key] = append(f.numbers[key], v)
		} else {
			f.assistants[key] = append(f.assistants[key], v)
		}
	}
}

// Set changes how the fake answers, safely while requests run.
func (f *FakeVapi) Set(status int, delay time.Duration, during func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Status, f.Delay, f.During = status, delay, during
}

func (f *FakeVapi) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.Requests++
	status, delay, during := f.Status, f.Delay, f.During
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	numbers, known := f.numbers[key]
	assistants := f.assistants[key]
	f.mu.Unlock()
	if during != nil {
		during()
	}
	select {
	case <-time.After(delay):
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case status != 0:
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"message":"fake failure"}`))
	case !known:
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.","error":"Unauthorized","statusCode":401}`))
	case r.Method == http.MethodGet && r.URL.Path == "/phone-number":
		out := []map[string]any{}
		for i, n := range numbers {
			out = append(out, map[string]any{"id": uuid.NewSHA1(uuid.NameSpaceURL, []byte(n)).String(), "number": n,
				"name": "Line " + string(rune('1'+i)), "provider": "twilio", "orgId": uuid.NewSHA1(uuid.NameSpaceURL, []byte(key)).String()})
		}
		_ = json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/assistant/"):
		id := strings.TrimPrefix(r.URL.Path, "/assistant/")
		if !slices.Contains(assistants, id) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Couldn't Get Assistant. Assistant Not Found","error":"Not Found","statusCode":404}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "name": "Receptionist"})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}
