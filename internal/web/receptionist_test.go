package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/agent"
	"frontdesk/internal/testkit"
)

// assistantRequest is Vapi's assistant-request for a call to number.
func assistantRequest(number string) []byte {
	b, _ := json.Marshal(map[string]any{"message": map[string]any{"type": "assistant-request", "timestamp": time.Now().UnixMilli(),
		"call":        map[string]any{"id": "call-ar-" + number, "type": "inboundPhoneCall", "customer": map[string]any{"number": "+15125550123"}},
		"phoneNumber": map[string]any{"number": number}, "customer": map[string]any{"number": "+15125550123"}}})
	return b
}

// Each clinic's assistant is served on every call from its profile and its
// live data, with only its own facts and its own secret, and the tools
// the profile allows, each pointing back at Frontdesk's webhook.
func TestAssistantServedPerCall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	setupCalendar(t, b, b.w.B, "Europe/London")
	secretA := voiceSetup(t, b, b.w.A, numberA)
	secretB := voiceSetup(t, b, b.w.B, "+442079460001")
	staffA := b.token(t, b.w.A.Staff, frontdesk.OrgID{})

	// The profile: defaults that work, validated edits naming the field.
	var p map[string]any
	b.get(t, "/api/voice/receptionist", staffA).json(t, &p)
	if p["assistant_name"] != "Riley" || p["recording_consent"] != true {
		t.Fatalf("default profile: %v", p)
	}
	for field, v := range map[string]any{"tone": "grumpy", "front_desk_number": "555-1234", "max_call_minutes": 0, "languages": []string{"English"}} {
		bad := map[string]any{}
		for k, x := range p {
			bad[k] = x
		}
		bad[field] = v
		if r := b.request(t, http.MethodPut, "/api/voice/receptionist", cs.token, bad); r.status != 422 || !strings.Contains(string(r.body), `"field":"`+field+`"`) {
			t.Errorf("profile with %s=%v: %d %s", field, v, r.status, r.body)
		}
	}
	p["front_desk_number"] = "(212) 555-0142"
	p["address"] = "12 Elm Street"
	p["instructions"] = "Mention the free parking behind the building."
	if r := b.request(t, http.MethodPut, "/api/voice/receptionist", staffA, p); r.status != 403 {
		t.Fatalf("staff edits the profile: %d", r.status)
	}
	if r := b.request(t, http.MethodPut, "/api/voice/receptionist", cs.token, p); r.status != 200 || !strings.Contains(string(r.body), `"front_desk_number":"+12125550142"`) {
		t.Fatalf("save the profile: %d %s", r.status, r.body)
	}

	closed := cs.day.AddDate(0, 0, 1)
	if r := b.request(t, http.MethodPost, "/api/settings/closures", cs.token, map[string]any{"first_day": closed.Format(time.DateOnly),
		"last_day": closed.Format(time.DateOnly), "reason": "Staff training"}); r.status != 201 {
		t.Fatalf("closure: %d %s", r.status, r.body)
	}

	// assistant-request: verified like every message, answered whole.
	if r := b.deliver(t, assistantRequest(numberA), "wrong-secret"); r.status != 401 {
		t.Fatalf("unverified assistant-request: %d", r.status)
	}
	r := b.deliver(t, assistantRequest(numberA), secretA)
	var out struct {
		Assistant struct {
			Name, FirstMessage string
			Model              struct {
				Provider, Model string
				Messages        []struct{ Role, Content string }
				Tools           []struct {
					Type     string
					Function struct {
						Name       string
						Parameters map[string]any
					}
					Server struct {
						URL     string
						Headers map[string]string
					}
				}
			}
			ServerMessages     []string
			MaxDurationSeconds int
			AnalysisPlan       map[string]any
		}
	}
	r.json(t, &out)
	a := out.Assistant
	if r.status != 200 || a.Model.Provider == "" || len(a.Model.Messages) != 1 || !strings.Contains(a.FirstMessage, "may be recorded") ||
		a.MaxDurationSeconds != 900 || !strings.Contains(strings.Join(a.ServerMessages, ","), "tool-calls") || a.AnalysisPlan == nil {
		t.Fatalf("assistant: %d %s", r.status, r.body)
	}
	prompt := a.Model.Messages[0].Content
	for _, want := range []string{b.w.A.Name, "12 Elm Street", "America/New_York", "Cleaning (30 minutes)", "Dr A", "Dr B", "9 AM to 12 PM and 1 PM to 5 PM", "free parking",
		"Closed in the coming weeks: " + closed.Format("Monday 2 January") + " (Staff training)"} {
		if !strings.Contains(prompt, want) {
			t.Errorf("the prompt lacks %q:\n%s", want, prompt)
		}
	}
	functions, transfer, schemas := map[string]bool{}, false, map[string]map[string]any{}
	for _, tool := range a.Model.Tools {
		switch tool.Type {
		case "function":
			functions[tool.Function.Name] = true
			schemas[tool.Function.Name] = tool.Function.Parameters
			if tool.Server.URL != "https://frontdesk.test/api/webhooks/vapi" || tool.Server.Headers["Authorization"] != "Bearer "+secretA ||
				tool.Function.Parameters["type"] != "object" {
				t.Errorf("tool %s: %+v", tool.Function.Name, tool)
			}
		case "transferCall":
			transfer = true
		}
	}
	if len(functions) != len(agent.Definitions) || !transfer || !strings.Contains(strings.Join(a.ServerMessages, ","), "transfer-destination-request") {
		t.Errorf("tools: %v, transfer %v, messages %v", functions, transfer, a.ServerMessages)
	}
	// Only clinic A's facts and secret: nothing of clinic B.
	for _, s := range []string{b.w.B.Name, "Europe/London", secretB, b.w.B.ID.String()} {
		if bytes.Contains(r.body, []byte(s)) {
			t.Errorf("clinic A's assistant carries clinic B's %q", s)
		}
	}
	if rb := b.deliver(t, assistantRequest("+442079460001"), secretB); !bytes.Contains(rb.body, []byte(b.w.B.Name)) || bytes.Contains(rb.body, []byte(b.w.A.Name)) {
		t.Errorf("clinic B's assistant: %s", rb.body)
	}

	// "Are you open on the 24th?" is answered from the hours as they are.
	open := b.tools(t, secretA, [3]any{"h1", "openingHours", map[string]any{"date": cs.day.Format(time.DateOnly)}},
		[3]any{"h2", "openingHours", map[string]any{"date": closed.Format(time.DateOnly)}})
	if open.Results[0].Result != "The clinic is open on "+cs.day.Format("Monday 2 January")+" from 9 AM to 12 PM and 1 PM to 5 PM." ||
		open.Results[1].Result != "The clinic is closed on "+closed.Format("Monday 2 January")+" (Staff training)." {
		t.Errorf("opening hours: %+v", open.Results)
	}

	// What the profile does not allow is not offered.
	p["can_book"], p["can_change"] = false, false
	if r := b.request(t, http.MethodPut, "/api/voice/receptionist", cs.token, p); r.status != 200 {
		t.Fatalf("save the profile: %d %s", r.status, r.body)
	}
	var narrow struct {
		Assistant struct {
			Model struct {
				Tools []struct{ Function struct{ Name string } }
			}
		}
	}
	b.deliver(t, assistantRequest(numberA), secretA).json(t, &narrow)
	if len(narrow.Assistant.Model.Tools) == 0 {
		t.Fatal("no tools at all")
	}
	for _, tool := range narrow.Assistant.Model.Tools {
		if n := tool.Function.Name; n == "bookAppointment" || n == "cancelAppointment" || n == "checkAvailability" {
			t.Errorf("%s offered though the profile forbids it", n)
		}
	}
	// A fixed assistant exported before still cannot book: the agent
	// answers by the profile as it is now.
	off := b.tools(t, secretA, [3]any{"perm-1", "bookAppointment", map[string]any{"service": "Cleaning", "start": "2030-01-07 10:00", "patient_name": "Dana"}},
		[3]any{"perm-2", "lookupKnowledge", map[string]any{"query": "parking"}})
	if !strings.Contains(off.Results[0].Result, "does not do that by phone") || strings.Contains(off.Results[1].Result, "does not do that") {
		t.Errorf("tools the profile forbids: %+v", off.Results)
	}
	// Transfers: decided when asked, by the hours at that moment, and
	// recorded on the call. Open all week: the front desk.
	hours := func(opens, closes string) {
		var week []map[string]any
		for d := range 7 {
			week = append(week, map[string]any{"weekday": d, "opens": opens, "closes": closes})
		}
		if opens == "" {
			week = []map[string]any{}
		}
		if r := b.request(t, http.MethodPut, "/api/settings/hours", cs.token, map[string]any{"hours": week}); r.status != 200 {
			t.Fatalf("hours: %d %s", r.status, r.body)
		}
	}
	transferRequest := func(call string) []byte {
		m, _ := json.Marshal(map[string]any{"message": map[string]any{"type": "transfer-destination-request", "timestamp": time.Now().UnixMilli(),
			"call": map[string]any{"id": call, "type": "inboundPhoneCall"}, "phoneNumber": map[string]any{"number": numberA},
			"customer": map[string]any{"number": "+15125550123"}}})
		return m
	}
	hours("00:00", "24:00")
	redelivered := transferRequest("call-tr-1")
	// On the first call the caller also leaves a message, with arguments
	// checked against the schema the assistant was given.
	msgArgs := map[string]any{"reason": "Wants to know if the crown is ready", "urgency": "routine"}
	if err := testkit.ValidJSON(schemas["takeMessage"], msgArgs); err != nil {
		t.Fatalf("takeMessage arguments against the served schema: %v", err)
	}
	if err := testkit.ValidJSON(schemas["takeMessage"], map[string]any{"urgency": "whenever"}); err == nil {
		t.Fatal("the served takeMessage schema accepts anything")
	}
	call1 := map[string]any{"id": "call-tr-1", "type": "inboundPhoneCall", "customer": map[string]any{"number": "+15125550123"}}
	if r := b.toolsOn(t, secretA, toolMessageOn(t, call1, [3]any{"msg-1", "takeMessage", msgArgs}), "msg-1"); !strings.Contains(r.Results[0].Result, "with the staff") {
		t.Fatalf("takeMessage: %+v", r)
	}
	if r := b.deliver(t, redelivered, secretA); r.status != 200 ||
		!strings.Contains(string(r.body), `"destination":{"message":"I'm putting you through to the front desk now; please hold.","number":"+12125550142","type":"number"}`) {
		t.Fatalf("transfer while open: %d %s", r.status, r.body)
	}
	b.deliver(t, redelivered, secretA) // a redelivery records nothing new
	// Closed, no on-call number: no transfer; the assistant takes a message.
	hours("", "")
	if r := b.deliver(t, transferRequest("call-tr-2"), secretA); r.status != 200 || !strings.Contains(string(r.body), `{"error":"The front desk is closed right now`) {
		t.Fatalf("transfer while closed: %d %s", r.status, r.body)
	}
	// Closed with an on-call number: the clinician on call.
	p["on_call_number"] = "+12125550199"
	if r := b.request(t, http.MethodPut, "/api/voice/receptionist", cs.token, p); r.status != 200 {
		t.Fatalf("save the profile: %d %s", r.status, r.body)
	}
	if r := b.deliver(t, transferRequest("call-tr-3"), secretA); !strings.Contains(string(r.body), `"number":"+12125550199"`) {
		t.Fatalf("transfer to on call: %s", r.body)
	}
	// The end-of-call report brings the outcome the analysis plan asked for.
	for call, outcome := range map[string]string{"call-tr-1": "transferred", "call-tr-2": "Message taken", "call-tr-3": "sold a car"} {
		m, _ := json.Marshal(map[string]any{"message": map[string]any{"type": "end-of-call-report", "timestamp": time.Now().UnixMilli(),
			"endedReason": "customer-ended-call", "analysis": map[string]any{"summary": "A call.", "structuredData": map[string]any{"outcome": outcome}},
			"artifact": map[string]any{"transcript": "AI: Hello.\n"}, "call": map[string]any{"id": call, "type": "inboundPhoneCall"},
			"phoneNumber": map[string]any{"number": numberA}, "customer": map[string]any{"number": "+15125550123"}}})
		if r := b.deliver(t, m, secretA); r.status != 200 {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
	}
	owner := b.owner(t)
	if n := count(t, owner, "SELECT count(*) FROM call_transfers"); n != 3 {
		t.Errorf("%d transfers recorded for 3 requests (one redelivered)", n)
	}
	// Each call shows its transfer, its outcome and its messages.
	for _, c := range []struct{ call, want string }{
		{"call-tr-1", `"destination":"front_desk","number":"+12125550142","outcome":"put_through"`},
		{"call-tr-1", `"outcome":"transferred"`},
		{"call-tr-1", `"reason":"Wants to know if the crown is ready","urgent":false,"status":"open"`},
		{"call-tr-2", `"destination":"none","outcome":"closed"`},
		{"call-tr-2", `"outcome":"message_taken"`},
		{"call-tr-3", `"destination":"on_call","number":"+12125550199","outcome":"put_through"`},
		{"call-tr-3", `"outcome":"other"`},
	} {
		call, want := c.call, c.want
		var id string
		if err := owner.QueryRow(t.Context(), "SELECT id FROM call_logs WHERE provider_call_id = $1", call).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if r := b.get(t, "/api/calls-dashboard/"+id, staffA); !strings.Contains(string(r.body), want) {
			t.Errorf("%s: the call does not show %s: %s", call, want, r.body)
		}
		if r := b.get(t, "/api/calls-dashboard/"+id, b.token(t, b.w.B.Staff, frontdesk.OrgID{})); r.status != 404 {
			t.Errorf("clinic B reads clinic A's call: %d", r.status)
		}
	}

	// A suspended clinic's callers hear a sentence, not silence.
	if _, err := owner.Exec(t.Context(), "UPDATE organizations SET status = 'suspended' WHERE id = $1", b.w.B.ID); err != nil {
		t.Fatal(err)
	}
	if r := b.deliver(t, assistantRequest("+442079460001"), secretB); r.status != 200 ||
		!strings.HasPrefix(string(r.body), `{"error":"Sorry, this clinic cannot take calls`) {
		t.Errorf("suspended clinic: %d %s", r.status, r.body)
	}

	// The same assistant, exported for a fixed assistant in Vapi: admins only.
	if r := b.get(t, "/api/voice/assistant", staffA); r.status != 403 {
		t.Errorf("staff exports the assistant: %d", r.status)
	}
	if r := b.get(t, "/api/voice/assistant", cs.token); r.status != 200 || !bytes.Contains(r.body, []byte(`"lookupKnowledge"`)) {
		t.Errorf("export: %d %s", r.status, r.body)
	}
}
