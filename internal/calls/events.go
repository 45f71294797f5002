package calls

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/tel"
)

// EventKind is what a provider's call event says happened.
type EventKind string

const (
	EventStatus EventKind = "status" // the call moved to Status
	EventHang   EventKind = "hang"   // the assistant stopped answering
	EventReport EventKind = "report" // the call ended: transcript, summary, recording
)

// Event is a voice provider's call event in Frontdesk's terms; the
// provider's package translates its wire format into one.
type Event struct {
	Kind EventKind
	// Provider names the voice provider ("vapi"); Type is its own name for
	// the message, kept in the idempotency record.
	Provider, Type string
	// Key identifies the event among redeliveries (from the provider's
	// stable ids, never the body).
	Key            string
	ProviderCallID string
	Direction      string // inbound or outbound
	Status         string // for EventStatus
	At             time.Time
	// CustomerNumber is the caller's (callee's) number, ClinicNumber the
	// clinic's, as the provider sent them.
	CustomerNumber, ClinicNumber, CustomerName string
	StartedAt, EndedAt                         *time.Time
	EndedReason, Summary, Transcript           string
	RecordingURL                               string
	CostUSD                                    *float64
	// Outcome is what the call achieved, as the assistant's analysis says
	// (one of Outcomes; anything else is kept as "other").
	Outcome string
}

// Outcomes are what a call can achieve, as the assistant reports it.
var Outcomes = []string{"booked", "rescheduled", "cancelled", "question_answered", "message_taken", "transferred", "spam", "other"}

// outcome is ev's outcome as stored: one of Outcomes, or NULL for none.
func (ev Event) outcome() pgtype.Text {
	o := strings.ToLower(strings.TrimSpace(strings.ReplaceAll(ev.Outcome, " ", "_")))
	if o == "" {
		return pgtype.Text{}
	}
	for _, v := range Outcomes {
		if v == o {
			return pgtype.Text{String: o, Valid: true}
		}
	}
	return pgtype.Text{String: "other", Valid: true}
}

// ApplyTx records one verified event on its call, once: a redelivery
// changes nothing; a status only moves forward; a report with a recording
// enqueues its download in the same transaction. It runs in the
// transaction that verified the request.
func (s *Service) ApplyTx(ctx context.Context, tx *postgres.Tx, ev Event) error {
	fresh, err := tx.RecordWebhookEvent(ctx, db.RecordWebhookEventParams{OrgID: tx.Org.ID, Provider: ev.Provider,
		EventKey: ev.Key, EventType: ev.Type})
	if err != nil || fresh == 0 {
		return err // a redelivery: already applied
	}
	if err := notifyTx(ctx, tx); err != nil {
		return err
	}
	callID := pgtype.Text{String: ev.ProviderCallID, Valid: true}
	at := ev.at()
	from, to := ev.numbers(tx.Org)
	name := clipText(ev.CustomerName, 200)
	switch ev.Kind {
	case EventStatus:
		return tx.ApplyCallStatus(ctx, db.ApplyCallStatusParams{OrgID: tx.Org.ID, ProviderCallID: callID,
			Direction: ev.Direction, Status: ev.Status, FromNumber: from, ToNumber: to, CallerName: name, StartedAt: at})
	case EventHang:
		return tx.ApplyHang(ctx, db.ApplyHangParams{OrgID: tx.Org.ID, ProviderCallID: callID, Direction: ev.Direction, At: at})
	case EventReport:
		ended := ev.EndedAt
		if ended == nil { // older reports carry no endedAt: the report's own time
			ended = &at
		}
		p := db.ApplyEndOfCallReportParams{OrgID: tx.Org.ID, ProviderCallID: callID, Direction: ev.Direction,
			FromNumber: from, ToNumber: to, CallerName: name, StartedAt: at, EndedAt: ended,
			EndedReason: clipText(ev.EndedReason, 200), Summary: clipText(ev.Summary, 20_000),
			Transcript: clipText(ev.Transcript, 500_000), RecordingUrl: clipText(ev.RecordingURL, 2000), Outcome: ev.outcome()}
		if ev.StartedAt != nil {
			p.StartedAt, p.StartedAtKnown = *ev.StartedAt, true
		}
		if ev.StartedAt != nil && ev.EndedAt != nil && !ev.EndedAt.Before(*ev.StartedAt) {
			secs := ev.EndedAt.Sub(*ev.StartedAt).Seconds()
			p.DurationSeconds = pgtype.Int4{Int32: int32(math.Min(math.Round(secs), math.MaxInt32)), Valid: true}
		}
		if ev.CostUSD != nil && *ev.CostUSD >= 0 && *ev.CostUSD < 1e6 {
			_ = p.CostUsd.Scan(strconv.FormatFloat(*ev.CostUSD, 'f', 4, 64))
		}
		redacts, err := tx.OrgRedacts(ctx, tx.Org.ID)
		if err != nil {
			return err
		}
		var redacted int
		if redacts { // before anything is stored
			var a, b int
			p.Summary, a = Redact(p.Summary)
			p.Transcript, b = Redact(p.Transcript)
			redacted = a + b
		}
		row, err := tx.ApplyEndOfCallReport(ctx, p)
		if err != nil {
			return err
		}
		if redacted > 0 {
			if err := tx.SetCallRedactions(ctx, db.SetCallRedactionsParams{OrgID: tx.Org.ID, ID: row.ID, N: int32(redacted)}); err != nil {
				return err
			}
		}
		if s.ended != nil {
			if err := s.ended(ctx, tx, Ending{ProviderCallID: ev.ProviderCallID, EndedReason: ev.EndedReason, Outcome: p.Outcome.String,
				Patient: Patient(ev.Direction, from, to), CallerName: name}); err != nil {
				return err
			}
		}
		if row.RecordingUrl != "" && row.RecordingStatus == "none" {
			_, err = s.outbox.EnqueueRecordingDownload(ctx, tx, row.ID)
		}
		return err
	}
	return nil
}

