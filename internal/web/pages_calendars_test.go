package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"frontdesk/internal/testkit"
)

// Google Calendar on the integrations page: an admin connects a
// clinician's calendar from the page (the browser goes to Google and back
// to the page, which shows the account), a callback in another browser is
// refused on a page that says why, and a disconnect revokes the grant.
// Without Google set up, the page says so and connecting is refused.
func TestCalendarsOnTheIntegrationsPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	g := testkit.NewFakeGoogle(t)
	b.withGoogle(t, googleClient(g))
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	v := b.signInPage(t, b.w.A.Owner, b.w.A.ID)
	page := v.get("/integrations")
	if !bytes.Contains(page.body, []byte("Dr A")) || !bytes.Contains(page.body, []byte("not connected")) {
		t.Fatalf("integrations: %d", page.status)
	}
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/integrations", nil)
	res, err := v.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+g.URL+";") {
		t.Fatalf("the page's forms cannot lead to Google: %s", csp)
	}

	// Connect: the form leads to Google's consent page.
	start := func(v *browserLike) *url.URL {
		t.Helper()
		v.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		defer func() { v.client.CheckRedirect = nil }()
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/integrations/calendars/connect",
			strings.NewReader(url.Values{"csrf": {v.csrf}, "resource_id": {cs.resources[0]}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.srv.URL)
		res, err := v.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		to, err := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(to.String(), g.URL+"/o/oauth2/auth") {
			t.Fatalf("connect: %d to %s", res.StatusCode, to)
		}
		return to
	}
	callback := func(v *browserLike, to *url.URL) pageResponse {
		t.Helper()
		code := g.Approve(to.Query().Get("code_challenge"))
		req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/api/calendar/oauth/callback?state="+url.QueryEscape(to.Query().Get("state"))+"&code="+code, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		return v.do(req)
	}

	// Back in another browser (no cookie of the start): refused, in words.
	stranger := b.signInPage(t, b.w.A.Owner, b.w.A.ID)
	if res := callback(stranger, start(v)); res.status != http.StatusBadRequest || !bytes.Contains(res.body, []byte("another browser")) {
		t.Fatalf("a callback in another browser: %d %s", res.status, res.body)
	}
	// Back in the same browser: the integrations page, connected.
	done := callback(v, start(v))
	if !strings.HasSuffix(done.url, "/integrations?done=calendar") || !bytes.Contains(done.body, []byte("Google Calendar connected")) ||
		!bytes.Contains(done.body, []byte(">connected</span>")) {
		t.Fatalf("connected: %d %s", done.status, done.url)
	}
	var connID string
	if m := regexp.MustCompile(`/integrations/connections/([0-9a-f-]{36})/disconnect`).FindSubmatch(done.body); m != nil {
		connID = string(m[1])
	}
	if connID == "" {
		t.Fatal("no disconnect form")
	}
	if res := v.post("/integrations/connections/"+connID+"/disconnect", url.Values{}); !strings.Contains(res.url, "done=calendar-off") ||
		!bytes.Contains(res.body, []byte("not connected")) || !g.Revoked("refresh-1") {
		t.Fatalf("disconnect: %d %s", res.status, res.url)
	}
	// Staff see no such page.
	if res := b.signInPage(t, b.w.A.Staff, b.w.A.ID).post("/integrations/calendars/connect", url.Values{"resource_id": {cs.resources[0]}}); res.status != http.StatusForbidden {
		t.Fatalf("staff connect a calendar: %d", res.status)
	}

	// A server without Google: said on the page, refused on connect.
	off := setup(t)
	offCS := setupCalendar(t, off, off.w.A, "Europe/London")
	w := off.signInPage(t, off.w.A.Owner, off.w.A.ID)
	if page := w.get("/integrations"); !bytes.Contains(page.body, []byte("not set up on this server")) {
		t.Fatal("the page does not say Google is not set up")
	}
	if res := w.post("/integrations/calendars/connect", url.Values{"resource_id": {offCS.resources[0]}}); res.status != http.StatusConflict ||
		!bytes.Contains(res.body, []byte(`role="alert">Google Calendar is not configured`)) {
		t.Fatalf("connect without Google: %d", res.status)
	}
}
