package patients

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"gocloud.dev/gcerrors"

	"frontdesk"
	"frontdesk/internal/access"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Erasure is what erasing a patient did.
type Erasure struct {
	PatientKey string `json:"patient_key"`
	Calls      int64  `json:"calls"`
	Recordings int    `json:"recordings"`
	Bookings   int64  `json:"bookings"`
	Cancelled  int    `json:"bookings_cancelled"`
	Texts      int64  `json:"texts"`
	// Already says the patient had been erased before: nothing was left.
	Already bool `json:"already_erased"`
}

// Canceller cancels a booking the way staff do (its calendar event and
// reminders with it); one cancelled already is no error.
type Canceller func(ctx context.Context, org frontdesk.OrgID, id frontdesk.BookingID) error

// Erase removes one patient's data from the clinic, on their request.
// confirm must repeat the number. In order: a tombstone is started (who,
// when, the patient's hash); upcoming bookings are cancelled as staff
// would; recordings are deleted from storage and checked gone; then one
// transaction removes transcripts, summaries and text bodies, names
// everything "erased", puts the number's hash in place of the number
// everywhere (so counts and opt-outs still work) and finishes the
// tombstone. Run again, it finishes what a cut-short run left, and then
// does nothing. The access log keeps its rows, under the same hash.
func (s *Service) Erase(ctx context.Context, org frontdesk.OrgID, number, confirm string) (Erasure, error) {
	var (
		phone, confirmed string
		tomb             uuid.UUID
		keys             []string
		upcoming         []frontdesk.BookingID
		out              Erasure
	)
	user, _ := postgres.ActingUser(ctx)
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if phone, err = phoneOf(tx, number); err != nil {
			return err
		}
		if confirmed, err = phoneOf(tx, confirm); err != nil || confirmed != phone {
			return frontdesk.Invalid("confirm", "must repeat the patient's number, to confirm the erasure")
		}
		out.PatientKey = s.access.PatientKey(phone)
		prior, err := tx.GetErasure(ctx, db.GetErasureParams{OrgID: org, PatientKey: out.PatientKey})
		switch {
		case err == nil && prior.FinishedAt != nil:
			out.Already = true
			return nil
		case err == nil:
			tomb = prior.ID // a run cut short: finish it
		case errors.Is(err, frontdesk.ErrNotFound):
			operator := access.Operator(ctx)
			if tomb, err = tx.StartErasure(ctx, db.StartErasureParams{OrgID: org, PatientKey: out.PatientKey, UserID: user, Operator: operator}); err != nil {
				return err
			}
		default:
			return err
		}
		if keys, err = tx.PatientRecordingKeys(ctx, db.PatientRecordingKeysParams{OrgID: org, Phone: phone}); err != nil {
			return err
		}
		upcoming, err = tx.PatientUpcomingBookings(ctx, db.PatientUpcomingBookingsParams{OrgID: org, Phone: phone})
		return err
	})
	if err != nil || out.Already {
		return out, err
	}
	for _, id := range upcoming {
		if err := s.cancel(ctx, org, id); err != nil {
			return out, fmt.Errorf("cancelling booking %s: %w", id, err)
		}
		out.Cancelled++
	}
	for _, key := range keys {
		if err := s.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return out, fmt.Errorf("deleting a recording: %w", err)
		}
		if there, err := s.bucket.Exists(ctx, key); err != nil || there {
			return out, fmt.Errorf("a recording is still in storage after deleting it (%v)", err)
		}
		out.Recordings++
	}
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		key := out.PatientKey
		if out.Calls, err = tx.EraseCalls(ctx, db.EraseCallsParams{OrgID: org, Phone: phone, PatientKey: key}); err != nil {
			return err
		}
		if err := tx.EraseToolCalls(ctx, db.EraseToolCallsParams{OrgID: org, PatientKey: key}); err != nil {
			return err
		}
		if err := tx.EraseVerifications(ctx, db.EraseVerificationsParams{OrgID: org, Phone: phone, PatientKey: key}); err != nil {
			return err
		}
		if out.Bookings, err = tx.EraseBookings(ctx, db.EraseBookingsParams{OrgID: org, Phone: phone, PatientKey: key}); err != nil {
			return err
		}
		sent, err := tx.EraseTexts(ctx, db.EraseTextsParams{OrgID: org, Phone: phone, PatientKey: key})
		if err != nil {
			return err
		}
		got, err := tx.EraseInbound(ctx, db.EraseInboundParams{OrgID: org, Phone: phone, PatientKey: key})
		if err != nil {
			return err
		}
		out.Texts = sent + got
		if err := tx.EraseCallbacks(ctx, db.EraseCallbacksParams{OrgID: org, Phone: phone, PatientKey: key}); err != nil {
			return err
		}
		if err := tx.EraseOptOut(ctx, db.EraseOptOutParams{OrgID: org, Phone: phone, PatientKey: key}); err != nil {
			return err
		}
		if err := tx.EraseDoNotCall(ctx, db.EraseDoNotCallParams{OrgID: org, Phone: phone, PatientKey: key}); err != nil {
			return err
		}
		if err := tx.EraseContact(ctx, db.EraseContactParams{OrgID: org, Phone: phone, PatientKey: key}); err != nil {
			return err
		}
		if err := tx.EraseCampaignTargets(ctx, db.EraseCampaignTargetsParams{OrgID: org, Phone: phone, PatientKey: key}); err != nil {
			return err
		}
		if err := access.Audit(ctx, tx, "erase", key); err != nil {
			return err
		}
		return tx.FinishErasure(ctx, db.FinishErasureParams{OrgID: org, ID: tomb, Calls: int32(out.Calls), Recordings: int32(out.Recordings),
			Bookings: int32(out.Bookings), Texts: int32(out.Texts)})
	})
	return out, err
}
