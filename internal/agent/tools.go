package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/identity"
	"frontdesk/internal/knowledge"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/runes"
	"frontdesk/internal/scheduling"
	"frontdesk/internal/tel"
	"frontdesk/internal/wallclock"
)

// turn is one tool call being answered, in its transaction.
type turn struct {
	ctx  context.Context
	tx   *postgres.Tx
	call Call
	tc   ToolCall
	// args are the tool call's arguments as its definition declares them.
	args    map[string]string
	now     time.Time
	permits Permits
	codes   Codes
	// open opens the clinic's calendar, for the tools that need it.
	open func() (*scheduling.Calendar, error)
	cal  *scheduling.Calendar
}

// calendar is the clinic's calendar, opened on first use.
func (t *turn) calendar() (*scheduling.Calendar, error) {
	if t.cal == nil {
		cal, err := t.open()
		if err != nil {
			return nil, err
		}
		t.cal = cal
	}
	return t.cal, nil
}

// tools, by the names the assistant is configured with.
var tools = map[string]func(*turn) (string, error){
	"checkAvailability":     (*turn).checkAvailability,
	"holdSlot":              (*turn).holdSlot,
	"bookAppointment":       (*turn).bookAppointment,
	"cancelAppointment":     (*turn).cancelAppointment,
	"rescheduleAppointment": (*turn).rescheduleAppointment,
	"lookupKnowledge":       (*turn).lookupKnowledge,
	"takeMessage":           (*turn).takeMessage,
	"optOut":                (*turn).optOut,
	"openingHours":          (*turn).openingHours,
	"sendVerificationCode":  (*turn).sendVerificationCode,
	"verifyCode":            (*turn).verifyCode,
}

// run answers the tool call. A result is a sentence for the agent; an
// error is a failure of Frontdesk's. scheduling.ErrSlotUnavailable means
// the transaction must end and slotTaken answer in a new one.
func (t *turn) run() (string, error) {
	if t.tc.Err != nil {
		return "I could not read the request's details; ask the caller again and retry.", nil
	}
	tool, ok := tools[t.tc.Name]
	if !ok {
		return "", fmt.Errorf("unknown tool %q", t.tc.Name)
	}
	def, _ := definition(t.tc.Name)
	if ok, err := t.permits(t.ctx, t.tx, def.Needs); err != nil || !ok {
		return "This clinic does not do that by phone. Offer to take a message for the staff instead.", err
	}
	if err := t.readArgs(); err != nil {
		return answer("", err)
	}
	if def.Needs == "book" || t.tc.Name == "cancelAppointment" || t.tc.Name == "rescheduleAppointment" { // these work on the calendar
		if _, err := t.calendar(); err != nil {
			return "", err
		}
	}
	return answer(tool(t))
}

func (t *turn) loc() *time.Location { return t.tx.Org.Location }

// readArgs decodes the call's arguments by the tool's definition.
func (t *turn) readArgs() (err error) {
	def, ok := definition(t.tc.Name)
	if !ok {
		return fmt.Errorf("tool %q has no definition", t.tc.Name)
	}
	t.args, err = def.decode(t.tc.Arguments)
	return err
}

// ask is a result that tells the agent what to ask the caller.
type ask string

func (a ask) Error() string { return string(a) }

func (t *turn) checkAvailability() (string, error) {
	svc, err := t.service()
	if err != nil {
		return "", err
	}
	day, err := t.date("date")
	if err != nil {
		return "", err
	}
	slots, err := t.cal.Free(t.ctx, svc, frontdesk.ResourceID{}, day, daysAfter(day, 1, t.loc()))
	if err != nil {
		return "", err
	}
	if len(slots) == 0 {
		next, err := t.cal.Free(t.ctx, svc, frontdesk.ResourceID{}, daysAfter(day, 1, t.loc()), daysAfter(day, 15, t.loc()))
		if err != nil {
			return "", err
		}
		if len(next) == 0 {
			return fmt.Sprintf("There is nothing free for %s on %s or in the two weeks after.", svc.Name, dayWords(day)), nil
		}
		return fmt.Sprintf("There is nothing free for %s on %s. The next free time is %s.", svc.Name, dayWords(day),
			when(next[0].Start, t.loc())), nil
	}
	offered := spread(slots, t.loc())
	var times []string
	for _, s := range offered {
		times = append(times, clockWords(s.Start.In(t.loc())))
	}
	text := fmt.Sprintf("%s on %s is free at %s", svc.Name, dayWords(day), listWords(times, "and"))
	if more := len(slots) - len(offered); more > 0 {
		text += fmt.Sprintf(", and at %d other times that day; ask if the caller prefers another time", more)
	}
	return text + ".", nil
}

