// Package vapi is Vapi's wire format for server messages ("Server URL"
// webhooks) and its request authentication, as described in
// shared/providers/vapi.md. It parses leniently where Vapi's versions
// disagree and strictly where Frontdesk uses a value.
package vapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Message types Frontdesk acts on. Others are answered 200 and ignored.
const (
	TypeStatusUpdate     = "status-update"
	TypeEndOfCallReport  = "end-of-call-report"
	TypeHang             = "hang"
	TypeToolCalls        = "tool-calls"
	TypeAssistantRequest = "assistant-request"
	// TypeTransferDestinationRequest asks where to transfer a call whose
	// transferCall tool names no destination.
	TypeTransferDestinationRequest = "transfer-destination-request"
)

// Message is the part of a server message Frontdesk reads.
type Message struct {
	Type        string       `json:"type"`
	Timestamp   Timestamp    `json:"timestamp"`
	Status      string       `json:"status"`
	EndedReason string       `json:"endedReason"`
	Cost        *float64     `json:"cost"`
	StartedAt   *time.Time   `json:"startedAt"`
	EndedAt     *time.Time   `json:"endedAt"`
	Analysis    Analysis     `json:"analysis"`
	Artifact    Artifact     `json:"artifact"`
	Call        Call         `json:"call"`
	PhoneNumber *PhoneNumber `json:"phoneNumber"`
	Customer    *Customer    `json:"customer"`

	ToolCallList []rawToolCall `json:"toolCallList"`

	// Legacy top-level fields, still seen in 2024-2025 captures.
	LegacyToolCalls    []rawToolCall `json:"toolCalls"`
	LegacyRecordingURL string        `json:"recordingUrl"`
	LegacyTranscript   string        `json:"transcript"`
	LegacySummary      string        `json:"summary"`
}

type Analysis struct {
	Summary string `json:"summary"`
	// StructuredData is what the assistant's analysis plan asked for; read
	// leniently (any JSON), since the model fills it.
	StructuredData json.RawMessage `json:"structuredData"`
}

// Outcome is the call's outcome from the analysis's structured data
// ({"outcome": "booked"}), as sent; "" when there is none.
func (m Message) Outcome() string {
	var d struct {
		Outcome any `json:"outcome"`
	}
	if json.Unmarshal(m.Analysis.StructuredData, &d) != nil {
		return ""
	}
	s, _ := d.Outcome.(string)
	return Clip(s, 100)
}

type Artifact struct {
	Transcript   string     `json:"transcript"`
	Recording    *Recording `json:"recording"`
	RecordingURL string     `json:"recordingUrl"`
}

type Recording struct {
	StereoURL string `json:"stereoUrl"`
	Mono      *struct {
		CombinedURL string `json:"combinedUrl"`
	} `json:"mono"`
}

type Call struct {
	ID            string    `json:"id"`
	Type          string    `json:"type"`
	PhoneNumberID string    `json:"phoneNumberId"`
	AssistantID   *string   `json:"assistantId"`
	Customer      *Customer `json:"customer"`
}

type PhoneNumber struct {
	ID     string `json:"id"`
	Number string `json:"number"`
}

type Customer struct {
	Number string `json:"number"`
	Name   string `json:"name"`
}

// Timestamp accepts both forms Vapi has sent: milliseconds since the epoch
// (2025 on) and an ISO-8601 string (2024).
type Timestamp struct{ time.Time }

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		p, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("timestamp %q is not ISO-8601", s)
		}
		t.Time = p
		return nil
	}
	ms, err := strconv.ParseFloat(string(b), 64)
	if err != nil || ms < 0 || ms > 1e14 {
		return fmt.Errorf("timestamp %.40s is neither milliseconds nor ISO-8601", b)
	}
	t.Time = time.UnixMilli(int64(ms)).UTC()
	return nil
}

