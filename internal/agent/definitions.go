package agent

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Definition is one tool as the assistant is told of it: its name, what it
// is for, and its arguments as JSON Schema. These definitions are the one
// source for the assistant Frontdesk serves and for the tools it answers
// (a test holds the two together).
type Definition struct {
	Name        string
	Description string
	Parameters  map[string]any
	// Needs is the permission of the receptionist profile it requires:
	// book, change, answer or messages; or "always" for what no clinic
	// can switch off (a caller asking not to be called again).
	Needs string
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }

func object(required []string, props map[string]any) map[string]any {
	return map[string]any{"type": "object", "properties": props, "required": required}
}

const (
	wallTime = "the day and time, as YYYY-MM-DD HH:MM in the clinic's time zone"
	service  = "the service's name, as the clinic lists it"
	// verifiedPhone is the number argument of the tools that change bookings.
	verifiedPhone = "the number the appointment was booked under, only when it is not the caller's and verifyCode has verified it"
)

// Definitions are the tools Frontdesk answers.
var Definitions = []Definition{
	{"checkAvailability", "Find the free times of a service on a day.",
		object([]string{"service"}, map[string]any{"service": str(service), "date": str("the day, as YYYY-MM-DD; today if left out")}), "book"},
	{"holdSlot", "Hold a free time for a few minutes while the caller decides.",
		object([]string{"service", "start"}, map[string]any{"service": str(service), "start": str(wallTime)}), "book"},
	{"bookAppointment", "Book an appointment for the caller (a time this call held becomes the booking).",
		object([]string{"service", "start", "patient_name"}, map[string]any{"service": str(service), "start": str(wallTime),
			"patient_name":  str("the patient's full name"),
			"patient_phone": str("the patient's phone number with its area code; the caller's number if left out")}), "book"},
	{"cancelAppointment", "Cancel the caller's own upcoming appointment (booked under the number they call from, or one verified on this call).",
		object([]string{}, map[string]any{"start": str(wallTime + " of the appointment, when the caller has several"), "phone": str(verifiedPhone)}), "change"},
	{"rescheduleAppointment", "Move the caller's own upcoming appointment to another free time.",
		object([]string{"new_start"}, map[string]any{"new_start": str("the new " + wallTime),
			"current_start": str("the current " + wallTime + ", when the caller has several"), "phone": str(verifiedPhone)}), "change"},
	{"sendVerificationCode", "Text a six-digit code to the number an appointment was booked under, when the caller is calling from another number.",
		object([]string{"phone"}, map[string]any{"phone": str("the number the appointment was booked under, with its area code")}), "change"},
	{"verifyCode", "Check the code the caller read out from the text; once right, that number's appointments can be changed on this call.",
		object([]string{"code"}, map[string]any{"code": str("the six digits the caller read out")}), "change"},
	{"lookupKnowledge", "Look up the clinic's own information (parking, insurance, prices, policies) to answer a question.",
		object([]string{"query"}, map[string]any{"query": str("the caller's question, in a few words")}), "answer"},
	{"openingHours", "Say when the clinic is open on a day (closures included), from its current hours.",
		object([]string{}, map[string]any{"date": str("the day, as YYYY-MM-DD; today if left out")}), "answer"},
	{"takeMessage", "Leave the staff a message to call the caller back.",
		object([]string{"reason"}, map[string]any{"reason": str("what the message is about"),
			"urgency":         map[string]any{"type": "string", "enum": []string{"routine", "urgent"}, "description": "urgent when a patient has worrying symptoms"},
			"callback_number": str("the number to call back with its area code; the caller's number if left out")}), "messages"},
	{"optOut", "The caller asks not to be called or texted by the clinic again: put the number they call from on the do-not-call list.",
		object([]string{}, map[string]any{"reason": str("what the caller said, in a few words")}), "always"},
}

// definition is the tool's definition, by name.
func definition(name string) (Definition, bool) {
	for _, d := range Definitions {
		if d.Name == name {
			return d, true
		}
	}
	return Definition{}, false
}

// decode reads a tool call's arguments as the definition declares them:
// each declared argument as trimmed text (a JSON number the model sent is
// taken as its digits), an enum's value in its listed spelling (any case);
// an argument the definition does not declare is not read. A value of the
// wrong kind or outside its enum is an ask naming the argument.
func (d Definition) decode(in map[string]any) (map[string]string, error) {
	props, _ := d.Parameters["properties"].(map[string]any)
	out := make(map[string]string, len(props))
	for name, p := range props {
		var v string
		switch x := in[name].(type) {
		case nil:
			continue
		case string:
			v = strings.TrimSpace(x)
		case float64:
			v = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return nil, ask(fmt.Sprintf("Give %s as text.", name))
		}
		if enum, ok := p.(map[string]any)["enum"].([]string); ok && v != "" {
			i := slices.IndexFunc(enum, func(e string) bool { return strings.EqualFold(e, v) })
			if i < 0 {
				return nil, ask(fmt.Sprintf("Ask the caller again, and give %s as %s.", name, listWords(enum, "or")))
			}
			v = enum[i]
		}
		out[name] = v
	}
	return out, nil
}
