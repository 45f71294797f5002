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
	mux.HandleFunc("GET /api/calls-dashboard/{callId}/recording", s.handle(s.member(s.getRecording)))
	mux.HandleFunc("POST /api/calls-dashboard/{callId}/recording/retry", s.handle(s.member(s.retryRecording)))

	mux.HandleFunc("GET /api/voice/phone-numbers", s.handle(s.member(s.listPhoneNumbers)))
	mux.HandleFunc("POST /api/voice/phone-numbers", s.handle(s.member(s.addPhoneNumber)))
	mux.HandleFunc("DELETE /api/voice/phone-numbers/{number}", s.handle(s.member(s.deletePhoneNumber)))
	mux.HandleFunc("GET /api/voice/assistants", s.handle(s.member(s.listAssistants)))
	mux.HandleFunc("POST /api/voice/assistants", s.handle(s.member(s.addAssistant)))
	mux.HandleFunc("DELETE /api/voice/assistants/{assistantId}", s.handle(s.member(s.deleteAssistant)))
	mux.HandleFunc("POST /api/voice/secret/rotate", s.handle(s.member(s.rotateVoiceSecret)))

	mux.HandleFunc("GET /api/settings/recordings", s.handle(s.member(s.getRecordingSettings)))
	mux.HandleFunc("PUT /api/settings/recordings", s.handle(s.member(s.putRecordingSettings)))

	mux.HandleFunc("POST /api/webhooks/vapi", s.handle(s.vapiWebhook))

	mux.HandleFunc("/", s.handle(s.notFound))
}
