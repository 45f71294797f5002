package messaging

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/access"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// CodePlaceholder stands for a one-time code in a logged text: the code
// itself is never in the log; the sender fills it in from the sealed copy.
const CodePlaceholder = "{code}"

// TextCode logs and enqueues, in the caller's transaction, a text of a
// one-time code on call to the number to, under the same rules as every
// text (the clinic texts at all, the number has not opted out, its
// country, its texts of the day). It returns the log row, or why the text
// was refused (logged as skipped).
func (s *Service) TextCode(ctx context.Context, tx *postgres.Tx, call frontdesk.CallID, to string) (uuid.UUID, string, error) {
	body := "{clinic}: your code is " + CodePlaceholder + ". Give it to the receptionist on your call; it expires in 10 minutes. " +
		"If you did not ask for it, ignore this text."
	return s.textTx(ctx, tx, "verification", call, to, strings.ReplaceAll(body, "{clinic}", tx.Org.Name))
}

// Reply answers a patient's text from the clinic's number, written by the
// staff: only to a number that texted the clinic, under the same rules as
// every text; a refusal says why (and is logged as skipped).
func (s *Service) Reply(ctx context.Context, org frontdesk.OrgID, inbound uuid.UUID, body string) error {
	body = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' {
			return ' '
		}
		return r
	}, body))
	if body == "" || len([]rune(body)) > 320 {
		return frontdesk.Invalid("body", "write the reply (at most 320 characters)")
	}
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		number, err := tx.InboundFrom(ctx, db.InboundFromParams{OrgID: org, ID: inbound})
		if err != nil {
			return err
		}
		_, why, err := s.textTx(ctx, tx, "reply", frontdesk.CallID{}, number, body)
		if err == nil && why != "" {
			err = frontdesk.Conflict("body", "not sent: "+why)
		}
		return err
	})
}

// textTx logs and enqueues a text that is not about a booking, or logs it
// skipped with why the rules refuse it.
func (s *Service) textTx(ctx context.Context, tx *postgres.Tx, kind string, call frontdesk.CallID, to, body string) (uuid.UUID, string, error) {
	org := tx.Org
	acct, err := tx.GetTwilioAccount(ctx, org.ID)
	if errors.Is(err, frontdesk.ErrNotFound) {
		return uuid.Nil, "the clinic does not send texts", nil
	}
	if err != nil {
		return uuid.Nil, "", err
	}
	why, err := numberRefusal(ctx, tx, to, acct.AllowedCountries)
	if err == nil && why == "" {
		var out bool
		if out, err = tx.OptedOut(ctx, db.OptedOutParams{OrgID: org.ID, Phone: to, PatientKey: access.PatientKey(s.secrets, to)}); out {
			why = "the number opted out (STOP)"
		}
	}
	if err != nil {
		return uuid.Nil, "", err
	}
	p := db.AddCallSMSLogParams{OrgID: org.ID, CallID: call, Kind: kind, ToNumber: to, Body: body, Status: "pending"}
	if why != "" {
		p.Status, p.Reason = "skipped", why
	}
	id, err := tx.AddCallSMSLog(ctx, p)
	if err != nil || why != "" {
		return uuid.Nil, why, err
	}
	return id, "", s.outbox.EnqueueSMS(ctx, tx, id, time.Now())
}

// MarkHandled marks a patient's text handled by user; one handled already
// is a conflict, another clinic's is not found.
func (s *Service) MarkHandled(ctx context.Context, org frontdesk.OrgID, user frontdesk.UserID, id uuid.UUID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		n, err := tx.MarkInboundHandled(ctx, db.MarkInboundHandledParams{OrgID: org, ID: id, HandledBy: uuid.NullUUID{UUID: uuid.UUID(user), Valid: true}})
		if err != nil || n == 1 {
			return err
		}
		exists, err := tx.InboundExists(ctx, db.InboundExistsParams{OrgID: org, ID: id})
		if err == nil && exists {
			return frontdesk.Conflict("", "this text is marked handled already")
		}
		if err == nil {
			err = frontdesk.ErrNotFound
		}
		return err
	})
}

// Retry sends a failed text again (its cause fixed, such as the clinic's
// Twilio account). Only a text that failed can be retried, and not a
// one-time code (its code is gone): anything else is a conflict; another
// clinic's text is not found.
func (s *Service) Retry(ctx context.Context, org frontdesk.OrgID, id uuid.UUID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		n, err := tx.RetrySMS(ctx, db.RetrySMSParams{OrgID: org, ID: id})
		if err != nil {
			return err
		}
		if n == 1 {
			return s.outbox.EnqueueSMS(ctx, tx, id, time.Now())
		}
		exists, err := tx.SMSLogExists(ctx, db.SMSLogExistsParams{OrgID: org, ID: id})
		if err == nil && exists {
			return frontdesk.Conflict("", "only a text that failed can be sent again")
		}
		if err == nil {
			err = frontdesk.ErrNotFound
		}
		return err
	})
}