// spread picks at most three of a day's free times to read out: the
// earliest, the one nearest late morning and the one nearest mid
// afternoon, so a caller hears the shape of the day, not a list.
func spread(slots []scheduling.Slot, loc *time.Location) []scheduling.Slot {
	if len(slots) <= 3 {
		return slots
	}
	out := []scheduling.Slot{slots[0]}
	minutes := func(s scheduling.Slot) int { l := s.Start.In(loc); return l.Hour()*60 + l.Minute() }
	for _, target := range []int{11 * 60, 15 * 60} {
		best := -1
		for i, s := range slots {
			if !s.Start.After(out[len(out)-1].Start) {
				continue
			}
			if best < 0 || abs(minutes(s)-target) < abs(minutes(slots[best])-target) {
				best = i
			}
		}
		if best >= 0 {
			out = append(out, slots[best])
		}
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// listWords joins "9 AM", "11 AM", "3 PM" as "9 AM, 11 AM and 3 PM"
// (or another conjunction).
func listWords(items []string, conj string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

func (t *turn) holdSlot() (string, error) {
	svc, err := t.service()
	if err != nil {
		return "", err
	}
	start, err := t.time("start")
	if err != nil {
		return "", err
	}
	b, err := t.cal.Book(t.ctx, scheduling.Request{Service: svc, Start: start, Hold: true, Source: "agent", CallID: t.call.ID,
		ToolCall: t.tc.ID, Phone: t.call.Customer})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Holding %s for %s with %s until %s; book it before then.", when(b.Start, t.loc()),
		svc.Name, b.ResourceName, clockWords(b.HeldUntil.In(t.loc()))), nil
}

func (t *turn) bookAppointment() (string, error) {
	svc, err := t.service()
	if err != nil {
		return "", err
	}
	start, err := t.time("start")
	if err != nil {
		return "", err
	}
	name, err := t.text("patient_name", 200, "Ask the caller for their full name.")
	if err != nil {
		return "", err
	}
	phone, err := t.phone()
	if err != nil {
		return "", err
	}
	// A hold this call made for this time becomes the booking.
	id, held, err := t.cal.ConfirmHold(t.ctx, t.call.ID, svc, start, name, phone)
	if err != nil {
		return "", err
	}
	if !held {
		b, err := t.cal.Book(t.ctx, scheduling.Request{Service: svc, Start: start, Patient: name, Phone: phone, Source: "agent",
			CallID: t.call.ID, ToolCall: t.tc.ID})
		if err != nil {
			return "", err
		}
		id = b.ID
	}
	b, err := t.cal.Booking(t.ctx, id)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Booked %s for %s on %s with %s. A confirmation will follow by text.", b.ServiceName, name,
		when(b.Start, t.loc()), b.ResourceName), nil
}

func (t *turn) cancelAppointment() (string, error) {
	b, err := t.callersBooking("start")
	if err != nil {
		return "", err
	}
	if err := t.cal.Cancel(t.ctx, b.ID); err != nil {
		return "", err
	}
	return fmt.Sprintf("Cancelled the %s on %s.", b.ServiceName, when(b.Start, t.loc())), nil
}

func (t *turn) rescheduleAppointment() (string, error) {
	b, err := t.callersBooking("current_start")
	if err != nil {
		return "", err
	}
	start, err := t.time("new_start")
	if err != nil {
		return "", err
	}
	old, nb, err := t.cal.Reschedule(t.ctx, b.ID, scheduling.Move{Start: start, Source: "agent", CallID: t.call.ID, ToolCall: t.tc.ID})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Moved the %s from %s to %s with %s.", old.ServiceName, when(old.Start, t.loc()),
		when(nb.Start, t.loc()), nb.ResourceName), nil
}

