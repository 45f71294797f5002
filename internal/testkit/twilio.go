package testkit

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"frontdesk/internal/providers/twilio"
)

// FakeTwilio answers twilio-go's Messages create and list calls for any
// account whose token is in Tokens, records what was sent (with when), and
// can drop the connection after accepting a message (a crash between
// Twilio accepting and Frontdesk recording). Sending to OptedOutNumber
// fails with Twilio's error 21610.
type FakeTwilio struct {
	*httptest.Server
	Tokens map[string]bool

	mu       sync.Mutex
	sent     []url.Values
	sentAt   []time.Time
	dropNext bool
}

// OptedOutNumber is the number FakeTwilio treats as having texted STOP.
const OptedOutNumber = "+15125550666"

// NewFakeTwilio starts a fake for these auth tokens.
func NewFakeTwilio(t testing.TB, tokens ...string) *FakeTwilio {
	f := &FakeTwilio{Tokens: map[string]bool{}}
	for _, tok := range tokens {
		f.Tokens[tok] = true
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *FakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, _ := r.BasicAuth()
	if !strings.HasSuffix(r.URL.Path, "/Accounts/"+user+"/Messages.json") || !f.Tokens[pass] {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"code":20003,"message":"Authenticate","status":401}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodGet { // list
		var msgs []map[string]any
		for i, m := range f.sent {
			if m.Get("To") == r.URL.Query().Get("To") {
				msgs = append(msgs, map[string]any{"sid": fmt.Sprintf("SM%032d", i+1), "status": "sent", "body": m.Get("Body"), "to": m.Get("To")})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"messages": msgs, "next_page_uri": nil})
		return
	}
	r.ParseForm()
	if r.PostForm.Get("To") == OptedOutNumber {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}`)
		return
	}
	f.sent = append(f.sent, r.PostForm)
	f.sentAt = append(f.sentAt, time.Now())
	if f.dropNext {
		f.dropNext = false
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	w.WriteHeader(201)
	json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032d", len(f.sent)), "status": "queued"})
}

// Messages returns what was sent, in order.
func (f *FakeTwilio) Messages() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.sent...)
}

// SentAt returns when each message arrived.
func (f *FakeTwilio) SentAt() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.sentAt...)
}

// DropNext makes the next accepted message's connection close unanswered.
func (f *FakeTwilio) DropNext() {
	f.mu.Lock()
	f.dropNext = true
	f.mu.Unlock()
}

// HTTPClient sends every request to the fake, as FRONTDESK_TWILIO_API_URL
// does in a deployment.
func (f *FakeTwilio) HTTPClient() *http.Client {
	c, err := twilio.HTTPClient(f.URL)
	if err != nil {
		panic(err)
	}
	return c
}

// TwilioSignature computes X-Twilio-Signature as Twilio does: HMAC-SHA1
// of the full URL followed by each parameter name and value, sorted.
func TwilioSignature(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fullURL
	for _, k := range keys {
		s += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
