package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/jobs"
	"frontdesk/internal/postgres"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/testkit"
)

func googleClient(g *testkit.FakeGoogle) *google.Client {
	return google.New(google.Config{ClientID: "client-1", ClientSecret: "secret-1",
		RedirectURL: "https://frontdesk.test/api/calendar/oauth/callback", AuthURL: g.URL + "/o/oauth2/auth",
		TokenURL: g.URL + "/token", RevokeURL: g.URL + "/revoke", APIURL: g.URL + "/calendar/v3/", HTTP: g.Client()})
}

// connect runs the OAuth flow for resource as token's user, up to the
// redirect back in the same browser (its cookie), and returns the
// callback's response.
func (b *bundle) connect(t *testing.T, g *testkit.FakeGoogle, token, resource string) response {
	t.Helper()
	res, cookie := b.startOAuth(t, g, token, "resource_id="+resource)
	return b.get(t, res, "", "Cookie", cookie)
}

// startOAuth starts a flow with query and has Google approve it; it
// returns the callback path Google would redirect to and the starting
// browser's cookie.
func (b *bundle) startOAuth(t *testing.T, g *testkit.FakeGoogle, token, query string) (string, string) {
	t.Helper()
	res := b.get(t, "/api/calendar/oauth/start?"+query, token)
	if res.status != http.StatusFound {
		t.Fatalf("start: %d %s", res.status, res.body)
	}
	var out struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	res.json(t, &out)
	u, _ := url.Parse(out.AuthorizeURL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("access_type") != "offline" || !strings.Contains(q.Get("scope"), "calendar.freebusy") {
		t.Fatalf("authorize URL: %s", out.AuthorizeURL)
	}
	code := g.Approve(q.Get("code_challenge"))
	var cookie string
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == "frontdesk_oauth" && c.HttpOnly && c.MaxAge > 0 && c.MaxAge <= 600 {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("start set no short-lived HttpOnly browser cookie: %v", res.header)
	}
	return "/api/calendar/oauth/callback?state=" + url.QueryEscape(q.Get("state")) + "&code=" + code, cookie
}

func TestGoogleCalendarSync(t *testing.T) {
	t.Parallel()
	b := setup(t)
	g := testkit.NewFakeGoogle(t)
	gc := googleClient(g)
	b.withGoogle(t, gc)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	csB := setupCalendar(t, b, b.w.B, "Europe/London")
	drA := cs.resources[0]
	db := b.owner(t)
	ctx := context.Background()

	// Staff cannot connect; a state that is forged, expired, replayed or
	// names another clinic's flow is refused.
	if r := b.get(t, "/api/calendar/oauth/start?resource_id="+drA, b.token(t, b.w.A.Staff, frontdesk.OrgID{})); r.status != 403 {
		t.Fatalf("staff starts OAuth: %d", r.status)
	}
	if r := b.get(t, "/api/calendar/oauth/start?resource_id="+drA, csB.token); r.status != 422 {
		t.Fatalf("clinic B connects clinic A's clinician: %d", r.status)
	}
	forge := func(st map[string]any) string {
		raw, _ := json.Marshal(st)
		return b.secrets.Sign(raw)
	}
	resB := b.get(t, "/api/calendar/oauth/start?resource_id="+csB.resources[0], csB.token)
	var outB struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	resB.json(t, &outB)
	uB, _ := url.Parse(outB.AuthorizeURL)
	var stB struct{ P string }
	rawB, _ := b.secrets.Verify(uB.Query().Get("state"))
	json.Unmarshal(rawB, &stB)
	for name, state := range map[string]string{
		"not ours":                       "abc.def",
		"expired":                        forge(map[string]any{"p": uuid.NewString(), "o": b.w.A.ID, "u": b.w.A.Owner.ID, "e": time.Now().Add(-time.Minute).Unix()}),
		"clinic B's flow, clinic A's id": forge(map[string]any{"p": stB.P, "o": b.w.A.ID, "u": b.w.A.Owner.ID, "e": time.Now().Add(time.Minute).Unix()}),
		"another user's flow":            forge(map[string]any{"p": stB.P, "o": b.w.B.ID, "u": b.w.Both.ID, "e": time.Now().Add(time.Minute).Unix()}),
	} {
		if r := b.get(t, "/api/calendar/oauth/callback?state="+url.QueryEscape(state)+"&code=x", ""); r.status != 400 {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
	if n := count(t, db, "SELECT count(*) FROM calendar_connections"); n != 0 {
		t.Fatalf("%d connections from refused callbacks", n)
	}

	// A real flow connects Dr A's calendar; the token is never shown.
	if r := b.connect(t, g, cs.token, drA); r.status != 200 {
		t.Fatalf("callback: %d %s", r.status, r.body)
	}
	list := b.get(t, "/api/calendar/connections", cs.token)
	if !strings.Contains(string(list.body), `"status":"active"`) || strings.Contains(string(list.body), "refresh-1") {
		t.Fatalf("connections: %s", list.body)
	}
	if r := b.get(t, "/api/calendar/connections", csB.token); strings.Contains(string(r.body), drA) {
		t.Fatalf("clinic B sees clinic A's connection: %s", r.body)
	}

	// Busy times in the calendar are not offered.
	g.Busy = [][2]time.Time{{cs.at(9, 0), cs.at(10, 0)}}
	day := cs.day.Format(time.DateOnly)
	var av slotsResponse
	b.get(t, "/api/availability?service="+cs.service+"&from="+day+"&to="+day+"&resource="+drA, cs.token).json(t, &av)
	if len(av.Slots) == 0 || !av.Slots[0].Start.Equal(cs.at(10, 0)) {
		t.Fatalf("first free slot %v, want 10:00 (Google has 9-10 busy)", av.Slots[:1])
	}

	// A booking appears in the calendar under an id derived from it; a
	// second sync of the same booking makes no second event.
	worker, err := jobs.New(jobs.Config{Store: b.db.Store, Bucket: b.bucket, Log: b.log, Secrets: b.secrets, Google: gc,
		Fetch: jobs.FetchConfig{Timeout: time.Minute}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer worker.Stop(ctx)
	var bk struct{ ID string }
	b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(drA, cs.at(14, 0))).json(t, &bk)
	id := strings.ReplaceAll(bk.ID, "-", "")
	testkit.Eventually(t, 20*time.Second, func() bool { return g.Event(id) != nil })
	if ev := g.Event(id); !strings.HasPrefix(ev["summary"].(string), "Cleaning: Pat Doe") {
		t.Fatalf("event %v", ev)
	}
	err = b.db.Store.InTenant(ctx, b.w.A.ID, func(tx *postgres.Tx) error {
		return worker.EnqueueCalendarSync(ctx, tx, frontdesk.BookingID(uuid.MustParse(bk.ID)))
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		return count(t, db, "SELECT count(*) FROM river_job WHERE kind = 'calendar_sync' AND state = 'completed'") == 2
	})
	if g.Inserts != 1 {
		t.Fatalf("%d inserts for one booking", g.Inserts)
	}
	// Cancelled: the event goes.
	b.request(t, http.MethodPost, "/api/bookings/"+bk.ID+"/cancel", cs.token, nil)
	testkit.Eventually(t, 20*time.Second, func() bool { return g.Event(id) == nil })

	// A revoked grant: the connection needs reconnecting, and no booking is lost.
	if _, err := db.Exec(ctx, "UPDATE calendar_connections SET token = $1", b.secrets.Seal(expiredToken(), b.w.A.ID[:])); err != nil {
		t.Fatal(err)
	}
	g.RefreshFails = true
	var bk2 struct{ ID string }
	b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(drA, cs.at(15, 0))).json(t, &bk2)
	testkit.Eventually(t, 20*time.Second, func() bool {
		return count(t, db, "SELECT count(*) FROM calendar_connections WHERE status = 'needs_reconnect'") == 1
	})
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE id = $1 AND status = 'confirmed'", bk2.ID); n != 1 {
		t.Fatal("the booking was lost with the grant")
	}
	if r := b.get(t, "/api/calendar/connections", cs.token); !strings.Contains(string(r.body), "needs_reconnect") {
		t.Fatalf("admins do not see the broken connection: %s", r.body)
	}
	// Reconnecting syncs the booking made while it was broken.
	g.RefreshFails = false
	if r := b.connect(t, g, cs.token, drA); r.status != 200 {
		t.Fatalf("reconnect: %d %s", r.status, r.body)
	}
	testkit.Eventually(t, 20*time.Second, func() bool { return g.Event(strings.ReplaceAll(bk2.ID, "-", "")) != nil })

	// Disconnect revokes the grant at Google.
	var conns struct{ Connections []struct{ ID string } }
	b.get(t, "/api/calendar/connections", cs.token).json(t, &conns)
	if r := b.request(t, http.MethodDelete, "/api/calendar/connections/"+conns.Connections[0].ID, csB.token, nil); r.status != 404 {
		t.Fatalf("clinic B disconnects clinic A's calendar: %d", r.status)
	}
	if r := b.request(t, http.MethodDelete, "/api/calendar/connections/"+conns.Connections[0].ID, cs.token, nil); r.status != 204 || !g.Revoked("refresh-1") {
		t.Fatalf("disconnect: %d, revoked %v", r.status, g.Revoked("refresh-1"))
	}
}

// A slow Google does not hold up availability: the calendar is named
// unchecked.
func TestSlowCalendarIsReportedUnchecked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	g := testkit.NewFakeGoogle(t)
	b.withGoogle(t, googleClient(g))
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	if r := b.connect(t, g, cs.token, cs.resources[0]); r.status != 200 {
		t.Fatalf("connect: %d", r.status)
	}
	g.BusyDelay = 4 * time.Second
	day := cs.day.Format(time.DateOnly)
	start := time.Now()
	var av struct {
		Slots     []any
		Unchecked []string `json:"unchecked_calendars"`
	}
	b.get(t, "/api/availability?service="+cs.service+"&from="+day+"&to="+day, cs.token).json(t, &av)
	if took := time.Since(start); took > 3*time.Second || len(av.Unchecked) != 1 || av.Unchecked[0] != cs.resources[0] || len(av.Slots) == 0 {
		t.Fatalf("took %s; unchecked %v; %d slots", took, av.Unchecked, len(av.Slots))
	}
}

func expiredToken() []byte {
	b, _ := json.Marshal(map[string]any{"access_token": "access-old", "token_type": "Bearer", "refresh_token": "refresh-1",
		"expiry": time.Now().Add(-time.Hour)})
	return b
}

// The sign-in link works only in the browser that started it, and an
// active connection is replaced by another Google account only when the
// admin asked for a replacement; connections say which account they are.
func TestCalendarConnectionIsBoundToItsBrowserAndAccount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	g := testkit.NewFakeGoogle(t)
	b.withGoogle(t, googleClient(g))
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	drA := cs.resources[0]
	db := b.owner(t)

	// Opened in another browser (no cookie, or another flow's): refused,
	// and the flow is still there for its own browser.
	callback, cookie := b.startOAuth(t, g, cs.token, "resource_id="+drA)
	_, otherCookie := b.startOAuth(t, g, cs.token, "resource_id="+drA)
	for name, c := range map[string]string{"no cookie": "", "another flow's cookie": otherCookie} {
		if r := b.get(t, callback, "", "Cookie", c); r.status != 400 || !strings.Contains(string(r.body), "another browser") {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
	if n := count(t, db, "SELECT count(*) FROM calendar_connections"); n != 0 {
		t.Fatalf("%d connections from another browser", n)
	}
	if r := b.get(t, callback, "", "Cookie", cookie); r.status != 200 {
		t.Fatalf("the starting browser: %d %s", r.status, r.body)
	}
	if r := b.get(t, "/api/calendar/connections", cs.token); !strings.Contains(string(r.body), `"account":"drs.calendar@example.com"`) {
		t.Fatalf("connection's account: %s", r.body)
	}

	// Someone signs in with another Google account: not without replace.
	g.Account = "stranger@example.com"
	if r := b.connect(t, g, cs.token, drA); r.status != 409 || !strings.Contains(string(r.body), "replace") {
		t.Fatalf("another account without replace: %d %s", r.status, r.body)
	}
	if n := count(t, db, "SELECT count(*) FROM calendar_connections WHERE account = 'drs.calendar@example.com'"); n != 1 {
		t.Fatal("the working connection was replaced")
	}
	callback, cookie = b.startOAuth(t, g, cs.token, "resource_id="+drA+"&replace=true")
	if r := b.get(t, callback, "", "Cookie", cookie); r.status != 200 {
		t.Fatalf("another account with replace: %d %s", r.status, r.body)
	}
	if r := b.get(t, "/api/calendar/connections", cs.token); !strings.Contains(string(r.body), `"account":"stranger@example.com"`) {
		t.Fatalf("after the replacement: %s", r.body)
	}
}
