package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"frontdesk"
)

// Bad input is a 4xx naming the field, never a 500, and stores nothing:
// NUL characters and invalid UTF-8 anywhere, JSON values of the wrong
// type, impossible times, a query longer than the server reads.
func TestBadInputIsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	db := b.owner(t)
	day := cs.day.Format(time.DateOnly)
	type errBody struct {
		Error struct{ Code, Message, Field string }
	}
	cases := []struct {
		name, method, path string
		token              string
		body               any
		status             int
		field              string
	}{
		{"NUL in a login email", "POST", "/api/auth/login", "", []byte(`{"email":"a\u0000@x.test","password":"p"}`), 400, "email"},
		{"NUL in a service name", "POST", "/api/services", cs.token, []byte(`{"name":"Clean\u0000ing","duration_minutes":30}`), 400, "name"},
		{"NUL in a closure reason", "POST", "/api/settings/closures", cs.token, []byte(`{"first_day":"2030-01-01","last_day":"2030-01-02","reason":"x\u0000"}`), 400, "reason"},
		{"NUL in a booking name", "POST", "/api/bookings", cs.token, []byte(`{"patient_name":"Pat\u0000","patient_phone":"+15125550123","service_id":"` + cs.service + `","resource_id":"any","start":"` + day + ` 10:00"}`), 400, "patient_name"},
		{"NUL in an article", "POST", "/api/knowledge-base", cs.token, []byte(`{"title":"Parking","body":"behind\u0000"}`), 400, "body"},
		{"NUL in a query", "GET", "/api/calls-dashboard?q=%00", cs.token, nil, 400, "q"},
		{"invalid UTF-8 in a query", "GET", "/api/calls-dashboard?q=%ff", cs.token, nil, 400, "q"},
		{"invalid UTF-8 in a body", "POST", "/api/services", cs.token, []byte("{\"name\":\"\xff\xfe\",\"duration_minutes\":30}"), 400, ""},
		{"a number for a name", "POST", "/api/services", cs.token, []byte(`{"name":5,"duration_minutes":30}`), 400, "name"},
		{"30 February", "POST", "/api/bookings", cs.token, map[string]any{"patient_name": "Pat", "patient_phone": "+15125550123",
			"service_id": cs.service, "resource_id": "any", "start": "2027-02-30T10:00"}, 422, "start"},
		{"a start that is a number", "POST", "/api/bookings", cs.token, []byte(`{"patient_name":"Pat","patient_phone":"+15125550123","service_id":"` + cs.service + `","start":5}`), 400, "start"},
		{"a reschedule to 25:00", "POST", "/api/bookings/" + uuid.NewString() + "/reschedule", cs.token, map[string]any{"start": day + " 25:00"}, 422, "start"},
		{"availability of an unknown service", "GET", "/api/availability?service=" + uuid.NewString() + "&from=" + day + "&to=" + day, cs.token, nil, 422, "service"},
		{"more query parameters than the server reads", "GET", "/api/calls-dashboard?" + strings.Repeat("a=1&", 10_001), cs.token, nil, 400, "query"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := b.request(t, c.method, c.path, c.token, c.body)
			var e errBody
			res.json(t, &e)
			if res.status != c.status || e.Error.Field != c.field {
				t.Fatalf("%d %s, want %d naming %q", res.status, res.body, c.status, c.field)
			}
		})
	}
	for table, want := range map[string]int{"services": 1, "closures": 0, "bookings": 0, "kb_articles": 0} {
		if n := count(t, db, "SELECT count(*) FROM "+table+" WHERE org_id = $1", b.w.A.ID); n != want {
			t.Errorf("%d rows in %s after refused input, want %d", n, table, want)
		}
	}

	// A staff booking may give its start on the clinic's wall clock, as the
	// agent does.
	res := b.request(t, http.MethodPost, "/api/bookings", cs.token, map[string]any{"patient_name": "Pat Doe", "patient_phone": "+15125550123",
		"service_id": cs.service, "resource_id": "any", "start": day + " 10:00"})
	var bk struct{ Start time.Time }
	res.json(t, &bk)
	if res.status != 201 || !bk.Start.Equal(cs.at(10, 0)) {
		t.Fatalf("booking at a wall time: %d %s", res.status, res.body)
	}

	// A tool call's arguments with a NUL are answered, not failed.
	secret := voiceSetup(t, b, b.w.A, numberA)
	r := b.tools(t, secret, [3]any{"n1", "lookupKnowledge", json.RawMessage(`{"query":"park\u0000ing"}`)})
	if r.Results[0].Error != "" || !strings.Contains(r.Results[0].Result, "could not read") {
		t.Fatalf("NUL in tool arguments: %+v", r.Results[0])
	}
}

// Every response says not to sniff its type; responses with patient data
// are not cached; under an https public URL, browsers are told to stay on
// https.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.token(t, b.w.A.Staff, frontdesk.OrgID{})
	for _, path := range []string{"/healthz", "/api/calls-dashboard", "/api/calls-dashboard/" + b.w.A.Calls[0].ID.String(), "/nowhere"} {
		req, _ := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-store" ||
			!strings.HasPrefix(res.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s: headers %v", path, res.Header)
		}
	}
}

// Phone numbers that will be called or texted must exist: no letters, an
// area code, a valid number, wherever they come in.
func TestPhoneNumbersMustExist(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	secret := voiceSetup(t, b, b.w.A, numberA)
	db := b.owner(t)
	day := cs.day.Format(time.DateOnly)
	for _, c := range []struct {
		number, says string
	}{
		{"555-1234", "area code"},
		{"+1555CALLNOW", "digits"},
		{"+15555550123", "not a phone number that exists"},
	} {
		bk := cs.booking(cs.resources[0], cs.at(9, 0))
		bk["patient_phone"] = c.number
		r := b.request(t, http.MethodPost, "/api/bookings", cs.token, bk)
		if r.status != 422 || !strings.Contains(string(r.body), `"field":"patient_phone"`) || !strings.Contains(string(r.body), c.says) {
			t.Errorf("booking for %q: %d %s", c.number, r.status, r.body)
		}
		r = b.request(t, http.MethodPost, "/api/voice/phone-numbers", cs.token, map[string]any{"number": c.number})
		if r.status != 422 || !strings.Contains(string(r.body), `"field":"number"`) {
			t.Errorf("voice number %q: %d %s", c.number, r.status, r.body)
		}
		r = b.request(t, http.MethodPut, "/api/integrations/twilio", cs.token, map[string]any{"account_sid": sidA, "auth_token": tokenA, "from_number": c.number})
		if r.status != 422 || !strings.Contains(string(r.body), `"field":"from_number"`) {
			t.Errorf("sending number %q: %d %s", c.number, r.status, r.body)
		}
		out := b.tools(t, secret, [3]any{"p-" + c.number, "bookAppointment", map[string]any{"service": "Cleaning", "start": day + " 10:00",
			"patient_name": "Pat", "patient_phone": c.number}})
		if !strings.Contains(out.Results[0].Result, "area code") {
			t.Errorf("agent booking for %q: %+v", c.number, out.Results[0])
		}
	}
	if n := count(t, db, "SELECT count(*) FROM bookings"); n != 0 {
		t.Fatalf("%d bookings made for numbers that do not exist", n)
	}
}
