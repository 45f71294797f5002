package web

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/agent"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/scheduling"
)

// ensureCall makes sure the call a tool call arrives on has its row, and
// returns its id.
func (s *Server) ensureCall(ctx context.Context, tx *postgres.Tx, m vapi.Message) (frontdesk.CallID, error) {
	from, to := s.callNumbers(tx.Org, m)
	at := m.Timestamp.Time
	if at.IsZero() {
		at = time.Now()
	}
	callID := pgtype.Text{String: m.Call.ID, Valid: true}
	if err := tx.EnsureCall(ctx, db.EnsureCallParams{OrgID: tx.Org.ID, ProviderCallID: callID, Direction: m.Direction(),
		FromNumber: from, ToNumber: to, StartedAt: at}); err != nil {
		return frontdesk.CallID{}, err
	}
	return tx.CallIDByProvider(ctx, db.CallIDByProviderParams{OrgID: tx.Org.ID, ProviderCallID: callID})
}

// runTools answers each tool call, in order, in Vapi's format.
func (s *Server) runTools(ctx context.Context, org frontdesk.OrgID, c agent.Call, tcs []vapi.ToolCall) vapi.ToolResponse {
	out := vapi.ToolResponse{Results: make([]vapi.ToolResult, 0, len(tcs))}
	for _, tc := range tcs {
		out.Results = append(out.Results, s.runTool(ctx, org, c, tc))
	}
	return out
}

const toolFailure = "Something went wrong on our side. Apologise and offer to take a message for the staff."

// runTool answers one tool call once: a redelivered toolCallId gets the
// recorded answer and changes nothing. A tool whose time was taken answers,
// in a new transaction, with the nearest free times.
func (s *Server) runTool(ctx context.Context, org frontdesk.OrgID, c agent.Call, tc vapi.ToolCall) vapi.ToolResult {
	res := vapi.ToolResult{ToolCallID: tc.ID, Name: tc.Name}
	if tc.ID == "" {
		res.Error = "tool call without an id"
		return res
	}
	start := time.Now()
	var text string
	var runErr error
	replay := func(tx *postgres.Tx) (bool, error) {
		prior, err := tx.RecordedToolCall(ctx, db.RecordedToolCallParams{OrgID: org, ToolCallID: tc.ID})
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		res.Result, res.Error = prior.Result, prior.Error
		return err == nil, err
	}
	record := func(tx *postgres.Tx) error {
		p := db.RecordToolCallParams{OrgID: org, CallID: uuid.UUID(c.ID), ToolCallID: tc.ID, Name: tc.Name, Arguments: tc.ArgumentsJSON,
			Result: vapi.OneLine(text), LatencyMs: int32(time.Since(start).Milliseconds())}
		if runErr != nil {
			p.Error = toolFailure
		}
		res.Result, res.Error = p.Result, p.Error
		return tx.RecordToolCall(ctx, p)
	}
	var replayed bool
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if replayed, err = replay(tx); replayed || err != nil {
			return err
		}
		text, runErr = agent.Run(ctx, tx, c, tc)
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
			text, runErr = agent.SlotTaken(ctx, tx, c, tc)
			return record(tx)
		})
	}
	if runErr != nil {
		s.log.ErrorContext(ctx, "tool call failed", "tool", tc.Name, "err", runErr)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "tool call not answered", "tool", tc.Name, "err", err)
		return vapi.ToolResult{ToolCallID: tc.ID, Name: tc.Name, Error: toolFailure}
	}
	if res.Error != "" {
		res.Result = ""
	}
	return res
}

type toolCallJSON struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Result    string          `json:"result,omitempty"`
	Error     string          `json:"error,omitempty"`
	LatencyMs int32           `json:"latency_ms"`
	At        time.Time       `json:"at"`
}
