// Package access is the access log: who read which patient's health data
// (a call's transcript and summary, its recording, a patient's timeline,
// an export), when, how and from where. Every such read records itself in
// the transaction that reads, and a read nobody is named for fails.
package access

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/secrets"
	"frontdesk/internal/tel"
)

// Via is how a read was made.
type Via string

const (
	API       Via = "api"
	Dashboard Via = "dashboard"
	Export    Via = "export"
	Agent     Via = "agent"
	CLI       Via = "cli"
)

// What was read.
type What string

const (
	Call      What = "call"      // a call's transcript and summary
	Recording What = "recording" // one playback or download of a recording
	Patient   What = "patient"   // one phone number's timeline
	Exported  What = "export"    // everything of one patient, as a file
)

type reader struct {
	via            Via
	operator, addr string
}

type readerKey struct{}

// By names who reads under ctx: how, from which address, and for the
// operator's commands, the command (the user, if any, is the acting one).
func By(ctx context.Context, via Via, addr, operator string) context.Context {
	return context.WithValue(ctx, readerKey{}, reader{via, operator, addr})
}

// Operator is the operator's command ctx runs for ("" for a user).
func Operator(ctx context.Context) string {
	r, _ := ctx.Value(readerKey{}).(reader)
	return r.operator
}

// Addr is the address ctx's reader came from ("" for the operator).
func Addr(ctx context.Context) string {
	r, _ := ctx.Value(readerKey{}).(reader)
	return r.addr
}

// Audit writes an owner's action on a patient (an export, an erasure) to
// the clinic's audit trail, in tx.
func Audit(ctx context.Context, tx *postgres.Tx, action, patientKey string) error {
	user, _ := postgres.ActingUser(ctx)
	if op := Operator(ctx); op != "" {
		action += " by the operator (" + op + ")"
	}
	return tx.InsertAuditEvent(ctx, db.InsertAuditEventParams{OrgID: tx.Org.ID, UserID: user, Action: action,
		ResourceType: "patient", ResourceID: patientKey, RemoteAddr: Addr(ctx)})
}

// ErrUnnamed: a read of health data with no reader named. It is a bug
// in the caller, refused rather than left out of the log.
var ErrUnnamed = errors.New("access log: a read of patient data with no reader named")

// Log writes and reads the access log.
type Log struct {
	store *postgres.Store
	box   *secrets.Box
}

// New returns the access log, hashing patients' numbers under box's key.
func New(store *postgres.Store, box *secrets.Box) *Log { return &Log{store, box} }

// PatientKey is the keyed one-way hash a patient's number is logged as
// (and replaced by when the patient is erased): equal for equal numbers,
// neither reversible nor computable without the server's key.
func (l *Log) PatientKey(phone string) string { return PatientKey(l.box, phone) }

// PatientKey is phone's key under box's (for the services that have the
// box but not the log).
func PatientKey(box *secrets.Box, phone string) string {
	if phone == "" {
		return ""
	}
	return "p:" + hex.EncodeToString(box.MAC([]byte("patient\x00" + phone)))[:40]
}

// Read records one read in tx. call may be zero; phone is the patient's
// number (or its key, once erased).
func (l *Log) Read(ctx context.Context, tx *postgres.Tx, what What, call frontdesk.CallID, phone string) error {
	r, ok := ctx.Value(readerKey{}).(reader)
	if !ok {
		return ErrUnnamed
	}
	user, _ := postgres.ActingUser(ctx)
	if user.IsZero() && r.operator == "" && r.via != Agent {
		return ErrUnnamed
	}
	key := phone
	if len(phone) < 2 || phone[:2] != "p:" {
		key = l.PatientKey(phone)
	}
	return tx.AddAccess(ctx, db.AddAccessParams{OrgID: tx.Org.ID, UserID: user, Operator: r.operator, Via: string(r.via),
		What: string(what), CallID: uuid.NullUUID{UUID: uuid.UUID(call), Valid: call != frontdesk.CallID{}}, PatientKey: key, RemoteAddr: r.addr})
}

// Entry is one read, as an owner sees it.
type Entry struct {
	At         time.Time         `json:"at"`
	UserID     *frontdesk.UserID `json:"user_id,omitempty"`
	User       string            `json:"user"` // the email, or the operator's command
	Via        Via               `json:"via"`
	What       What              `json:"what"`
	CallID     *frontdesk.CallID `json:"call_id,omitempty"`
	PatientKey string            `json:"patient_key"`
	RemoteAddr string            `json:"remote_addr"`
}

// Filter narrows the log: a range of days in the clinic's zone
// (YYYY-MM-DD, both included; the last 30 days when not given), one
// patient's number, one user's email.
type Filter struct {
	From, To    string
	Phone, User string
}

// MaxEntries is the most one listing returns.
const MaxEntries = 10_000

// List reads the clinic's log, newest first. Bad dates or a number that
// is no phone number are refused naming their field.
func (l *Log) List(ctx context.Context, org frontdesk.OrgID, f Filter) ([]Entry, error) {
	out := []Entry{}
	err := l.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		loc := tx.Org.Location
		today := time.Now().In(loc)
		from, err := day(f.From, "from", loc, today.AddDate(0, 0, -30))
		if err != nil {
			return err
		}
		to, err := day(f.To, "to", loc, today)
		if err != nil {
			return err
		}
		if to.Before(from) {
			return frontdesk.Invalid("to", "is before from")
		}
		p := db.ListAccessParams{OrgID: org, Since: from, Until: to.AddDate(0, 0, 1), RowLimit: MaxEntries}
		if f.Phone != "" {
			phone, err := tel.Normalize(f.Phone, tx.Org.Country)
			if err != nil {
				return frontdesk.Invalid("phone", "%s", err.Error())
			}
			p.PatientKey = pgtype.Text{String: l.PatientKey(phone), Valid: true}
		}
		if f.User != "" {
			p.UserEmail = pgtype.Text{String: strings.TrimSpace(f.User), Valid: true}
		}
		rows, err := tx.ListAccess(ctx, p)
		for _, r := range rows {
			e := Entry{At: r.At.In(loc), User: r.UserEmail, Via: Via(r.Via), What: What(r.What), PatientKey: r.PatientKey, RemoteAddr: r.RemoteAddr}
			if !r.UserID.IsZero() {
				e.UserID = &r.UserID
			} else if r.Operator != "" {
				e.User = "operator: " + r.Operator
			} else {
				e.User = "the receptionist"
			}
			if r.CallID.Valid {
				id := frontdesk.CallID(r.CallID.UUID)
				e.CallID = &id
			}
			out = append(out, e)
		}
		return err
	})
	return out, err
}

// day is the start of a YYYY-MM-DD day in loc, or of otherwise's day.
func day(s, field string, loc *time.Location, otherwise time.Time) (time.Time, error) {
	if s == "" {
		y, m, d := otherwise.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc), nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return t, frontdesk.Invalid(field, "must be a date, YYYY-MM-DD")
	}
	return t, nil
}

// WriteCSV writes entries as CSV, a header line first.
func WriteCSV(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "user", "via", "what", "call_id", "patient_key", "address"})
	for _, e := range entries {
		call := ""
		if e.CallID != nil {
			call = e.CallID.String()
		}
		cw.Write([]string{e.At.Format(time.RFC3339), e.User, string(e.Via), string(e.What), call, e.PatientKey, e.RemoteAddr})
	}
	cw.Flush()
	return cw.Error()
}
