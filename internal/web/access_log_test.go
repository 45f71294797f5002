package web_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"frontdesk"
)

// The access log: opening a call (API or dashboard), each playback of its
// recording (not each seek), and a patient's timeline are each one row
// with the right reader; listing calls is none. Owners read it by patient
// and by person, as JSON and CSV; staff cannot; the other clinic sees
// none of it.
func TestReadsOfPatientDataAreLogged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.w.A
	call := a.Calls[0]
	b.storeRecording(t, a.ID, call.ID, append([]byte("RIFF\x00\x00\x00\x00WAVE"), bytes.Repeat([]byte("0123456789"), 1000)...))
	staffTok, ownerTok := b.token(t, a.Staff, frontdesk.OrgID{}), b.token(t, a.Owner, frontdesk.OrgID{})
	type read struct {
		User, Via, What string
		CallID          *string `json:"call_id"`
	}
	reads := func(query string) []read {
		t.Helper()
		var out struct{ Reads []read }
		r := b.get(t, "/api/access-log"+query, ownerTok)
		if r.status != 200 {
			t.Fatalf("access log: %d %s", r.status, r.body)
		}
		r.json(t, &out)
		return out.Reads
	}
	if n := len(reads("")); n != 0 {
		t.Fatalf("%d reads before any", n)
	}
	b.get(t, "/api/calls-dashboard?call_type=all", staffTok) // a list: no read
	b.get(t, "/api/calls-dashboard/"+call.ID.String(), staffTok)
	recording := func(rng string) {
		req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/api/calls-dashboard/"+call.ID.String()+"/recording", nil)
		req.Header.Set("Authorization", "Bearer "+staffTok)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	recording("")              // a download
	recording("bytes=0-")      // a playback starting
	recording("bytes=4000-")   // the same playback, seeking
	recording("bytes=100-200") // and again
	v := b.signInPage(t, a.Owner, a.ID)
	v.get("/calls/" + call.ID.String())
	v.get("/patients?phone=" + url.QueryEscape(call.FromNumber))

	all := reads("")
	want := []string{"owner patient dashboard", "owner call dashboard", "staff recording api", "staff recording api", "staff call api"}
	var got []string
	for _, r := range all {
		who := "staff"
		if r.User == a.Owner.Email {
			who = "owner"
		}
		got = append(got, who+" "+r.What+" "+r.Via)
		if r.What != "patient" && (r.CallID == nil || *r.CallID != call.ID.String()) {
			t.Errorf("read %+v names no call", r)
		}
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("reads:\n got %s\nwant %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
	if n := len(reads("?user=" + url.QueryEscape(a.Staff.Email))); n != 3 {
		t.Errorf("the staff member's reads: %d", n)
	}
	if n := len(reads("?phone=" + url.QueryEscape(call.FromNumber))); n != 5 {
		t.Errorf("the patient's reads: %d", n)
	}
	if n := len(reads("?phone=" + url.QueryEscape(a.Calls[1].FromNumber))); n != 0 {
		t.Errorf("another patient's reads: %d", n)
	}
	if r := b.get(t, "/api/access-log?from=yesterday", ownerTok); r.status != 422 || !strings.Contains(string(r.body), `"field":"from"`) {
		t.Errorf("a bad date: %d %s", r.status, r.body)
	}
	r := b.get(t, "/api/access-log?format=csv", ownerTok)
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 6 || rows[0][0] != "time" || rows[1][1] != a.Owner.Email {
		t.Errorf("CSV: %v %q", err, rows)
	}
	if r := b.get(t, "/api/access-log", staffTok); r.status != 403 {
		t.Errorf("staff read the access log: %d", r.status)
	}
	// The dashboard's audit page and its CSV, for the owner only.
	page := v.get("/audit?user=" + url.QueryEscape(a.Staff.Email))
	if page.status != 200 || bytes.Count(page.body, []byte("<td>"+a.Staff.Email+"</td>")) != 3 {
		t.Errorf("audit page: %d", page.status)
	}
	if csvPage := v.get("/audit/access.csv"); !bytes.HasPrefix(csvPage.body, []byte("time,user,via,what")) {
		t.Errorf("audit CSV: %.100s", csvPage.body)
	}
	other := b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	var out struct{ Reads []read }
	b.get(t, "/api/access-log", other).json(t, &out)
	if len(out.Reads) != 0 {
		t.Errorf("clinic B sees %d of clinic A's reads", len(out.Reads))
	}
}
