package scheduling

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// ErrSlotUnavailable: the requested start is not (or no longer) free.
var ErrSlotUnavailable = fmt.Errorf("%w: that time is not available", frontdesk.ErrConflict)

// step is the spacing of offered start times.
const step = 15 * time.Minute

// Settings are a clinic's booking window and hold length.
type Settings struct {
	MinNotice, Window, Hold time.Duration
}

// Slot is a free start time on one resource.
type Slot struct {
	Start        time.Time
	ResourceID   uuid.UUID
	ResourceName string
}

// ServiceInfo is the booked service.
type ServiceInfo struct {
	ID   uuid.UUID
	Name string
	Service
}

// Calendar answers availability and books, inside one tenant transaction.
type Calendar struct {
	tx       *postgres.Tx
	settings Settings
	now      time.Time
	// OnChange, if set, runs in the same transaction after a booking is
	// confirmed or cancelled (the outbox: texts, calendar sync).
	OnChange func(ctx context.Context, tx *postgres.Tx, booking uuid.UUID) error
	// External, if set, adds busy times from outside (connected Google
	// calendars) per resource, and names the calendars it could not read.
	External func(ctx context.Context, tx *postgres.Tx, from, to time.Time) (map[uuid.UUID][]Interval, []string, error)
	// Unchecked lists the calendars the last Free could not read.
	Unchecked []string
}

// Changed runs OnChange for a booking changed outside Book and Cancel (a
// hold confirmed).
func (c *Calendar) Changed(ctx context.Context, booking uuid.UUID) error {
	if c.OnChange == nil {
		return nil
	}
	return c.OnChange(ctx, c.tx, booking)
}

// Cancel cancels a booking (or hold) that is not cancelled yet;
// frontdesk.ErrNotFound otherwise.
func (c *Calendar) Cancel(ctx context.Context, booking uuid.UUID) error {
	if err := postgres.OneRow(c.tx.CancelBooking(ctx, db.CancelBookingParams{OrgID: c.tx.Org.ID, ID: booking})); err != nil {
		return err
	}
	return c.Changed(ctx, booking)
}

// Open reads the clinic's booking settings.
func Open(ctx context.Context, tx *postgres.Tx, now time.Time) (*Calendar, error) {
	s, err := tx.BookingSettings(ctx, tx.Org.ID)
	if err != nil {
		return nil, err
	}
	return &Calendar{tx: tx, now: now, settings: Settings{
		MinNotice: time.Duration(s.MinNoticeMinutes) * time.Minute,
		Window:    time.Duration(s.MaxDaysAhead) * 24 * time.Hour,
		Hold:      time.Duration(s.HoldMinutes) * time.Minute,
	}}, nil
}

