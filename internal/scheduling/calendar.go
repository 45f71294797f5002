package scheduling

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

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

// Slot is a free appointment on one resource.
type Slot struct {
	Start        time.Time            `json:"start"`
	End          time.Time            `json:"end"`
	ResourceID   frontdesk.ResourceID `json:"resource_id"`
	ResourceName string               `json:"resource_name"`
}

// ServiceInfo is the booked service.
type ServiceInfo struct {
	ID   frontdesk.ServiceID
	Name string
	Appointment
}

// External is what calendars outside Frontdesk (connected Google
// calendars) say is busy, per resource, read before the transaction opens;
// Unchecked names the calendars that could not be read.
type External struct {
	Busy      map[frontdesk.ResourceID][]Interval
	Unchecked []string
}

// OnChange runs in a booking's transaction after it is confirmed or
// cancelled: the outbox of texts and calendar sync.
type OnChange func(ctx context.Context, tx *postgres.Tx, booking frontdesk.BookingID) error

// Calendar answers availability and books, inside one tenant transaction.
// Other domain packages (the agent's tools) use it in their own
// transaction; fronts go through Service.
type Calendar struct {
	tx       *postgres.Tx
	settings Settings
	now      time.Time
	ext      External
	onChange OnChange
}

// Open reads the clinic's booking settings. ext holds the connected
// calendars' busy times, read before tx began.
func Open(ctx context.Context, tx *postgres.Tx, now time.Time, ext External, onChange OnChange) (*Calendar, error) {
	s, err := tx.BookingSettings(ctx, tx.Org.ID)
	if err != nil {
		return nil, err
	}
	return &Calendar{tx: tx, now: now, ext: ext, onChange: onChange, settings: Settings{
		MinNotice: time.Duration(s.MinNoticeMinutes) * time.Minute,
		Window:    time.Duration(s.MaxDaysAhead) * 24 * time.Hour,
		Hold:      time.Duration(s.HoldMinutes) * time.Minute,
	}}, nil
}

// Unchecked names the connected calendars whose busy times are unknown.
func (c *Calendar) Unchecked() []string { return append([]string{}, c.ext.Unchecked...) }

func (c *Calendar) changed(ctx context.Context, booking frontdesk.BookingID) error {
	if c.onChange == nil {
		return nil
	}
	return c.onChange(ctx, c.tx, booking)
}

// Service returns an active service by id.
func (c *Calendar) Service(ctx context.Context, id frontdesk.ServiceID) (ServiceInfo, error) {
	s, err := c.tx.GetService(ctx, db.GetServiceParams{OrgID: c.tx.Org.ID, ID: id})
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
	if err != nil {
		return ServiceInfo{}, err
	}
	return serviceInfo(s.ID, s.Name, s.DurationMinutes, s.BufferBeforeMinutes, s.BufferAfterMinutes), nil
}

// ServiceNames are the names of the services callers can book: active,
// and offered by at least one active clinician or room.
func (c *Calendar) ServiceNames(ctx context.Context) ([]string, error) {
	bookable, err := c.Bookable(ctx)
	if err != nil {
		return nil, err
	}
	svcs, err := c.tx.ListServices(ctx, c.tx.Org.ID)
	var names []string
	for _, s := range svcs {
		if s.Active && bookable[s.ID] {
			names = append(names, s.Name)
		}
	}
	return names, err
}

// Bookable is the set of services some active resource offers.
func (c *Calendar) Bookable(ctx context.Context) (map[frontdesk.ServiceID]bool, error) {
	return bookableServices(ctx, c.tx)
}

func bookableServices(ctx context.Context, tx *postgres.Tx) (map[frontdesk.ServiceID]bool, error) {
	rs, err := tx.ListResources(ctx, tx.Org.ID)
	out := map[frontdesk.ServiceID]bool{}
	for _, r := range rs {
		if r.Active {
			for _, id := range r.ServiceIds {
				out[frontdesk.ServiceID(id)] = true
			}
		}
	}
	return out, err
}

func serviceInfo(id frontdesk.ServiceID, name string, dur, before, after int32) ServiceInfo {
	m := func(n int32) time.Duration { return time.Duration(n) * time.Minute }
	return ServiceInfo{ID: id, Name: name, Appointment: Appointment{Duration: m(dur), BufferBefore: m(before), BufferAfter: m(after)}}
}

