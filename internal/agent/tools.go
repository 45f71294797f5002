// Package agent answers the voice agent's tool calls: check availability,
// hold, book, cancel and reschedule appointments, and look up the clinic's
// knowledge base. Arguments come from a language model: each is validated,
// and a missing or wrong one produces a sentence telling the agent what to
// ask the caller. The clinic is the transaction's, never an argument.
package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/scheduling"
)

// Call is the call a tool call arrives on.
type Call struct {
	ID       frontdesk.CallID
	Customer string // the caller's number, E.164 when known
	Now      time.Time
	// Calendar opens the clinic's calendar, with the hooks every booking
	// path shares (connected calendars' busy times, the outbox of texts
	// and calendar sync).
	Calendar func(ctx context.Context, tx *postgres.Tx) (*scheduling.Calendar, error)
}

// tools, by the names the assistant is configured with.
var tools = map[string]func(context.Context, *postgres.Tx, Call, vapi.ToolCall) (string, error){
	"checkAvailability":     checkAvailability,
	"holdSlot":              holdSlot,
	"bookAppointment":       bookAppointment,
	"cancelAppointment":     cancelAppointment,
	"rescheduleAppointment": rescheduleAppointment,
	"lookupKnowledge":       lookupKnowledge,
}

// Run answers one tool call. A result is a sentence for the agent; an
// error is a failure of Frontdesk's. scheduling.ErrSlotUnavailable means
// the transaction must end and SlotTaken answer in a new one.
func Run(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall) (string, error) {
	if tc.Err != nil {
		return "I could not read the request's details; ask the caller again and retry.", nil
	}
	tool, ok := tools[tc.Name]
	if !ok {
		return "", fmt.Errorf("unknown tool %q", tc.Name)
	}
	return tool(ctx, tx, c, tc)
}

// ask is a result that tells the agent what to ask the caller.
type ask string

func (a ask) Error() string { return string(a) }

func checkAvailability(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall) (string, error) {
	cal, svc, err := open(ctx, tx, c, tc)
	if err != nil {
		return answer(err)
	}
	day, err := dateArg(tc, "date", tx.Org.Location, c.Now)
	if err != nil {
		return answer(err)
	}
	slots, err := cal.Free(ctx, svc, nil, day, day.AddDate(0, 0, 1))
	if err != nil {
		return "", err
	}
	if len(slots) == 0 {
		next, err := cal.Free(ctx, svc, nil, day.AddDate(0, 0, 1), day.AddDate(0, 0, 15))
		if err != nil {
			return "", err
		}
		if len(next) == 0 {
			return fmt.Sprintf("There is nothing free for %s on %s or in the two weeks after.", svc.Name, dayWords(day)), nil
		}
		return fmt.Sprintf("There is nothing free for %s on %s. The next free time is %s.", svc.Name, dayWords(day),
			when(next[0].Start, tx.Org.Location)), nil
	}
	var times []string
	for i, s := range slots {
		if i == 8 {
			times = append(times, fmt.Sprintf("and %d more", len(slots)-8))
			break
		}
		times = append(times, clockWords(s.Start.In(tx.Org.Location)))
	}
	return fmt.Sprintf("%s on %s is free at %s.", svc.Name, dayWords(day), strings.Join(times, ", ")), nil
}

func holdSlot(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall) (string, error) {
	cal, svc, err := open(ctx, tx, c, tc)
	if err != nil {
		return answer(err)
	}
	start, err := timeArg(tc, "start", tx.Org.Location)
	if err != nil {
		return answer(err)
	}
	b, err := cal.Book(ctx, scheduling.Request{Service: svc, Start: start, Hold: true, Source: "agent", CallID: &c.ID,
		ToolCall: tc.ID, Phone: c.Customer})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Holding %s for %s with %s until %s; book it before then.", when(b.Start, tx.Org.Location),
		svc.Name, b.ResourceName, clockWords(b.HeldUntil.In(tx.Org.Location))), nil
}

func bookAppointment(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall) (string, error) {
	cal, svc, err := open(ctx, tx, c, tc)
	if err != nil {
		return answer(err)
	}
	start, err := timeArg(tc, "start", tx.Org.Location)
	if err != nil {
		return answer(err)
	}
	name, err := stringArg(tc, "patient_name", 200, "Ask the caller for their full name.")
	if err != nil {
		return answer(err)
	}
	phone, err := phoneArg(tc, tx.Org.Country, c.Customer)
	if err != nil {
		return answer(err)
	}
	// A hold this call made for this time becomes the booking.
	if held, err := tx.HeldByCall(ctx, db.HeldByCallParams{OrgID: tx.Org.ID, CallID: uuid.NullUUID{UUID: uuid.UUID(c.ID), Valid: true},
		StartsAt: start, ServiceID: svc.ID}); err == nil {
		if err := postgres.OneRow(tx.ConfirmHold(ctx, db.ConfirmHoldParams{OrgID: tx.Org.ID, ID: held, PatientName: name, PatientPhone: phone})); err != nil {
			return "", err
		}
		if err := cal.Changed(ctx, held); err != nil {
			return "", err
		}
		return booked(ctx, tx, held, name)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return "", err
	}
	b, err := cal.Book(ctx, scheduling.Request{Service: svc, Start: start, Patient: name, Phone: phone, Source: "agent",
		CallID: &c.ID, ToolCall: tc.ID})
	if err != nil {
		return "", err
	}
	return booked(ctx, tx, b.ID, name)
}

