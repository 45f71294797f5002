package web

import "net/http"

// routes lists every route, one line each.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.handle(s.healthz))
	mux.HandleFunc("GET /readyz", s.handle(s.readyz))

	mux.HandleFunc("POST /api/auth/login", s.handle(s.login))
	mux.HandleFunc("GET /api/me", s.handle(s.authed(s.me)))

	mux.HandleFunc("GET /api/calls-dashboard", s.handle(s.member(s.listCalls)))
	mux.HandleFunc("GET /api/calls-dashboard/stats", s.handle(s.member(s.callStats)))
	mux.HandleFunc("GET /api/calls-dashboard/{callId}", s.handle(s.member(s.getCall)))

	mux.HandleFunc("/", s.handle(s.notFound))
}
