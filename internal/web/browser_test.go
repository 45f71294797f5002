package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"frontdesk"
	"frontdesk/internal/app"
	"frontdesk/internal/demo"
	"frontdesk/internal/testkit"
	"frontdesk/internal/web"
)

// pageChecks is what every page keeps, run in the page: its language,
// title and viewport, a label on every field, no horizontal scrolling at
// 375 px (measured by the caller), a visible focus style.
const pageChecks = `(() => {
  const out = [];
  if (!document.documentElement.lang) out.push("no lang");
  if (!document.title) out.push("no title");
  const vp = document.querySelector('meta[name="viewport"]');
  if (!vp || !vp.content.includes("width=device-width")) out.push("no viewport");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]')) || el.closest("label") || el.getAttribute("aria-label");
    if (!labelled) out.push("unlabelled " + (el.name || el.id));
  }
  return out.join("; ");
})()`

// The dashboard as a person uses it, in Chromium: sign in, choose and
// switch clinics without losing the choice, filter calls, play a
// recording, see a refused edit keep what was typed, meet another clinic's
// call as a plain 404, sign out. Every page keeps the conventions, logs no
// error and fits 375 px; a screenshot of each is kept (go test -artifacts).
func TestDashboardInTheBrowser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ranges atomic.Int32
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if strings.HasSuffix(r.URL.Path, "/recording") && rec.status == http.StatusPartialContent {
			ranges.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	h = web.New(web.Config{App: app.New(b.cfg), Verifier: b.verify, Log: b.log, PublicURL: srv.URL}).Handler()
	cs := setupCalendar(t, b, b.w.B, "Europe/London")
	callB := b.w.B.Calls[0]
	b.storeRecording(t, b.w.B.ID, callB.ID, demo.ToneWAV(3*time.Second))
	// The receptionist took a message for clinic B's staff.
	secretB := voiceSetup(t, b, b.w.B, "+442079460001")
	msg, _ := json.Marshal(map[string]any{"message": map[string]any{"type": "tool-calls", "timestamp": time.Now().UnixMilli(),
		"toolCallList": []any{map[string]any{"id": "msg-b", "type": "function", "function": map[string]any{"name": "takeMessage",
			"arguments": map[string]any{"reason": "Asks whether the knee brace can be collected Friday", "urgency": "urgent"}}}},
		"call":        map[string]any{"id": "call-msg-b", "type": "inboundPhoneCall", "customer": map[string]any{"number": "+447700900123"}},
		"phoneNumber": map[string]any{"number": "+442079460001"}}})
	if r := b.deliver(t, msg, secretB); r.status != 200 || !strings.Contains(string(r.body), "with the staff") {
		t.Fatalf("takeMessage: %d %s", r.status, r.body)
	}

	br := testkit.NewBrowser(t)
	// step bounds each browser step: a selector that never appears fails
	// the test in seconds instead of hanging it.
	step := func() (context.Context, context.CancelFunc) { return context.WithTimeout(br.Ctx, 20*time.Second) }
	shots := t.ArtifactDir()
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// follow clicks sel and waits for the page it leads to.
	follow := func(what, sel string) {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	location := func() string {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(u, srv.URL)
	}
	// page checks the page's conventions and keeps its screenshot.
	page := func(name string) {
		t.Helper()
		ctx, cancel := step()
		defer cancel()
		problems, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageChecks))
		if err != nil || problems != "" {
			t.Errorf("%s: %s %v", name, problems, err)
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, name+".png"), shot, 0o644)
		}
		if err != nil {
			t.Error(err)
		}
		do("narrow", chromedp.EmulateViewport(375, 800))
		fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
		if err != nil || !fits {
			t.Errorf("%s scrolls sideways at 375 px (%v)", name, err)
		}
		shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			_ = os.WriteFile(filepath.Join(shots, name+"-375.png"), shot, 0o644)
		}
		do("wide", chromedp.EmulateViewport(1440, 900))
		if errs := br.Errors(srv.URL + location()); len(errs) > 0 {
			t.Errorf("%s logged errors: %v", name, errs)
		}
	}
	clinic := func() string { t.Helper(); return text("#current-clinic") }

	// Signed out, / leads to the sign-in form; a wrong password and an
	// unknown email read the same.
	do("open", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`input[type="password"]`)))
	if !strings.HasPrefix(location(), "/login") {
		t.Fatalf("signed out, / is %s", location())
	}
	page("login")
	signIn := func(email, password string) {
		t.Helper()
		do("sign in", chromedp.SetValue(chromedp.CSS("#email"), email), chromedp.SetValue(chromedp.CSS("#password"), password))
		follow("sign in", `form button[type="submit"]`)
	}
	signIn(b.w.Both.Email, "wrong password")
	wrong := text(`[role="alert"]`)
	signIn("nobody@nowhere.test", "wrong password")
	if unknown := text(`[role="alert"]`); wrong != "Wrong email or password." || unknown != wrong {
		t.Fatalf("wrong password %q, unknown email %q", wrong, unknown)
	}
	page("login-refused") // answered 401

	// A user of two clinics chooses one, then switches from any page.
	signIn(b.w.Both.Email, testkit.Password)
	if location() != "/clinics" {
		t.Fatalf("after sign-in: %s: %s", location(), text("main"))
	}
	page("clinics")
	do("choose A", chromedp.SetValue(chromedp.CSS("#org"), b.w.A.ID.String()))
	follow("choose A", "main button")
	if location() != "/calls" || clinic() != b.w.A.Name {
		t.Fatalf("after choosing A: %s, clinic %q", location(), clinic())
	}
	page("calls")
	do("switch to B", chromedp.SetValue(chromedp.CSS("#switch-org"), b.w.B.ID.String()))
	follow("switch to B", ".switcher button")
	// Five pages through links and back: the clinic stays B.
	for i, link := range []string{`table.calls a[href^="/calls/"]`, `a[href="/settings/receptionist"]`, `a[href="/password"]`,
		`nav a[href="/calls"]`, `a.brand`} {
		follow("navigate", link)
		if c := clinic(); c != b.w.B.Name {
			t.Fatalf("page %d (%s) acts for %q", i+1, location(), c)
		}
		if i == 0 {
			page("call")
		}
		if i == 1 {
			page("receptionist")
		}
		if i == 2 {
			page("password")
		}
	}

	// A call comes in while the list is open: it appears, then changes,
	// without a reload.
	live := func(status string) {
		t.Helper()
		m, _ := json.Marshal(map[string]any{"message": map[string]any{"type": "status-update", "status": status, "timestamp": time.Now().UnixMilli(),
			"call":        map[string]any{"id": "live-call-b", "type": "inboundPhoneCall", "customer": map[string]any{"number": "+447700900555"}},
			"phoneNumber": map[string]any{"number": "+442079460001"}, "customer": map[string]any{"number": "+447700900555"}}})
		if r := b.deliver(t, m, secretB); r.status != 200 {
			t.Fatalf("status-update: %d %s", r.status, r.body)
		}
	}
	rowText := func() string {
		ctx, cancel := step()
		defer cancel()
		s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("table.calls tbody tr")).map(r => r.innerText).join("\n")`))
		return s
	}
	if location() != "/calls" {
		t.Fatalf("not on the calls page: %s", location())
	}
	live("ringing")
	testkit.Eventually(t, 10*time.Second, func() bool { return strings.Contains(rowText(), "+447700900555") })
	live("in-progress")
	testkit.Eventually(t, 10*time.Second, func() bool {
		rows := rowText()
		return strings.Contains(rows, "in progress") && strings.Count(rows, "+447700900555") == 1
	})
	page("calls-live")

	// Calendar: book a free time; a time taken meanwhile offers the
	// nearest free ones, and one of them books; cancel.
	do("calendar", chromedp.Navigate(srv.URL+"/calendar?day="+cs.day.Format(time.DateOnly)), chromedp.WaitReady(chromedp.CSS("#day")))
	page("calendar")
	do("choose the service", chromedp.SetValue(chromedp.CSS("#service"), cs.service))
	follow("free times", "#show-free")
	nine := cs.at(9, 0).Format("2006-01-02 15:04")
	do("fill the booking", chromedp.SetValue(chromedp.CSS("#start"), nine), chromedp.SetValue(chromedp.CSS("#patient_name"), "Ruth Okafor"),
		chromedp.SetValue(chromedp.CSS("#patient_phone"), "07911 123456"))
	page("calendar-book")
	// Meanwhile both clinicians' nine o'clock goes, by phone.
	for _, res := range cs.resources {
		if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(res, cs.at(9, 0))); r.status != 201 {
			t.Fatalf("book by API: %d %s", r.status, r.body)
		}
	}
	follow("book", `form[action="/calendar/book"] button`)
	if !strings.Contains(text("main"), "That time was just taken") {
		t.Fatalf("a taken time: %s", text("main"))
	}
	page("calendar-taken")
	follow("take an alternative", `ul.choices button`)
	if !strings.Contains(text("main"), "Booked.") || !strings.Contains(text("main"), "Ruth Okafor") {
		t.Fatalf("after booking an alternative: %s", text("main"))
	}
	if _, err := chromedp.Run(br.Ctx, chromedp.Evaluate[any](`window.confirm = () => true`)); err != nil {
		t.Fatal(err)
	}
	follow("cancel", `form[action$="/cancel"] button`)
	if !strings.Contains(text("main"), "Cancelled.") {
		t.Fatalf("after cancelling: %s", text("main"))
	}
	follow("week", "#week-view")
	if days := text("ol.week"); !strings.Contains(days, "Ruth Okafor") {
		t.Fatalf("the week view: %s", days)
	}
	page("calendar-week")

	// Hours: a range closing before it opens is marked where it was typed;
	// a proper one is saved and the receptionist answers from it.
	follow("hours", `nav a[href="/settings/hours"]`)
	page("hours")
	do("Saturday backwards", chromedp.SetValue(chromedp.CSS("#opens-6-0"), "10:00"), chromedp.SetValue(chromedp.CSS("#closes-6-0"), "09:00"))
	follow("save hours", `form.hours button`)
	if msg := text("#opens-6-0-error"); !strings.Contains(msg, "opening before closing") {
		t.Fatalf("backwards range: %q", msg)
	}
	page("hours-error")
	do("Saturday morning", chromedp.SetValue(chromedp.CSS("#closes-6-0"), "13:00"))
	follow("save hours", `form.hours button`)
	if !strings.Contains(text("main"), "Saved.") {
		t.Fatalf("hours not saved: %s", text("main"))
	}
	var week struct {
		Hours []struct {
			Weekday       int16
			Opens, Closes string
		}
	}
	b.get(t, "/api/settings/hours", b.token(t, b.w.B.Owner, frontdesk.OrgID{})).json(t, &week)
	saturday := ""
	for _, h := range week.Hours {
		if h.Weekday == 6 {
			saturday += h.Opens + "-" + h.Closes + " "
		}
	}
	if len(week.Hours) != 14 || saturday != "10:00-13:00 13:00-17:00 " {
		t.Fatalf("hours after saving: %+v", week)
	}

	follow("services", `nav a[href="/settings/services"]`)
	page("services")

	follow("patients", `nav a[href="/patients"]`)
	do("a patient", chromedp.SetValue(chromedp.CSS("#phone"), callB.FromNumber))
	follow("show the patient", `main form button`)
	page("patient")
	follow("clinic", `nav a[href="/settings/clinic"]`)
	page("clinic")
	follow("insights", `nav a[href="/insights"]`)
	page("insights")
	follow("team", `nav a[href="/team"]`)
	page("team")
	follow("outbound", `nav a[href="/outbound"]`)
	page("outbound")
	follow("integrations", `nav a[href="/integrations"]`)
	page("integrations")
	// The confirmation is the browser's own dialog: answered yes.
	if _, err := chromedp.Run(br.Ctx, chromedp.Evaluate[any](`window.confirm = () => true`)); err != nil {
		t.Fatal(err)
	}
	follow("new secret", `form[action="/integrations/secret"] button`)
	if secret, _ := chromedp.Run(br.Ctx, chromedp.Value(chromedp.CSS("#secret"))); len(secret) < 40 {
		t.Fatalf("the new secret is not shown: %q", secret)
	}
	page("integrations-secret")

	// A patient texts clinic B; the staff reply from the messages page.
	if r := b.request(t, http.MethodPut, "/api/integrations/twilio", b.token(t, b.w.B.Owner, frontdesk.OrgID{}),
		map[string]any{"account_sid": sidB, "auth_token": tokenB, "from_number": "+442079460002"}); r.status != 200 {
		t.Fatalf("Twilio for B: %d %s", r.status, r.body)
	}
	if r := b.twilioPost(t, "/api/webhooks/twilio/inbound", tokenB, url.Values{"AccountSid": {sidB}, "To": {"+442079460002"},
		"From": {"+447400123456"}, "Body": {"Running ten minutes late, sorry"}, "MessageSid": {"SMbrowser1"}}); r.status != 200 {
		t.Fatalf("inbound text: %d", r.status)
	}

	// The message for the staff, marked done.
	follow("messages", `nav a[href="/messages"]`)
	if !strings.Contains(text(".card.urgent"), "knee brace") {
		t.Fatalf("messages: %s", text("main"))
	}
	page("messages")
	follow("mark done", `.card.urgent form[action$="/done"] button`)
	if location() != "/messages" || !strings.Contains(text("main"), "Nothing to call back.") {
		t.Fatalf("after marking done: %s %s", location(), text("main"))
	}
	do("write a reply", chromedp.SetValue(chromedp.CSS(`textarea[name="body"]`), "No problem, see you soon."))
	follow("send the reply", `form[action$="/reply"] button`)
	if !strings.Contains(text("main"), "Reply sent.") || !strings.Contains(text("main"), "No problem, see you soon.") {
		t.Fatalf("after replying: %s", text("main"))
	}
	page("messages-replied")

	// Filter by the caller's number, in another spelling.
	follow("calls", `nav a[href="/calls"]`)
	national := "0" + strings.TrimPrefix(callB.FromNumber, "+44")
	do("all calls", chromedp.SetValue(chromedp.CSS("#call_type"), "all"), chromedp.SetValue(chromedp.CSS("#q"), national))
	follow("filter", ".filters button")
	if got := text("#total"); got != "1 call" {
		t.Fatalf("filtered by %s: %q", national, got)
	}

	ctx, cancel := context.WithTimeout(br.Ctx, time.Minute)
	defer cancel()
	// The recording plays and seeks through the session.
	do("open the call", chromedp.Navigate(srv.URL+"/calls/"+callB.ID.String()), chromedp.WaitReady(chromedp.CSS("#recording")))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.getElementById("recording").play()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("play: %v", err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		at, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById("recording").currentTime`))
		return at > 0.5
	})
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(() => { const a = document.getElementById("recording"); a.currentTime = 2.2; return a.currentTime })()`)); err != nil {
		t.Fatal(err)
	}
	if ranges.Load() == 0 {
		t.Error("the player's Range requests were not answered 206")
	}

	// A refused edit says why next to the field and keeps what was typed.
	do("edit the receptionist", chromedp.Navigate(srv.URL+"/settings/receptionist"), chromedp.WaitReady(chromedp.CSS("#assistant_name")),
		chromedp.SetValue(chromedp.CSS("#assistant_name"), "Robin"), chromedp.SetValue(chromedp.CSS("#max_call_minutes"), "0"))
	follow("save the receptionist", `form.stack button[type="submit"]`)
	name, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#assistant_name")))
	if msg := text("#max_call_minutes-error"); !strings.Contains(msg, "from 1 to 60") || name != "Robin" {
		t.Fatalf("refused edit: %q, name kept %q", msg, name)
	}
	page("receptionist-error")

	// Another clinic's call reads exactly like a call that does not exist.
	do("A's call", chromedp.Navigate(srv.URL+"/calls/"+b.w.A.Calls[0].ID.String()), chromedp.WaitReady(chromedp.CSS("main")))
	foreign := text("main")
	page("not-found-foreign")
	do("no call", chromedp.Navigate(srv.URL+"/calls/"+"00000000-0000-4000-8000-000000000000"), chromedp.WaitReady(chromedp.CSS("main")))
	if missing := text("main"); !strings.HasPrefix(foreign, "Not found") || foreign != missing {
		t.Fatalf("another clinic's call %q, a missing one %q", foreign, missing)
	}
	page("not-found")

	// Sign out: every page leads to the sign-in page again.
	follow("sign out", ".who button.link")
	do("calls again", chromedp.Navigate(srv.URL+"/calls"), chromedp.WaitVisible(chromedp.CSS("#password")))
	if !strings.HasPrefix(location(), "/login") {
		t.Fatalf("after sign-out, /calls is %s", location())
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
