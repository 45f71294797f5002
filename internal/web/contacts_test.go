package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"frontdesk"
)

// The contacts import: headers in any common spelling; a dry run says per
// row what would happen (an invalid number with its row and value, a
// duplicate in the file, the do-not-call list) and writes nothing; the
// import writes; the same file again changes nothing; the export reads
// back the same; the other clinic sees none of it; staff cannot import.
func TestContactsImport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.w.A
	tok := b.token(t, a.Owner, frontdesk.OrgID{})
	if r := b.request(t, http.MethodPost, "/api/do-not-call", b.token(t, a.Staff, frontdesk.OrgID{}), map[string]any{"phone": "(212) 555-0177", "reason": "asked at the desk"}); r.status != 200 {
		t.Fatalf("do-not-call: %d %s", r.status, r.body)
	}
	file := "Full Name,Mobile,E-mail,Tags,OK to call,DNC\n" +
		"Rosa Marquez,(212) 555-0131,rosa@example.com,\"recall; kids\",yes,\n" +
		"Bad Number,555-12,,,,\n" +
		"Rosa Again,212.555.0131,,,,\n" +
		"Tom Li,+1 212 555 0177,,recall,,\n" +
		"Ann Poe,2125550188,not-an-email,,,\n" +
		"Ben Ode,2125550199,,recall,,yes\n"
	type result struct {
		Summary struct {
			Rows     int
			Outcomes map[string]int
			DryRun   bool `json:"dry_run"`
		}
		Rows []struct {
			Row     int
			Phone   string
			Outcome string
			Why     string
		}
	}
	upload := func(query, body, token string) (result, int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/api/contacts/import"+query, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "text/csv")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out result
		jsonDecode(t, res.Body, &out)
		return out, res.StatusCode
	}
	contacts := func() int { return count(t, b.owner(t), "SELECT count(*) FROM contacts WHERE org_id = $1", a.ID) }

	dry, status := upload("?dry_run=true", file, tok)
	if status != 200 || !dry.Summary.DryRun || dry.Summary.Rows != 6 || contacts() != 0 {
		t.Fatalf("dry run: %d %+v, %d contacts", status, dry.Summary, contacts())
	}
	want := map[string]int{"new": 1, "invalid": 2, "duplicate": 1, "on do-not-call": 1, "added to do-not-call": 1}
	for k, n := range want {
		if dry.Summary.Outcomes[k] != n {
			t.Errorf("dry run %s: %d, want %d (%+v)", k, dry.Summary.Outcomes[k], n, dry.Summary.Outcomes)
		}
	}
	why := map[int]string{}
	for _, r := range dry.Rows {
		why[r.Row] = r.Outcome + ": " + r.Phone + ": " + r.Why
	}
	if !strings.Contains(why[3], "invalid: 555-12") || !strings.Contains(why[4], "duplicate") || !strings.Contains(why[4], "row 2") ||
		!strings.Contains(why[5], "on do-not-call") || !strings.Contains(why[6], "not an email") {
		t.Errorf("dry run rows: %v", why)
	}

	done, _ := upload("", file, tok)
	if done.Summary.DryRun || contacts() != 3 || done.Summary.Outcomes["new"] != 1 {
		t.Fatalf("import: %+v, %d contacts", done.Summary, contacts())
	}
	if n := count(t, b.owner(t), "SELECT count(*) FROM do_not_call WHERE org_id = $1 AND phone = '+12125550199' AND source = 'import'", a.ID); n != 1 {
		t.Error("the import's do-not-call row is missing")
	}
	stamp := func() string {
		var s string
		b.owner(t).QueryRow(context.Background(), "SELECT string_agg(phone || updated_at::text || array_to_string(tags, ','), ';' ORDER BY phone) FROM contacts WHERE org_id = $1", a.ID).Scan(&s)
		return s
	}
	before := stamp()
	again, _ := upload("", file, tok)
	if stamp() != before || again.Summary.Outcomes["unchanged"] != 3 || again.Summary.Outcomes["new"] != 0 {
		t.Fatalf("the same file again: %+v", again.Summary)
	}

	// The export, read back by the import: nothing to change.
	r := b.get(t, "/api/contacts/export", tok)
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "phone" {
		t.Fatalf("export: %v %q", err, rows)
	}
	if back, _ := upload("", string(r.body), tok); back.Summary.Outcomes["unchanged"] != 3 || stamp() != before {
		t.Fatalf("the export imported back: %+v", back.Summary)
	}
	if r := b.get(t, "/api/contacts/export?tag=kids", tok); bytes.Count(r.body, []byte("\n")) != 2 {
		t.Errorf("export of one tag: %s", r.body)
	}
	// The patient page shows the contact card.
	page := b.signInPage(t, a.Staff, a.ID).get("/patients?phone=%2B12125550131")
	if !bytes.Contains(page.body, []byte("rosa@example.com")) || !bytes.Contains(page.body, []byte("recall")) || !bytes.Contains(page.body, []byte("May be called")) {
		t.Errorf("the patient page shows no contact: %d", page.status)
	}
	// Another clinic, and staff.
	if r := b.get(t, "/api/contacts/export", b.token(t, b.w.B.Owner, frontdesk.OrgID{})); bytes.Count(r.body, []byte("\n")) != 1 {
		t.Errorf("clinic B's export: %s", r.body)
	}
	if _, status := upload("", file, b.token(t, a.Staff, frontdesk.OrgID{})); status != 403 {
		t.Errorf("staff import: %d", status)
	}
	if _, status := upload("", "name,email\nx,y@z\n", tok); status != 422 {
		t.Errorf("a file without phones: %d", status)
	}
}