// Decode reads a server message body: {"message": {...}}. A body that is
// not JSON, has no message or type, or has a wrong type in a field
// Frontdesk reads, is an error naming what is wrong.
func Decode(body []byte) (Message, error) {
	var env struct {
		Message *Message `json:"message"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Message{}, fmt.Errorf("field %s: expected %s, got %s", te.Field, te.Type, te.Value)
		}
		return Message{}, fmt.Errorf("malformed JSON: %w", err)
	}
	if env.Message == nil {
		return Message{}, errors.New(`body has no "message" object`)
	}
	m := *env.Message
	if m.Type == "" {
		return Message{}, errors.New("message.type is missing")
	}
	if len(m.Call.ID) > 100 || len(m.Type) > 100 {
		return Message{}, errors.New("message.call.id or message.type too long")
	}
	return m, nil
}

// Stored reports whether Frontdesk records messages of this type (on their
// call, which they must name). Others are answered 200 and dropped.
func Stored(typ string) bool {
	return typ == TypeStatusUpdate || typ == TypeEndOfCallReport || typ == TypeHang
}

// ClinicNumber is the clinic's phone number the call came in on (or went
// out from).
func (m Message) ClinicNumber() string {
	if m.PhoneNumber != nil {
		return m.PhoneNumber.Number
	}
	return ""
}

// AssistantID is the assistant that handled the call, if named.
func (m Message) AssistantID() string {
	if m.Call.AssistantID != nil {
		return *m.Call.AssistantID
	}
	return ""
}

// CustomerNumber and CustomerName are the caller's (or callee's).
func (m Message) CustomerNumber() string {
	if m.Customer != nil && m.Customer.Number != "" {
		return m.Customer.Number
	}
	if m.Call.Customer != nil {
		return m.Call.Customer.Number
	}
	return ""
}

func (m Message) CustomerName() string {
	if m.Customer != nil && m.Customer.Name != "" {
		return m.Customer.Name
	}
	if m.Call.Customer != nil {
		return m.Call.Customer.Name
	}
	return ""
}

// Direction is inbound or outbound; web calls count as inbound.
func (m Message) Direction() string {
	if m.Call.Type == "outboundPhoneCall" {
		return "outbound"
	}
	return "inbound"
}

// RecordingURL is the recording to keep, in Vapi's documented order of
// preference: the combined mono recording, then the deprecated fields.
func (m Message) RecordingURL() string {
	if r := m.Artifact.Recording; r != nil && r.Mono != nil && r.Mono.CombinedURL != "" {
		return r.Mono.CombinedURL
	}
	if m.Artifact.RecordingURL != "" {
		return m.Artifact.RecordingURL
	}
	return m.LegacyRecordingURL
}

// TranscriptText and SummaryText prefer the current fields over legacy.
func (m Message) TranscriptText() string {
	if m.Artifact.Transcript != "" {
		return m.Artifact.Transcript
	}
	return m.LegacyTranscript
}

func (m Message) SummaryText() string {
	if m.Analysis.Summary != "" {
		return m.Analysis.Summary
	}
	return m.LegacySummary
}

// EventKey identifies one event among redeliveries, from Vapi's stable
// ids: Vapi sends no event id, and pre-signed URLs in the body change
// between deliveries, so the body itself cannot be the key.
func (m Message) EventKey() string {
	switch m.Type {
	case TypeStatusUpdate:
		return m.Call.ID + ":" + m.Type + ":" + m.Status
	case TypeHang, TypeTransferDestinationRequest: // several a call, told apart by their time
		return m.Call.ID + ":" + m.Type + ":" + strconv.FormatInt(m.Timestamp.UnixMilli(), 10)
	}
	return m.Call.ID + ":" + m.Type
}

// Statuses in lifecycle order; the spec's extra values are not statuses a
// call moves through.
var Statuses = []string{"queued", "ringing", "in-progress", "forwarding", "ended"}

// ValidStatus reports whether s is a lifecycle status Frontdesk records.
func ValidStatus(s string) bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Clip shortens provider text to n bytes at a rune boundary.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
