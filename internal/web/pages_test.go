package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/testkit"
)

// browserLike is a signed-in dashboard visitor: a cookie jar, and the
// form token of its session.
type browserLike struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInPage signs u in through the sign-in form and, for a user of
// several clinics, chooses org.
func (b *bundle) signInPage(t *testing.T, u testkit.User, org frontdesk.OrgID) *browserLike {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	v := &browserLike{t: t, base: b.srv.URL, client: &http.Client{Jar: jar}}
	res := v.post("/login", url.Values{"email": {u.Email}, "password": {testkit.Password}})
	if res.status != 200 {
		t.Fatalf("sign in %s: %d %s", u.Email, res.status, res.body)
	}
	if strings.Contains(res.url, "/clinics") {
		if res = v.post("/clinics", url.Values{"org": {org.String()}}); !strings.HasSuffix(res.url, "/calls") {
			t.Fatalf("choose %s: %d %s", org, res.status, res.body)
		}
	}
	base, _ := url.Parse(b.srv.URL)
	for _, c := range jar.Cookies(base) {
		testkit.Sensitive(c.Value) // the session
	}
	testkit.Sensitive(v.csrf)
	return v
}

type pageResponse struct {
	status int
	body   []byte
	url    string
}

func (v *browserLike) do(req *http.Request) pageResponse {
	v.t.Helper()
	res, err := v.client.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfField.FindSubmatch(body); m != nil {
		v.csrf = string(m[1])
	}
	if res.StatusCode >= 500 {
		v.t.Errorf("%s %s: %d", req.Method, req.URL.Path, res.StatusCode)
	}
	return pageResponse{res.StatusCode, body, res.Request.URL.String()}
}

func (v *browserLike) get(path string) pageResponse {
	req, _ := http.NewRequest(http.MethodGet, v.base+path, nil)
	return v.do(req)
}

