// Package agent answers the voice agent's tool calls: check availability,
// hold, book, cancel and reschedule appointments, and look up the clinic's
// knowledge base. Arguments come from a language model: each is validated,
// and a missing or wrong one produces a sentence telling the agent what to
// ask the caller. The clinic is the verified callback's, never an
// argument. The tools call the same scheduling operations staff use.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/scheduling"
	"frontdesk/internal/secrets"
)

// ToolCall is one function call the assistant asks for, in any voice
// provider's terms (the provider's package translates its wire format).
type ToolCall struct {
	ID        string
	Name      string
	Arguments map[string]any
	// ArgumentsJSON is the arguments as received, for the record.
	ArgumentsJSON json.RawMessage
	// Err says why the arguments could not be read, if they could not.
	Err error
}

// Result answers one tool call: a single line for the assistant to speak
// from, or an error.
type Result struct {
	ToolCallID, Name, Result, Error string
}

// Call is the call tool calls arrive on.
type Call struct {
	ID       frontdesk.CallID
	Customer string // the caller's number, as the provider sent it
}

// Service runs tool calls.
type Service struct {
	store   *postgres.Store
	sched   *scheduling.Service
	permits Permits
	codes   Codes
	log     *slog.Logger
}

// Codes texts one-time codes and keeps them: the messaging service's
// TextCode (the texting rules), and the server's key to seal and MAC them.
type Codes struct {
	Text func(ctx context.Context, tx *postgres.Tx, call frontdesk.CallID, to string) (uuid.UUID, string, error)
	Box  *secrets.Box
}

// Permits reports whether the clinic lets its assistant use a tool that
// needs this permission (a Definition's Needs), in the tool call's
// transaction.
type Permits func(ctx context.Context, tx *postgres.Tx, needs string) (bool, error)

// NewService returns the agent service.
func NewService(store *postgres.Store, sched *scheduling.Service, permits Permits, codes Codes, log *slog.Logger) *Service {
	return &Service{store: store, sched: sched, permits: permits, codes: codes, log: log}
}

const failure = "Something went wrong on our side. Apologise and offer to take a message for the staff."

// Run answers each tool call, in order.
func (s *Service) Run(ctx context.Context, org frontdesk.OrgID, c Call, tcs []ToolCall) []Result {
	out := make([]Result, 0, len(tcs))
	for _, tc := range tcs {
		out = append(out, s.runOne(ctx, org, c, tc))
	}
	return out
}

// runOne answers one tool call once: a redelivered toolCallId gets the
// recorded answer and changes nothing. Connected calendars are read before
// the transaction; a tool whose time was taken answers, in a new
// transaction, with the nearest free times.
func (s *Service) runOne(ctx context.Context, org frontdesk.OrgID, c Call, tc ToolCall) Result {
	res := Result{ToolCallID: tc.ID, Name: tc.Name}
	if tc.ID == "" {
		res.Error = "tool call without an id"
		return res
	}
	start := time.Now()
	var ext scheduling.External
	if from, to, ok := window(tc, start); ok {
		var err error
		if ext, err = s.sched.External(ctx, org, from, to); err != nil {
			s.log.ErrorContext(ctx, "tool call not answered", "tool", tc.Name, "err", err)
			return Result{ToolCallID: tc.ID, Name: tc.Name, Error: failure}
		}
	}
	var text string
	var runErr error
	replay := func(tx *postgres.Tx) (bool, error) {
		prior, err := tx.RecordedToolCall(ctx, db.RecordedToolCallParams{OrgID: org, ToolCallID: tc.ID})
		if errors.Is(err, frontdesk.ErrNotFound) {
			return false, nil
		}
		res.Result, res.Error = prior.Result, prior.Error
		return err == nil, err
	}
	record := func(tx *postgres.Tx) error {
		p := db.RecordToolCallParams{OrgID: org, CallID: c.ID, ToolCallID: tc.ID, Name: tc.Name, Arguments: tc.ArgumentsJSON,
			Result: oneLine(text), LatencyMs: int32(time.Since(start).Milliseconds())}
		if runErr != nil {
			p.Error = failure
		}
		res.Result, res.Error = p.Result, p.Error
		return tx.RecordToolCall(ctx, p)
	}
	turn := func(tx *postgres.Tx) (*turn, error) {
		return &turn{ctx: ctx, tx: tx, call: c, tc: tc, now: start, permits: s.permits, codes: s.codes,
			open: func() (*scheduling.Calendar, error) { return s.sched.Calendar(ctx, tx, ext) }}, nil
	}
	var replayed bool
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if replayed, err = replay(tx); replayed || err != nil {
			return err
		}
		t, err := turn(tx)
		if err != nil {
			return err
		}
		text, runErr = t.run()
		if errors.Is(runErr, scheduling.ErrSlotUnavailable) {
			return runErr // this transaction is spent; answer in a new one
		}
		return record(tx)
	})
	if errors.Is(err, scheduling.ErrSlotUnavailable) {
		err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
			if replayed, err = replay(tx); replayed || err != nil { // a concurrent delivery won
				return err
			}
			t, err := turn(tx)
			if err != nil {
				return err
			}
			text, runErr = t.slotTaken()
			return record(tx)
		})
	}
	if runErr != nil {
		s.log.ErrorContext(ctx, "tool call failed", "tool", tc.Name, "err", runErr)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "tool call not answered", "tool", tc.Name, "err", err)
		return Result{ToolCallID: tc.ID, Name: tc.Name, Error: failure}
	}
	if res.Error != "" {
		res.Result = ""
	}
	return res
}

// window is the span whose connected-calendar busy times a scheduling
// tool needs, read from its arguments before the clinic's zone is known
// (scheduling.External widens it by days either side); ok is false for
// tools that need none.
func window(tc ToolCall, now time.Time) (from, to time.Time, ok bool) {
	def, _ := definition(tc.Name)
	args, _ := def.decode(tc.Arguments)
	switch tc.Name {
	case "checkAvailability":
		day := now
		if d, err := time.Parse(time.DateOnly, args["date"]); err == nil {
			day = d
		}
		return day, day.AddDate(0, 0, 16), true
	case "holdSlot", "bookAppointment", "rescheduleAppointment":
		arg := "start"
		if tc.Name == "rescheduleAppointment" {
			arg = "new_start"
		}
		if t, err := timeArg(arg, args[arg], time.UTC); err == nil {
			return t, t, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// oneLine makes text safe to speak from: provider parsers break on line
// breaks.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
