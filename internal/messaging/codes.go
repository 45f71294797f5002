package messaging

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"frontdesk"
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
		if out, err = tx.OptedOut(ctx, db.OptedOutParams{OrgID: org.ID, Phone: to}); out {
			why = "the number opted out (STOP)"
		}
	}
	if err != nil {
		return uuid.Nil, "", err
	}
	body := strings.ReplaceAll("{clinic}: your code is "+CodePlaceholder+". Give it to the receptionist on your call; it expires in 10 minutes. "+
		"If you did not ask for it, ignore this text.", "{clinic}", org.Name)
	p := db.AddCallSMSLogParams{OrgID: org.ID, CallID: call, Kind: "verification", ToNumber: to, Body: body, Status: "pending"}
	if why != "" {
		p.Status, p.Reason = "skipped", why
	}
	id, err := tx.AddCallSMSLog(ctx, p)
	if err != nil || why != "" {
		return uuid.Nil, why, err
	}
	return id, "", s.outbox.EnqueueSMS(ctx, tx, id, time.Now())
}
