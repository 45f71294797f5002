package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres/db"
)

// toolMessage is a tool-calls message on clinic A's number, from the
// caller +15125550123, with calls given as (id, name, arguments).
func toolMessage(t *testing.T, calls ...[3]any) []byte {
	t.Helper()
	return toolMessageOn(t, map[string]any{"id": callID, "type": "inboundPhoneCall", "customer": map[string]any{"number": "+15125550123"}}, calls...)
}

// toolMessageOn is a tool-calls message on clinic A's number, on call.
func toolMessageOn(t *testing.T, call map[string]any, calls ...[3]any) []byte {
	t.Helper()
	var list []map[string]any
	for _, c := range calls {
		list = append(list, map[string]any{"id": c[0], "type": "function", "function": map[string]any{"name": c[1], "arguments": c[2]}})
	}
	b, err := json.Marshal(map[string]any{"message": map[string]any{
		"type": "tool-calls", "timestamp": time.Now().UnixMilli(), "toolCallList": list,
		"call": call, "phoneNumber": map[string]any{"number": numberA},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type toolResults struct {
	Results []struct {
		ToolCallID string
		Name       string
		Result     string
		Error      string
	}
}

func (b *bundle) tools(t *testing.T, secret string, calls ...[3]any) toolResults {
	t.Helper()
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c[0].(string)
	}
	return b.toolsOn(t, secret, toolMessage(t, calls...), ids...)
}

// toolsOn delivers msg and checks it is answered in order, one line each,
// for the tool calls ids.
func (b *bundle) toolsOn(t *testing.T, secret string, msg []byte, ids ...string) toolResults {
	t.Helper()
	res := b.deliver(t, msg, secret)
	if res.status != 200 {
		t.Fatalf("tool-calls: %d %s", res.status, res.body)
	}
	var out toolResults
	res.json(t, &out)
	if len(out.Results) != len(ids) {
		t.Fatalf("%d results for %d calls: %s", len(out.Results), len(ids), res.body)
	}
	for i, r := range out.Results {
		if r.ToolCallID != ids[i] || strings.Contains(r.Result, "\n") {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	return out
}

func TestAgentBooksThroughToolCalls(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	setupCalendar(t, b, b.w.B, "Europe/London")
	secret := voiceSetup(t, b, b.w.A, numberA)
	db := b.owner(t)
	day := cs.day.Format(time.DateOnly)
	at := func(hm string) string { return day + " " + hm }

	// Availability, with arguments as an object and as a JSON string.
	out := b.tools(t, secret,
		[3]any{"c1", "checkAvailability", map[string]any{"service": "cleaning", "date": day}},
		[3]any{"c2", "checkAvailability", `{"service":"Cleaning","date":"` + day + `"}`},
		[3]any{"c3", "checkAvailability", map[string]any{"date": day}},
		[3]any{"c4", "checkAvailability", map[string]any{"service": "Cleaning", "date": "next tuesday"}})
	// Three times spread over the day, not every quarter hour.
	want := "Cleaning on " + cs.day.Format("Monday 2 January") + " is free at 9 AM, 11 AM and 3 PM, and at "
	if !strings.HasPrefix(out.Results[0].Result, want) || out.Results[1].Result != out.Results[0].Result {
		t.Fatalf("availability: %+v", out.Results[:2])
	}
	if !strings.Contains(out.Results[2].Result, "The clinic offers: Cleaning") || !strings.Contains(out.Results[3].Result, "YYYY-MM-DD") {
		t.Fatalf("questions: %+v", out.Results[2:])
	}

	// Book; a redelivery of the same toolCallId books nothing twice.
	book := [3]any{"b1", "bookAppointment", map[string]any{"service": "Cleaning", "start": at("10:00"), "patient_name": "Dana Whitfield"}}
	first := b.tools(t, secret, book)
	if !strings.HasPrefix(first.Results[0].Result, "Booked Cleaning for Dana Whitfield on "+cs.day.Format("Monday 2 January")+" at 10 AM with Dr A") {
		t.Fatalf("book: %+v", first)
	}
	again := b.tools(t, secret, book)
	if again.Results[0] != first.Results[0] {
		t.Fatalf("redelivery answered differently: %+v", again)
	}
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE status = 'confirmed' AND source = 'agent' AND call_id IS NOT NULL AND patient_phone = '+15125550123'"); n != 1 {
		t.Fatalf("%d agent bookings, want 1", n)
	}
	// Dr B takes the next at 10:00; a third is offered alternatives.
	b.tools(t, secret, [3]any{"b2", "bookAppointment", map[string]any{"service": "Cleaning", "start": at("10:00"), "patient_name": "Sam Other", "patient_phone": "+15125550199"}})
	taken := b.tools(t, secret, [3]any{"b3", "bookAppointment", map[string]any{"service": "Cleaning", "start": at("10:00"), "patient_name": "Lee Late", "patient_phone": "+15125550188"}})
	if !strings.Contains(taken.Results[0].Result, "is not available. The nearest free times are") {
		t.Fatalf("taken: %+v", taken)
	}
	if r := b.tools(t, secret, [3]any{"b4", "bookAppointment", map[string]any{"service": "Cleaning", "start": at("11:00")}}); !strings.Contains(r.Results[0].Result, "full name") {
		t.Fatalf("no name: %+v", r)
	}

	// Hold, then book the held time: the hold becomes the booking.
	hold := b.tools(t, secret, [3]any{"h1", "holdSlot", map[string]any{"service": "Cleaning", "start": at("14:00")}})
	if !strings.HasPrefix(hold.Results[0].Result, "Holding ") {
		t.Fatalf("hold: %+v", hold)
	}
	b.tools(t, secret, [3]any{"h2", "bookAppointment", map[string]any{"service": "Cleaning", "start": at("14:00"), "patient_name": "Dana Whitfield"}})
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE starts_at = $1 AND status <> 'cancelled'", cs.at(14, 0)); n != 1 {
		t.Fatalf("%d bookings at 14:00 after hold and book", n)
	}

	// The caller has two appointments: cancel asks which; with the time, it cancels.
	if r := b.tools(t, secret, [3]any{"x1", "cancelAppointment", map[string]any{}}); !strings.Contains(r.Results[0].Result, "several appointments") {
		t.Fatalf("cancel without a time: %+v", r)
	}
	if r := b.tools(t, secret, [3]any{"x2", "cancelAppointment", map[string]any{"start": at("14:00")}}); !strings.HasPrefix(r.Results[0].Result, "Cancelled the Cleaning") {
		t.Fatalf("cancel: %+v", r)
	}
	// One left: reschedule it.
	if r := b.tools(t, secret, [3]any{"r1", "rescheduleAppointment", map[string]any{"new_start": at("15:30")}}); !strings.HasPrefix(r.Results[0].Result, "Moved the Cleaning from") {
		t.Fatalf("reschedule: %+v", r)
	}
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE starts_at = $1 AND status = 'confirmed' AND patient_name = 'Dana Whitfield'", cs.at(15, 30)); n != 1 {
		t.Fatal("the rescheduled booking is not at 15:30")
	}

	// Clinic B's service and resources are not reachable from clinic A's call.
	if r := b.tools(t, secret, [3]any{"z1", "bookAppointment", map[string]any{"service": "Physio", "start": at("16:00"),
		"patient_name": "Eve", "resource": "anything"}}); !strings.Contains(r.Results[0].Result, `no service called "Physio"`) {
		t.Fatalf("unknown service: %+v", r)
	}
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE org_id = $1", b.w.B.ID); n != 0 {
		t.Fatalf("%d bookings in clinic B from clinic A's call", n)
	}

	// Every tool call is on the call's detail, with its latency.
	tok := b.token(t, b.w.A.Staff, frontdesk.OrgID{})
	var list struct{ Calls []struct{ ID string } }
	b.get(t, "/api/calls-dashboard?q=%2B15125550123", tok).json(t, &list)
	var detail struct {
		ToolCalls []struct {
			Name      string
			Result    string
			LatencyMs *int `json:"latency_ms"`
		} `json:"tool_calls"`
	}
	b.get(t, "/api/calls-dashboard/"+list.Calls[0].ID, tok).json(t, &detail)
	if len(detail.ToolCalls) != 14 || detail.ToolCalls[0].Name != "checkAvailability" || detail.ToolCalls[0].LatencyMs == nil {
		t.Fatalf("tool calls on the call: %d %+v", len(detail.ToolCalls), detail.ToolCalls)
	}
}

func TestLookupKnowledge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret := voiceSetup(t, b, b.w.A, numberA)
	tokA, tokB := b.token(t, b.w.A.Owner, frontdesk.OrgID{}), b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	for _, a := range []struct {
		tok, title, body string
	}{
		{tokA, "Parking", "Free parking is behind the building on Elm Street; the lot opens at 8 AM."},
		{tokA, "Insurance", "We accept most dental insurance plans, including Delta and Cigna."},
		{tokB, "Parking", "Harbor car park on Quay Road, two hours free with validation."},
	} {
		if r := b.request(t, http.MethodPost, "/api/knowledge-base", a.tok, map[string]any{"title": a.title, "body": a.body}); r.status != 201 {
			t.Fatalf("create article: %d %s", r.status, r.body)
		}
	}
	if r := b.request(t, http.MethodPost, "/api/knowledge-base", b.token(t, b.w.A.Staff, frontdesk.OrgID{}),
		map[string]any{"title": "X", "body": "y"}); r.status != 403 {
		t.Fatalf("staff writes an article: %d", r.status)
	}
	out := b.tools(t, secret,
		[3]any{"k1", "lookupKnowledge", map[string]any{"query": "where can I park?"}},
		[3]any{"k2", "lookupKnowledge", map[string]any{"query": "do you take Cigna insurance"}},
		[3]any{"k3", "lookupKnowledge", map[string]any{"query": "quay road validation"}},
		[3]any{"k4", "lookupKnowledge", map[string]any{}})
	if !strings.Contains(out.Results[0].Result, "Elm Street") || strings.Contains(out.Results[0].Result, "Quay") {
		t.Fatalf("parking: %+v", out.Results[0])
	}
	if !strings.HasPrefix(out.Results[1].Result, "Insurance:") {
		t.Fatalf("insurance: %+v", out.Results[1])
	}
	// Clinic B's article is never found from clinic A's call.
	if !strings.Contains(out.Results[2].Result, "nothing on that") {
		t.Fatalf("clinic B's article found: %+v", out.Results[2])
	}
	if !strings.Contains(out.Results[3].Result, "what they would like to know") {
		t.Fatalf("no query: %+v", out.Results[3])
	}
}

