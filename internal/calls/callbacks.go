package calls

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/runes"
)

// Callback requests: messages the voice agent takes for the staff on a
// call (who to call back, why, how urgently), listed for staff until done.

// Callback is one message for the staff.
type Callback struct {
	ID             uuid.UUID        `json:"id"`
	CallID         frontdesk.CallID `json:"call_id"`
	CallerNumber   string           `json:"caller_number"`
	CallbackNumber string           `json:"callback_number"`
	Reason         string           `json:"reason"`
	Urgent         bool             `json:"urgent"`
	Status         string           `json:"status"` // open or done
	CreatedAt      time.Time        `json:"created_at"`
	DoneAt         *time.Time       `json:"done_at,omitempty"`
	// Note is what the staff wrote on it, last at NoteAt.
	Note   string     `json:"note"`
	NoteAt *time.Time `json:"note_at,omitempty"`
}

// Urgency of a message: routine, or urgent (flagged to staff first).
type Urgency string

const (
	Routine Urgency = "routine"
	Urgent  Urgency = "urgent"
)

// TakeMessageTx stores a message taken on call in the caller's
// transaction (the agent's tool call). reason is cleaned of control
// characters and cut at 500 characters.
func TakeMessageTx(ctx context.Context, tx *postgres.Tx, call frontdesk.CallID, caller, callback, reason string, u Urgency) error {
	reason = runes.Clip(oneLine(reason), 500)
	_, err := tx.AddCallbackRequest(ctx, db.AddCallbackRequestParams{OrgID: tx.Org.ID, CallID: call, CallerNumber: caller,
		CallbackNumber: callback, Reason: reason, Urgency: string(u)})
	return err
}

// Callbacks lists the clinic's messages, open and urgent first; status
// ("open", "done" or "" for both) narrows them.
func (s *Service) Callbacks(ctx context.Context, org frontdesk.OrgID, status string) ([]Callback, error) {
	if status != "" && status != "open" && status != "done" {
		return nil, frontdesk.Invalid("status", "must be open or done")
	}
	out := []Callback{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListCallbackRequests(ctx, db.ListCallbackRequestsParams{OrgID: org, Status: pgtype.Text{String: status, Valid: status != ""}})
		for _, r := range rows {
			out = append(out, callback(r, tx.Org.Location))
		}
		return err
	})
	return out, err
}

func callback(r db.ListCallbackRequestsRow, loc *time.Location) Callback {
	return Callback{ID: r.ID, CallID: r.CallID, CallerNumber: r.CallerNumber, CallbackNumber: r.CallbackNumber,
		Reason: r.Reason, Urgent: r.Urgency == string(Urgent), Status: r.Status, CreatedAt: r.CreatedAt.In(loc),
		DoneAt: InZone(r.DoneAt, loc), Note: r.Note, NoteAt: InZone(r.NoteAt, loc)}
}

// oneLine is s with control characters and runs of spaces as one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)), " ")
}

// maxNote is the longest note staff keep on a message, in characters.
const maxNote = 1000

// CallbackNote replaces the staff's note on a message (empty clears it),
// open or done; another clinic's message is not found.
func (s *Service) CallbackNote(ctx context.Context, org frontdesk.OrgID, user frontdesk.UserID, id uuid.UUID, note string) error {
	note = oneLine(note)
	if n := len([]rune(note)); n > maxNote {
		return frontdesk.Invalid("note", "is %d characters; at most %d", n, maxNote)
	}
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return postgres.OneRow(tx.SetCallbackNote(ctx, db.SetCallbackNoteParams{OrgID: org, ID: id, Note: note,
			NoteBy: uuid.NullUUID{UUID: uuid.UUID(user), Valid: true}}))
	})
}

// CallbackDone marks a message done by user; one done already is a
// conflict, another clinic's is not found.
func (s *Service) CallbackDone(ctx context.Context, org frontdesk.OrgID, user frontdesk.UserID, id uuid.UUID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		n, err := tx.MarkCallbackDone(ctx, db.MarkCallbackDoneParams{OrgID: org, ID: id, DoneBy: uuid.NullUUID{UUID: uuid.UUID(user), Valid: true}})
		if err != nil || n == 1 {
			return err
		}
		exists, err := tx.CallbackRequestExists(ctx, db.CallbackRequestExistsParams{OrgID: org, ID: id})
		if err == nil && exists {
			return frontdesk.Conflict("", "this message is done already")
		}
		if err == nil {
			return frontdesk.ErrNotFound
		}
		return err
	})
}