func jsonDecode(t *testing.T, r io.Reader, v any) {
	t.Helper()
	if err := json.NewDecoder(r).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// A caller asking not to be called again: their own number (never one
// they name) goes on the do-not-call list, even for a clinic whose
// receptionist takes no messages.
func TestCallerOptsOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret := voiceSetup(t, b, b.w.A, numberA)
	tok := b.token(t, b.w.A.Owner, frontdesk.OrgID{})
	var profile map[string]any
	b.get(t, "/api/voice/receptionist", tok).json(t, &profile)
	profile["can_take_messages"] = false
	if r := b.request(t, http.MethodPut, "/api/voice/receptionist", tok, profile); r.status != 200 {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}
	out := b.tools(t, secret, [3]any{"oo-1", "optOut", map[string]any{"reason": "no more recall calls", "phone": "+15125550199"}})
	if !strings.Contains(out.Results[0].Result, "will not call or text this number again") {
		t.Fatalf("optOut: %+v", out.Results[0])
	}
	var list struct {
		DoNotCall []struct{ Phone, Source, Reason string } `json:"do_not_call"`
	}
	b.get(t, "/api/do-not-call", tok).json(t, &list)
	if len(list.DoNotCall) != 1 || list.DoNotCall[0].Phone != "+15125550123" || list.DoNotCall[0].Source != "call" ||
		!strings.Contains(list.DoNotCall[0].Reason, "no more recall calls") {
		t.Fatalf("do-not-call: %+v", list)
	}
	owner := b.owner(t)
	var out2 bool
	if err := owner.QueryRow(context.Background(), "SELECT EXISTS (SELECT 1 FROM do_not_call WHERE phone = '+15125550199')").Scan(&out2); err != nil || out2 {
		t.Fatal("the number the caller named went on the list")
	}
}

// The outbound page: a campaign saved as a draft (a refusal at its field,
// as typed), started; a CSV tried, then imported; a number put on the
// do-not-call list; staff see no such page.
func TestOutboundPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.w.A
	v := b.signInPage(t, a.Owner, a.ID)
	v.get("/outbound")
	form := url.Values{"name": {"Spring recall"}, "tags": {"recall"}, "greeting": {"Hello from Alpha Dental."}, "goal": {"Book a cleaning."},
		"phone_number_id": {"pn-a"}, "calling_from": {"07:00"}, "calling_to": {"20:00"}, "max_concurrent": {"2"}, "max_attempts": {"2"}}
	if res := v.post("/outbound/campaigns", form); res.status != 422 || !bytes.Contains(res.body, []byte("within 08:00 and 21:00")) ||
		!bytes.Contains(res.body, []byte(`value="Spring recall"`)) {
		t.Fatalf("calling at 7: %d", res.status)
	}
	form.Set("calling_from", "09:00")
	res := v.post("/outbound/campaigns", form)
	if !strings.Contains(res.url, "done=created") || !bytes.Contains(res.body, []byte("Spring recall")) {
		t.Fatalf("create: %d %s", res.status, res.url)
	}
	m := regexp.MustCompile(`/outbound/campaigns/([0-9a-f-]{36})/start`).FindSubmatch(res.body)
	if m == nil {
		t.Fatal("no start button")
	}
	upload := func(csvBody string, dry bool) pageResponse {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf", v.csrf)
		if dry {
			mw.WriteField("dry_run", "on")
		}
		fw, _ := mw.CreateFormFile("file", "patients.csv")
		fw.Write([]byte(csvBody))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/outbound/contacts/import", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", b.srv.URL)
		return v.do(req)
	}
	file := "name,phone,tags,ok to call\nAnn,+12125550101,recall,yes\nBad,12,recall,yes\n"
	if res := upload(file, true); res.status != 200 || !bytes.Contains(res.body, []byte("a trial: nothing changed")) ||
		!bytes.Contains(res.body, []byte("<td>3</td><td>12</td><td>invalid</td>")) || count(t, b.owner(t), "SELECT count(*) FROM contacts WHERE org_id = $1", a.ID) != 0 {
		t.Fatalf("dry run: %d", res.status)
	}
	if res := upload(file, false); res.status != 200 || count(t, b.owner(t), "SELECT count(*) FROM contacts WHERE org_id = $1", a.ID) != 1 {
		t.Fatalf("import: %d", res.status)
	}
	if res := v.post("/outbound/campaigns/"+string(m[1])+"/start", url.Values{}); !strings.Contains(res.url, "done=start") ||
		!bytes.Contains(res.body, []byte("running")) || !bytes.Contains(res.body, []byte("pending: 1")) {
		t.Fatalf("start: %d %s", res.status, res.url)
	}
	if res := v.post("/outbound/do-not-call", url.Values{"phone": {"call me"}}); res.status != 422 || !bytes.Contains(res.body, []byte(`id="dnc-phone-error"`)) {
		t.Fatalf("do-not-call, not a number: %d", res.status)
	}
	if res := v.post("/outbound/do-not-call", url.Values{"phone": {"(212) 555-0199"}, "reason": {"asked at the desk"}}); !strings.Contains(res.url, "done=blocked") ||
		!bytes.Contains(res.body, []byte("asked at the desk")) {
		t.Fatalf("do-not-call: %d %s", res.status, res.url)
	}
	if csv := v.get("/outbound/contacts.csv"); !bytes.Contains(csv.body, []byte("+12125550101,Ann")) {
		t.Fatalf("contacts CSV: %s", csv.body)
	}
	if res := b.signInPage(t, a.Staff, a.ID).get("/outbound"); res.status != 403 {
		t.Fatalf("staff open the outbound page: %d", res.status)
	}
}
