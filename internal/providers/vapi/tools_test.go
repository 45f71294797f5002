package vapi_test

import (
	"testing"

	"frontdesk/internal/providers/vapi"
)

func TestToolCallsFixture(t *testing.T) {
	t.Parallel()
	m, err := vapi.Decode(fixture(t, "tool-calls.json"))
	if err != nil {
		t.Fatal(err)
	}
	tcs := m.ToolCalls()
	if len(tcs) != 2 || tcs[0].ID != "call_av1" || tcs[0].Name != "checkAvailability" || tcs[0].Arguments["date"] != "2026-01-09" {
		t.Fatalf("first call: %+v", tcs)
	}
	// Arguments as a string holding JSON read the same as an object.
	if tcs[1].Name != "bookAppointment" || tcs[1].Arguments["patient_name"] != "Dana Whitfield" || tcs[1].Err != nil {
		t.Fatalf("second call: %+v", tcs[1])
	}
}

func TestToolCallShapes(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"legacy toolCalls": `{"message":{"type":"tool-calls","toolCalls":[{"id":"a","function":{"name":"lookupKnowledge","arguments":{"query":"parking"}}}]}}`,
		"flat arguments":   `{"message":{"type":"tool-calls","toolCallList":[{"id":"a","name":"lookupKnowledge","arguments":{"query":"parking"}}]}}`,
		"parameters":       `{"message":{"type":"tool-calls","toolCallList":[{"id":"a","name":"lookupKnowledge","parameters":{"query":"parking"}}]}}`,
		"string arguments": `{"message":{"type":"tool-calls","toolCallList":[{"id":"a","function":{"name":"lookupKnowledge","arguments":"{\"query\":\"parking\"}"}}]}}`,
	} {
		m, err := vapi.Decode([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tcs := m.ToolCalls()
		if len(tcs) != 1 || tcs[0].Name != "lookupKnowledge" || tcs[0].Arguments["query"] != "parking" {
			t.Errorf("%s: %+v", name, tcs)
		}
	}
	m, _ := vapi.Decode([]byte(`{"message":{"type":"tool-calls","toolCallList":[{"id":"a","function":{"name":"x","arguments":"not json"}}]}}`))
	if tcs := m.ToolCalls(); tcs[0].Err == nil {
		t.Error("unreadable arguments accepted")
	}
}

// FuzzToolArguments: any arguments value is an object or an error, never
// a panic; the recorded JSON is always valid.
func FuzzToolArguments(f *testing.F) {
	f.Add([]byte(`{"service":"Cleaning"}`))
	f.Add([]byte(`"{\"start\":\"2026-01-09 10:00\"}"`))
	f.Add([]byte(`"not json"`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, args []byte) {
		body := append(append([]byte(`{"message":{"type":"tool-calls","toolCallList":[{"id":"a","function":{"name":"x","arguments":`), args...), []byte(`}}]}}`)...)
		m, err := vapi.Decode(body)
		if err != nil {
			return
		}
		for _, tc := range m.ToolCalls() {
			if tc.Err == nil && tc.Arguments == nil {
				t.Fatal("no error and no arguments")
			}
			if !jsonValid(tc.ArgumentsJSON) {
				t.Fatalf("recorded arguments %q are not JSON", tc.ArgumentsJSON)
			}
		}
	})
}
