// Package web is Frontdesk's HTTP API: routes (routes.go, one line each),
// authentication and the acting clinic (auth.go), handlers, and the one
// mapping from errors to status codes (errors.go).
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"frontdesk/internal/app"
	"frontdesk/internal/identity"
)

// Config is what the server needs.
type Config struct {
	// App is the domain services every handler calls.
	App      *app.App
	Verifier *identity.Verifier
	Log      *slog.Logger
	// PublicURL is where providers reach this server (webhook URLs).
	PublicURL string
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// (load balancers); from anyone else the header is ignored.
	TrustedProxies []netip.Prefix
}

// Server serves the API.
type Server struct {
	app       *app.App
	verifier  *identity.Verifier
	log       *slog.Logger
	publicURL string

	trustedProxies []netip.Prefix
}

// New returns a Server.
func New(cfg Config) *Server {
	return &Server{
		app:       cfg.App,
		verifier:  cfg.Verifier,
		log:       slog.New(contextHandler{cfg.Log.Handler()}),
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),

		trustedProxies: cfg.TrustedProxies,
	}
}

// Handler returns the API with its middleware.
func (s *Server) Handler() http.Handler { return s.observe(s.mux()) }

func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := checkQuery(r)
		if err == nil {
			err = h(w, r, member{})
		}
		if err != nil {
			writeError(w, r, s.log, err)
		}
	}
}

// requestInfo travels in the context so every log line of a request carries
// its id and, once known, the acting clinic.
type requestInfo struct {
	id  string
	org string
}

type requestInfoKey struct{}

func info(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return ri
}

// observe gives each request an id, recovers panics, and logs one line per
// request.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		ri := &requestInfo{id: hex.EncodeToString(b)}
		ctx := context.WithValue(r.Context(), requestInfoKey{}, ri)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", ri.id)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(s.publicURL, "https://") {
			w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(p))
				writeError(rec, r, s.log, fmt.Errorf("panic: %v", p))
			}
			s.log.InfoContext(ctx, "request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController flush a stream through the recorder.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// contextHandler adds request_id and org_id from the context to every record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, rec slog.Record) error {
	if ri := info(ctx); ri != nil {
		rec.AddAttrs(slog.String("request_id", ri.id))
		if ri.org != "" {
			rec.AddAttrs(slog.String("org_id", ri.org))
		}
	}
	return h.Handler.Handle(ctx, rec)
}

func (h contextHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(a)}
}
func (h contextHandler) WithGroup(n string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(n)}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ member) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ member) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.app.Ready(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, _ member) error {
	return &httpError{status: http.StatusNotFound, detail: errorDetail{Code: "not_found", Message: "no such route: " + r.Method + " " + r.URL.Path}}
}
