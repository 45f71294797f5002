package receptionist

import (
	"context"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/scheduling"
)

// Transfer is where a transfer the assistant asks for goes: a number to
// put the caller through to, or, when there is none, Refusal, a sentence
// for the caller.
type Transfer struct {
	Number, Message, Refusal string
}

// Transfer decides, at the moment the assistant asks, where the call
// goes: the front desk while the clinic is open (by its hours and
// closures), the on-call number otherwise; with neither, the assistant
// takes a message instead. The decision is recorded on the call, once
// per request (key: the provider's request, told apart from its
// redeliveries).
func (s *Service) Transfer(ctx context.Context, org frontdesk.OrgID, call frontdesk.CallID, key string, now time.Time) (Transfer, error) {
	var out Transfer
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		p, err := ProfileTx(ctx, tx)
		if err != nil {
			return err
		}
		hours, err := scheduling.ReadClinicHours(ctx, tx, now)
		if err != nil {
			return err
		}
		open := hours.OpenAt(now)
		rec := db.AddCallTransferParams{OrgID: org, CallID: call, Destination: "none", EventKey: key}
		switch {
		case open && p.FrontDeskNumber != "":
			rec.Destination, rec.Number = "front_desk", p.FrontDeskNumber
			out.Message = "I'm putting you through to the front desk now; please hold."
		case p.OnCallNumber != "":
			rec.Destination, rec.Number = "on_call", p.OnCallNumber
			out.Message = "I'm putting you through to the clinician on call now; please hold."
		case !open:
			rec.Outcome = "closed"
			out.Refusal = "The front desk is closed right now, so I can't put you through. I can take a message, and the staff will call you back when the clinic opens."
		default:
			rec.Outcome = "no_number"
			out.Refusal = "I'm not able to put you through to someone right now. I can take a message, and the staff will call you back."
		}
		if rec.Number != "" {
			rec.Outcome = "put_through"
			out.Number = rec.Number
		}
		return tx.AddCallTransfer(ctx, rec)
	})
	return out, err
}
