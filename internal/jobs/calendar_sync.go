package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/google"
)

// CalendarSyncArgs brings one booking's Google Calendar event in line with
// the booking: there while it is confirmed, gone once it is cancelled.
type CalendarSyncArgs struct {
	OrgID     frontdesk.OrgID `json:"org_id"`
	BookingID uuid.UUID       `json:"booking_id"`
}

func (CalendarSyncArgs) Kind() string { return "calendar_sync" }

// QueueCalendar holds calendar syncs.
const QueueCalendar = "calendar"

// BookingChanged is the outbox of a booking made or cancelled, run in its
// own transaction: texts for a new booking, and the calendar sync.
func (c *Client) BookingChanged(ctx context.Context, tx *postgres.Tx, booking uuid.UUID) error {
	if err := c.EnqueueBookingMessages(ctx, tx, booking); err != nil {
		return err
	}
	return c.EnqueueCalendarSync(ctx, tx, booking)
}

// EnqueueCalendarSync enqueues the booking's calendar sync when its
// resource has a connected calendar.
func (c *Client) EnqueueCalendarSync(ctx context.Context, tx *postgres.Tx, booking uuid.UUID) error {
	b, err := tx.GetBooking(ctx, db.GetBookingParams{OrgID: tx.Org.ID, ID: booking})
	if err != nil {
		return err
	}
	if _, err := tx.CalendarConnectionByResource(ctx, db.CalendarConnectionByResourceParams{OrgID: tx.Org.ID, ResourceID: b.ResourceID}); errors.Is(err, pgx.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	_, err = c.river.InsertTx(ctx, tx.PgxTx(), CalendarSyncArgs{OrgID: tx.Org.ID, BookingID: booking},
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
		err = w.google.DeleteEvent(ctx, token, conn.CalendarID, b.ID)
	} else {
		err = w.google.PutEvent(ctx, token, conn.CalendarID, google.Event{Booking: b.ID, TimeZone: loc,
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

// ReconnectSync enqueues the sync of every upcoming booking of a resource
// whose calendar was just (re)connected, in the connecting transaction.
func (c *Client) ReconnectSync(ctx context.Context, tx *postgres.Tx, resource uuid.UUID) error {
	ids, err := tx.FutureBookingsOfResource(ctx, db.FutureBookingsOfResourceParams{OrgID: tx.Org.ID, ResourceID: resource})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := c.river.InsertTx(ctx, tx.PgxTx(), CalendarSyncArgs{OrgID: tx.Org.ID, BookingID: id},
			&river.InsertOpts{Queue: QueueCalendar, MaxAttempts: 10}); err != nil {
			return err
		}
	}
	return nil
}
