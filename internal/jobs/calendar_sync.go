package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/google"
)

// CalendarSyncArgs brings one booking's Google Calendar event in line with
// the booking: there while it is confirmed, gone once it is cancelled.
type CalendarSyncArgs struct {
	OrgID     frontdesk.OrgID     `json:"org_id"`
	BookingID frontdesk.BookingID `json:"booking_id"`
}

func (CalendarSyncArgs) Kind() string { return "calendar_sync" }

// QueueCalendar holds calendar syncs.
const QueueCalendar = "calendar"

// EnqueueCalendarSync enqueues a booking's calendar sync in the
// transaction that changed it (calendars decides which bookings sync).
func (c *Client) EnqueueCalendarSync(ctx context.Context, tx *postgres.Tx, booking frontdesk.BookingID) error {
	_, err := c.river.InsertTx(ctx, tx.PgxTx(), CalendarSyncArgs{OrgID: tx.Org.ID, BookingID: booking},
		&river.InsertOpts{Queue: QueueCalendar, MaxAttempts: 10})
	return err
}

type calendarSync struct {
	river.WorkerDefaults[CalendarSyncArgs]
	store  *postgres.Store
	google *google.Client
	open   func(frontdesk.OrgID, []byte) ([]byte, error)
}

func (w *calendarSync) Work(ctx context.Context, job *river.Job[CalendarSyncArgs]) error {
	if w.google == nil {
		return river.JobCancel(errors.New("no Google OAuth client configured"))
	}
	a := job.Args
	var b db.GetBookingRow
	var conn db.CalendarConnectionByResourceRow
	var loc string
	err := w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) (err error) {
		if b, err = tx.GetBooking(ctx, db.GetBookingParams{OrgID: a.OrgID, ID: a.BookingID}); err != nil {
			return err
		}
		loc = tx.Org.Location.String()
		conn, err = tx.CalendarConnectionByResource(ctx, db.CalendarConnectionByResourceParams{OrgID: a.OrgID, ResourceID: b.ResourceID})
		return err
	})
	if errors.Is(err, frontdesk.ErrNotFound) {
		return nil // the calendar was disconnected, or the booking is gone
	}
	if err != nil {
		return err
	}
	if conn.Status != "active" {
		return nil // synced again on reconnect (ReconnectSync); the booking itself is safe
	}
	token, err := w.open(a.OrgID, conn.Token)
	if err != nil {
		return river.JobCancel(err)
	}
	if b.Status == "cancelled" {
		err = w.google.DeleteEvent(ctx, token, conn.CalendarID, uuid.UUID(b.ID))
	} else {
		err = w.google.PutEvent(ctx, token, conn.CalendarID, google.Event{Booking: uuid.UUID(b.ID), TimeZone: loc,
			Summary: fmt.Sprintf("%s: %s", b.ServiceName, b.PatientName), Start: b.StartsAt, End: b.EndsAt})
	}
	if google.GrantGone(err) {
		return w.store.InTenant(ctx, a.OrgID, func(tx *postgres.Tx) error {
			return tx.MarkCalendarNeedsReconnect(ctx, db.MarkCalendarNeedsReconnectParams{OrgID: a.OrgID,
				ResourceID: b.ResourceID, StatusReason: "Google refused the grant (revoked or expired): reconnect the calendar"})
		})
	}
	return err
}
