package messaging

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/contacts"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/tel"
)

// ErrUnverified: a callback that does not carry the signature of the
// clinic whose number and account it names.
var ErrUnverified = errors.New("invalid signature")

// Check is the provider's signature rule, given the clinic's auth token.
type Check func(authToken string) bool

// Callback is what a provider callback names before it is trusted: the
// clinic's sending number and account, and the signature check.
type Callback struct {
	ClinicNumber, AccountSID string
	Check                    Check
}

// receive finds the clinic the callback names, verifies it with that
// clinic's own token, and runs fn in the same transaction. Any failure to
// verify is ErrUnverified and nothing is stored.
func (s *Service) receive(ctx context.Context, cb Callback, fn func(tx *postgres.Tx) error) (frontdesk.OrgID, error) {
	org, err := s.store.TwilioRouteOrg(ctx, cb.ClinicNumber, cb.AccountSID)
	if errors.Is(err, frontdesk.ErrNotFound) {
		return org, errors.Join(ErrUnverified, errors.New("unknown number or account"))
	}
	if err != nil {
		return org, err
	}
	return org, s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		acct, err := tx.GetTwilioAccount(ctx, org)
		if err != nil {
			return err
		}
		token, err := s.secrets.Open(acct.AuthTokenCiphertext, org[:])
		if err != nil || !cb.Check(string(token)) {
			return errors.Join(ErrUnverified, errors.New("bad signature"))
		}
		return fn(tx)
	})
}

// DeliveryStatus is a provider's message status in the log's terms:
// accepted and scheduled are queued; "" (not given) too.
func DeliveryStatus(s string) string {
	if s == "accepted" || s == "scheduled" || s == "" {
		return "queued"
	}
	return s
}

// Status is a delivery status callback.
type Status struct {
	MessageSID, Status string
	ErrorCode          *int32
}

// RecordStatus records a message's status; repeats and late arrivals never
// move it backward. It returns the clinic the callback was for.
func (s *Service) RecordStatus(ctx context.Context, cb Callback, st Status) (frontdesk.OrgID, error) {
	return s.receive(ctx, cb, func(tx *postgres.Tx) error {
		status := DeliveryStatus(st.Status)
		switch status {
		case "queued", "sending", "sent", "delivered", "read", "undelivered", "failed", "canceled":
		default:
			return nil // a status outbound messages do not have
		}
		p := db.ApplySMSStatusParams{OrgID: tx.Org.ID, MessageSid: pgtype.Text{String: st.MessageSID, Valid: true}, Status: status}
		if st.ErrorCode != nil {
			p.ErrorCode = int4(*st.ErrorCode)
		}
		_, err := tx.ApplySMSStatus(ctx, p)
		return err
	})
}

// Action is what a patient's text asks for.
type Action string

const (
	ActionOptOut  Action = "opt_out"
	ActionOptIn   Action = "opt_in"
	ActionConfirm Action = "confirm"
	ActionMessage Action = "message"
)

// Text is a patient's text to the clinic, its action read by the provider
// (carriers' keywords differ by provider).
type Text struct {
	MessageSID, From, Body string
	Action                 Action
}

// Receive takes a patient's text, once: an opt-out stops texts to the
// number from this clinic, an opt-in restarts them, a confirm confirms
// their next appointment; anything else is kept for staff. reply is the
// text to answer with ("" for none).
func (s *Service) Receive(ctx context.Context, cb Callback, in Text) (org frontdesk.OrgID, reply string, err error) {
	org, err = s.receive(ctx, cb, func(tx *postgres.Tx) error {
		clinic := tx.Org
		from, err := tel.Normalize(in.From, clinic.Country)
		if err != nil {
			from = in.From
		}
		n, err := tx.RecordInboundSMS(ctx, db.RecordInboundSMSParams{OrgID: clinic.ID, MessageSid: in.MessageSID,
			FromNumber: from, Body: in.Body, Action: string(in.Action)})
		if err != nil || n == 0 {
			return err // a redelivery: already handled
		}
		if err := contacts.NoteTx(ctx, tx, from, "", "text"); err != nil {
			return err
		}
		switch in.Action {
		case ActionOptOut: // no texts, and no calls either
			if err := tx.OptOut(ctx, db.OptOutParams{OrgID: clinic.ID, Phone: from}); err != nil {
				return err
			}
			_, err := tx.AddDoNotCall(ctx, db.AddDoNotCallParams{OrgID: clinic.ID, Phone: from, Source: "text", Reason: "texted " + strings.ToUpper(strings.TrimSpace(in.Body))})
			return err
		case ActionOptIn:
			if err := tx.OptIn(ctx, db.OptInParams{OrgID: clinic.ID, Phone: from}); err != nil {
				return err
			}
			return tx.RemoveTextDoNotCall(ctx, db.RemoveTextDoNotCallParams{OrgID: clinic.ID, Phone: from})
		case ActionConfirm:
			at, err := tx.ConfirmNextBooking(ctx, db.ConfirmNextBookingParams{OrgID: clinic.ID, Phone: from})
			if errors.Is(err, frontdesk.ErrNotFound) {
				reply = "We could not find an upcoming appointment for this number."
				return nil
			}
			if err == nil {
				reply = "Thanks, your appointment on " + When(at, clinic.Location) + " is confirmed."
			}
			return err
		}
		return nil
	})
	return org, reply, err
}