func booked(ctx context.Context, tx *postgres.Tx, id uuid.UUID, name string) (string, error) {
	b, err := tx.GetBooking(ctx, db.GetBookingParams{OrgID: tx.Org.ID, ID: id})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Booked %s for %s on %s with %s. A confirmation will follow by text.", b.ServiceName, name,
		when(b.StartsAt, tx.Org.Location), b.ResourceName), nil
}

func cancelAppointment(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall) (string, error) {
	b, err := callersBooking(ctx, tx, c, tc, "start")
	if err != nil {
		return answer(err)
	}
	cal, err := c.Calendar(ctx, tx)
	if err != nil {
		return "", err
	}
	if err := cal.Cancel(ctx, b.ID); err != nil {
		return "", err
	}
	return fmt.Sprintf("Cancelled the %s on %s.", b.ServiceName, when(b.StartsAt, tx.Org.Location)), nil
}

func rescheduleAppointment(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall) (string, error) {
	b, err := callersBooking(ctx, tx, c, tc, "current_start")
	if err != nil {
		return answer(err)
	}
	start, err := timeArg(tc, "new_start", tx.Org.Location)
	if err != nil {
		return answer(err)
	}
	cal, err := c.Calendar(ctx, tx)
	if err != nil {
		return "", err
	}
	old, err := tx.GetBooking(ctx, db.GetBookingParams{OrgID: tx.Org.ID, ID: b.ID})
	if err != nil {
		return "", err
	}
	svc, err := cal.Service(ctx, old.ServiceID)
	if err != nil {
		return "", err
	}
	// Free the old time, take the new one: one transaction, both or neither.
	if err := cal.Cancel(ctx, b.ID); err != nil {
		return "", err
	}
	nb, err := cal.Book(ctx, scheduling.Request{Service: svc, Start: start, Patient: old.PatientName, Phone: old.PatientPhone,
		Source: "agent", CallID: &c.ID, ToolCall: tc.ID})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Moved the %s from %s to %s with %s.", svc.Name, when(old.StartsAt, tx.Org.Location),
		when(nb.Start, tx.Org.Location), nb.ResourceName), nil
}

func lookupKnowledge(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall) (string, error) {
	q, err := stringArg(tc, "query", 300, "Ask the caller what they would like to know.")
	if err != nil {
		return answer(err)
	}
	hits, err := tx.SearchKnowledge(ctx, db.SearchKnowledgeParams{Query: q, MaxResults: 2})
	if err != nil {
		return "", err
	}
	if len(hits) == 0 {
		return "The clinic's information has nothing on that; offer to take a message for the staff.", nil
	}
	var parts []string
	for _, h := range hits {
		parts = append(parts, fmt.Sprintf("%s: %s", h.Title, h.Passage))
	}
	return strings.Join(parts, " | "), nil
}

// SlotTaken answers a hold, booking or reschedule whose time was not free,
// with the nearest free times (in a new transaction).
func SlotTaken(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall) (string, error) {
	start, err := timeArg(tc, "start", tx.Org.Location)
	if tc.Name == "rescheduleAppointment" {
		start, err = timeArg(tc, "new_start", tx.Org.Location)
	}
	if err != nil {
		return answer(err)
	}
	cal, err := c.Calendar(ctx, tx)
	if err != nil {
		return "", err
	}
	var svc scheduling.ServiceInfo
	if tc.Name == "rescheduleAppointment" {
		b, err := callersBooking(ctx, tx, c, tc, "current_start")
		if err != nil {
			return answer(err)
		}
		svc, err = cal.Service(ctx, b.ServiceID)
		if err != nil {
			return "", err
		}
	} else if _, svc, err = open(ctx, tx, c, tc); err != nil {
		return answer(err)
	}
	alts, err := cal.Alternatives(ctx, svc, nil, start, 3)
	if err != nil {
		return "", err
	}
	if len(alts) == 0 {
		return fmt.Sprintf("%s is not available, and nothing is free near it. Offer another day.", when(start, tx.Org.Location)), nil
	}
	var times []string
	for _, a := range alts {
		times = append(times, when(a.Start, tx.Org.Location))
	}
	return fmt.Sprintf("%s is not available. The nearest free times are %s. Ask the caller which they prefer.",
		when(start, tx.Org.Location), strings.Join(times, "; ")), nil
}