// post sends a form as the browser would from this site, with the
// session's token unless form has its own.
func (v *browserLike) post(path string, form url.Values, headers ...string) pageResponse {
	if !form.Has("csrf") && v.csrf != "" {
		form.Set("csrf", v.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, v.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", v.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return v.do(req)
}

// Every page as every user of two clinics: the acting clinic's data, no
// byte of the other's; another clinic's call by URL is the same 404 page
// as a missing one, and audited.
func TestEveryPageAsEveryUserLeaksNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.w
	for _, a := range []struct {
		name       string
		user       testkit.User
		own, other testkit.Clinic
	}{
		{"A owner", w.A.Owner, w.A, w.B}, {"A staff", w.A.Staff, w.A, w.B}, {"B owner", w.B.Owner, w.B, w.A},
		{"B staff", w.B.Staff, w.B, w.A}, {"both, acting for A", w.Both, w.A, w.B}, {"both, acting for B", w.Both, w.B, w.A},
	} {
		t.Run(a.name, func(t *testing.T) {
			v := b.signInPage(t, a.user, a.own.ID)
			paths := []string{"/calls", "/calls?call_type=all&limit=100", "/calls?status=ended&call_type=all",
				"/calls?q=" + url.QueryEscape(a.other.Calls[0].FromNumber) + "&call_type=all", "/settings/receptionist", "/password", "/clinics", "/messages", "/messages?show=done", "/integrations", "/team", "/settings/hours", "/settings/clinic", "/calendar", "/insights", "/insights?from=2020-01-01&to=2030-01-01",
				"/patients?phone=" + url.QueryEscape(a.other.Calls[0].FromNumber), "/patients?phone=" + url.QueryEscape(a.own.Calls[0].FromNumber)}
			for _, c := range a.own.Calls {
				paths = append(paths, "/calls/"+c.ID.String())
			}
			for _, c := range a.other.Calls {
				paths = append(paths, "/calls/"+c.ID.String(), "/calls/"+c.ID.String()+"/recording")
			}
			for _, p := range paths {
				res := v.get(p)
				for _, s := range clinicData(a.other) {
					if a.user == w.Both && (s == a.other.Name || s == a.other.ID.String()) {
						continue // the switcher rightly names both of Both's clinics
					}
					if bytes.Contains(res.body, []byte(s)) {
						t.Errorf("GET %s: the other clinic's %q", p, s)
					}
				}
			}
			all := v.get("/calls?call_type=all&limit=100")
			for _, c := range a.own.Calls {
				if !bytes.Contains(all.body, []byte(c.ID.String())) {
					t.Errorf("own call %s missing from the list", c.ID)
				}
			}
			foreign := v.get("/calls/" + a.other.Calls[0].ID.String())
			missing := v.get("/calls/" + frontdesk.NewCallID().String())
			if foreign.status != 404 || missing.status != 404 || !bytes.Equal(foreign.body, missing.body) {
				t.Errorf("another clinic's call: %d, a missing one: %d; bodies equal: %v", foreign.status, missing.status, bytes.Equal(foreign.body, missing.body))
			}
		})
	}
	events, err := b.db.Admin.ListAuditEvents(context.Background(), db.ListAuditEventsParams{RowLimit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	foreignReads := 0
	for _, e := range events {
		if e.CrossTenant && e.ResourceType == "call" {
			foreignReads++
		}
	}
	if foreignReads < 6 {
		t.Errorf("%d audited reads of another clinic's call, want one per visitor at least", foreignReads)
	}
	// Each clinic's owner sees its own people's misses, not the other's.
	for _, c := range []struct{ own, other testkit.Clinic }{{w.A, w.B}, {w.B, w.A}} {
		page := b.signInPage(t, c.own.Owner, c.own.ID).get("/audit")
		if page.status != 200 || !bytes.Contains(page.body, []byte(c.own.Staff.Email)) || bytes.Contains(page.body, []byte(c.other.Staff.Email)) ||
			!bytes.Contains(page.body, []byte("sign in: user "+c.own.Staff.ID.String())) {
			t.Errorf("%s's audit page: %d", c.own.Name, page.status)
		}
	}
	if res := b.signInPage(t, w.A.Staff, w.A.ID).get("/audit"); res.status != 403 {
		t.Errorf("staff open the audit page: %d", res.status)
	}
}

// Forms: a cross-origin post and a post without the session's token are
// refused (4xx, no redirect) and change nothing; a role below the page's
// is refused before the form is read; the session is no API token and a
// token opens no page.
func TestFormsAreRefusedWithoutTheirToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.signInPage(t, b.w.A.Owner, b.w.A.ID)
	staff := b.signInPage(t, b.w.A.Staff, b.w.A.ID)
	admin.get("/settings/receptionist")
	form := url.Values{"assistant_name": {"Mallory"}, "greeting": {"Hi"}, "languages": {"en"}, "voice_provider": {"11labs"},
		"voice_id": {"sarah"}, "model_provider": {"openai"}, "model": {"gpt-4.1"}, "tone": {"warm"}, "max_call_minutes": {"10"}}
	name := func() string {
		var out struct {
			AssistantName string `json:"assistant_name"`
		}
		b.get(t, "/api/voice/receptionist", b.token(t, b.w.A.Owner, frontdesk.OrgID{})).json(t, &out)
		return out.AssistantName
	}
	for _, c := range []struct {
		name    string
		v       *browserLike
		form    url.Values
		headers []string
		status  int
	}{
		{"cross-origin", admin, form, []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, 403},
		{"no token", admin, url.Values{"csrf": {""}, "assistant_name": {"Mallory"}}, nil, 403},
		{"another session's token", admin, url.Values{"csrf": {staff.csrf}, "assistant_name": {"Mallory"}}, nil, 403},
		{"staff", staff, form, nil, 403},
	} {
		res := c.v.post("/settings/receptionist", c.form, c.headers...)
		if res.status != c.status || strings.Contains(res.url, "/login") {
			t.Errorf("%s: %d at %s", c.name, res.status, res.url)
		}
	}
	if n := name(); n == "Mallory" {
		t.Fatal("a refused form changed the profile")
	}
	if res := admin.post("/settings/receptionist", form); res.status != 200 || !strings.Contains(res.url, "saved") || name() != "Mallory" {
		t.Fatalf("a proper form: %d %s", res.status, res.url)
	}

	// Signed out, a form is a 401, not a redirect.
	anon := &browserLike{t: t, base: b.srv.URL, client: &http.Client{}}
	if res := anon.post("/logout", url.Values{}); res.status != 401 {
		t.Errorf("signed-out post: %d at %s", res.status, res.url)
	}
	// The session cookie is no API token; a token opens no page.
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/api/calls-dashboard", nil)
	if res := admin.do(req); res.status != 401 {
		t.Errorf("the API with a session cookie: %d", res.status)
	}
	req, _ = http.NewRequest(http.MethodGet, b.srv.URL+"/calls", nil)
	req.Header.Set("Authorization", "Bearer "+b.token(t, b.w.A.Owner, frontdesk.OrgID{}))
	if res := anon.do(req); !strings.Contains(res.url, "/login") {
		t.Errorf("a page with a bearer token: %d at %s", res.status, res.url)
	}
	// Sign out ends the session for good: its cookie, replayed, opens nothing.
	cookies := admin.client.Jar.Cookies(req.URL)
	admin.post("/logout", url.Values{})
	replay := &browserLike{t: t, base: b.srv.URL, client: &http.Client{}}
	req, _ = http.NewRequest(http.MethodGet, b.srv.URL+"/calls", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	if res := replay.do(req); !strings.Contains(res.url, "/login") {
		t.Errorf("a signed-out session's cookie replayed: %d at %s", res.status, res.url)
	}
}

// The team page: an owner adds a person, who signs in with the one-time
// password shown once and chooses their own; roles change; another
// clinic's member is the 404 page; staff cannot open it.
func TestTeamPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.signInPage(t, b.w.A.Owner, b.w.A.ID)
	owner.get("/team")
	res := owner.post("/team", url.Values{"email": {"not an email"}, "role": {"staff"}})
	if res.status != 422 || !bytes.Contains(res.body, []byte(`id="email-error"`)) || !bytes.Contains(res.body, []byte(`value="not an email"`)) {
		t.Fatalf("a bad email: %d", res.status)
	}
	res = owner.post("/team", url.Values{"email": {"new.hire@alpha.test"}, "name": {"New Hire"}, "role": {"staff"}})
	m := regexp.MustCompile(`id="one-time" readonly value="([^"]+)"`).FindSubmatch(res.body)
	if res.status != 200 || m == nil {
		t.Fatalf("add: %d %s", res.status, res.body)
	}
	if again := owner.get("/team"); bytes.Contains(again.body, m[1]) {
		t.Fatal("the one-time password is shown twice")
	}
	// The new person signs in: first their own password, then the calls.
	jar, _ := cookiejar.New(nil)
	hire := &browserLike{t: t, base: b.srv.URL, client: &http.Client{Jar: jar}}
	first := hire.post("/login", url.Values{"email": {"new.hire@alpha.test"}, "password": {string(m[1])}})
	if !bytes.Contains(first.body, []byte(`id="new_password"`)) {
		t.Fatalf("first sign-in asks for no new password: %d", first.status)
	}
	done := hire.post("/login", url.Values{"email": {"new.hire@alpha.test"}, "password": {string(m[1])}, "new_password": {"a fresh passphrase"}})
	if !strings.HasSuffix(done.url, "/calls") || !bytes.Contains(done.body, []byte(b.w.A.Name)) {
		t.Fatalf("after choosing a password: %s", done.url)
	}
	// Another clinic's member, by URL, is the 404 page; staff see no team.
	both := b.signInPage(t, b.w.Both, b.w.B.ID)
	both.get("/team")
	if res := both.post("/team/"+b.w.A.Staff.ID.String()+"/role", url.Values{"role": {"admin"}}); res.status != 404 {
		t.Errorf("B's admin changes A's staff: %d", res.status)
	}
	staff := b.signInPage(t, b.w.A.Staff, b.w.A.ID)
	if res := staff.get("/team"); res.status != 403 {
		t.Errorf("staff opens the team page: %d", res.status)
	}
	if bytes.Contains(staff.get("/calls").body, []byte(`href="/team"`)) {
		t.Error("staff are shown the team link")
	}
}

// The live stream resumes from the last event it gave: calls that changed
// while the page was away come first, and only the clinic's own.
func TestLiveCallsResumeLosingNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secretA := voiceSetup(t, b, b.w.A, numberA)
	secretB := voiceSetup(t, b, b.w.B, "+442079460001")
	v := b.signInPage(t, b.w.A.Staff, b.w.A.ID)
	before := time.Now().Add(-time.Second)
	status := func(secret, number, call string) {
		m, _ := json.Marshal(map[string]any{"message": map[string]any{"type": "status-update", "status": "ringing", "timestamp": time.Now().UnixMilli(),
			"call": map[string]any{"id": call, "type": "inboundPhoneCall"}, "phoneNumber": map[string]any{"number": number},
			"customer": map[string]any{"number": "+15125550177"}}})
		if r := b.deliver(t, m, secret); r.status != 200 {
			t.Fatalf("status-update: %d", r.status)
		}
	}
	// While no page listens, a call of A and one of B change.
	status(secretA, numberA, "away-a")
	status(secretB, "+442079460001", "away-b")
	// The page comes back with the id of the last event it had.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.URL+"/calls/live", nil)
	req.Header.Set("Last-Event-ID", strconv.FormatInt(before.UnixMicro(), 10)+"."+uuid.Nil.String())
	res, err := v.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	owner := b.owner(t)
	var idA, idB string
	owner.QueryRow(context.Background(), "SELECT id FROM call_logs WHERE provider_call_id = 'away-a'").Scan(&idA)
	owner.QueryRow(context.Background(), "SELECT id FROM call_logs WHERE provider_call_id = 'away-b'").Scan(&idB)
	var got strings.Builder
	buf := make([]byte, 4096)
	for idA == "" || !strings.Contains(got.String(), idA) {
		n, err := res.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(got.String(), "event: call") || !strings.Contains(got.String(), idA) || strings.Contains(got.String(), idB) {
		t.Fatalf("resumed stream: %q (A's call %s, B's %s)", got.String(), idA, idB)
	}
}

// The integrations page: a refused Twilio form says why next to the field,
// keeps what was typed and never shows the token back; a saved one tells
// Twilio's URLs; Vapi's key is write-only.
func TestIntegrationsPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := b.signInPage(t, b.w.A.Owner, b.w.A.ID)
	v.get("/integrations")
	bad := v.post("/integrations/twilio", url.Values{"account_sid": {sidA}, "auth_token": {tokenA}, "from_number": {"555-1234"},
		"reminder_template": {"See you {when}"}})
	if bad.status != 422 || !bytes.Contains(bad.body, []byte(`id="from_number-error"`)) || !bytes.Contains(bad.body, []byte("See you {when}")) ||
		bytes.Contains(bad.body, []byte(tokenA)) {
		t.Fatalf("a refused Twilio form: %d", bad.status)
	}
	ok := v.post("/integrations/twilio", url.Values{"account_sid": {sidA}, "auth_token": {tokenA}, "from_number": {"+15125550100"}})
	if !strings.Contains(ok.url, "done=twilio") || !bytes.Contains(ok.body, []byte("Twilio account saved.")) ||
		!bytes.Contains(ok.body, []byte(b.srv.URL)) && !bytes.Contains(ok.body, []byte("/api/webhooks/twilio/inbound")) || bytes.Contains(ok.body, []byte(tokenA)) {
		t.Fatalf("a saved Twilio form: %d %s", ok.status, ok.url)
	}
	key := "vapi-private-" + b.w.A.ID.String()
	b.vapi.Own(key, numberA)
	connected := v.post("/integrations/vapi", url.Values{"api_key": {key}})
	if !bytes.Contains(connected.body, []byte("Vapi account connected.")) || bytes.Contains(connected.body, []byte(key)) {
		t.Fatalf("connect Vapi: %d", connected.status)
	}
	if reg := v.post("/integrations/numbers", url.Values{"number": {numberA}}); !bytes.Contains(reg.body, []byte("Registered")) {
		t.Fatalf("register a number: %d", reg.status)
	}
	if v.get("/integrations?done=<script>").status != 200 || bytes.Contains(v.get("/integrations?done=Call+us+now").body, []byte("Call us now")) {
		t.Fatal("the page repeats words from its URL")
	}
}

// Insights count the clinic's own calls in the range, per day and hour in
// its zone, and refuse a range they cannot draw.
func TestInsightsPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := b.signInPage(t, b.w.A.Staff, b.w.A.ID)
	first := b.w.A.Calls[0].StartedAt
	for _, c := range b.w.A.Calls {
		if c.StartedAt.Before(first) {
			first = c.StartedAt
		}
	}
	day := first.Format("2006-01-02")
	res := v.get("/insights?from=" + day + "&to=" + first.AddDate(0, 0, 2).Format("2006-01-02"))
	want := fmt.Sprintf("<dt>Calls</dt><dd>%d</dd>", len(b.w.A.Calls))
	if res.status != 200 || !bytes.Contains(res.body, []byte(want)) || !bytes.Contains(res.body, []byte("<svg class=\"chart\"")) {
		t.Fatalf("insights: %d, want %s in\n%s", res.status, want, res.body)
	}
	if bad := v.get("/insights?from=2020-01-01&to=2026-01-01"); bad.status != 422 || !bytes.Contains(bad.body, []byte(`id="from-error"`)) {
		t.Fatalf("a range over a year: %d", bad.status)
	}
}