// Service returns an active service by id.
func (c *Calendar) Service(ctx context.Context, id uuid.UUID) (ServiceInfo, error) {
	s, err := c.tx.GetService(ctx, db.GetServiceParams{OrgID: c.tx.Org.ID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return ServiceInfo{}, frontdesk.ErrNotFound
	}
	if err != nil {
		return ServiceInfo{}, err
	}
	if !s.Active {
		return ServiceInfo{}, frontdesk.ErrNotFound
	}
	return serviceInfo(s.ID, s.Name, s.DurationMinutes, s.BufferBeforeMinutes, s.BufferAfterMinutes), nil
}

// ServiceByName finds an active service by its name, in any case.
func (c *Calendar) ServiceByName(ctx context.Context, name string) (ServiceInfo, error) {
	s, err := c.tx.FindServiceByName(ctx, db.FindServiceByNameParams{OrgID: c.tx.Org.ID, Name: name})
	if errors.Is(err, pgx.ErrNoRows) {
		return ServiceInfo{}, frontdesk.ErrNotFound
	}
	if err != nil {
		return ServiceInfo{}, err
	}
	return serviceInfo(s.ID, s.Name, s.DurationMinutes, s.BufferBeforeMinutes, s.BufferAfterMinutes), nil
}

func serviceInfo(id uuid.UUID, name string, dur, before, after int32) ServiceInfo {
	m := func(n int32) time.Duration { return time.Duration(n) * time.Minute }
	return ServiceInfo{ID: id, Name: name, Service: Service{Duration: m(dur), BufferBefore: m(before), BufferAfter: m(after)}}
}

// Free lists the free slots of svc in [from, to), on resource or (nil) on
// any resource that offers it, earliest first; at a time several resources
// are free, the first by name is offered.
func (c *Calendar) Free(ctx context.Context, svc ServiceInfo, resource *uuid.UUID, from, to time.Time) ([]Slot, error) {
	org := c.tx.Org
	resources, err := c.tx.ResourcesForService(ctx, db.ResourcesForServiceParams{OrgID: org.ID, ServiceID: svc.ID})
	if err != nil {
		return nil, err
	}
	hours, err := c.tx.ListOpeningHours(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	closures, err := c.tx.ListClosures(ctx, db.ListClosuresParams{OrgID: org.ID,
		FromDay: pgtype.Date{Time: from.In(org.Location).AddDate(0, 0, -1), Valid: true}})
	if err != nil {
		return nil, err
	}
	pad := svc.Duration + svc.BufferBefore + svc.BufferAfter + 24*time.Hour
	busy, err := c.tx.BusyIntervals(ctx, db.BusyIntervalsParams{OrgID: org.ID, RangeStart: from.Add(-pad), RangeEnd: to.Add(pad)})
	if err != nil {
		return nil, err
	}

	var external map[uuid.UUID][]Interval
	c.Unchecked = nil
	if c.External != nil {
		if external, c.Unchecked, err = c.External(ctx, c.tx, from.Add(-pad), to.Add(pad)); err != nil {
			return nil, err
		}
	}

	clinicWeek, own := Week{}, map[uuid.UUID]*Week{}
	for _, h := range hours {
		rg := Range{Opens: ClockOf(h.Opens), Closes: ClockOf(h.Closes)}
		if !h.ResourceID.Valid {
			clinicWeek[h.Weekday] = append(clinicWeek[h.Weekday], rg)
			continue
		}
		w := own[h.ResourceID.UUID]
		if w == nil {
			w = &Week{}
			own[h.ResourceID.UUID] = w
		}
		w[h.Weekday] = append(w[h.Weekday], rg)
	}
	q := Query{Loc: org.Location, Service: svc.Service, Step: step, From: from, To: to,
		Earliest: c.now.Add(c.settings.MinNotice), Latest: c.now.Add(c.settings.Window)}

	var out []Slot
	for _, r := range resources {
		if resource != nil && r.ID != *resource {
			continue
		}
		res := Resource{Hours: clinicWeek}
		if w := own[r.ID]; w != nil {
			res.Hours = *w
		}
		for _, cl := range closures {
			if !cl.ResourceID.Valid || cl.ResourceID.UUID == r.ID {
				res.Closed = append(res.Closed, DayRange{dateOf(cl.FirstDay), dateOf(cl.LastDay)})
			}
		}
		for _, b := range busy {
			if b.ResourceID == r.ID {
				res.Busy = append(res.Busy, Interval{b.Starts, b.Ends})
			}
		}
		res.Busy = append(res.Busy, external[r.ID]...)
		for _, t := range Slots(q, res) {
			out = append(out, Slot{Start: t, ResourceID: r.ID, ResourceName: r.Name})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	if resource == nil { // one offer per time
		dedup := out[:0]
		for i, s := range out {
			if i == 0 || !s.Start.Equal(out[i-1].Start) {
				dedup = append(dedup, s)
			}
		}
		out = dedup
	}
	return out, nil
}

// Request is a booking (or a hold) to make.
type Request struct {
	Service  ServiceInfo
	Resource *uuid.UUID // nil: any resource that offers the service
	Start    time.Time
	Hold     bool
	Patient  string
	Phone    string
	Source   string // staff or agent
	CallID   *frontdesk.CallID
	ToolCall string
}

// Booked is what Book made.
type Booked struct {
	ID           uuid.UUID
	Start, End   time.Time
	ResourceID   uuid.UUID
	ResourceName string
	HeldUntil    *time.Time
}

// Book takes the slot if it is free now: within hours, window and notice,
// clear of other bookings and live holds. The database has the last word:
// a concurrent booking of the same time fails on the exclusion constraint,
// as ErrSlotUnavailable.
func (c *Calendar) Book(ctx context.Context, r Request) (Booked, error) {
	slots, err := c.Free(ctx, r.Service, r.Resource, r.Start, r.Start.Add(time.Minute))
	if err != nil {
		return Booked{}, err
	}
	var slot *Slot
	for i := range slots {
		if slots[i].Start.Equal(r.Start) {
			slot = &slots[i]
			break
		}
	}
	if slot == nil {
		return Booked{}, ErrSlotUnavailable
	}
	b := Booked{Start: r.Start, End: r.Start.Add(r.Service.Duration), ResourceID: slot.ResourceID, ResourceName: slot.ResourceName}
	blockedStart, blockedEnd := b.Start.Add(-r.Service.BufferBefore), b.End.Add(r.Service.BufferAfter)
	org := c.tx.Org.ID
	if err := c.tx.ClearLapsedHolds(ctx, db.ClearLapsedHoldsParams{OrgID: org, ResourceID: slot.ResourceID,
		BlockedStart: blockedStart, BlockedEnd: blockedEnd}); err != nil {
		return Booked{}, err
	}
	p := db.InsertBookingParams{OrgID: org, ResourceID: slot.ResourceID, ServiceID: r.Service.ID, Status: "confirmed",
		StartsAt: b.Start, EndsAt: b.End, BlockedStart: blockedStart, BlockedEnd: blockedEnd,
		PatientName: r.Patient, PatientPhone: r.Phone, Source: r.Source}
	if r.Hold {
		until := c.now.Add(c.settings.Hold)
		p.Status, p.HeldUntil, b.HeldUntil = "held", &until, &until
	}
	if r.CallID != nil {
		p.CallID = uuid.NullUUID{UUID: uuid.UUID(*r.CallID), Valid: true}
	}
	if r.ToolCall != "" {
		p.ToolCallID = pgtype.Text{String: r.ToolCall, Valid: true}
	}
	b.ID, err = c.tx.InsertBooking(ctx, p)
	if postgres.IsConflict(err) {
		return Booked{}, ErrSlotUnavailable
	}
	if err != nil || r.Hold {
		return b, err
	}
	return b, c.Changed(ctx, b.ID)
}

// Alternatives are up to n free starts nearest to at, within three days.
func (c *Calendar) Alternatives(ctx context.Context, svc ServiceInfo, resource *uuid.UUID, at time.Time, n int) ([]Slot, error) {
	slots, err := c.Free(ctx, svc, resource, at.Add(-24*time.Hour), at.Add(72*time.Hour))
	if err != nil {
		return nil, err
	}
	dist := func(s Slot) time.Duration {
		d := s.Start.Sub(at)
		if d < 0 {
			d = -d
		}
		return d
	}
	sort.SliceStable(slots, func(i, j int) bool { return dist(slots[i]) < dist(slots[j]) })
	if len(slots) > n {
		slots = slots[:n]
	}
	sort.SliceStable(slots, func(i, j int) bool { return slots[i].Start.Before(slots[j].Start) })
	return slots, nil
}

// ClockOf reads a database time of day.
func ClockOf(t pgtype.Time) Clock { return Clock(t.Microseconds / 60_000_000) }

// PG is c as a database time of day.
func (c Clock) PG() pgtype.Time { return pgtype.Time{Microseconds: int64(c) * 60_000_000, Valid: true} }

func dateOf(d pgtype.Date) Date { y, m, dd := d.Time.Date(); return Date{y, m, dd} }