// open reads the clinic's calendar and the service the caller wants.
func open(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall) (*scheduling.Calendar, scheduling.ServiceInfo, error) {
	cal, err := c.Calendar(ctx, tx)
	if err != nil {
		return nil, scheduling.ServiceInfo{}, err
	}
	name, err := stringArg(tc, "service", 100, "")
	if err != nil {
		return nil, scheduling.ServiceInfo{}, serviceQuestion(ctx, tx, "Ask the caller which service they need.")
	}
	svc, err := cal.ServiceByName(ctx, name)
	if errors.Is(err, frontdesk.ErrNotFound) {
		return nil, svc, serviceQuestion(ctx, tx, fmt.Sprintf("There is no service called %q.", name))
	}
	return cal, svc, err
}

func serviceQuestion(ctx context.Context, tx *postgres.Tx, lead string) error {
	svcs, err := tx.ListServices(ctx, tx.Org.ID)
	if err != nil {
		return err
	}
	var names []string
	for _, s := range svcs {
		if s.Active {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return ask(lead + " The clinic takes no bookings by phone yet; offer to take a message.")
	}
	return ask(lead + " The clinic offers: " + strings.Join(names, ", ") + ". Ask the caller which one.")
}

// callersBooking finds the caller's upcoming booking: the only one, or the
// one at the time in arg.
func callersBooking(ctx context.Context, tx *postgres.Tx, c Call, tc vapi.ToolCall, arg string) (db.UpcomingBookingsByPhoneRow, error) {
	phone, err := phoneArg(tc, tx.Org.Country, c.Customer)
	if err != nil {
		return db.UpcomingBookingsByPhoneRow{}, err
	}
	rows, err := tx.UpcomingBookingsByPhone(ctx, db.UpcomingBookingsByPhoneParams{OrgID: tx.Org.ID, Phone: phone})
	if err != nil {
		return db.UpcomingBookingsByPhoneRow{}, err
	}
	if _, given := tc.Arguments[arg]; given {
		at, err := timeArg(tc, arg, tx.Org.Location)
		if err != nil {
			return db.UpcomingBookingsByPhoneRow{}, err
		}
		for _, r := range rows {
			if r.StartsAt.Equal(at) {
				return r, nil
			}
		}
		return db.UpcomingBookingsByPhoneRow{}, ask(fmt.Sprintf("There is no appointment for this phone number on %s.", when(at, tx.Org.Location)))
	}
	switch len(rows) {
	case 0:
		return db.UpcomingBookingsByPhoneRow{}, ask("There is no upcoming appointment for this phone number. Ask for the number it was booked under.")
	case 1:
		return rows[0], nil
	}
	var list []string
	for _, r := range rows {
		list = append(list, fmt.Sprintf("%s on %s", r.ServiceName, when(r.StartsAt, tx.Org.Location)))
	}
	return db.UpcomingBookingsByPhoneRow{}, ask("This number has several appointments: " + strings.Join(list, "; ") + ". Ask the caller which one.")
}

// answer turns an ask into the result the agent speaks from; other errors
// stay errors.
func answer(err error) (string, error) {
	var a ask
	if errors.As(err, &a) {
		return string(a), nil
	}
	return "", err
}

func stringArg(tc vapi.ToolCall, name string, max int, question string) (string, error) {
	v, ok := tc.Arguments[name].(string)
	v = strings.TrimSpace(v)
	if !ok || v == "" || len(v) > max {
		return "", ask(question)
	}
	return v, nil
}

func phoneArg(tc vapi.ToolCall, country, caller string) (string, error) {
	v, _ := tc.Arguments["patient_phone"].(string)
	if strings.TrimSpace(v) == "" {
		v = caller
	}
	e164, err := calls.NormalizePhone(v, country)
	if err != nil {
		return "", ask("Ask the caller for the phone number to book under.")
	}
	return e164, nil
}

// dateArg reads a date (YYYY-MM-DD) in the clinic's zone; missing, it is
// today.
func dateArg(tc vapi.ToolCall, name string, loc *time.Location, now time.Time) (time.Time, error) {
	v, _ := tc.Arguments[name].(string)
	if v == "" {
		y, m, d := now.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc), nil
	}
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(v), loc)
	if err != nil {
		return time.Time{}, ask("Ask the caller which day they mean, and give it as YYYY-MM-DD.")
	}
	return t, nil
}

// timeArg reads a start time: RFC 3339, or a local "YYYY-MM-DD HH:MM".
func timeArg(tc vapi.ToolCall, name string, loc *time.Location) (time.Time, error) {
	v, _ := tc.Arguments[name].(string)
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ask(fmt.Sprintf("Ask the caller for the day and time, and give %s as YYYY-MM-DD HH:MM.", name))
}

// when is a time in words, in the clinic's zone: "Wednesday 9 December at 10:45 AM".
func when(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return dayWords(t) + " at " + clockWords(t)
}

func dayWords(t time.Time) string { return t.Format("Monday 2 January") }

func clockWords(t time.Time) string {
	if t.Minute() == 0 {
		return t.Format("3 PM")
	}
	return t.Format("3:04 PM")
}