// A patient's page gathers the clinic's own calls with that number; the
// other clinic's patient is an empty page.
func TestPatientPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := b.signInPage(t, b.w.A.Staff, b.w.A.ID)
	own := b.w.A.Calls[0]
	res := v.get("/patients?phone=" + url.QueryEscape(own.FromNumber))
	if res.status != 200 || !bytes.Contains(res.body, []byte("/calls/"+own.ID.String())) {
		t.Fatalf("own patient: %d", res.status)
	}
	other := v.get("/patients?phone=" + url.QueryEscape(b.w.B.Calls[0].FromNumber))
	if !bytes.Contains(other.body, []byte("Nothing with this number.")) || bytes.Contains(other.body, []byte(b.w.B.Calls[0].ID.String())) {
		t.Fatalf("the other clinic's patient: %d", other.status)
	}
}

// The calls list filters by outcome, in the API and on the page, with its
// exact total; an unknown outcome is refused naming the field.
func TestCallsByOutcome(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.owner(t)
	if _, err := owner.Exec(context.Background(), "UPDATE call_logs SET outcome = 'booked' WHERE id = ANY($1)",
		[]string{b.w.A.Calls[0].ID.String(), b.w.A.Calls[1].ID.String(), b.w.B.Calls[0].ID.String()}); err != nil {
		t.Fatal(err)
	}
	tok := b.token(t, b.w.A.Staff, frontdesk.OrgID{})
	var page struct {
		Total int
		Calls []struct{ Outcome *string }
	}
	b.get(t, "/api/calls-dashboard?call_type=all&outcome=booked", tok).json(t, &page)
	if page.Total != 2 || len(page.Calls) != 2 || *page.Calls[0].Outcome != "booked" {
		t.Fatalf("booked calls: %+v", page)
	}
	if r := b.get(t, "/api/calls-dashboard?outcome=sold", tok); r.status != 422 || !bytes.Contains(r.body, []byte(`"field":"outcome"`)) {
		t.Fatalf("an unknown outcome: %d %s", r.status, r.body)
	}
	v := b.signInPage(t, b.w.A.Staff, b.w.A.ID)
	if res := v.get("/calls?call_type=all&outcome=booked"); !bytes.Contains(res.body, []byte(`id="total">2 calls`)) {
		t.Fatalf("the page filtered by outcome: %d", res.status)
	}
	// A call that left a message still open says so in its row.
	if _, err := owner.Exec(context.Background(), `INSERT INTO callback_requests (org_id, call_id, callback_number, reason, urgency)
		VALUES ($1, $2, '+15125550100', 'Call me back', 'routine')`, b.w.A.ID, b.w.A.Calls[0].ID); err != nil {
		t.Fatal(err)
	}
	var rows struct {
		Calls []struct {
			ID           string
			OpenCallback bool `json:"open_callback"`
		}
	}
	b.get(t, "/api/calls-dashboard?call_type=all&limit=100", tok).json(t, &rows)
	flagged := 0
	for _, c := range rows.Calls {
		if c.OpenCallback {
			flagged++
			if c.ID != b.w.A.Calls[0].ID.String() {
				t.Errorf("call %s flagged", c.ID)
			}
		}
	}
	if flagged != 1 || strings.Count(string(v.get("/calls?call_type=all").body), ">call back</span>") != 1 {
		t.Fatalf("%d calls flagged to call back", flagged)
	}
}

