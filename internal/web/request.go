package web

import (
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"

	"github.com/google/uuid"

	"frontdesk"
)

// Reading requests: JSON bodies, path ids, query parameters, the client's
// address.

// decodeJSON reads a small JSON body into v, refusing other content types,
// unknown fields and trailing data.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType, detail: errorDetail{Code: "unsupported_media_type", Message: "send Content-Type: application/json"}}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{status: http.StatusRequestEntityTooLarge, detail: errorDetail{Code: "too_large", Message: "request body too large"}}
		}
		return badRequest("", "malformed JSON body: "+err.Error())
	}
	if dec.More() {
		return badRequest("", "malformed JSON body: more than one value")
	}
	return nil
}

// pathID reads the path's wildcard name as an id of type T (a typed id or
// a plain UUID): the 36-character form only.
func pathID[T ~[16]byte](r *http.Request, name string) (T, error) {
	v := r.PathValue(name)
	u, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		return T{}, badRequest(name, name+" must be a UUID")
	}
	return T(u), nil
}

// queryID reads an optional id query parameter (zero when absent).
func queryID[T ~[16]byte](r *http.Request, name string) (T, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return T{}, nil
	}
	u, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		return T{}, frontdesk.Invalid(name, "must be a UUID")
	}
	return T(u), nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
