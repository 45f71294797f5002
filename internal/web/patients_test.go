package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/access"
	"frontdesk/internal/testkit"
)

// patientFixture gives clinic c calls from phone (the first with a
// recording, if audio is given), a text from it and, when optOut, its
// STOP; it returns the call ids.
func patientFixture(t *testing.T, b *bundle, c testkit.Clinic, phone, words string, calls int, audio []byte, optOut bool) []frontdesk.CallID {
	t.Helper()
	ctx, owner := context.Background(), b.owner(t)
	var ids []frontdesk.CallID
	for i := range calls {
		var id frontdesk.CallID
		if err := owner.QueryRow(ctx, `INSERT INTO call_logs (org_id, provider_call_id, direction, status, from_number, to_number, caller_name,
			started_at, ended_at, duration_seconds, summary, transcript)
			VALUES ($1, $2, 'inbound', 'ended', $3, '+15550000000', 'Rosa Marquez', $4, $4, 60, $5, $6) RETURNING id`,
			c.ID, uuid.NewString(), phone, time.Now().Add(-time.Duration(i+1)*time.Hour),
			fmt.Sprintf("summary %d: %s", i, words), fmt.Sprintf("AI: Hello.\nUser: %s, call %d.", words, i)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if audio != nil {
		b.storeRecording(t, c.ID, ids[0], audio)
	}
	if _, err := owner.Exec(ctx, `INSERT INTO sms_inbound (org_id, message_sid, from_number, body, action) VALUES ($1, $2, $3, $4, 'message')`,
		c.ID, "SM"+uuid.NewString(), phone, "text: "+words); err != nil {
		t.Fatal(err)
	}
	if optOut {
		if _, err := owner.Exec(ctx, `INSERT INTO sms_opt_outs (org_id, phone) VALUES ($1, $2)`, c.ID, phone); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// A patient's export: exactly their data in this clinic (the same number
// at another clinic, and other patients, not at all), with a README and
// the recordings; owners only; a number that is none is refused; the
// export is in the access log.
func TestPatientExport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, other := b.w.A, b.w.B
	seedObjects(t, b, a, 1) // a booking for +12125550101 at A, whose second call is from it too
	seedObjects(t, b, other, 2)
	const phone = "+12125550101"
	audio := append([]byte("RIFF\x00\x00\x00\x00WAVE"), bytes.Repeat([]byte("sound"), 3000)...)
	patientFixture(t, b, a, phone, "my knee hurts", 3, audio, true)
	patientFixture(t, b, other, phone, "Bravo-only words", 2, nil, false)
	ownerTok := b.token(t, a.Owner, frontdesk.OrgID{})

	res := b.request(t, http.MethodPost, "/api/patients/export", ownerTok, map[string]any{"phone": "(212) 555-0101"})
	if res.status != 200 || res.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", res.status, res.body)
	}
	z, err := zip.NewReader(bytes.NewReader(res.body), int64(len(res.body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		r, _ := f.Open()
		files[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	if !bytes.Contains(files["README.txt"], []byte("data.json")) || !bytes.Contains(files["README.txt"], []byte(phone)) {
		t.Errorf("README.txt: %s", files["README.txt"])
	}
	var doc struct {
		Patient struct{ Phone string }
		Calls   []struct {
			Transcript string
			Recording  *string
		}
		Bookings []struct {
			PatientName string `json:"patient_name"`
		}
		TextsReceived []struct{ Body string } `json:"texts_received"`
		OptedOut      *time.Time              `json:"opted_out"`
		Consent       struct {
			Told bool `json:"callers_are_told"`
		} `json:"recording_consent"`
	}
	if err := json.Unmarshal(files["data.json"], &doc); err != nil {
		t.Fatalf("data.json: %v\n%s", err, files["data.json"])
	}
	if doc.Patient.Phone != phone || len(doc.Calls) != 4 || len(doc.Bookings) != 1 || len(doc.TextsReceived) != 1 || doc.OptedOut == nil || !doc.Consent.Told {
		t.Fatalf("data.json: %+v", doc)
	}
	recorded := 0
	for _, c := range doc.Calls {
		if !strings.Contains(c.Transcript, "my knee hurts") && c.Transcript != a.Calls[1].Transcript {
			t.Errorf("a call that is not the patient's: %q", c.Transcript)
		}
		if c.Recording != nil {
			recorded++
			if got := files[*c.Recording+".wav"]; !bytes.Equal(got, audio) {
				t.Errorf("recording %s: %d bytes, want %d", *c.Recording, len(got), len(audio))
			}
		}
	}
	if recorded != 1 || len(files) != 3 {
		t.Errorf("%d recordings, files %d", recorded, len(files))
	}
	for name, body := range files {
		for _, leak := range []string{"Bravo-only", other.Name, a.Calls[2].Transcript} {
			if bytes.Contains(body, []byte(leak)) {
				t.Errorf("%s holds %q", name, leak)
			}
		}
	}

	// Owners only; a number that is none is refused naming the field.
	if r := b.request(t, http.MethodPost, "/api/patients/export", b.token(t, a.Staff, frontdesk.OrgID{}), map[string]any{"phone": phone}); r.status != 403 {
		t.Errorf("staff export: %d", r.status)
	}
	if r := b.request(t, http.MethodPost, "/api/patients/export", ownerTok, map[string]any{"phone": "call me"}); r.status != 422 ||
		!strings.Contains(string(r.body), `"field":"phone"`) {
		t.Errorf("a number that is none: %d %s", r.status, r.body)
	}
	// From the dashboard, too; both in the access log.
	v := b.signInPage(t, a.Owner, a.ID)
	v.get("/patients?phone=" + url.QueryEscape(phone))
	if page := v.post("/patients/export", url.Values{"phone": {phone}}); page.status != 200 || !bytes.HasPrefix(page.body, []byte("PK")) {
		t.Errorf("dashboard export: %d", page.status)
	}
	var log struct{ Reads []struct{ What, Via string } }
	b.get(t, "/api/access-log?phone="+url.QueryEscape(phone), ownerTok).json(t, &log)
	exports := 0
	for _, r := range log.Reads {
		if r.What == "export" {
			exports++
		}
	}
	if exports != 2 {
		t.Errorf("%d exports in the access log: %+v", exports, log.Reads)
	}
}

// Erasing a patient: refused without the number repeated; then nothing
// of them is left in the clinic's rows (searched as the database owner,
// every table with an org_id) or storage, but the tombstone and the
// access log under the number's hash, and their opt-out still holds; the
// same number at another clinic is untouched; running it again does
// nothing.
func TestPatientErasure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, other := b.w.A, b.w.B
	seedObjects(t, b, a, 1) // an upcoming booking for +12125550101 at A
	seedObjects(t, b, other, 2)
	const phone = "+12125550101"
	audio := append([]byte("RIFF\x00\x00\x00\x00WAVE"), bytes.Repeat([]byte("sound"), 3000)...)
	ids := patientFixture(t, b, a, phone, "my knee hurts", 3, audio, true)
	patientFixture(t, b, other, phone, "Bravo-only words", 2, nil, false)
	ownerTok := b.token(t, a.Owner, frontdesk.OrgID{})
	b.get(t, "/api/calls-dashboard/"+ids[0].String(), ownerTok) // a read, to outlive the erasure
	ctx, owner := context.Background(), b.owner(t)
	var recordingKey string
	owner.QueryRow(ctx, "SELECT recording_key FROM call_logs WHERE id = $1", ids[0]).Scan(&recordingKey)

	if r := b.request(t, http.MethodPost, "/api/patients/erase", b.token(t, a.Staff, frontdesk.OrgID{}), map[string]any{"phone": phone, "confirm": phone}); r.status != 403 {
		t.Fatalf("staff erase: %d", r.status)
	}
	if r := b.request(t, http.MethodPost, "/api/patients/erase", ownerTok, map[string]any{"phone": phone, "confirm": "+12125550102"}); r.status != 422 ||
		!strings.Contains(string(r.body), `"field":"confirm"`) {
		t.Fatalf("erase without the number repeated: %d %s", r.status, r.body)
	}
	var out struct {
		PatientKey string `json:"patient_key"`
		Calls      int
		Recordings int
		Bookings   int
		Cancelled  int `json:"bookings_cancelled"`
		Texts      int
		Already    bool `json:"already_erased"`
	}
	r := b.request(t, http.MethodPost, "/api/patients/erase", ownerTok, map[string]any{"phone": "(212) 555-0101", "confirm": phone})
	if r.status != 200 {
		t.Fatalf("erase: %d %s", r.status, r.body)
	}
	r.json(t, &out)
	if out.Calls != 4 || out.Recordings != 1 || out.Bookings != 1 || out.Cancelled != 1 || out.Texts != 1 || out.Already {
		t.Fatalf("erased: %+v", out)
	}

	// Nothing of them anywhere in the clinic's rows, as the owner sees them.
	tables, err := owner.Query(ctx, `SELECT table_name FROM information_schema.columns WHERE column_name = 'org_id' AND table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	for _, table := range names {
		for _, trace := range []string{phone, "2125550101", "my knee hurts", "Rosa Marquez", "Patient Alpha Dental"} {
			var n int
			if err := owner.QueryRow(ctx, `SELECT count(*) FROM `+table+` t WHERE org_id = $1 AND t::text LIKE '%' || $2 || '%'`, a.ID, trace).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				t.Errorf("%s still holds %q in %d rows", table, trace, n)
			}
		}
	}
	if there, _ := b.bucket.Exists(ctx, recordingKey); there {
		t.Error("the recording is still in storage")
	}
	if n := count(t, owner, "SELECT count(*) FROM call_logs WHERE org_id = $1 AND from_number = $2 AND caller_name = 'erased'", a.ID, out.PatientKey); n != 4 {
		t.Errorf("%d calls counted under the hash", n)
	}
	if n := count(t, owner, "SELECT count(*) FROM sms_opt_outs WHERE org_id = $1 AND phone = $2", a.ID, out.PatientKey); n != 1 {
		t.Error("the opt-out is gone")
	}
	if n := count(t, owner, "SELECT count(*) FROM bookings WHERE org_id = $1 AND patient_phone = $2 AND status = 'cancelled'", a.ID, out.PatientKey); n != 1 {
		t.Error("the upcoming booking is not cancelled")
	}
	if n := count(t, owner, "SELECT count(*) FROM patient_erasures WHERE org_id = $1 AND patient_key = $2 AND finished_at IS NOT NULL AND user_id = $3", a.ID, out.PatientKey, a.Owner.ID); n != 1 {
		t.Error("no finished tombstone naming the owner")
	}
	var log struct{ Reads []struct{ What string } }
	b.get(t, "/api/access-log?phone="+url.QueryEscape(phone), ownerTok).json(t, &log)
	if len(log.Reads) != 1 || log.Reads[0].What != "call" {
		t.Errorf("the access log after erasure: %+v", log.Reads)
	}
	// The API and the dashboard show nothing of them.
	if page := b.get(t, "/api/calls-dashboard/"+ids[0].String(), ownerTok); bytes.Contains(page.body, []byte("knee")) || bytes.Contains(page.body, []byte("Rosa")) {
		t.Errorf("the call after erasure: %s", page.body)
	}
	v := b.signInPage(t, a.Owner, a.ID)
	if page := v.get("/patients?phone=" + url.QueryEscape(phone)); !bytes.Contains(page.body, []byte("Nothing with this number")) {
		t.Error("the patient page still shows them")
	}
	if page := v.get("/audit"); !bytes.Contains(page.body, []byte("erase: patient "+out.PatientKey)) {
		t.Error("the erasure is not on the audit page")
	}
	// The other clinic's patient with the same number is untouched.
	if n := count(t, owner, "SELECT count(*) FROM call_logs WHERE org_id = $1 AND from_number = $2 AND transcript LIKE '%Bravo-only%'", other.ID, phone); n != 2 {
		t.Errorf("clinic B's calls from the number: %d", n)
	}
	// A run cut short (its tombstone started, nothing else done) is
	// finished by the next.
	const second = "+12125550144"
	patientFixture(t, b, a, second, "cut short", 1, nil, false)
	if _, err := owner.Exec(ctx, "INSERT INTO patient_erasures (org_id, patient_key, user_id) VALUES ($1, $2, $3)",
		a.ID, access.PatientKey(b.secrets, second), a.Owner.ID); err != nil {
		t.Fatal(err)
	}
	var resumed struct {
		Calls   int
		Already bool `json:"already_erased"`
	}
	b.request(t, http.MethodPost, "/api/patients/erase", ownerTok, map[string]any{"phone": second, "confirm": second}).json(t, &resumed)
	if resumed.Calls != 1 || resumed.Already || count(t, owner, "SELECT count(*) FROM patient_erasures WHERE org_id = $1 AND finished_at IS NOT NULL", a.ID) != 2 {
		t.Errorf("a resumed erasure: %+v", resumed)
	}

	// Again: nothing left to do; and from the dashboard, the same.
	r = b.request(t, http.MethodPost, "/api/patients/erase", ownerTok, map[string]any{"phone": phone, "confirm": phone})
	r.json(t, &out)
	if !out.Already {
		t.Errorf("a second erasure: %+v", out)
	}
	if page := v.post("/patients/erase", url.Values{"phone": {phone}, "confirm": {"nope"}}); page.status != 422 || !bytes.Contains(page.body, []byte(`id="confirm-error"`)) {
		t.Errorf("dashboard erase unconfirmed: %d", page.status)
	}
	if page := v.post("/patients/erase", url.Values{"phone": {phone}, "confirm": {phone}}); page.status != 200 || !bytes.Contains(page.body, []byte("already been erased")) {
		t.Errorf("dashboard erase: %d", page.status)
	}
}