func (t *turn) lookupKnowledge() (string, error) {
	q, err := t.text("query", 300, "Ask the caller what they would like to know.")
	if err != nil {
		return "", err
	}
	hits, err := knowledge.SearchTx(t.ctx, t.tx, q, 2)
	if err != nil {
		return "", err
	}
	if len(hits) == 0 {
		return "The clinic's information has nothing on that; offer to take a message for the staff.", nil
	}
	var parts []string
	for _, h := range hits {
		parts = append(parts, fmt.Sprintf("%s: %s", h.Title, h.Text))
	}
	return strings.Join(parts, " | "), nil
}

// openingHours says when the clinic opens on a day, from its hours and
// closures as they are now.
func (t *turn) openingHours() (string, error) {
	day, err := t.date("date")
	if err != nil {
		return "", err
	}
	hours, err := scheduling.ReadClinicHours(t.ctx, t.tx, day)
	if err != nil {
		return "", err
	}
	ranges, closure := hours.On(scheduling.DateOf(day, t.loc()))
	switch {
	case closure != nil && closure.Reason != "":
		return fmt.Sprintf("The clinic is closed on %s (%s).", dayWords(day), closure.Reason), nil
	case len(ranges) == 0:
		return fmt.Sprintf("The clinic is closed on %s.", dayWords(day)), nil
	}
	return fmt.Sprintf("The clinic is open on %s from %s.", dayWords(day), scheduling.RangesWords(ranges)), nil
}

// takeMessage leaves the staff a message to call the caller back: why,
// how urgently, and on which number (the caller's own by default).
func (t *turn) takeMessage() (string, error) {
	reason, err := t.text("reason", 500, "Ask the caller what the message is about.")
	if err != nil {
		return "", err
	}
	urgency := calls.Routine
	if t.args["urgency"] == "urgent" {
		urgency = calls.Urgent
	}
	caller, _ := tel.Normalize(t.call.Customer, t.tx.Org.Country)
	callback := caller
	if v := t.args["callback_number"]; v != "" {
		if callback, err = tel.Valid(v, t.tx.Org.Country); err != nil {
			return "", ask("Ask the caller for the number to call back, with its area code.")
		}
	}
	if callback == "" {
		return "", ask("Ask the caller for the number the staff should call back, with its area code.")
	}
	if err := calls.TakeMessageTx(t.ctx, t.tx, t.call.ID, caller, callback, reason, urgency); err != nil {
		return "", err
	}
	if urgency == calls.Urgent {
		return fmt.Sprintf("The message is with the staff, marked urgent; they will call back on %s as soon as they can. If it is an emergency, tell the caller to call emergency services now.", callback), nil
	}
	return fmt.Sprintf("The message is with the staff; they will call back on %s.", callback), nil
}

// optOut puts the caller's own number (never another) on the clinic's
// do-not-call list: no campaign calls it, no text goes to it.
func (t *turn) optOut() (string, error) {
	caller, err := tel.Normalize(t.call.Customer, t.tx.Org.Country)
	if err != nil || caller == "" {
		return "I could not tell which number the caller is calling from; take a message for the staff asking them to stop calling instead.", nil
	}
	reason := "asked on a call"
	if r := t.args["reason"]; r != "" {
		reason += ": " + runes.Clip(r, 200)
	}
	if _, err := t.tx.AddDoNotCall(t.ctx, db.AddDoNotCallParams{OrgID: t.tx.Org.ID, Phone: caller, Source: "call", Reason: reason}); err != nil {
		return "", err
	}
	return "Done: the clinic will not call or text this number again. Tell the caller so.", nil
}

