package vapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"frontdesk/internal/agent"
)

// ToolCall is one function call the assistant asks for, translated into
// the agent's provider-neutral form. Arguments come from a language model:
// they decide nothing about the tenant and are validated like any user
// input.
type ToolCall = agent.ToolCall

type rawToolCall struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Function *rawFunction    `json:"function"`
	Args     json.RawMessage `json:"arguments"`
	Params   json.RawMessage `json:"parameters"`
}

type rawFunction struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// ToolCalls returns the message's tool calls in order, from toolCallList
// (current) or toolCalls (2024). Arguments may be an object or a string
// holding JSON, under function.arguments, arguments or parameters.
func (m Message) ToolCalls() []ToolCall {
	list := m.ToolCallList
	if len(list) == 0 {
		list = m.LegacyToolCalls
	}
	out := make([]ToolCall, 0, len(list))
	for _, r := range list {
		tc := ToolCall{ID: Clip(r.ID, 200), Name: r.Name}
		raw := r.Args
		if r.Function != nil {
			if r.Function.Name != "" {
				tc.Name = r.Function.Name
			}
			if len(r.Function.Arguments) > 0 {
				raw = r.Function.Arguments
			}
		}
		if len(raw) == 0 {
			raw = r.Params
		}
		tc.Name = Clip(tc.Name, 80)
		tc.Arguments, tc.ArgumentsJSON, tc.Err = decodeArguments(raw)
		out = append(out, tc)
	}
	return out
}

func decodeArguments(raw json.RawMessage) (map[string]any, json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return map[string]any{}, json.RawMessage("{}"), nil
	}
	if raw[0] == '"' { // a string holding JSON
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, raw, errors.New("arguments are not readable")
		}
		raw = json.RawMessage(strings.TrimSpace(s))
		if len(raw) == 0 {
			return map[string]any{}, json.RawMessage("{}"), nil
		}
	}
	var args map[string]any
	if err := json.Unmarshal(raw, &args); err != nil || args == nil {
		return nil, json.RawMessage(`{"unreadable":true}`), errors.New("arguments are not a JSON object")
	}
	if !utf8.Valid(raw) || !textOnly(args) {
		return nil, json.RawMessage(`{"unreadable":true}`), errors.New("arguments hold a NUL character or invalid UTF-8")
	}
	return args, raw, nil
}

// textOnly reports whether no key or string in v holds a NUL character.
func textOnly(v any) bool {
	switch x := v.(type) {
	case string:
		return !strings.ContainsRune(x, 0)
	case []any:
		for _, e := range x {
			if !textOnly(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) || !textOnly(e) {
				return false
			}
		}
	}
	return true
}

// ToolResult is the answer to one tool call: a single line for the
// assistant to use, or an error.
type ToolResult struct {
	ToolCallID string `json:"toolCallId"`
	Name       string `json:"name"`
	Result     string `json:"result,omitempty"`
	Error      string `json:"error,omitempty"`
}

// ToolResponse is the body answering a tool-calls message (always HTTP 200).
type ToolResponse struct {
	Results []ToolResult `json:"results"`
}

// Answer is the body answering a tool-calls message, one result per call
// in order.
func Answer(results []agent.Result) ToolResponse {
	out := ToolResponse{Results: make([]ToolResult, len(results))}
	for i, r := range results {
		out.Results[i] = ToolResult{ToolCallID: r.ToolCallID, Name: r.Name, Result: r.Result, Error: r.Error}
	}
	return out
}

// TransferAnswer is the body answering a transfer-destination-request:
// the number to put the caller through to, with what to say first; or,
// with no number, refusal, which Vapi speaks instead of transferring.
func TransferAnswer(number, message, refusal string) any {
	if number == "" {
		return map[string]string{"error": refusal}
	}
	return map[string]any{"destination": map[string]string{"type": "number", "number": number, "message": message}}
}

// AssistantAnswer is the body answering an assistant-request: the whole
// assistant, or, when there is none to give, a sentence Vapi speaks to
// the caller before hanging up.
func AssistantAnswer(assistant any, unavailable string) any {
	if assistant == nil {
		return map[string]string{"error": unavailable}
	}
	return map[string]any{"assistant": assistant}
}