// Staff answer a patient's text from the clinic's number, under the
// texting rules: an empty reply or an opted-out number is refused where it
// was typed; another clinic's text is the 404 page; a text is marked
// handled once.
func TestReplyToAText(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", b.token(t, b.w.A.Owner, frontdesk.OrgID{}),
		map[string]any{"account_sid": sidA, "auth_token": tokenA, "from_number": "+15125550100"}); r.status != 200 {
		t.Fatalf("Twilio: %d %s", r.status, r.body)
	}
	text := func(from, body, sid string) {
		if r := b.twilioPost(t, "/api/webhooks/twilio/inbound", tokenA, url.Values{"AccountSid": {sidA}, "To": {"+15125550100"},
			"From": {from}, "Body": {body}, "MessageSid": {sid}}); r.status != 200 {
			t.Fatalf("inbound: %d", r.status)
		}
	}
	text("+15125550133", "Can I bring my daughter to the appointment?", "SMr1")
	text("+15125550144", "Is there parking?", "SMr2")
	text("+15125550144", "STOP", "SMr3")
	owner := b.owner(t)
	id := func(sid string) string {
		var id string
		owner.QueryRow(context.Background(), "SELECT id FROM sms_inbound WHERE message_sid = $1", sid).Scan(&id)
		return id
	}
	v := b.signInPage(t, b.w.A.Staff, b.w.A.ID)
	v.get("/messages")
	if res := v.post("/messages/inbound/"+id("SMr1")+"/reply", url.Values{"body": {"  "}}); res.status != 422 ||
		!bytes.Contains(res.body, []byte(`id="reply-`+id("SMr1")+`-error"`)) {
		t.Fatalf("an empty reply: %d", res.status)
	}
	if res := v.post("/messages/inbound/"+id("SMr2")+"/reply", url.Values{"body": {"Yes, behind the building."}}); res.status != 409 ||
		!bytes.Contains(res.body, []byte("opted out")) || !bytes.Contains(res.body, []byte("Yes, behind the building.")) {
		t.Fatalf("a reply to an opted-out number: %d", res.status)
	}
	if res := v.post("/messages/inbound/"+id("SMr1")+"/reply", url.Values{"body": {"Of course she is welcome."}}); !strings.Contains(res.url, "done=sent") {
		t.Fatalf("a reply: %d %s", res.status, res.url)
	}
	if n := count(t, owner, "SELECT count(*) FROM sms_confirmation_logs WHERE kind = 'reply' AND to_number = '+15125550133' AND status = 'pending' AND body = 'Of course she is welcome.'"); n != 1 {
		t.Fatalf("%d replies queued", n)
	}
	// A text that failed is sent again, once it is fixed; only a failed one.
	var textID string
	owner.QueryRow(context.Background(), "UPDATE sms_confirmation_logs SET status = 'failed', error_message = 'Twilio said 401' WHERE kind = 'reply' RETURNING id").Scan(&textID)
	jobs := count(t, owner, "SELECT count(*) FROM river_job WHERE kind = 'sms_send'")
	if page := v.get("/messages"); !bytes.Contains(page.body, []byte("/messages/texts/"+textID+"/retry")) {
		t.Fatal("a failed text offers no retry")
	}
	if res := v.post("/messages/texts/"+textID+"/retry", url.Values{}); !strings.Contains(res.url, "done=retried") ||
		count(t, owner, "SELECT count(*) FROM sms_confirmation_logs WHERE id = $1 AND status = 'pending' AND error_message = ''", textID) != 1 ||
		count(t, owner, "SELECT count(*) FROM river_job WHERE kind = 'sms_send'") != jobs+1 {
		t.Fatalf("retry: %d %s", res.status, res.url)
	}
	if res := v.post("/messages/texts/"+textID+"/retry", url.Values{}); res.status != 409 {
		t.Fatalf("retry a pending text: %d", res.status)
	}
	if res := v.post("/messages/inbound/"+id("SMr1")+"/handled", url.Values{}); !strings.Contains(res.url, "done=handled") ||
		count(t, owner, "SELECT count(*) FROM sms_inbound WHERE handled_at IS NOT NULL") != 1 {
		t.Fatalf("mark handled: %d", res.status)
	}
	other := b.signInPage(t, b.w.B.Staff, b.w.B.ID)
	other.get("/messages")
	if res := other.post("/messages/inbound/"+id("SMr1")+"/reply", url.Values{"body": {"hi"}}); res.status != 404 {
		t.Fatalf("clinic B replies to clinic A's patient: %d", res.status)
	}
	if res := other.post("/messages/texts/"+textID+"/retry", url.Values{}); res.status != 404 {
		t.Fatalf("clinic B retries clinic A's text: %d", res.status)
	}

	// Not texted: the number that texted STOP, and one the staff add; a
	// number that cannot exist is refused at its field, as typed.
	if page := v.get("/messages"); !bytes.Contains(page.body, []byte("15125550144</a>")) {
		t.Fatal("the number that texted STOP is not listed")
	}
	if res := v.post("/messages/opt-outs", url.Values{"phone": {"512-555-01"}}); res.status != 422 ||
		!bytes.Contains(res.body, []byte(`id="phone-error"`)) || !bytes.Contains(res.body, []byte(`value="512-555-01"`)) {
		t.Fatalf("a number too short: %d", res.status)
	}
	if res := v.post("/messages/opt-outs", url.Values{"phone": {"(512) 555-0177"}}); !strings.Contains(res.url, "done=stopped") ||
		!bytes.Contains(res.body, []byte("15125550177</a>")) {
		t.Fatalf("stop texting a number: %d %s", res.status, res.url)
	}
	var list struct {
		OptOuts []struct{ Phone string } `json:"opt_outs"`
	}
	b.get(t, "/api/sms/opt-outs", b.token(t, b.w.A.Staff, frontdesk.OrgID{})).json(t, &list)
	if len(list.OptOuts) != 2 {
		t.Fatalf("opt-outs through the API: %+v", list)
	}
	// STOP also puts the number on the do-not-call list (no calls either);
	// START takes off only what STOP put there.
	dnc := func() string {
		var out struct {
			DoNotCall []struct{ Phone, Source string } `json:"do_not_call"`
		}
		b.get(t, "/api/do-not-call", b.token(t, b.w.A.Staff, frontdesk.OrgID{})).json(t, &out)
		return fmt.Sprint(out.DoNotCall)
	}
	if got := dnc(); got != "[{+15125550144 text}]" {
		t.Fatalf("do-not-call after STOP: %s", got)
	}
	text("+15125550144", "START", "SMr5")
	if got := dnc(); got != "[]" {
		t.Fatalf("do-not-call after START: %s", got)
	}
	if page := other.get("/messages"); bytes.Contains(page.body, []byte("15125550177")) || bytes.Contains(page.body, []byte("15125550144")) {
		t.Fatal("clinic B sees clinic A's opt-outs")
	}
	// A reply to the number the staff stopped is refused like one to STOP.
	text("+15125550177", "Actually, one question", "SMr4")
	if res := v.post("/messages/inbound/"+id("SMr4")+"/reply", url.Values{"body": {"Sure"}}); res.status != 409 {
		t.Fatalf("a reply to a number the staff stopped: %d", res.status)
	}
}

