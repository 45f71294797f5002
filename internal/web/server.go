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
	"strings"
	"time"

	"gocloud.dev/blob"

	"frontdesk/internal/identity"
	"frontdesk/internal/jobs"
	"frontdesk/internal/postgres"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/secrets"
)

// Config is what the server needs.
type Config struct {
	Store    *postgres.Store
	Verifier *identity.Verifier
	Issuer   *identity.Issuer
	Log      *slog.Logger
	// TokenTTL is the lifetime of tokens issued by POST /api/auth/login.
	TokenTTL time.Duration
	// Jobs enqueues background work in the request's transaction.
	Jobs *jobs.Client
	// Secrets seals provider secrets at rest.
	Secrets *secrets.Box
	// Bucket holds call recordings.
	Bucket *blob.Bucket
	// PublicURL is where providers reach this server (webhook URLs).
	PublicURL string
	// Google connects calendars (nil: not configured).
	Google *google.Client
}

// Server serves the API.
type Server struct {
	store     *postgres.Store
	verifier  *identity.Verifier
	issuer    *identity.Issuer
	log       *slog.Logger
	tokenTTL  time.Duration
	jobs      *jobs.Client
	secrets   *secrets.Box
	bucket    *blob.Bucket
	publicURL string
	google    *google.Client
	busyCache busyCache

	loginByEmail *identity.FailureLimiter
	loginByIP    *identity.FailureLimiter
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	return &Server{
		store:        cfg.Store,
		verifier:     cfg.Verifier,
		issuer:       cfg.Issuer,
		log:          slog.New(contextHandler{cfg.Log.Handler()}),
		tokenTTL:     cfg.TokenTTL,
		jobs:         cfg.Jobs,
		secrets:      cfg.Secrets,
		bucket:       cfg.Bucket,
		publicURL:    strings.TrimRight(cfg.PublicURL, "/"),
		google:       cfg.Google,
		loginByEmail: identity.NewFailureLimiter(5, 15*time.Minute),
		loginByIP:    identity.NewFailureLimiter(30, 15*time.Minute),
	}
}

// Handler returns the API with its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	return s.observe(mux)
}

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
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

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ready(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return &httpError{status: http.StatusNotFound, detail: errorDetail{Code: "not_found", Message: "no such route: " + r.Method + " " + r.URL.Path}}
}
