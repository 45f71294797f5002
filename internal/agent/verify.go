package agent

import (
	"crypto/hmac"
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"github.com/google/uuid"

	"frontdesk/internal/postgres/db"
	"frontdesk/internal/tel"
)

// One-time codes let a caller act for a number they are not calling from:
// a code texted to that number, read back on the call, unlocks that
// number's appointments for this call only.
const (
	codeLife     = 10 * time.Minute
	codeTries    = 5
	codesPerCall = 3
)

// codeMAC is what is kept of a code: bound to the call and the number, so
// a code is good for nothing else.
func (t *turn) codeMAC(phone, code string) []byte {
	return t.codes.Box.MAC([]byte(t.call.ID.String() + "|" + phone + "|" + code))
}

func (t *turn) sendVerificationCode() (string, error) {
	phone, err := tel.Valid(t.args["phone"], t.tx.Org.Country)
	if err != nil {
		return "", ask("Ask the caller for the number the appointment was booked under, with its area code.")
	}
	if caller, _ := tel.Normalize(t.call.Customer, t.tx.Org.Country); caller == phone {
		return "That is the number the caller is calling from: no code is needed.", nil
	}
	// The call's row lock orders concurrent deliveries: at most three codes.
	if _, err := t.tx.LockCall(t.ctx, db.LockCallParams{OrgID: t.tx.Org.ID, ID: t.call.ID}); err != nil {
		return "", err
	}
	sent, err := t.tx.CallVerifications(t.ctx, db.CallVerificationsParams{OrgID: t.tx.Org.ID, CallID: t.call.ID})
	if err != nil {
		return "", err
	}
	if len(sent) >= codesPerCall {
		return "No more codes can be sent on this call. Offer to take a message for the staff instead.", nil
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	logID, refused, err := t.codes.Text(t.ctx, t.tx, t.call.ID, phone)
	if err != nil {
		return "", err
	}
	if refused != "" {
		return "A code cannot be texted to that number (" + refused + "). Offer to take a message for the staff instead.", nil
	}
	if _, err := t.tx.AddCallVerification(t.ctx, db.AddCallVerificationParams{OrgID: t.tx.Org.ID, CallID: t.call.ID, Phone: phone,
		CodeHash: t.codeMAC(phone, code), CodeSealed: t.codes.Box.Seal([]byte(code), t.tx.Org.ID[:]),
		SmsLogID: uuid.NullUUID{UUID: logID, Valid: true}, ExpiresAt: t.now.Add(codeLife)}); err != nil {
		return "", err
	}
	return "A six-digit code is being texted to that number. Ask the caller to read it out, then call verifyCode with it; it is good for 10 minutes.", nil
}

func (t *turn) verifyCode() (string, error) {
	code := t.args["code"]
	if len(code) != 6 {
		return "", ask("Ask the caller for the six-digit code from the text.")
	}
	if _, err := t.tx.LockCall(t.ctx, db.LockCallParams{OrgID: t.tx.Org.ID, ID: t.call.ID}); err != nil {
		return "", err
	}
	sent, err := t.tx.CallVerifications(t.ctx, db.CallVerificationsParams{OrgID: t.tx.Org.ID, CallID: t.call.ID})
	if err != nil {
		return "", err
	}
	if len(sent) > 0 { // the code the caller was sent last
		v := sent[0]
		if v.VerifiedAt != nil {
			return fmt.Sprintf("%s is already verified on this call; give it as phone.", v.Phone), nil
		}
		if !t.now.Before(v.ExpiresAt) {
			return "That code has expired. Offer to send a new one with sendVerificationCode.", nil
		}
		if v.Attempts >= codeTries {
			return "That code has been tried too many times. Offer to send a new one with sendVerificationCode.", nil
		}
		ok := hmac.Equal(v.CodeHash, t.codeMAC(v.Phone, code))
		if err := t.tx.RecordVerificationTry(t.ctx, db.RecordVerificationTryParams{OrgID: t.tx.Org.ID, ID: v.ID, Matched: ok}); err != nil {
			return "", err
		}
		if ok {
			return fmt.Sprintf("Verified: for the rest of this call the caller may change appointments booked under %s; give that number as phone.", v.Phone), nil
		}
		if left := codeTries - int(v.Attempts) - 1; left > 0 {
			return fmt.Sprintf("That code is not right. Ask the caller to read it again (%d tries left).", left), nil
		}
		return "That code is not right, and it cannot be tried again. Offer to send a new one with sendVerificationCode.", nil
	}
	return "No code is waiting on this call. Send one first with sendVerificationCode.", nil
}

// verifiedNumbers are the numbers this call has proved with a code.
func (t *turn) verifiedNumbers() (map[string]bool, error) {
	rows, err := t.tx.CallVerifications(t.ctx, db.CallVerificationsParams{OrgID: t.tx.Org.ID, CallID: t.call.ID})
	out := map[string]bool{}
	for _, v := range rows {
		if v.VerifiedAt != nil {
			out[v.Phone] = true
		}
	}
	return out, err
}
