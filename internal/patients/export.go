package patients

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/access"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/receptionist"
)

// exportPage is how many calls one transaction of an export reads.
const exportPage = 100

// readme is README.txt in every export.
const readme = `Your data at %s
Exported %s for the phone number %s.

This archive holds everything the clinic's phone system keeps about this
phone number:

data.json
    One document, in JSON:
    - "patient": the phone number, and the time of this export.
    - "calls": every call with this number, newest first: when, how long,
      its status and outcome, the caller's name as given, the summary
      and the transcript (what the assistant and the caller said), and
      the name of its recording in this archive, if one is kept.
    - "bookings": appointments booked for this number, with the service,
      the clinician, the time and whether they were cancelled.
    - "texts_sent": text messages the clinic sent to this number.
    - "texts_received": text messages this number sent to the clinic,
      and what was done with each (an opt-out, a confirmation, a message).
    - "messages_for_staff": requests to call back that the assistant took.
    - "opted_out": when this number asked not to be texted (STOP), if it
      did; null otherwise.
    - "recording_consent": whether the clinic's phone assistant tells
      callers that calls are recorded, and the words it says, as set now.

recordings/
    The recordings of the calls, as audio files, named by the time of the
    call and its id (the id is in data.json too).

Times are in the clinic's time zone, %s.
`

// exportCall is one call in data.json.
type exportCall struct {
	ID         frontdesk.CallID `json:"id"`
	Direction  string           `json:"direction"`
	Status     string           `json:"status"`
	StartedAt  time.Time        `json:"started_at"`
	EndedAt    *time.Time       `json:"ended_at"`
	Seconds    *int32           `json:"duration_seconds"`
	Outcome    *string          `json:"outcome"`
	CallerName string           `json:"caller_name"`
	Summary    string           `json:"summary"`
	Transcript string           `json:"transcript"`
	Recording  *string          `json:"recording"`
}

// recording is a stored recording to add after data.json.
type recording struct{ key, name string }