// slotTaken answers a hold, booking or reschedule whose time was not free,
// with the nearest free times (in a new transaction).
func (t *turn) slotTaken() (string, error) {
	arg := "start"
	if t.tc.Name == "rescheduleAppointment" {
		arg = "new_start"
	}
	if _, err := t.calendar(); err != nil {
		return "", err
	}
	text, err := answer(func() (string, error) {
		if err := t.readArgs(); err != nil {
			return "", err
		}
		start, err := t.time(arg)
		if err != nil {
			return "", err
		}
		var svc scheduling.ServiceInfo
		if t.tc.Name == "rescheduleAppointment" {
			b, err := t.callersBooking("current_start")
			if err != nil {
				return "", err
			}
			if svc, err = t.cal.Service(t.ctx, b.ServiceID); err != nil {
				return "", err
			}
		} else if svc, err = t.service(); err != nil {
			return "", err
		}
		alts, err := t.cal.Alternatives(t.ctx, svc, frontdesk.ResourceID{}, start, 3)
		if err != nil {
			return "", err
		}
		if len(alts) == 0 {
			return fmt.Sprintf("%s is not available, and nothing is free near it. Offer another day.", when(start, t.loc())), nil
		}
		var times []string
		for _, a := range alts {
			times = append(times, when(a.Start, t.loc()))
		}
		return fmt.Sprintf("%s is not available. The nearest free times are %s. Ask the caller which they prefer.",
			when(start, t.loc()), strings.Join(times, "; ")), nil
	}())
	return text, err
}

// service is the service the caller wants, by name or id; only a service
// some active clinician or room offers can be booked.
func (t *turn) service() (scheduling.ServiceInfo, error) {
	name, err := t.text("service", 100, "")
	if err != nil {
		return scheduling.ServiceInfo{}, t.serviceQuestion("Ask the caller which service they need.")
	}
	var svc scheduling.ServiceInfo
	id, idErr := frontdesk.ParseServiceID(name)
	if idErr == nil {
		svc, err = t.cal.Service(t.ctx, id)
	} else {
		svc, err = t.cal.ServiceByName(t.ctx, name)
	}
	if errors.Is(err, frontdesk.ErrNotFound) {
		if idErr == nil { // an id the clinic does not have: audited like any miss
			if err := identity.RecordMissTx(t.ctx, t.tx, frontdesk.UserID{}, identity.Miss{Action: "tool:" + t.tc.Name,
				ResourceType: "service", ResourceID: id.String(), RequestID: t.tc.ID, RemoteAddr: "voice agent"}); err != nil {
				return svc, err
			}
		}
		return svc, t.serviceQuestion(fmt.Sprintf("There is no service called %q.", name))
	}
	if err != nil {
		return svc, err
	}
	bookable, err := t.cal.Bookable(t.ctx)
	if err != nil {
		return svc, err
	}
	if !bookable[svc.ID] {
		return svc, t.serviceQuestion(fmt.Sprintf("%s cannot be booked by phone: no clinician offers it.", svc.Name))
	}
	return svc, nil
}

func (t *turn) serviceQuestion(lead string) error {
	names, err := t.cal.ServiceNames(t.ctx)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return ask(lead + " The clinic takes no bookings by phone yet; offer to take a message.")
	}
	return ask(lead + " The clinic offers: " + strings.Join(names, ", ") + ". Ask the caller which one.")
}

// notYours is the answer when the caller asks to change bookings that are
// not theirs: a caller acts only for the number they are calling from.
const notYours = "I can only change appointments booked under the number you are calling from, or under a number verified on this call with a texted code."

