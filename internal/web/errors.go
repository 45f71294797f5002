package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"frontdesk"
	"frontdesk/internal/calendars"
	"frontdesk/internal/calls"
	"frontdesk/internal/messaging"
	"frontdesk/internal/scheduling"
	"frontdesk/internal/voice"
)

// errorBody is every error response: a stable code, a sentence for people,
// and, for bad input, the field at fault.
type errorBody struct {
	Error errorDetail `json:"error"`
	// Alternatives are free slots offered instead of a taken one.
	Alternatives any `json:"alternatives,omitempty"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// httpError is an error that already knows its response (request
// decoding, the HTTP layer's own refusals).
type httpError struct {
	status int
	detail errorDetail
}

func (e *httpError) Error() string { return e.detail.Message }

func badRequest(field, message string) error {
	return &httpError{status: http.StatusBadRequest, detail: errorDetail{Code: "bad_request", Message: message, Field: field}}
}

// writeError is the one place that maps an error to a status code and a
// body. Bodies for 401, 403 and 404 are fixed, so they cannot differ
// between "exists in another clinic" and "does not exist".
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var (
		he       *httpError
		ve       *frontdesk.ValidationError
		taken    *scheduling.SlotTakenError
		conflict *frontdesk.ConflictError
		noAudio  *calls.ErrNoRecording
		badState *calendars.ErrBadState
	)
	switch {
	case errors.As(err, &he):
		writeJSON(w, he.status, errorBody{Error: he.detail})
	case errors.As(err, &ve):
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: errorDetail{Code: "invalid", Message: ve.Error(), Field: ve.Field}})
	case errors.As(err, &taken):
		writeJSON(w, http.StatusConflict, errorBody{Error: errorDetail{Code: "slot_unavailable", Field: "start",
			Message: "that time is not available"}, Alternatives: taken.Alternatives})
	case errors.As(err, &conflict):
		writeJSON(w, http.StatusConflict, errorBody{Error: errorDetail{Code: "conflict", Message: conflict.Message, Field: conflict.Field}})
	case errors.As(err, &noAudio):
		writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "recording_not_stored", Message: noAudio.Error()}})
	case errors.As(err, &badState):
		writeJSON(w, http.StatusBadRequest, errorBody{Error: errorDetail{Code: "bad_request", Message: badState.Reason, Field: badState.Field}})
	case errors.Is(err, calendars.ErrNotConfigured):
		writeJSON(w, http.StatusNotImplemented, errorBody{Error: errorDetail{Code: "not_configured", Message: err.Error()}})
	case errors.Is(err, voice.ErrProviderDown):
		writeJSON(w, http.StatusBadGateway, errorBody{Error: errorDetail{Code: "provider_unavailable", Message: voice.ErrProviderDown.Error()}})
		log.WarnContext(r.Context(), "request refused", "reason", err.Error())
		return
	case errors.Is(err, voice.ErrUnverified):
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: errorDetail{Code: "unauthorized", Message: "request not verified"}})
	case errors.Is(err, messaging.ErrUnverified):
		writeJSON(w, http.StatusForbidden, errorBody{Error: errorDetail{Code: "forbidden", Message: "invalid Twilio signature"}})
	case errors.Is(err, frontdesk.ErrUnauthorized):
		w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: errorDetail{Code: "unauthorized", Message: "missing or invalid bearer token"}})
	case errors.Is(err, frontdesk.ErrForbidden):
		writeJSON(w, http.StatusForbidden, errorBody{Error: errorDetail{Code: "forbidden", Message: "you do not have access to this organization or action"}})
	case errors.Is(err, frontdesk.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found", Message: "not found"}})
	case errors.Is(err, frontdesk.ErrConflict):
		writeJSON(w, http.StatusConflict, errorBody{Error: errorDetail{Code: "conflict", Message: "conflicts with existing data"}})
	case errors.Is(err, frontdesk.ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: errorDetail{Code: "unavailable", Message: "the server is busy; retry shortly"}})
		log.WarnContext(r.Context(), "request refused", "reason", err.Error())
		return
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		// The client went away; nobody reads this.
		w.WriteHeader(499)
	default:
		log.ErrorContext(r.Context(), "request failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: errorDetail{Code: "internal", Message: "internal error"}})
		return
	}
	log.InfoContext(r.Context(), "request refused", "reason", err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// reply writes v with status, or returns err.
func reply(w http.ResponseWriter, err error, status int, v any) error {
	if err != nil {
		return err
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return nil
	}
	writeJSON(w, status, v)
	return nil
}