// Export writes a zip of everything of one patient (by number) to w: a
// README.txt, data.json and the recordings. It streams: the calls are
// read a page at a time, each page in its own transaction, and the
// recordings are copied from storage with no transaction open. The
// export is a read the access log records.
func (s *Service) Export(ctx context.Context, org frontdesk.OrgID, number string, w io.Writer) error {
	var (
		phone   string
		d       data
		clinic  frontdesk.Clinic
		profile receptionist.Profile
	)
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if phone, err = phoneOf(tx, number); err != nil {
			return err
		}
		clinic = tx.Org
		if err := s.access.Read(ctx, tx, access.Exported, frontdesk.CallID{}, phone); err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, "export", s.access.PatientKey(phone)); err != nil {
			return err
		}
		if d, err = load(ctx, tx, phone); err != nil {
			return err
		}
		profile, err = receptionist.ProfileTx(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	loc := clinic.Location
	now := time.Now().In(loc)
	z := zip.NewWriter(w)
	f, err := z.Create("README.txt")
	if err != nil {
		return err
	}
	fmt.Fprintf(f, readme, clinic.Name, now.Format("Monday 2 January 2006, 15:04"), phone, loc)

	f, err = z.Create("data.json")
	if err != nil {
		return err
	}
	out := bufio.NewWriter(f)
	field := func(name string, v any, last bool) error {
		b, err := json.MarshalIndent(v, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n"
		if last {
			sep = "\n"
		}
		_, err = fmt.Fprintf(out, "  %q: %s%s", name, b, sep)
		return err
	}
	out.WriteString("{\n")
	if err := field("patient", map[string]any{"phone": phone, "clinic": clinic.Name, "exported_at": now}, false); err != nil {
		return err
	}
	bookings := []map[string]any{}
	for _, b := range d.bookings {
		bookings = append(bookings, map[string]any{"id": b.ID, "status": b.Status, "service": b.ServiceName, "clinician": b.ResourceName,
			"starts_at": b.StartsAt.In(loc), "ends_at": b.EndsAt.In(loc), "patient_name": b.PatientName, "booked_by": b.Source,
			"booked_at": b.CreatedAt.In(loc), "confirmed_by_patient_at": calls.InZone(b.PatientConfirmedAt, loc)})
	}
	sent := []map[string]any{}
	for _, t := range d.texts {
		sent = append(sent, map[string]any{"id": t.ID, "kind": t.Kind, "body": t.Body, "status": t.Status, "sent_at": t.CreatedAt.In(loc)})
	}
	received := []map[string]any{}
	for _, t := range d.inbound {
		received = append(received, map[string]any{"id": t.ID, "body": t.Body, "taken_as": t.Action, "received_at": t.ReceivedAt.In(loc)})
	}
	messages := []map[string]any{}
	for _, c := range d.callbacks {
		messages = append(messages, map[string]any{"id": c.ID, "call_id": c.CallID, "call_back_on": c.CallbackNumber, "reason": c.Reason,
			"urgency": c.Urgency, "status": c.Status, "note": c.Note, "taken_at": c.CreatedAt.In(loc), "done_at": calls.InZone(c.DoneAt, loc)})
	}
	for _, x := range []struct {
		name string
		v    any
	}{{"bookings", bookings}, {"texts_sent", sent}, {"texts_received", received}, {"messages_for_staff", messages}, {"opted_out", calls.InZone(d.optedOut, loc)},
		{"recording_consent", map[string]any{"callers_are_told": profile.RecordingConsent, "what_they_hear": profile.ConsentSentence}}} {
		if err := field(x.name, x.v, false); err != nil {
			return err
		}
	}

	// The calls, a page at a time; their recordings after data.json.
	out.WriteString("  \"calls\": [")
	var recordings []recording
	page := firstCalls(org, phone, exportPage)
	for n := 0; ; {
		var rows []db.PatientCallsRow
		err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
			rows, err = tx.PatientCalls(ctx, page)
			return err
		})
		if err != nil {
			return err
		}
		for _, c := range rows {
			ec := exportCall{ID: c.ID, Direction: c.Direction, Status: c.Status, StartedAt: c.StartedAt.In(loc), EndedAt: calls.InZone(c.EndedAt, loc),
				CallerName: c.CallerName, Summary: c.Summary, Transcript: c.Transcript}
			if c.DurationSeconds.Valid {
				ec.Seconds = &c.DurationSeconds.Int32
			}
			if c.Outcome.Valid {
				ec.Outcome = &c.Outcome.String
			}
			if c.RecordingStatus == "stored" && c.RecordingKey != "" {
				name := "recordings/" + c.StartedAt.In(loc).Format("2006-01-02-1504") + "-" + c.ID.String()
				ec.Recording = &name
				recordings = append(recordings, recording{c.RecordingKey, name})
			}
			b, err := json.MarshalIndent(ec, "    ", "  ")
			if err != nil {
				return err
			}
			if n > 0 {
				out.WriteString(",")
			}
			out.WriteString("\n    ")
			out.Write(b)
			n++
		}
		if len(rows) < exportPage {
			break
		}
		last := rows[len(rows)-1]
		page.BeforeAt, page.BeforeID = last.StartedAt, uuid.UUID(last.ID)
	}
	out.WriteString("\n  ]\n}\n")
	if err := out.Flush(); err != nil {
		return err
	}
	for _, rec := range recordings {
		if err := s.copyRecording(ctx, z, rec); err != nil {
			return err
		}
	}
	return z.Close()
}

// copyRecording adds one recording to the archive, named by its audio
// type; one missing from storage is left out, and said so in its place.
func (s *Service) copyRecording(ctx context.Context, z *zip.Writer, rec recording) error {
	r, err := s.bucket.NewReader(ctx, rec.key, nil)
	if err != nil {
		f, ferr := z.Create(rec.name + ".missing.txt")
		if ferr != nil {
			return ferr
		}
		_, ferr = fmt.Fprintf(f, "This recording could not be read from storage when the export was made.\n")
		return ferr
	}
	defer r.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(r, head)
	ext := map[string]string{"audio/wav": ".wav", "audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/webm": ".webm", "audio/mp4": ".m4a", "audio/flac": ".flac"}[calls.AudioType(head[:n])]
	if ext == "" {
		ext = ".audio"
	}
	f, err := z.CreateHeader(&zip.FileHeader{Name: rec.name + ext, Method: zip.Store}) // audio does not compress
	if err != nil {
		return err
	}
	if _, err := f.Write(head[:n]); err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return err
}
