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
	// Calls are the calls placed (POST /call), in order. CallStatus, when
	// set, answers POST /call instead (with CallRetryAfter on a 429);
	// CallDelay slows its answer after the call is made (a client that
	// gives up first still leaves the call made, as a crash would).
	Calls          []PlacedCall
	CallStatus     int
	CallRetryAfter string
	CallDelay      time.Duration
	// Clock dates the calls (nil: the real time), for tests that move it.
	Clock func() time.Time
}

// PlacedCall is one call the fake was asked to place.
type PlacedCall struct {
	ID, Name, PhoneNumberID, AssistantID, Number string
	Assistant                                    json.RawMessage // a transient assistant, when given
	At                                           time.Time
}

// SetCalls changes how POST /call answers.
func (f *FakeVapi) SetCalls(status int, retryAfter string, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.CallStatus, f.CallRetryAfter, f.CallDelay = status, retryAfter, delay
}

// SetClock dates the calls from now on by clock.
func (f *FakeVapi) SetClock(clock func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Clock = clock
}

// Placed is a copy of the calls placed so far.
func (f *FakeVapi) Placed() []PlacedCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.Calls)
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
	case r.Method == http.MethodPost && r.URL.Path == "/call":
		f.placeCall(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/call":
		since, _ := time.Parse(time.RFC3339, r.URL.Query().Get("createdAtGe"))
		out := []map[string]any{}
		f.mu.Lock()
		for _, c := range f.Calls {
			if c.PhoneNumberID == r.URL.Query().Get("phoneNumberId") && !c.At.Before(since) {
				out = append(out, map[string]any{"id": c.ID, "name": c.Name, "status": "queued", "phoneNumberId": c.PhoneNumberID,
					"createdAt": c.At.Format(time.RFC3339Nano)})
			}
		}
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(out)
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

// placeCall answers POST /call as Vapi does: 201 with the call, 400 for
// a body it does not take, or what SetCalls asked for.
func (f *FakeVapi) placeCall(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name          string          `json:"name"`
		PhoneNumberID string          `json:"phoneNumberId"`
		AssistantID   string          `json:"assistantId"`
		Assistant     json.RawMessage `json:"assistant"`
		Customer      struct {
			Number string `json:"number"`
			Name   string `json:"name"`
		} `json:"customer"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.PhoneNumberID == "" || !strings.HasPrefix(in.Customer.Number, "+") || len(in.Name) > 40 ||
		(in.AssistantID == "") == (len(in.Assistant) == 0) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":["customer.number must be a valid phone number in the E.164 format"],"error":"Bad Request","statusCode":400}`))
		return
	}
	f.mu.Lock()
	status, retry, delay := f.CallStatus, f.CallRetryAfter, f.CallDelay
	if status != 0 {
		f.mu.Unlock()
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"message":"fake call failure","statusCode":` + http.StatusText(status) + `}`))
		return
	}
	at := time.Now()
	if f.Clock != nil {
		at = f.Clock()
	}
	c := PlacedCall{ID: uuid.NewString(), Name: in.Name, PhoneNumberID: in.PhoneNumberID, AssistantID: in.AssistantID,
		Assistant: in.Assistant, Number: in.Customer.Number, At: at}
	f.Calls = append(f.Calls, c)
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": c.ID, "name": c.Name, "status": "queued", "type": "outboundPhoneCall",
		"phoneNumberId": c.PhoneNumberID, "assistantId": c.AssistantID, "customer": map[string]any{"number": c.Number},
		"createdAt": c.At.Format(time.RFC3339Nano)})
}
