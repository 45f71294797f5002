package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/retention"
)

// The calls dashboard and recordings.

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Calls.List(r.Context(), m.Org, r.URL.Query())
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) callStats(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Calls.Stats(r.Context(), m.Org, r.URL.Query())
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) getCall(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.CallID](r, "callId")
	if err != nil {
		return err
	}
	out, err := s.app.Calls.Get(r.Context(), m.Org, id)
	return reply(w, err, http.StatusOK, out)
}

// getRecording streams a call's stored recording, with HTTP Range support.
func (s *Server) getRecording(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.CallID](r, "callId")
	if err != nil {
		return err
	}
	return s.streamRecording(w, r, m.Org, id)
}

// streamRecording serves a call's stored recording as the audio its bytes
// are, with Range (players seek), to the API and the dashboard alike.
func (s *Server) streamRecording(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID, id frontdesk.CallID) error {
	audio, err := s.app.Calls.Recording(r.Context(), org, id, newPlayback(r))
	if err != nil {
		return err
	}
	defer audio.Close()
	w.Header().Set("Content-Type", audio.ContentType)
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", audio.ModTime, audio)
	return nil
}

// newPlayback says whether a recording request starts a playback or a
// download (no Range, or one from the first byte), rather than seeking
// within one: each playback is one read in the access log.
func newPlayback(r *http.Request) bool {
	rng := strings.TrimSpace(r.Header.Get("Range"))
	return rng == "" || strings.HasPrefix(rng, "bytes=0-")
}

// retryRecording sends a failed recording back to the download queue.
func (s *Server) retryRecording(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.CallID](r, "callId")
	if err != nil {
		return err
	}
	err = s.app.Calls.RetryRecording(r.Context(), m.Org, id)
	return reply(w, err, http.StatusAccepted, map[string]any{"recording": map[string]string{"status": "pending"}})
}

// recordingSettings is the older view of retention: recordings alone.
type recordingSettings struct {
	RetentionDays *int32 `json:"retention_days"`
}

func (s *Server) getRecordingSettings(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Retention.Settings(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, recordingSettings{out.RecordingDays})
}

// putRecordingSettings changes how long recordings are kept, and nothing
// else of the clinic's retention.
func (s *Server) putRecordingSettings(w http.ResponseWriter, r *http.Request, m member) error {
	var in recordingSettings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	set, err := s.app.Retention.Settings(r.Context(), m.Org)
	if err != nil {
		return err
	}
	set.RecordingDays = in.RetentionDays
	_, err = s.app.Retention.SetSettings(r.Context(), m.Org, set)
	var ve *frontdesk.ValidationError
	if errors.As(err, &ve) && ve.Field == "recording_days" {
		err = frontdesk.Invalid("retention_days", "%s", ve.Message)
	}
	return reply(w, err, http.StatusOK, in)
}

// listCallbacks lists the messages the agent took for the staff, open and
// urgent first (?status=open or done).
func (s *Server) listCallbacks(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Calls.Callbacks(r.Context(), m.Org, r.URL.Query().Get("status"))
	return reply(w, err, http.StatusOK, map[string]any{"callbacks": out})
}

// callbackDone marks a message done.
func (s *Server) callbackDone(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[uuid.UUID](r, "id")
	if err != nil {
		return err
	}
	return reply(w, s.app.Calls.CallbackDone(r.Context(), m.Org, m.User, id), http.StatusNoContent, nil)
}

func (s *Server) callbackNote(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[uuid.UUID](r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	return reply(w, s.app.Calls.CallbackNote(r.Context(), m.Org, m.User, id, in.Note), http.StatusNoContent, nil)
}

func (s *Server) getRetention(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Retention.Settings(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) putRetention(w http.ResponseWriter, r *http.Request, m member) error {
	var in retention.Settings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Retention.SetSettings(r.Context(), m.Org, in)
	return reply(w, err, http.StatusOK, out)
}
