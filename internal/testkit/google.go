package testkit

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// FakeGoogle plays Google's OAuth token and revoke endpoints and the
// Calendar API's events and freeBusy, as golang.org/x/oauth2 and
// google.golang.org/api/calendar/v3 call them.
type FakeGoogle struct {
	*httptest.Server

	mu         sync.Mutex
	challenges map[string]string // code → PKCE challenge
	events     map[string]map[string]any
	created    map[string]time.Time
	deleted    map[string]bool
	revoked    map[string]bool
	// Busy is what freeBusy reports for every calendar; BusyDelay slows it.
	Busy      [][2]time.Time
	BusyDelay time.Duration
	// RefreshFails makes refreshing a token answer invalid_grant.
	RefreshFails bool
	Inserts      int
	// Account is the Google account the next approval signs in as.
	Account  string
	accounts map[string]string // access token → account
}

// NewFakeGoogle starts the fake.
func NewFakeGoogle(t testing.TB) *FakeGoogle {
	f := &FakeGoogle{challenges: map[string]string{}, events: map[string]map[string]any{}, created: map[string]time.Time{},
		deleted: map[string]bool{}, revoked: map[string]bool{}, Account: "drs.calendar@example.com", accounts: map[string]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// Approve is the user consenting: it returns the code Google would put on
// the redirect for an authorize URL's PKCE challenge.
func (f *FakeGoogle) Approve(challenge string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := fmt.Sprintf("code-%d", len(f.challenges)+1)
	f.challenges[code] = challenge
	return code
}

// Event returns a stored event, or nil.
func (f *FakeGoogle) Event(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events[id]
}

// CreatedAt is when the event with id was first inserted.
func (f *FakeGoogle) CreatedAt(id string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.created[id]
	return t, ok
}

// Revoked reports whether token was revoked.
func (f *FakeGoogle) Revoked(token string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revoked[token]
}

func gerr(w http.ResponseWriter, code int, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"error":{"code":%d,"message":"%s","errors":[{"domain":"global","reason":"%s"}]}}`, code, reason, reason)
}

func (f *FakeGoogle) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/token":
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch r.PostForm.Get("grant_type") {
		case "authorization_code":
			challenge, ok := f.challenges[r.PostForm.Get("code")]
			sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
			if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge || r.PostForm.Get("client_secret") == "" {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Bad code or verifier."}`)
				return
			}
			delete(f.challenges, r.PostForm.Get("code"))
			access := "access-" + r.PostForm.Get("code")
			f.accounts[access] = f.Account
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":3599,"refresh_token":"refresh-1","token_type":"Bearer",
				"scope":"https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.freebusy"}`, access)
		case "refresh_token":
			if f.RefreshFails || f.revoked[r.PostForm.Get("refresh_token")] {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`)
				return
			}
			fmt.Fprint(w, `{"access_token":"access-2","expires_in":3599,"token_type":"Bearer"}`)
		}
	case r.URL.Path == "/revoke":
		r.ParseForm()
		f.revoked[r.PostForm.Get("token")] = true
	case r.URL.Path == "/calendar/v3/freeBusy":
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer access-") {
			gerr(w, 401, "authError")
			return
		}
		var req struct{ Items []struct{ ID string } }
		json.NewDecoder(r.Body).Decode(&req)
		delay := f.BusyDelay
		f.mu.Unlock()
		time.Sleep(delay)
		f.mu.Lock()
		cals := map[string]any{}
		for _, it := range req.Items {
			var busy []map[string]string
			for _, b := range f.Busy {
				busy = append(busy, map[string]string{"start": b[0].UTC().Format(time.RFC3339), "end": b[1].UTC().Format(time.RFC3339)})
			}
			cals[it.ID] = map[string]any{"busy": busy}
		}
		json.NewEncoder(w).Encode(map[string]any{"kind": "calendar#freeBusy", "calendars": cals})
	case r.URL.Path == "/calendar/v3/calendars/primary":
		account, ok := f.accounts[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		if !ok {
			gerr(w, 401, "authError")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"kind": "calendar#calendar", "id": account, "summary": account})
	case strings.HasPrefix(r.URL.Path, "/calendar/v3/calendars/"):
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer access-") {
			gerr(w, 401, "authError")
			return
		}
		rest := strings.TrimPrefix(r.URL.Path, "/calendar/v3/calendars/")
		_, id, _ := strings.Cut(strings.TrimPrefix(rest[strings.Index(rest, "/"):], "/"), "/")
		var ev map[string]any
		if r.Method == http.MethodPost || r.Method == http.MethodPatch {
			json.NewDecoder(r.Body).Decode(&ev)
		}
		switch r.Method {
		case http.MethodPost:
			id, _ := ev["id"].(string)
			if _, exists := f.events[id]; exists || f.deleted[id] {
				gerr(w, 409, "duplicate")
				return
			}
			f.Inserts++
			f.events[id] = ev
			f.created[id] = time.Now()
			json.NewEncoder(w).Encode(ev)
		case http.MethodPatch:
			old, ok := f.events[id]
			if !ok {
				gerr(w, 404, "notFound")
				return
			}
			for k, v := range ev {
				old[k] = v
			}
			json.NewEncoder(w).Encode(old)
		case http.MethodDelete:
			if f.deleted[id] {
				gerr(w, 410, "deleted")
				return
			}
			if _, ok := f.events[id]; !ok {
				gerr(w, 404, "notFound")
				return
			}
			delete(f.events, id)
			f.deleted[id] = true
			w.WriteHeader(204)
		}
	default:
		http.NotFound(w, r)
	}
}