// EnsureTx makes sure the call an event names has its row (a tool call can
// arrive before any status update) and returns its id.
func (s *Service) EnsureTx(ctx context.Context, tx *postgres.Tx, ev Event) (frontdesk.CallID, error) {
	from, to := ev.numbers(tx.Org)
	callID := pgtype.Text{String: ev.ProviderCallID, Valid: true}
	if err := notifyTx(ctx, tx); err != nil {
		return frontdesk.CallID{}, err
	}
	if err := tx.EnsureCall(ctx, db.EnsureCallParams{OrgID: tx.Org.ID, ProviderCallID: callID, Direction: ev.Direction,
		FromNumber: from, ToNumber: to, StartedAt: ev.at()}); err != nil {
		return frontdesk.CallID{}, err
	}
	return tx.CallIDByProvider(ctx, db.CallIDByProviderParams{OrgID: tx.Org.ID, ProviderCallID: callID})
}

func (ev Event) at() time.Time {
	if ev.At.IsZero() {
		return time.Now()
	}
	return ev.At
}

// numbers returns (from, to): the caller and the clinic for inbound calls,
// the other way round for outbound, each in E.164 where it reads as a phone
// number (so the dashboard's number search finds it).
func (ev Event) numbers(c frontdesk.Clinic) (string, string) {
	norm := func(n string) string {
		if e164, err := tel.Normalize(n, c.Country); err == nil {
			return e164
		}
		return clipText(n, 64)
	}
	customer, clinic := norm(ev.CustomerNumber), norm(ev.ClinicNumber)
	if ev.Direction == "outbound" {
		return clinic, customer
	}
	return customer, clinic
}

// clipText shortens provider text to n bytes at a rune boundary, without
// NUL bytes or invalid UTF-8 (which PostgreSQL cannot store as text).
func clipText(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// SilentAfter is how long a call may go without any event before it is
// taken to have ended without its report (a web test call, a lost
// delivery): otherwise it would stay in progress at the top of the list.
const SilentAfter = 2 * time.Hour

// CloseSilent ends the clinic's calls that have had no event for
// SilentAfter, with the reason "no-report". It returns how many.
func (s *Service) CloseSilent(ctx context.Context, org frontdesk.OrgID, now time.Time) (int64, error) {
	var n int64
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		n, err = tx.CloseSilentCalls(ctx, db.CloseSilentCallsParams{OrgID: org, IdleBefore: now.Add(-SilentAfter)})
		return err
	})
	return n, err
}
