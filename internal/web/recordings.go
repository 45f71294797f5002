package web

import (
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5/pgtype"
	"gocloud.dev/gcerrors"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// getRecording streams a call's stored recording to a member of its clinic,
// with HTTP Range support. Another clinic's call is the same 404 as a
// missing one.
func (s *Server) getRecording(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	id, err := frontdesk.ParseCallID(r.PathValue("callId"))
	if err != nil {
		return badRequest("callId", "callId must be a call id (a UUID)")
	}
	var rec db.StoredRecordingRow
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) (err error) {
		rec, err = tx.StoredRecording(r.Context(), db.StoredRecordingParams{OrgID: org, ID: id})
		return err
	})
	if errors.Is(err, frontdesk.ErrNotFound) {
		s.audit(r, org, "read", "call", id.String())
	}
	if err != nil {
		return err
	}
	if rec.RecordingStatus != "stored" {
		return &httpError{status: http.StatusNotFound, detail: errorDetail{Code: "recording_not_stored",
			Message: "this call has no stored recording (status: " + rec.RecordingStatus + ")"}}
	}
	reader, err := s.bucket.NewReader(r.Context(), rec.RecordingKey, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		s.log.ErrorContext(r.Context(), "stored recording missing from blob storage", "key", rec.RecordingKey)
		return &httpError{status: http.StatusNotFound, detail: errorDetail{Code: "recording_not_stored", Message: "the recording is missing from storage"}}
	}
	if err != nil {
		return err
	}
	defer reader.Close()
	w.Header().Set("Content-Type", reader.ContentType())
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", reader.ModTime(), reader)
	return nil
}

// retryRecording sends a failed recording back to the download queue.
// Admins and owners only.
func (s *Server) retryRecording(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	id, err := frontdesk.ParseCallID(r.PathValue("callId"))
	if err != nil {
		return badRequest("callId", "callId must be a call id (a UUID)")
	}
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		rec, err := tx.RecordingTarget(r.Context(), db.RecordingTargetParams{OrgID: org, ID: id})
		if err != nil {
			return err
		}
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		if rec.RecordingStatus != "failed" || rec.RecordingUrl == "" {
			return &httpError{status: http.StatusConflict, detail: errorDetail{Code: "conflict",
				Message: "only a failed recording with a provider URL can be retried (status: " + rec.RecordingStatus + ")"}}
		}
		_, err = s.jobs.EnqueueRecordingDownload(r.Context(), tx, id)
		return err
	})
	if errors.Is(err, frontdesk.ErrNotFound) {
		s.audit(r, org, "retry_recording", "call", id.String())
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"recording": map[string]string{"status": "pending"}})
	return nil
}

type recordingSettings struct {
	// RetentionDays deletes recordings of calls older than this; null keeps
	// them.
	RetentionDays *int32 `json:"retention_days"`
}

func (s *Server) getRecordingSettings(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var out recordingSettings
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		days, err := tx.OrgRetentionDays(r.Context(), org)
		if days.Valid {
			out.RetentionDays = &days.Int32
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) putRecordingSettings(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var in recordingSettings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.RetentionDays != nil && (*in.RetentionDays < 1 || *in.RetentionDays > 3650) {
		return frontdesk.Invalid("retention_days", "must be from 1 to 3650, or null to keep recordings")
	}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		p := db.SetRetentionDaysParams{ID: org}
		if in.RetentionDays != nil {
			p.Days = pgtype.Int4{Int32: *in.RetentionDays, Valid: true}
		}
		return tx.SetRetentionDays(r.Context(), p)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}
