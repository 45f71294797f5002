package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"frontdesk"
)

// Reading requests: JSON bodies, path ids, query parameters, the client's
// address. Text with a NUL byte or invalid UTF-8 is refused wherever it
// comes in (query, JSON body, form), naming where.

// checkQuery refuses a query that does not parse whole (more parameters
// than the server reads, a bad escape) or carries unusable text.
func checkQuery(r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return badRequest("query", "the query string cannot be read: "+err.Error())
	}
	return checkValues(q)
}

// checkValues refuses names and values with NUL bytes or invalid UTF-8.
func checkValues(vs url.Values) error {
	for k, list := range vs {
		if !cleanText(k) {
			return badRequest("query", "a parameter name holds a NUL byte or invalid UTF-8")
		}
		for _, v := range list {
			if !cleanText(v) {
				return badRequest(k, k+" holds a NUL byte or invalid UTF-8")
			}
		}
	}
	return nil
}

func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// decodeJSON reads a small JSON body into v, refusing other content types,
// unknown fields, trailing data, invalid UTF-8 and NUL characters.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType, detail: errorDetail{Code: "unsupported_media_type", Message: "send Content-Type: application/json"}}
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, 64<<10)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{status: http.StatusRequestEntityTooLarge, detail: errorDetail{Code: "too_large", Message: "request body too large"}}
		}
		return badRequest("", "could not read the body")
	}
	if !utf8.Valid(body.Bytes()) {
		return badRequest("", "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(&body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return badRequest(typeErr.Field, typeErr.Field+" must be a "+jsonKind(typeErr.Type))
		}
		return badRequest("", "malformed JSON body: "+err.Error())
	}
	if dec.More() {
		return badRequest("", "malformed JSON body: more than one value")
	}
	if field, ok := nulFree(reflect.ValueOf(v), ""); !ok {
		return badRequest(field, field+" holds a NUL character")
	}
	return nil
}

// nulFree walks a decoded body and names the first string holding NUL.
func nulFree(v reflect.Value, field string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", true
		}
		return nulFree(v.Elem(), field)
	case reflect.String:
		return field, !strings.ContainsRune(v.String(), 0)
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if f, ok := nulFree(v.Index(i), field); !ok {
				return f, false
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if f, ok := nulFree(v.MapIndex(k), k.String()); !ok {
				return f, false
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" {
				name = field
			}
			if f, ok := nulFree(v.Field(i), name); !ok {
				return f, false
			}
		}
	}
	return "", true
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Array {
			return "UUID"
		}
		return "list"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "number"
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

// clientIP is the address of the client: the peer, or, when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not one
// (the ones further left are the client's say, and anyone can say them).
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(addr) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(hop) {
			return hop.Unmap().String()
		}
	}
	return host
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.trustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