// The clinic page: booking rules and retention refused at their field and
// kept as typed; the knowledge base edited; another clinic's article is
// the 404 page.
func TestClinicPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := b.signInPage(t, b.w.A.Owner, b.w.A.ID)
	v.get("/settings/clinic")
	if res := v.post("/settings/clinic/name", url.Values{"name": {"  "}}); res.status != 422 || !bytes.Contains(res.body, []byte(`id="name-error"`)) {
		t.Fatalf("a clinic without a name: %d", res.status)
	}
	if res := v.post("/settings/clinic/name", url.Values{"name": {"Harbour Dental & Implants"}}); !strings.Contains(res.url, "done=saved") ||
		!bytes.Contains(res.body, []byte(`id="current-clinic">Harbour Dental &amp; Implants<`)) {
		t.Fatalf("renamed: %d %s", res.status, res.url)
	}
	if r := b.request(t, http.MethodPut, "/api/settings/clinic", b.token(t, b.w.A.Owner, frontdesk.OrgID{}), map[string]any{"name": "Harbour Dental"}); r.status != 200 {
		t.Fatalf("rename through the API: %d %s", r.status, r.body)
	}
	if page := b.signInPage(t, b.w.B.Owner, b.w.B.ID).get("/calls"); bytes.Contains(page.body, []byte("Harbour Dental")) {
		t.Fatal("clinic B sees clinic A's new name")
	}
	rules := url.Values{"timezone": {"Mars/Olympus"}, "min_notice_minutes": {"30"}, "max_days_ahead": {"60"}, "hold_minutes": {"5"}}
	if res := v.post("/settings/clinic/rules", rules); res.status != 422 || !bytes.Contains(res.body, []byte(`id="timezone-error"`)) ||
		!bytes.Contains(res.body, []byte(`value="Mars/Olympus"`)) {
		t.Fatalf("a bad zone: %d", res.status)
	}
	rules.Set("timezone", "America/Chicago")
	if res := v.post("/settings/clinic/rules", rules); !strings.Contains(res.url, "done=saved") || !bytes.Contains(res.body, []byte(`value="America/Chicago"`)) {
		t.Fatalf("rules saved: %d %s", res.status, res.url)
	}
	// Retention: the access log kept no less than six years.
	keep := url.Values{"recording_days": {"90"}, "transcript_days": {"365"}, "text_days": {""}, "access_log_days": {"30"}}
	if res := v.post("/settings/clinic/retention", keep); res.status != 422 || !bytes.Contains(res.body, []byte(`id="access_log_days-error"`)) ||
		!bytes.Contains(res.body, []byte(`value="365"`)) {
		t.Fatalf("an access log kept 30 days: %d", res.status)
	}
	keep.Set("access_log_days", "3000")
	keep.Set("redact_identifiers", "on")
	if res := v.post("/settings/clinic/retention", keep); !strings.Contains(res.url, "done=saved") || !bytes.Contains(res.body, []byte(`value="90"`)) ||
		!bytes.Contains(res.body, []byte(`value="3000"`)) || !bytes.Contains(res.body, []byte(`name="redact_identifiers" checked`)) {
		t.Fatalf("retention saved: %d %s", res.status, res.url)
	}
	var kept struct {
		RecordingDays *int32 `json:"recording_days"`
		TextDays      *int32 `json:"text_days"`
		AccessLogDays int32  `json:"access_log_days"`
	}
	b.get(t, "/api/settings/retention", b.token(t, b.w.A.Staff, frontdesk.OrgID{})).json(t, &kept)
	if kept.RecordingDays == nil || *kept.RecordingDays != 90 || kept.TextDays != nil || kept.AccessLogDays != 3000 {
		t.Fatalf("retention through the API: %+v", kept)
	}
	if res := v.post("/settings/clinic/articles", url.Values{"title": {""}, "body": {"Kept text"}, "active": {"on"}}); res.status != 422 ||
		!bytes.Contains(res.body, []byte("Kept text")) {
		t.Fatalf("an article without a title: %d", res.status)
	}
	if res := v.post("/settings/clinic/articles", url.Values{"title": {"Wheelchair access"}, "body": {"Step-free entrance on Elm Street."}, "active": {"on"}}); !bytes.Contains(res.body, []byte("Wheelchair access")) {
		t.Fatalf("add an article: %d", res.status)
	}
	var id string
	b.owner(t).QueryRow(context.Background(), "SELECT id FROM kb_articles WHERE title = 'Wheelchair access'").Scan(&id)
	other := b.signInPage(t, b.w.B.Owner, b.w.B.ID)
	other.get("/settings/clinic")
	if res := other.post("/settings/clinic/articles/"+id+"/delete", url.Values{}); res.status != 404 {
		t.Fatalf("clinic B deletes clinic A's article: %d", res.status)
	}
}

