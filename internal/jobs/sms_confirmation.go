package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"frontdesk"
	"frontdesk/internal/messaging"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/twilio"
)

// SMSSendArgs sends one logged message.
type SMSSendArgs struct {
	OrgID frontdesk.OrgID `json:"org_id"`
	LogID uuid.UUID       `json:"log_id"`
}

func (SMSSendArgs) Kind() string { return "sms_send" }

// QueueSMS holds outgoing texts.
const QueueSMS = "sms"

// EnqueueSMS enqueues the sending of a logged text at at, in the
// transaction that logged it (messaging decides what and when).
func (c *Client) EnqueueSMS(ctx context.Context, tx *postgres.Tx, logID uuid.UUID, at time.Time) error {
	opts := &river.InsertOpts{Queue: QueueSMS, MaxAttempts: 5}
	if at.After(time.Now()) {
		// Scheduled jobs wait for River's scheduler (every few seconds):
		// only texts due later are scheduled.
		opts.ScheduledAt = at
	}
	_, err := c.river.InsertTx(ctx, tx.PgxTx(), SMSSendArgs{OrgID: tx.Org.ID, LogID: logID}, opts)
	return err
}

// smsSender sends a logged text through the clinic's own Twilio account.
// The log row is the outbox: a text already given a MessageSid is never
// sent again, and a retry after a crash first looks in Twilio for the text
// it may already have sent.
type smsSender struct {
	river.WorkerDefaults[SMSSendArgs]
	store *postgres.Store
	open  func(org frontdesk.OrgID, ciphertext []byte) (string, error)
	// patientKey is a number's hash, which stands for it once its patient
	// is erased (an opt-out is kept that way).
	patientKey func(phone string) string
	http       *http.Client
	statusURL  string
	log        *slog.Logger
}

// Work sends the text. A failure that retrying cannot fix, and any failure
// on the last attempt, settle the text as failed with the reason: a text is
// never left pending by a job that has ended.
func (w *smsSender) Work(ctx context.Context, job *river.Job[SMSSendArgs]) error {
	err := w.work(ctx, job)
	var cancel *river.JobCancelError
	if err == nil || errors.As(err, &cancel) {
		return err
	}
	if job.Attempt < job.MaxAttempts {
		w.log.WarnContext(ctx, "text not sent, will retry", "org_id", job.Args.OrgID, "attempt", job.Attempt, "err", err)
		return err
	}
	return w.fail(ctx, job.Args, "failed", nil, fmt.Sprintf("gave up after attempt %d of %d: %v", job.Attempt, job.MaxAttempts, err))
}

func (w *smsSender) work(ctx context.Context, job *river.Job[SMSSendArgs]) error {
	a := job.Args
	var msg db.SMSLogRow
	var acct db.GetTwilioAccountRow
	var optedOut bool
	var sealedCode []byte
	err := w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) (err error) {
		if msg, err = tx.SMSLog(ctx, db.SMSLogParams{OrgID: a.OrgID, ID: a.LogID}); err != nil {
			return err
		}
		if msg.Kind == "verification" {
			if sealedCode, err = tx.VerificationCodeOfText(ctx, db.VerificationCodeOfTextParams{OrgID: a.OrgID, SmsLogID: a.LogID}); err != nil {
				return err
			}
		}
		if acct, err = tx.GetTwilioAccount(ctx, a.OrgID); err != nil {
			return err
		}
		optedOut, err = tx.OptedOut(ctx, db.OptedOutParams{OrgID: a.OrgID, Phone: msg.ToNumber, PatientKey: w.patientKey(msg.ToNumber)})
		return err
	})
	if errors.Is(err, frontdesk.ErrNotFound) { // the message (nothing to settle) or the account is gone
		return w.fail(ctx, a, "failed", nil, "the clinic's Twilio account was removed before the text was sent")
	}
	if err != nil {
		return err
	}
	if msg.MessageSid.Valid || msg.Status != "pending" {
		return nil // sent (or settled) already
	}
	if optedOut || msg.BookingStatus == "cancelled" {
		reason := "the number opted out (STOP)"
		if !optedOut {
			reason = "the booking was cancelled"
		}
		return w.fail(ctx, a, "skipped", nil, reason)
	}
	token, err := w.open(a.OrgID, acct.AuthTokenCiphertext)
	if err != nil {
		return w.fail(ctx, a, "failed", nil, "the clinic's Twilio auth token cannot be opened (was FRONTDESK_SECRET_KEY changed?): save the Twilio settings again")
	}
	body := msg.Body
	if msg.Kind == "verification" { // the code is filled in only here, from its sealed copy
		code, err := w.open(a.OrgID, sealedCode)
		if len(sealedCode) == 0 || err != nil {
			return w.fail(ctx, a, "failed", nil, "the one-time code is no longer available")
		}
		body = strings.ReplaceAll(body, messaging.CodePlaceholder, code)
	}
	tw := twilio.NewClient(twilio.Account{SID: acct.AccountSid, AuthToken: token}, w.http)
	var sent twilio.Sent
	found := false
	if job.Attempt > 1 {
		if sent, found, err = tw.FindSent(msg.ToNumber, acct.FromNumber, body, job.CreatedAt); err != nil {
			return err
		}
	}
	if !found {
		sent, err = tw.Send(msg.ToNumber, acct.FromNumber, body, w.statusURL)
	}
	if err != nil {
		code := twilio.ErrorCode(err)
		switch {
		case code == twilio.CodeOptedOut:
			if err := w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) error {
				return tx.OptOut(ctx, db.OptOutParams{OrgID: a.OrgID, Phone: msg.ToNumber})
			}); err != nil {
				return err
			}
			return w.fail(ctx, a, "skipped", &code, "the number opted out at Twilio")
		case twilio.Permanent(err):
			return w.fail(ctx, a, "failed", &code, err.Error())
		}
		return err
	}
	return w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) error {
		if err := tx.ForgetVerificationCode(ctx, db.ForgetVerificationCodeParams{OrgID: a.OrgID, SmsLogID: a.LogID}); err != nil {
			return err
		}
		return tx.MarkSMSSent(ctx, db.MarkSMSSentParams{OrgID: a.OrgID, ID: a.LogID, Status: messaging.DeliveryStatus(sent.Status),
			MessageSid: textOf(sent.SID)})
	})
}

func (w *smsSender) fail(ctx context.Context, a SMSSendArgs, status string, code *int, reason string) error {
	err := w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) error {
		if err := tx.ForgetVerificationCode(ctx, db.ForgetVerificationCodeParams{OrgID: a.OrgID, SmsLogID: a.LogID}); err != nil {
			return err
		}
		p := db.MarkSMSFailedParams{OrgID: a.OrgID, ID: a.LogID, Status: status, ErrorMessage: reason}
		if code != nil && *code != 0 {
			p.ErrorCode = int4(int32(*code))
		}
		return tx.MarkSMSFailed(ctx, p)
	})
	if err != nil {
		return err
	}
	if status == "failed" {
		return river.JobCancel(errors.New(reason))
	}
	return nil
}

func textOf(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

func int4(n int32) pgtype.Int4 { return pgtype.Int4{Int32: n, Valid: true} }