// callersBooking finds the caller's upcoming booking: the only one, or the
// one at the time in arg. Only bookings made under the number the call
// comes from count, or under a number this call has verified with a
// texted code; any other number in the arguments, under any name, changes
// nothing, and a call without a caller number (a web call) changes only a
// verified number's bookings.
func (t *turn) callersBooking(arg string) (scheduling.Booking, error) {
	caller, _ := tel.Normalize(t.call.Customer, t.tx.Org.Country)
	verified, err := t.verifiedNumbers()
	if err != nil {
		return scheduling.Booking{}, err
	}
	phone := caller
	// The raw arguments, declared or not: a number the model names for
	// the caller must be the caller's own or a verified one.
	for _, name := range []string{"phone", "patient_phone", "phone_number", "number"} {
		if v, _ := t.tc.Arguments[name].(string); strings.TrimSpace(v) != "" {
			named, err := tel.Normalize(v, t.tx.Org.Country)
			if err != nil || (named != caller && !verified[named]) {
				return scheduling.Booking{}, ask(notYours + " To change one booked under another number, offer to text that number a code (sendVerificationCode), or to take a message for the staff.")
			}
			phone = named
		}
	}
	if phone == "" {
		return scheduling.Booking{}, ask(notYours + " This call has no caller number: ask for the number the appointment was booked under and text it a code (sendVerificationCode), or offer to take a message for the staff.")
	}
	rows, err := t.cal.Upcoming(t.ctx, phone)
	if err != nil {
		return scheduling.Booking{}, err
	}
	if t.args[arg] != "" {
		at, err := t.time(arg)
		if err != nil {
			return scheduling.Booking{}, err
		}
		for _, r := range rows {
			if r.Start.Equal(at) {
				return r, nil
			}
		}
		return scheduling.Booking{}, ask(fmt.Sprintf("There is no appointment for %s on %s.", phoneWords(phone, caller), when(at, t.loc())))
	}
	switch len(rows) {
	case 0:
		return scheduling.Booking{}, ask("There is no upcoming appointment for " + phoneWords(phone, caller) + ". " + notYours)
	case 1:
		return rows[0], nil
	}
	var list []string
	for _, r := range rows {
		list = append(list, fmt.Sprintf("%s on %s", r.ServiceName, when(r.Start, t.loc())))
	}
	return scheduling.Booking{}, ask("This number has several appointments: " + strings.Join(list, "; ") + ". Ask the caller which one.")
}

// phoneWords names the number whose bookings were looked at.
func phoneWords(phone, caller string) string {
	if phone == caller {
		return "the number you are calling from"
	}
	return phone
}

// answer turns an ask into the result the agent speaks from; other errors
// stay errors.
func answer(text string, err error) (string, error) {
	var a ask
	if errors.As(err, &a) {
		return string(a), nil
	}
	return text, err
}

// text is a required text argument of at most max bytes; question is
// what to ask the caller when it is missing.
func (t *turn) text(name string, max int, question string) (string, error) {
	v := t.args[name]
	if v == "" || len(v) > max {
		return "", ask(question)
	}
	return v, nil
}

// phone is the number to book under: the patient_phone argument, or the
// caller's number.
func (t *turn) phone() (string, error) {
	v := t.args["patient_phone"]
	if v == "" {
		v = t.call.Customer
	}
	e164, err := tel.Valid(v, t.tx.Org.Country)
	if err != nil {
		return "", ask("Ask the caller for the phone number to book under, with its area code.")
	}
	return e164, nil
}

// date reads a date argument (YYYY-MM-DD) in the clinic's zone; missing,
// it is today.
func (t *turn) date(name string) (time.Time, error) {
	v, loc := t.args[name], t.loc()
	if v == "" {
		y, m, d := t.now.In(loc).Date()
		return wallclock.StartOfDay(y, m, d, loc), nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, ask("Ask the caller which day they mean, and give it as YYYY-MM-DD.")
	}
	return wallclock.StartOfDay(d.Year(), d.Month(), d.Day(), loc), nil
}

// daysAfter is the first instant of the day n days after day's, in loc.
func daysAfter(day time.Time, n int, loc *time.Location) time.Time {
	y, m, d := day.In(loc).Date()
	return wallclock.StartOfDay(y, m, d+n, loc)
}

// time reads a start time argument: RFC 3339, or "YYYY-MM-DD HH:MM" in
// the clinic's zone.
func (t *turn) time(name string) (time.Time, error) { return timeArg(name, t.args[name], t.loc()) }

func timeArg(name, v string, loc *time.Location) (time.Time, error) {
	t, err := scheduling.ParseStart(name, v, loc)
	if err != nil {
		return t, ask(fmt.Sprintf("Ask the caller for the day and time, and give %s as YYYY-MM-DD HH:MM.", name))
	}
	return t, nil
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