// Words said on a call find it, with the exact total, only among the
// clinic's own calls.
func TestCallsByWordsSaid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.owner(t).Exec(context.Background(), "UPDATE call_logs SET transcript = transcript || ' The caller asked about wheelchair access.' WHERE id = ANY($1)",
		[]string{b.w.A.Calls[0].ID.String(), b.w.A.Calls[2].ID.String(), b.w.B.Calls[0].ID.String()}); err != nil {
		t.Fatal(err)
	}
	var page struct{ Total int }
	b.get(t, "/api/calls-dashboard?call_type=all&words="+url.QueryEscape("wheelchairs"), b.token(t, b.w.A.Staff, frontdesk.OrgID{})).json(t, &page)
	if page.Total != 2 {
		t.Fatalf("calls of A that said wheelchair: %d", page.Total)
	}
	v := b.signInPage(t, b.w.B.Staff, b.w.B.ID)
	res := v.get("/calls?call_type=all&words=" + url.QueryEscape(`"wheelchair access"`))
	if !bytes.Contains(res.body, []byte(`id="total">1 call<`)) || bytes.Contains(res.body, []byte(b.w.A.Calls[0].ID.String())) {
		t.Fatalf("B's calls that said it: %d", res.status)
	}
}

// The calendar shows a patient's "C" confirmation on their booking.
func TestCalendarShowsPatientConfirmation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	var bk struct{ ID string }
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(10, 0))); r.status != 201 {
		t.Fatalf("book: %d %s", r.status, r.body)
	} else {
		r.json(t, &bk)
	}
	if _, err := b.owner(t).Exec(context.Background(), "UPDATE bookings SET patient_confirmed_at = now() WHERE id = $1", bk.ID); err != nil {
		t.Fatal(err)
	}
	v := b.signInPage(t, b.w.A.Staff, b.w.A.ID)
	res := v.get("/calendar?day=" + cs.day.Format("2006-01-02"))
	if !bytes.Contains(res.body, []byte("confirmed by the patient")) || !bytes.Contains(res.body, []byte("Pat Doe")) {
		t.Fatalf("calendar: %d", res.status)
	}
}

