package messaging

import (
	"context"
	"errors"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/scheduling"
	"frontdesk/internal/wallclock"
)

// BookingChanged logs a new booking's confirmation text (now) and reminder
// (before the appointment, never at night) and enqueues their sending, in
// the booking's own transaction. Nothing happens when the clinic has no
// Twilio account; a booking never gets a second confirmation or reminder,
// whatever retries happen.
func (s *Service) BookingChanged(ctx context.Context, tx *postgres.Tx, booking frontdesk.BookingID) error {
	org := tx.Org
	acct, err := tx.GetTwilioAccount(ctx, org.ID)
	if errors.Is(err, frontdesk.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	b, err := tx.GetBooking(ctx, db.GetBookingParams{OrgID: org.ID, ID: booking})
	if err != nil {
		return err
	}
	if b.PatientPhone == "" || b.Status != "confirmed" {
		return nil
	}
	render := strings.NewReplacer("{patient}", cleanName(b.PatientName), "{service}", b.ServiceName,
		"{when}", When(b.StartsAt, org.Location), "{clinician}", b.ResourceName, "{clinic}", org.Name).Replace
	now := time.Now()
	if err := s.text(ctx, tx, b, acct.AllowedCountries, "confirmation", render(acct.ConfirmationTemplate), now); err != nil {
		return err
	}
	if acct.ReminderHoursBefore == 0 {
		return nil
	}
	at, ok := ReminderTime(b.StartsAt, time.Duration(acct.ReminderHoursBefore)*time.Hour,
		int(scheduling.ClockOf(acct.QuietStart)), int(scheduling.ClockOf(acct.QuietEnd)), org.Location, now)
	if !ok {
		return nil // too close to the appointment to remind
	}
	return s.text(ctx, tx, b, acct.AllowedCountries, "reminder", render(acct.ReminderTemplate), at)
}

// text logs one text about booking b to its patient and enqueues its
// sending at at; a text the limits refuse is logged as skipped, with why.
func (s *Service) text(ctx context.Context, tx *postgres.Tx, b db.GetBookingRow, allowed []string, kind, body string, at time.Time) error {
	why, err := refusal(ctx, tx, b, allowed)
	if err != nil {
		return err
	}
	if why != "" {
		return tx.AddSkippedSMSLog(ctx, db.AddSkippedSMSLogParams{OrgID: tx.Org.ID, BookingID: b.ID, Kind: kind,
			ToNumber: b.PatientPhone, Body: body, Reason: why})
	}
	id, err := tx.AddSMSLog(ctx, db.AddSMSLogParams{OrgID: tx.Org.ID, BookingID: b.ID, Kind: kind, ToNumber: b.PatientPhone, Body: body, SendAt: at})
	if errors.Is(err, frontdesk.ErrNotFound) {
		return nil // already logged: at most one per booking and kind
	}
	if err != nil {
		return err
	}
	return s.outbox.EnqueueSMS(ctx, tx, id, at)
}

// ReminderTime is when to remind of an appointment at start: before by
// before, moved earlier out of the clinic's quiet hours (quietStart to
// quietEnd, minutes after midnight, clinic time), and never in the past:
// a reminder whose time has passed goes now, unless it is night or the
// appointment is within the hour, when there is none (ok false).
func ReminderTime(start time.Time, before time.Duration, quietStart, quietEnd int, loc *time.Location, now time.Time) (time.Time, bool) {
	at := start.Add(-before)
	if quiet(at, quietStart, quietEnd, loc) {
		// The last minute before this night's quiet hours began.
		l := at.In(loc)
		day := l
		if minutesOf(l) < quietEnd && quietStart > quietEnd { // after midnight: the night began yesterday
			day = l.AddDate(0, 0, -1)
		}
		at, _ = wallclock.First(day.Year(), day.Month(), day.Day(), quietStart-1, loc)
	}
	if at.Before(now) {
		if quiet(now, quietStart, quietEnd, loc) || start.Sub(now) < time.Hour {
			return time.Time{}, false
		}
		at = now
	}
	return at, true
}

func quiet(t time.Time, start, end int, loc *time.Location) bool {
	m := minutesOf(t.In(loc))
	if start > end { // across midnight
		return m >= start || m < end
	}
	return m >= start && m < end
}

func minutesOf(t time.Time) int { return t.Hour()*60 + t.Minute() }
