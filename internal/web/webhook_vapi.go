package web

import (
	"context"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/agent"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/vapi"
)

// maxWebhookBody is the largest Vapi message accepted (an end-of-call
// report with a long transcript is well under it).
const maxWebhookBody = 1 << 20

var errUnverified = &httpError{status: http.StatusUnauthorized, detail: errorDetail{Code: "unauthorized", Message: "request not verified"}}

// vapiWebhook takes Vapi's server messages. Nothing is trusted until the
// request carries a current secret of the clinic that holds the call's
// phone number or assistant; every event is applied once, whatever the
// order and number of deliveries.
func (s *Server) vapiWebhook(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType, detail: errorDetail{Code: "unsupported_media_type", Message: "send Content-Type: application/json"}}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{status: http.StatusRequestEntityTooLarge, detail: errorDetail{Code: "too_large", Message: "body over 1 MiB"}}
		}
		return badRequest("", "could not read body")
	}
	msg, err := vapi.Decode(body)
	if err != nil {
		return badRequest("message", err.Error())
	}
	ctx := r.Context()
	org, err := s.store.VapiRouteOrg(ctx, msg.ClinicNumber(), msg.AssistantID())
	if errors.Is(err, frontdesk.ErrNotFound) {
		s.log.WarnContext(ctx, "vapi webhook refused", "reason", "unknown phone number or assistant",
			"phone_number", msg.ClinicNumber(), "assistant_id", msg.AssistantID(), "type", msg.Type)
		return errUnverified
	}
	if err != nil {
		return err
	}
	if ri := info(ctx); ri != nil {
		ri.org = org.String()
	}
	var reply any = map[string]string{"status": "ok"}
	var call frontdesk.CallID
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if err := s.verifyVapi(ctx, tx, r, body); err != nil {
			s.log.WarnContext(ctx, "vapi webhook refused", "reason", err.Error(), "type", msg.Type)
			return errUnverified
		}
		if msg.Type == vapi.TypeToolCalls {
			if msg.Call.ID == "" {
				return badRequest("message.call.id", "message.call.id is required for tool-calls")
			}
			call, err = s.ensureCall(ctx, tx, msg)
			return err
		}
		if !vapi.Stored(msg.Type) {
			return nil // answered 200, not stored
		}
		if msg.Call.ID == "" {
			return badRequest("message.call.id", "message.call.id is required for "+msg.Type)
		}
		if msg.Type == vapi.TypeStatusUpdate && !vapi.ValidStatus(msg.Status) {
			return badRequest("message.status", "unknown status "+vapi.Clip(msg.Status, 40))
		}
		fresh, err := tx.RecordWebhookEvent(ctx, db.RecordWebhookEventParams{OrgID: org, Provider: "vapi",
			EventKey: msg.EventKey(), EventType: msg.Type})
		if err != nil || fresh == 0 {
			return err // a redelivery: already applied, answered 200
		}
		return s.applyVapi(ctx, tx, msg)
	})
	if err != nil {
		return err
	}
	if msg.Type == vapi.TypeToolCalls {
		reply = s.runTools(ctx, org, agent.Call{ID: call, Customer: msg.CustomerNumber(), Now: time.Now(),
			Calendar: s.calendar}, msg.ToolCalls())
	}
	writeJSON(w, http.StatusOK, reply)
	return nil
}

func (s *Server) verifyVapi(ctx context.Context, tx *postgres.Tx, r *http.Request, body []byte) error {
	sealed, err := tx.ActiveVoiceSecrets(ctx, tx.Org.ID)
	if err != nil {
		return err
	}
	var keys [][]byte
	for _, c := range sealed {
		k, err := s.secrets.Open(c, tx.Org.ID[:])
		if err != nil {
			s.log.ErrorContext(ctx, "voice secret does not open", "err", err)
			continue
		}
		keys = append(keys, k)
	}
	return vapi.Verify(r.Header, body, keys, time.Now())
}

// applyVapi records one verified, first-seen event on its call.
func (s *Server) applyVapi(ctx context.Context, tx *postgres.Tx, m vapi.Message) error {
	callID := pgtype.Text{String: m.Call.ID, Valid: true}
	at := m.Timestamp.Time
	if at.IsZero() {
		at = time.Now()
	}
	from, to := s.callNumbers(tx.Org, m)
	name := vapi.Clip(m.CustomerName(), 200)
	switch m.Type {
	case vapi.TypeStatusUpdate:
		return tx.ApplyCallStatus(ctx, db.ApplyCallStatusParams{OrgID: tx.Org.ID, ProviderCallID: callID,
			Direction: m.Direction(), Status: m.Status, FromNumber: from, ToNumber: to, CallerName: name, StartedAt: at})
	case vapi.TypeHang:
		return tx.ApplyHang(ctx, db.ApplyHangParams{OrgID: tx.Org.ID, ProviderCallID: callID, Direction: m.Direction(), At: at})
	case vapi.TypeEndOfCallReport:
		p := db.ApplyEndOfCallReportParams{OrgID: tx.Org.ID, ProviderCallID: callID, Direction: m.Direction(),
			FromNumber: from, ToNumber: to, CallerName: name, StartedAt: at, EndedAt: m.EndedAt,
			EndedReason: vapi.Clip(m.EndedReason, 200), Summary: vapi.Clip(m.SummaryText(), 20_000),
			Transcript: vapi.Clip(m.TranscriptText(), 500_000), RecordingUrl: vapi.Clip(m.RecordingURL(), 2000)}
		if m.StartedAt != nil {
			p.StartedAt, p.StartedAtKnown = *m.StartedAt, true
		}
		if m.StartedAt != nil && m.EndedAt != nil && !m.EndedAt.Before(*m.StartedAt) {
			secs := m.EndedAt.Sub(*m.StartedAt).Seconds()
			p.DurationSeconds = pgtype.Int4{Int32: int32(math.Min(math.Round(secs), math.MaxInt32)), Valid: true}
		}
		if m.Cost != nil && *m.Cost >= 0 && *m.Cost < 1e6 {
			_ = p.CostUsd.Scan(formatCost(*m.Cost))
		}
		row, err := tx.ApplyEndOfCallReport(ctx, p)
		if err != nil {
			return err
		}
		if row.RecordingUrl != "" && row.RecordingStatus == "none" {
			_, err = s.jobs.EnqueueRecordingDownload(ctx, tx, row.ID)
		}
		return err
	}
	return nil
}

// callNumbers returns (from, to): the caller and the clinic for inbound
// calls, the other way round for outbound, each in E.164 where it reads as
// a phone number (so the dashboard's number search finds it).
func (s *Server) callNumbers(c frontdesk.Clinic, m vapi.Message) (string, string) {
	norm := func(n string) string {
		if e164, err := calls.NormalizePhone(n, c.Country); err == nil {
			return e164
		}
		return vapi.Clip(n, 64)
	}
	customer, clinic := norm(m.CustomerNumber()), norm(m.ClinicNumber())
	if m.Direction() == "outbound" {
		return clinic, customer
	}
	return customer, clinic
}

func formatCost(usd float64) string { return strconv.FormatFloat(usd, 'f', 4, 64) }
