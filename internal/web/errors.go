package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"frontdesk"
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

// httpError is an error that already knows its response.
type httpError struct {
	status       int
	detail       errorDetail
	alternatives any
}

func (e *httpError) Error() string { return e.detail.Message }

func badRequest(field, message string) error {
	return &httpError{status: http.StatusBadRequest, detail: errorDetail{Code: "bad_request", Message: message, Field: field}}
}

// writeError is the one place that maps an error to a status code. Bodies
// for 401, 403 and 404 are fixed, so they cannot differ between "exists in
// another clinic" and "does not exist".
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he *httpError
	var ve *frontdesk.ValidationError
	switch {
	case errors.As(err, &he):
		writeJSON(w, he.status, errorBody{Error: he.detail, Alternatives: he.alternatives})
	case errors.As(err, &ve):
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: errorDetail{Code: "invalid", Message: ve.Error(), Field: ve.Field}})
	case errors.Is(err, frontdesk.ErrUnauthorized):
		w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: errorDetail{Code: "unauthorized", Message: "missing or invalid bearer token"}})
	case errors.Is(err, frontdesk.ErrForbidden):
		writeJSON(w, http.StatusForbidden, errorBody{Error: errorDetail{Code: "forbidden", Message: "you do not have access to this organization or action"}})
	case errors.Is(err, frontdesk.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found", Message: "not found"}})
	case errors.Is(err, frontdesk.ErrConflict):
		writeJSON(w, http.StatusConflict, errorBody{Error: errorDetail{Code: "conflict", Message: "conflicts with existing data"}})
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
