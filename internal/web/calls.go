package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// callSummary is one row of the dashboard list. Times are in the clinic's
// zone, with its offset.
type callSummary struct {
	ID              frontdesk.CallID `json:"id"`
	Direction       string           `json:"direction"`
	Status          string           `json:"status"`
	FromNumber      string           `json:"from_number"`
	ToNumber        string           `json:"to_number"`
	CallerName      string           `json:"caller_name"`
	StartedAt       time.Time        `json:"started_at"`
	EndedAt         *time.Time       `json:"ended_at"`
	DurationSeconds *int32           `json:"duration_seconds"`
	EndedReason     string           `json:"ended_reason"`
	RecordingStatus string           `json:"recording_status"`
	CostUSD         *float64         `json:"cost_usd"`
}

type callDetail struct {
	callSummary
	Provider       string         `json:"provider"`
	ProviderCallID *string        `json:"provider_call_id"`
	Summary        string         `json:"summary"`
	Transcript     string         `json:"transcript"`
	Recording      recording      `json:"recording"`
	LastHangAt     *time.Time     `json:"last_hang_at"`
	ToolCalls      []toolCallJSON `json:"tool_calls"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

type recording struct {
	Status string `json:"status"`
	// Error says why a failed recording failed.
	Error     string `json:"error,omitempty"`
	SizeBytes *int64 `json:"size_bytes,omitempty"`
	// URL streams a stored recording.
	URL string `json:"url,omitempty"`
}

type callList struct {
	Calls      []callSummary `json:"calls"`
	Total      int64         `json:"total"`
	Limit      int           `json:"limit"`
	NextCursor *string       `json:"next_cursor"`
}

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var out callList
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		f, err := calls.ParseListFilter(r.URL.Query(), tx.Org)
		if err != nil {
			return err
		}
		p := db.ListCallsParams{
			OrgID: org, Direction: text(f.Direction), Status: text(f.Status),
			StartedFrom: f.From, StartedBefore: f.To, FromNumber: text(f.Phone), NamePrefix: text(f.NamePrefix),
			RowLimit: int32(f.Limit + 1),
		}
		if f.After != nil {
			p.AfterStartedAt = &f.After.StartedAt
			p.AfterID = uuid.NullUUID{UUID: uuid.UUID(f.After.ID), Valid: true}
		}
		rows, err := tx.OneShot().ListCalls(r.Context(), p)
		if err != nil {
			return err
		}
		if out.Total, err = countCalls(r.Context(), tx, p); err != nil {
			return err
		}
		out.Limit = f.Limit
		out.Calls = make([]callSummary, 0, len(rows))
		for i, row := range rows {
			if i == f.Limit {
				next := calls.Cursor{StartedAt: rows[i-1].StartedAt, ID: rows[i-1].ID}.Encode()
				out.NextCursor = &next
				break
			}
			out.Calls = append(out.Calls, summarize(row, tx.Org.Location))
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getCall(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	id, err := frontdesk.ParseCallID(r.PathValue("callId"))
	if err != nil {
		return badRequest("callId", "callId must be a call id (a UUID)")
	}
	var out callDetail
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		c, err := tx.GetCall(r.Context(), db.GetCallParams{OrgID: org, ID: id})
		if err != nil {
			return err
		}
		out = callDetail{
			callSummary: summarize(db.ListCallsRow{
				ID: c.ID, Direction: c.Direction, Status: c.Status, FromNumber: c.FromNumber, ToNumber: c.ToNumber,
				CallerName: c.CallerName, StartedAt: c.StartedAt, EndedAt: c.EndedAt, DurationSeconds: c.DurationSeconds,
				EndedReason: c.EndedReason, RecordingStatus: c.RecordingStatus, CostUsd: c.CostUsd,
			}, tx.Org.Location),
			Provider:   c.Provider,
			Summary:    c.Summary,
			Transcript: c.Transcript,
			Recording:  recording{Status: c.RecordingStatus, Error: c.RecordingError},
			LastHangAt: inZone(c.LastHangAt, tx.Org.Location),
			CreatedAt:  c.CreatedAt.In(tx.Org.Location),
			UpdatedAt:  c.UpdatedAt.In(tx.Org.Location),
		}
		tools, err := tx.CallToolCalls(r.Context(), db.CallToolCallsParams{OrgID: org, CallID: uuid.UUID(c.ID)})
		if err != nil {
			return err
		}
		out.ToolCalls = []toolCallJSON{}
		for _, t := range tools {
			out.ToolCalls = append(out.ToolCalls, toolCallJSON{Name: t.Name, Arguments: t.Arguments, Result: t.Result,
				Error: t.Error, LatencyMs: t.LatencyMs, At: t.CreatedAt.In(tx.Org.Location)})
		}
		if c.RecordingStatus == "stored" {
			out.Recording.SizeBytes = &c.RecordingSize.Int64
			out.Recording.URL = "/api/calls-dashboard/" + c.ID.String() + "/recording"
		}
		if c.ProviderCallID.Valid {
			out.ProviderCallID = &c.ProviderCallID.String
		}
		return nil
	})
	if errors.Is(err, frontdesk.ErrNotFound) {
		s.audit(r, org, "read", "call", id.String())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type callStats struct {
	From               *time.Time       `json:"from"`
	To                 *time.Time       `json:"to"`
	Total              int64            `json:"total"`
	ByStatus           map[string]int64 `json:"by_status"`
	ByDirection        map[string]int64 `json:"by_direction"`
	AvgDurationSeconds float64          `json:"avg_duration_seconds"`
}

func (s *Server) callStats(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	out := callStats{ByStatus: map[string]int64{}, ByDirection: map[string]int64{}}
	for _, st := range calls.Statuses {
		out.ByStatus[st] = 0
	}
	for _, d := range calls.Directions {
		out.ByDirection[d] = 0
	}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		from, to, err := calls.ParseStatsRange(r.URL.Query(), tx.Org)
		if err != nil {
			return err
		}
		out.From, out.To = inZone(from, tx.Org.Location), inZone(to, tx.Org.Location)
		rows, err := tx.OneShot().CallStats(r.Context(), db.CallStatsParams{OrgID: org, StartedFrom: from, StartedBefore: to})
		if err != nil {
			return err
		}
		var timed, seconds int64
		for _, row := range rows {
			out.Total += row.Calls
			out.ByStatus[row.Status] += row.Calls
			out.ByDirection[row.Direction] += row.Calls
			timed += row.TimedCalls
			seconds += row.DurationSeconds
		}
		if timed > 0 {
			out.AvgDurationSeconds = float64(seconds) / float64(timed)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// countCalls is the exact total for a listing. A search matches few rows
// through its index and is counted directly; anything else adds up the
// hourly counts (call_counts) and counts only the partial hours at the ends
// of the range, so a big clinic's total costs what a small one's does.
func countCalls(ctx context.Context, tx *postgres.Tx, p db.ListCallsParams) (int64, error) {
	if p.FromNumber.Valid || p.NamePrefix.Valid {
		return tx.OneShot().CountCalls(ctx, db.CountCallsParams{
			OrgID: p.OrgID, Direction: p.Direction, Status: p.Status, StartedFrom: p.StartedFrom,
			StartedBefore: p.StartedBefore, FromNumber: p.FromNumber, NamePrefix: p.NamePrefix,
		})
	}
	split := calls.SplitHours(p.StartedFrom, p.StartedBefore)
	hp := db.CountCallsHourlyParams{OrgID: p.OrgID, Direction: p.Direction, Status: p.Status,
		HoursFrom: split.HoursFrom, HoursBefore: split.HoursBefore}
	if split.Head != nil {
		hp.HeadFrom, hp.HeadBefore = &split.Head[0], &split.Head[1]
	}
	if split.Tail != nil {
		hp.TailFrom, hp.TailBefore = &split.Tail[0], &split.Tail[1]
	}
	return tx.OneShot().CountCallsHourly(ctx, hp)
}

// audit records that the acting user asked for something the acting clinic
// does not have. It never changes the response: a failure is only logged.
func (s *Server) audit(r *http.Request, org frontdesk.OrgID, action, resourceType, resourceID string) {
	ri := info(r.Context())
	// Recorded even if the client has already hung up.
	ctx := context.WithoutCancel(r.Context())
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return tx.InsertAuditEvent(ctx, db.InsertAuditEventParams{
			OrgID: org, UserID: principal(r.Context()).UserID, Action: action,
			ResourceType: resourceType, ResourceID: resourceID, RequestID: ri.id, RemoteAddr: clientIP(r),
		})
	})
	if err != nil {
		s.log.ErrorContext(r.Context(), "audit event not recorded", "err", err, "resource", resourceType+"/"+resourceID)
	}
}

func summarize(c db.ListCallsRow, loc *time.Location) callSummary {
	out := callSummary{
		ID: c.ID, Direction: c.Direction, Status: c.Status, FromNumber: c.FromNumber, ToNumber: c.ToNumber,
		CallerName: c.CallerName, StartedAt: c.StartedAt.In(loc), EndedAt: inZone(c.EndedAt, loc),
		EndedReason: c.EndedReason, RecordingStatus: c.RecordingStatus,
	}
	if c.DurationSeconds.Valid {
		out.DurationSeconds = &c.DurationSeconds.Int32
	}
	if f, err := c.CostUsd.Float64Value(); err == nil && f.Valid {
		out.CostUSD = &f.Float64
	}
	return out
}

func inZone(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	z := t.In(loc)
	return &z
}

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }
