package vapi

import (
	"frontdesk"
	"frontdesk/internal/calls"
)

// CallEvent translates a status-update, end-of-call-report or hang into
// Frontdesk's call event. A message without the values Frontdesk keys on
// is a *frontdesk.ValidationError naming the field.
func (m Message) CallEvent() (calls.Event, error) {
	ev := calls.Event{Provider: "vapi", Type: m.Type, Key: m.EventKey(), ProviderCallID: m.Call.ID,
		Direction: m.Direction(), At: m.Timestamp.Time, CustomerNumber: m.CustomerNumber(),
		ClinicNumber: m.ClinicNumber(), CustomerName: m.CustomerName()}
	if m.Call.ID == "" {
		return ev, frontdesk.Invalid("message.call.id", "message.call.id is required for %s", m.Type)
	}
	switch m.Type {
	case TypeStatusUpdate:
		if !ValidStatus(m.Status) {
			return ev, frontdesk.Invalid("message.status", "unknown status %s", Clip(m.Status, 40))
		}
		ev.Kind, ev.Status = calls.EventStatus, m.Status
	case TypeHang:
		ev.Kind = calls.EventHang
	case TypeEndOfCallReport:
		ev.Kind = calls.EventReport
		ev.StartedAt, ev.EndedAt, ev.EndedReason = m.StartedAt, m.EndedAt, m.EndedReason
		ev.Summary, ev.Transcript, ev.RecordingURL, ev.CostUSD = m.SummaryText(), m.TranscriptText(), m.RecordingURL(), m.Cost
		ev.Outcome = m.Outcome()
	}
	return ev, nil
}