// Free lists the free slots of svc in [from, to), on resource or (zero) on
// any resource that offers it, earliest first; at a time several resources
// are free, the first by name is offered.
func (c *Calendar) Free(ctx context.Context, svc ServiceInfo, resource frontdesk.ResourceID, from, to time.Time) ([]Slot, error) {
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

	clinicWeek, own := Week{}, map[frontdesk.ResourceID]*Week{}
	for _, h := range hours {
		rg := Range{Opens: ClockOf(h.Opens), Closes: ClockOf(h.Closes)}
		if h.ResourceID.IsZero() {
			clinicWeek[h.Weekday] = append(clinicWeek[h.Weekday], rg)
			continue
		}
		w := own[h.ResourceID]
		if w == nil {
			w = &Week{}
			own[h.ResourceID] = w
		}
		w[h.Weekday] = append(w[h.Weekday], rg)
	}
	q := Query{Loc: org.Location, Service: svc.Appointment, Step: step, From: from, To: to,
		Earliest: c.now.Add(c.settings.MinNotice), Latest: c.now.Add(c.settings.Window)}

	var out []Slot
	for _, r := range resources {
		if !resource.IsZero() && r.ID != resource {
			continue
		}
		res := Resource{Hours: clinicWeek}
		if w := own[r.ID]; w != nil {
			res.Hours = *w
		}
		for _, cl := range closures {
			if cl.ResourceID.IsZero() || cl.ResourceID == r.ID {
				res.Closed = append(res.Closed, DayRange{dateOf(cl.FirstDay), dateOf(cl.LastDay)})
			}
		}
		for _, b := range busy {
			if b.ResourceID == r.ID {
				res.Busy = append(res.Busy, Interval{b.Starts, b.Ends})
			}
		}
		res.Busy = append(res.Busy, c.ext.Busy[r.ID]...)
		for _, t := range Slots(q, res) {
			out = append(out, Slot{Start: t.In(org.Location), End: t.Add(svc.Duration).In(org.Location), ResourceID: r.ID, ResourceName: r.Name})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	if resource.IsZero() { // one offer per time
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
	Resource frontdesk.ResourceID // zero: any resource that offers the service
	Start    time.Time
	Hold     bool
	Patient  string
	Phone    string
	Source   string // staff or agent
	CallID   frontdesk.CallID
	ToolCall string
}

// Booked is what Book made.
type Booked struct {
	ID           frontdesk.BookingID
	Start, End   time.Time
	ResourceID   frontdesk.ResourceID
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
		PatientName: r.Patient, PatientPhone: r.Phone, Source: r.Source, CallID: r.CallID}
	if r.Hold {
		until := c.now.Add(c.settings.Hold)
		p.Status, p.HeldUntil, b.HeldUntil = "held", &until, &until
	}
	if r.ToolCall != "" {
		p.ToolCallID = pgtype.Text{String: r.ToolCall, Valid: true}
	}
	b.ID, err = c.tx.InsertBooking(ctx, p)
	if errors.Is(err, frontdesk.ErrConflict) {
		return Booked{}, ErrSlotUnavailable
	}
	if err != nil || r.Hold {
		return b, err
	}
	return b, c.changed(ctx, b.ID)
}

// ErrCancelled: the booking is cancelled already.
var ErrCancelled = frontdesk.Conflict("", "the booking is already cancelled")

// Cancel cancels a booking (or hold) of the clinic: frontdesk.ErrNotFound
// for none, ErrCancelled for one cancelled already.
func (c *Calendar) Cancel(ctx context.Context, booking frontdesk.BookingID) error {
	err := postgres.OneRow(c.tx.CancelBooking(ctx, db.CancelBookingParams{OrgID: c.tx.Org.ID, ID: booking}))
	if errors.Is(err, frontdesk.ErrNotFound) {
		if _, getErr := c.tx.GetBooking(ctx, db.GetBookingParams{OrgID: c.tx.Org.ID, ID: booking}); getErr == nil {
			return ErrCancelled
		}
	}
	if err != nil {
		return err
	}
	return c.changed(ctx, booking)
}

// Move is a reschedule: the new time, and who asks.
type Move struct {
	Start    time.Time
	Resource frontdesk.ResourceID // zero: any
	Source   string
	CallID   frontdesk.CallID
	ToolCall string
}

// Reschedule moves a booking: the old time is freed and the new one taken
// in this transaction, so both happen or neither (the caller rolls back on
// error). It returns the booking as it was and what was booked.
func (c *Calendar) Reschedule(ctx context.Context, id frontdesk.BookingID, m Move) (Booking, Booked, error) {
	old, err := c.Booking(ctx, id)
	if err != nil {
		return Booking{}, Booked{}, err
	}
	if old.Status == "cancelled" {
		return old, Booked{}, frontdesk.Conflict("", "the booking is cancelled")
	}
	svc, err := c.Service(ctx, old.ServiceID)
	if err != nil {
		return old, Booked{}, err
	}
	if err := c.Cancel(ctx, id); err != nil {
		return old, Booked{}, err
	}
	nb, err := c.Book(ctx, Request{Service: svc, Resource: m.Resource, Start: m.Start, Patient: old.PatientName,
		Phone: old.PatientPhone, Source: m.Source, CallID: m.CallID, ToolCall: m.ToolCall})
	return old, nb, err
}

// ConfirmHold makes the live hold a call took on svc at start the
// booking, for the patient; found is false when there is none.
func (c *Calendar) ConfirmHold(ctx context.Context, call frontdesk.CallID, svc ServiceInfo, start time.Time, patient, phone string) (id frontdesk.BookingID, found bool, err error) {
	org := c.tx.Org.ID
	held, err := c.tx.HeldByCall(ctx, db.HeldByCallParams{OrgID: org, CallID: call, StartsAt: start, ServiceID: svc.ID})
	if errors.Is(err, frontdesk.ErrNotFound) {
		return id, false, nil
	}
	if err != nil {
		return id, false, err
	}
	if err := postgres.OneRow(c.tx.ConfirmHold(ctx, db.ConfirmHoldParams{OrgID: org, ID: held, PatientName: patient, PatientPhone: phone})); err != nil {
		return id, false, err
	}
	return held, true, c.changed(ctx, held)
}

// Alternatives are up to n free starts nearest to at, within three days.
func (c *Calendar) Alternatives(ctx context.Context, svc ServiceInfo, resource frontdesk.ResourceID, at time.Time, n int) ([]Slot, error) {
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

// Booking is a booking or hold as staff and the agent see it, times in the
// clinic's zone.
type Booking struct {
	ID           frontdesk.BookingID  `json:"id"`
	Status       string               `json:"status"`
	ServiceID    frontdesk.ServiceID  `json:"service_id"`
	ServiceName  string               `json:"service_name"`
	ResourceID   frontdesk.ResourceID `json:"resource_id"`
	ResourceName string               `json:"resource_name"`
	Start        time.Time            `json:"start"`
	End          time.Time            `json:"end"`
	HeldUntil    *time.Time           `json:"held_until,omitempty"`
	PatientName  string               `json:"patient_name"`
	PatientPhone string               `json:"patient_phone"`
	Source       string               `json:"source"`
	CallID       *frontdesk.CallID    `json:"call_id"`
	// PatientConfirmedAt is when the patient texted C to confirm.
	PatientConfirmedAt *time.Time `json:"patient_confirmed_at,omitempty"`
}

// Booking reads one booking of the clinic.
func (c *Calendar) Booking(ctx context.Context, id frontdesk.BookingID) (Booking, error) {
	b, err := c.tx.GetBooking(ctx, db.GetBookingParams{OrgID: c.tx.Org.ID, ID: id})
	return bookingOf(b, c.tx.Org.Location), err
}

func bookingOf(b db.GetBookingRow, loc *time.Location) Booking {
	out := Booking{ID: b.ID, Status: b.Status, ServiceID: b.ServiceID, ServiceName: b.ServiceName, ResourceID: b.ResourceID,
		ResourceName: b.ResourceName, Start: b.StartsAt.In(loc), End: b.EndsAt.In(loc), HeldUntil: inZone(b.HeldUntil, loc),
		PatientName: b.PatientName, PatientPhone: b.PatientPhone, Source: b.Source, PatientConfirmedAt: inZone(b.PatientConfirmedAt, loc)}
	if b.CallID != (frontdesk.CallID{}) {
		id := b.CallID
		out.CallID = &id
	}
	return out
}

// Upcoming lists the confirmed future bookings made under phone.
func (c *Calendar) Upcoming(ctx context.Context, phone string) ([]Booking, error) {
	rows, err := c.tx.UpcomingBookingsByPhone(ctx, db.UpcomingBookingsByPhoneParams{OrgID: c.tx.Org.ID, Phone: phone})
	out := make([]Booking, len(rows))
	for i, r := range rows {
		out[i] = Booking{ID: r.ID, ServiceID: r.ServiceID, ServiceName: r.ServiceName, ResourceID: r.ResourceID,
			Start: r.StartsAt.In(c.tx.Org.Location), Status: "confirmed", PatientPhone: phone}
	}
	return out, err
}

func inZone(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	z := t.In(loc)
	return &z
}

// ClockOf reads a database time of day.
func ClockOf(t pgtype.Time) Clock { return Clock(t.Microseconds / 60_000_000) }

// PG is c as a database time of day.
func (c Clock) PG() pgtype.Time { return pgtype.Time{Microseconds: int64(c) * 60_000_000, Valid: true} }

func dateOf(d pgtype.Date) Date { y, m, dd := d.Time.Date(); return Date{y, m, dd} }