// A note on a message the receptionist took: kept from the call's page
// and through the API, shown on the messages page, refused over 1,000
// characters at the field it names; another clinic's message is a 404.
func TestCallbackNote(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.w.A
	id, err := b.db.Admin.AddCallbackRequest(context.Background(), db.AddCallbackRequestParams{OrgID: a.ID, CallID: a.Calls[0].ID,
		CallbackNumber: "+12125550300", Reason: "Wants to move her cleaning", Urgency: "routine"})
	if err != nil {
		t.Fatal(err)
	}
	v := b.signInPage(t, a.Staff, a.ID)
	v.get("/calls/" + a.Calls[0].ID.String())
	res := v.post("/callbacks/"+id.String()+"/note", url.Values{"note": {"Left a voicemail\non her mobile"}, "call": {a.Calls[0].ID.String()}})
	if !strings.HasSuffix(res.url, "/calls/"+a.Calls[0].ID.String()) || !bytes.Contains(res.body, []byte("Left a voicemail on her mobile")) {
		t.Fatalf("a note from the call's page: %d %s", res.status, res.url)
	}
	tok := b.token(t, a.Staff, frontdesk.OrgID{})
	if r := b.request(t, http.MethodPut, "/api/messages/callbacks/"+id.String()+"/note", tok, map[string]any{"note": strings.Repeat("x", 1001)}); r.status != 422 ||
		!strings.Contains(string(r.body), `"field":"note"`) {
		t.Fatalf("a note too long: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPut, "/api/messages/callbacks/"+id.String()+"/note", tok, map[string]any{"note": "Rebooked for Tuesday"}); r.status != 204 {
		t.Fatalf("a note through the API: %d %s", r.status, r.body)
	}
	if page := v.get("/messages"); !bytes.Contains(page.body, []byte("Rebooked for Tuesday")) {
		t.Fatal("the note is not on the messages page")
	}
	other := b.signInPage(t, b.w.B.Staff, b.w.B.ID)
	other.get("/messages")
	if res := other.post("/callbacks/"+id.String()+"/note", url.Values{"note": {"mine now"}}); res.status != 404 {
		t.Fatalf("clinic B writes on clinic A's message: %d", res.status)
	}
}

// The week view: Monday to Sunday in the clinic's zone, each booking under
// its own day at its own clock time, across the day the clocks go
// forward; the next week's booking is not there.
func TestCalendarWeekAcrossDaylightSaving(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	owner := b.owner(t)
	book := func(at, patient string) {
		start, err := time.ParseInLocation("2006-01-02 15:04", at, cs.loc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := owner.Exec(context.Background(), `INSERT INTO bookings (org_id, resource_id, service_id, status, starts_at, ends_at, blocked, patient_name, patient_phone, source)
			VALUES ($1, $2, $3, 'confirmed', $4, $5, tstzrange($4, $5), $6, '+12125550101', 'staff')`,
			b.w.A.ID, cs.resources[0], cs.service, start, start.Add(30*time.Minute), patient); err != nil {
			t.Fatal(err)
		}
	}
	// 2027-03-14 is the Sunday New York's clocks go from 2:00 to 3:00.
	book("2027-03-08 00:30", "Monday Early")
	book("2027-03-14 01:30", "Sunday Before")
	book("2027-03-14 10:00", "Sunday After")
	book("2027-03-15 09:00", "Next Monday")
	v := b.signInPage(t, b.w.A.Staff, b.w.A.ID)
	res := v.get("/calendar?view=week&day=2027-03-10")
	days := regexp.MustCompile(`(?s)<li class="weekday[^"]*">(.*?)</li>`).FindAllSubmatch(res.body, -1)
	if res.status != 200 || len(days) != 7 {
		t.Fatalf("week: %d, %d days", res.status, len(days))
	}
	for i, want := range map[int][]string{0: {"Mon 8 Mar", "12:30 AM", "Monday Early"}, 6: {"Sun 14 Mar", "1:30 AM", "Sunday Before", "10:00 AM", "Sunday After"}} {
		for _, w := range want {
			if !bytes.Contains(days[i][1], []byte(w)) {
				t.Errorf("day %d lacks %q: %s", i, w, days[i][1])
			}
		}
	}
	if bytes.Contains(res.body, []byte("Next Monday")) || !bytes.Contains(res.body, []byte("8 March to 14 March 2027")) {
		t.Errorf("the week's bounds: %s", res.body)
	}
	if !bytes.Contains(res.body, []byte(`href="/calendar?day=2027-03-17&amp;view=week"`)) {
		t.Error("no link to the next week")
	}
}
