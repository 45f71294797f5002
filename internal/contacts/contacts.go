// Package contacts is a clinic's contacts (one per phone number) and its
// do-not-call list: the CSV import and export, and the list's entries.
package contacts

import (
	"context"
	"encoding/csv"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/runes"
	"frontdesk/internal/tel"
)

// Service keeps contacts and the do-not-call list.
type Service struct{ store *postgres.Store }

// NewService returns the contacts service.
func NewService(store *postgres.Store) *Service { return &Service{store: store} }

func (s *Service) country(ctx context.Context, org frontdesk.OrgID) (string, error) {
	var c string
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error { c = tx.Org.Country; return nil })
	return c, err
}

// exportPage is how many contacts one transaction of an export reads.
const exportPage = 1000

// Export writes the clinic's contacts (with one tag, when given) as CSV,
// a page at a time, in a form Import reads back.
func (s *Service) Export(ctx context.Context, org frontdesk.OrgID, tag string, w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"phone", "name", "email", "tags", "call consent", "call consent given", "text consent", "text consent given", "do not call", "source", "added"})
	p := db.ContactsPageParams{OrgID: org, RowLimit: exportPage}
	if tag != "" {
		p.Tag = pgtype.Text{String: strings.ToLower(tag), Valid: true}
	}
	for {
		var rows []db.ContactsPageRow
		var loc *time.Location
		err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
			loc = tx.Org.Location
			rows, err = tx.ContactsPage(ctx, p)
			return err
		})
		if err != nil {
			return err
		}
		for _, c := range rows {
			cw.Write([]string{c.Phone, c.Name, c.Email, strings.Join(c.Tags, ", "), yesNo(c.CallConsentAt != nil), when(c.CallConsentAt, c.CallConsentHow, loc),
				yesNo(c.TextConsentAt != nil), when(c.TextConsentAt, c.TextConsentHow, loc), yesNo(c.DoNotCall), c.Source, c.CreatedAt.In(loc).Format(time.DateOnly)})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(rows) < exportPage {
			return nil
		}
		p.After = rows[len(rows)-1].Phone
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func when(t *time.Time, how string, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04") + " (" + how + ")"
}

// Blocked is one number on the do-not-call list.
type Blocked struct {
	Phone  string    `json:"phone"`
	Source string    `json:"source"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// DoNotCall lists the clinic's do-not-call numbers, newest first.
func (s *Service) DoNotCall(ctx context.Context, org frontdesk.OrgID) ([]Blocked, error) {
	out := []Blocked{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListDoNotCall(ctx, org)
		for _, r := range rows {
			out = append(out, Blocked{r.Phone, r.Source, r.Reason, r.AddedAt.In(tx.Org.Location)})
		}
		return err
	})
	return out, err
}

// AddDoNotCall puts a number on the list at the staff's (or a caller's)
// request; one there already stays as it was.
func (s *Service) AddDoNotCall(ctx context.Context, org frontdesk.OrgID, user frontdesk.UserID, phone, reason string) (string, error) {
	var e164 string
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if e164, err = tel.Valid(phone, tx.Org.Country); err != nil {
			return frontdesk.Invalid("phone", "%s", err.Error())
		}
		if r := []rune(strings.TrimSpace(reason)); len(r) > 500 {
			return frontdesk.Invalid("reason", "is %d characters; at most 500", len(r))
		}
		_, err = tx.AddDoNotCall(ctx, db.AddDoNotCallParams{OrgID: org, Phone: e164, Source: "staff", Reason: strings.TrimSpace(reason),
			AddedBy: uuid.NullUUID{UUID: uuid.UUID(user), Valid: !user.IsZero()}})
		return err
	})
	return e164, err
}

// NoteTx makes a number seen on a call, a booking or a text (source) a
// contact, in the caller's transaction; a number kept only as an erased
// patient's hash, or none, is left alone.
func NoteTx(ctx context.Context, tx *postgres.Tx, phone, name, source string) error {
	if phone == "" || strings.HasPrefix(phone, "p:") || !strings.HasPrefix(phone, "+") {
		return nil
	}
	return tx.NoteContact(ctx, db.NoteContactParams{OrgID: tx.Org.ID, Phone: phone, Name: strings.TrimSpace(runes.Clip(strings.TrimSpace(name), 200)), Source: source})
}

// BookingTx makes a booking's patient a contact, in the booking's
// transaction.
func BookingTx(ctx context.Context, tx *postgres.Tx, booking frontdesk.BookingID) error {
	b, err := tx.GetBooking(ctx, db.GetBookingParams{OrgID: tx.Org.ID, ID: booking})
	if err != nil {
		return err
	}
	return NoteTx(ctx, tx, b.PatientPhone, b.PatientName, "booking")
}