// A caller changes only appointments booked under the number they call
// from: another patient's number in the arguments (however spelled) lists,
// cancels and moves nothing, and a call without a caller number changes no
// booking.
func TestCallerChangesOnlyOwnAppointments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	secret := voiceSetup(t, b, b.w.A, numberA)
	db := b.owner(t)
	at := func(hm string) string { return cs.day.Format(time.DateOnly) + " " + hm }
	other := "+15125550199"
	b.tools(t, secret, [3]any{"o1", "bookAppointment", map[string]any{"service": "Cleaning", "start": at("10:00"), "patient_name": "Sam Other", "patient_phone": other}})
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE patient_phone = $1 AND status = 'confirmed'", other); n != 1 {
		t.Fatalf("%d bookings for the other patient, want 1", n)
	}
	attempts := [][3]any{
		{"x1", "cancelAppointment", map[string]any{"patient_phone": other}},
		{"x2", "cancelAppointment", map[string]any{"patient_phone": other + "'--", "start": at("10:00")}},
		{"x3", "cancelAppointment", map[string]any{"phone": "(512) 555-0199"}},
		{"x4", "rescheduleAppointment", map[string]any{"patient_phone": other, "new_start": at("15:00")}},
	}
	for _, a := range attempts {
		r := b.tools(t, secret, a)
		if !strings.Contains(r.Results[0].Result, "I can only change appointments booked under the number you are calling from") ||
			strings.Contains(r.Results[0].Result, "Sam") || strings.Contains(r.Results[0].Result, "Cleaning") {
			t.Errorf("%s %v: %+v", a[1], a[2], r.Results[0])
		}
	}
	// A web call has no caller number: it may book, but not cancel or move.
	web := map[string]any{"id": "web-call-1", "type": "webCall"}
	r := b.toolsOn(t, secret, toolMessageOn(t, web, [3]any{"w1", "cancelAppointment", map[string]any{"patient_phone": other}}), "w1")
	if !strings.Contains(r.Results[0].Result, "I can only change appointments booked under the number you are calling from") {
		t.Errorf("web call cancel: %+v", r.Results[0])
	}
	r = b.toolsOn(t, secret, toolMessageOn(t, web, [3]any{"w2", "bookAppointment", map[string]any{"service": "Cleaning",
		"start": at("11:00"), "patient_name": "Web Visitor", "patient_phone": "+15125550177"}}), "w2")
	if !strings.HasPrefix(r.Results[0].Result, "Booked Cleaning for Web Visitor") {
		t.Errorf("web call book: %+v", r.Results[0])
	}
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE patient_phone = $1 AND status = 'confirmed' AND starts_at = $2", other, cs.at(10, 0)); n != 1 {
		t.Fatalf("the other patient's booking changed: %d confirmed at 10:00", n)
	}
}

