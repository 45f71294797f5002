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
	}
	if err := json.Unmarshal(files["data.json"], &doc); err != nil {
		t.Fatalf("data.json: %v\n%s", err, files["data.json"])
	}
	if doc.Patient.Phone != phone || len(doc.Calls) != 4 || len(doc.Bookings) != 1 || len(doc.TextsReceived) != 1 || doc.OptedOut == nil {
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