// A service no clinician offers is not offered to callers, and staff see
// why it is not bookable; the tools take a service's id as well as its
// name.
func TestUnbookableServiceIsNotOffered(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	secret := voiceSetup(t, b, b.w.A, numberA)
	var whitening struct {
		ID          string
		Bookable    bool
		NotBookable string `json:"not_bookable"`
	}
	res := b.request(t, http.MethodPost, "/api/services", cs.token, map[string]any{"name": "Whitening", "duration_minutes": 60})
	res.json(t, &whitening)
	if res.status != 201 || whitening.Bookable || !strings.Contains(whitening.NotBookable, "no active clinician") {
		t.Fatalf("create an unoffered service: %d %s", res.status, res.body)
	}
	var list struct {
		Services []struct {
			Name     string
			Bookable bool
		}
	}
	b.get(t, "/api/services", cs.token).json(t, &list)
	for _, s := range list.Services {
		if s.Bookable != (s.Name == "Cleaning") {
			t.Errorf("listed %s bookable=%v", s.Name, s.Bookable)
		}
	}
	day := cs.day.Format(time.DateOnly)
	out := b.tools(t, secret,
		[3]any{"u1", "checkAvailability", map[string]any{"service": "Whitening", "date": day}},
		[3]any{"u2", "checkAvailability", map[string]any{"service": "Laser", "date": day}},
		[3]any{"u3", "checkAvailability", map[string]any{"service": cs.service, "date": day}})
	if r := out.Results[0].Result; !strings.Contains(r, "Whitening cannot be booked by phone") || strings.Contains(r, "offers: Cleaning, Whitening") {
		t.Errorf("unoffered service: %q", r)
	}
	if r := out.Results[1].Result; !strings.Contains(r, "The clinic offers: Cleaning.") {
		t.Errorf("services offered to callers: %q", r)
	}
	if r := out.Results[2].Result; !strings.HasPrefix(r, "Cleaning on ") || !strings.Contains(r, "is free at") {
		t.Errorf("service by id: %q", r)
	}
	// Another clinic's service id is no service here, and the attempt is
	// audited like any other miss.
	csB := setupCalendar(t, b, b.w.B, "Europe/London")
	r := b.tools(t, secret, [3]any{"u4", "checkAvailability", map[string]any{"service": csB.service, "date": day}})
	if !strings.Contains(r.Results[0].Result, "There is no service called") || strings.Contains(r.Results[0].Result, "Cleaning on") {
		t.Errorf("another clinic's service id: %q", r.Results[0].Result)
	}
	events, err := b.db.Admin.ListAuditEvents(context.Background(), db.ListAuditEventsParams{RowLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range events {
		audited = audited || e.OrgID == b.w.A.ID && e.ResourceID == csB.service && e.ResourceType == "service" && e.CrossTenant
	}
	if !audited {
		t.Errorf("no audit row for a tool call naming clinic B's service: %+v", events)
	}
}

// takeMessage leaves the staff a message on the call: why, how urgently,
// which number to call back (the caller's by default); staff list them,
// urgent first, and mark them done; the other clinic sees none.
func TestTakeMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret := voiceSetup(t, b, b.w.A, numberA)
	out := b.tools(t, secret,
		[3]any{"m1", "takeMessage", map[string]any{"reason": "Question about my bill"}},
		[3]any{"m2", "takeMessage", map[string]any{"reason": "Swelling after the extraction", "urgency": "urgent", "callback_number": "(512) 555-0177"}},
		[3]any{"m3", "takeMessage", map[string]any{"urgency": "urgent"}},
		[3]any{"m4", "takeMessage", map[string]any{"reason": "x", "urgency": "whenever"}})
	if r := out.Results[0].Result; r != "The message is with the staff; they will call back on +15125550123." {
		t.Errorf("routine message: %q", r)
	}
	if r := out.Results[1].Result; !strings.Contains(r, "marked urgent") || !strings.Contains(r, "+15125550177") {
		t.Errorf("urgent message: %q", r)
	}
	if !strings.Contains(out.Results[2].Result, "what the message is about") || !strings.Contains(out.Results[3].Result, "urgency as routine or urgent") {
		t.Errorf("questions: %+v", out.Results[2:])
	}
	web := map[string]any{"id": "web-call-2", "type": "webCall"}
	r := b.toolsOn(t, secret, toolMessageOn(t, web, [3]any{"m5", "takeMessage", map[string]any{"reason": "Call me"}}), "m5")
	if !strings.Contains(r.Results[0].Result, "number the staff should call back") {
		t.Errorf("web call without a number: %q", r.Results[0].Result)
	}

	staffA, ownerB := b.token(t, b.w.A.Staff, frontdesk.OrgID{}), b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	var list struct {
		Callbacks []struct {
			ID, CallbackNumber, Reason, Status string `json:",omitempty"`
			Urgent                             bool
		}
	}
	b.get(t, "/api/messages/callbacks", staffA).json(t, &list)
	if len(list.Callbacks) != 2 || !list.Callbacks[0].Urgent || list.Callbacks[0].Reason != "Swelling after the extraction" {
		t.Fatalf("callbacks: %+v", list)
	}
	if r := b.get(t, "/api/messages/callbacks", ownerB); strings.Contains(string(r.body), "Swelling") || strings.Contains(string(r.body), "bill") {
		t.Fatalf("clinic B sees clinic A's messages: %s", r.body)
	}
	done := "/api/messages/callbacks/" + list.Callbacks[0].ID + "/done"
	if r := b.request(t, http.MethodPost, done, staffA, nil); r.status != 204 {
		t.Fatalf("mark done: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPost, done, staffA, nil); r.status != 409 {
		t.Fatalf("mark done twice: %d %s", r.status, r.body)
	}
	b.get(t, "/api/messages/callbacks?status=open", staffA).json(t, &list)
	if len(list.Callbacks) != 1 || list.Callbacks[0].Reason != "Question about my bill" {
		t.Fatalf("open callbacks: %+v", list)
	}
}
