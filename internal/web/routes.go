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

	mux.HandleFunc("GET /api/settings/booking", s.handle(s.member(s.getBookingSettings)))
	mux.HandleFunc("PUT /api/settings/booking", s.handle(s.member(s.putBookingSettings)))
	mux.HandleFunc("GET /api/settings/hours", s.handle(s.member(s.getHours)))
	mux.HandleFunc("PUT /api/settings/hours", s.handle(s.member(s.putHours)))
	mux.HandleFunc("GET /api/settings/closures", s.handle(s.member(s.listClosures)))
	mux.HandleFunc("POST /api/settings/closures", s.handle(s.member(s.createClosure)))
	mux.HandleFunc("DELETE /api/settings/closures/{id}", s.handle(s.member(s.deleteClosure)))
	mux.HandleFunc("GET /api/services", s.handle(s.member(s.listServices)))
	mux.HandleFunc("POST /api/services", s.handle(s.member(s.createService)))
	mux.HandleFunc("PUT /api/services/{id}", s.handle(s.member(s.updateService)))
	mux.HandleFunc("DELETE /api/services/{id}", s.handle(s.member(s.deleteService)))
	mux.HandleFunc("GET /api/resources", s.handle(s.member(s.listResources)))
	mux.HandleFunc("POST /api/resources", s.handle(s.member(s.createResource)))
	mux.HandleFunc("PUT /api/resources/{id}", s.handle(s.member(s.updateResource)))
	mux.HandleFunc("DELETE /api/resources/{id}", s.handle(s.member(s.deleteResource)))

	mux.HandleFunc("GET /api/availability", s.handle(s.member(s.getAvailability)))
	mux.HandleFunc("GET /api/bookings", s.handle(s.member(s.listBookings)))
	mux.HandleFunc("POST /api/bookings", s.handle(s.member(s.createBooking)))
	mux.HandleFunc("POST /api/bookings/{id}/cancel", s.handle(s.member(s.cancelBooking)))
	mux.HandleFunc("POST /api/bookings/{id}/reschedule", s.handle(s.member(s.rescheduleBooking)))

	mux.HandleFunc("GET /api/knowledge-base", s.handle(s.member(s.listKnowledge)))
	mux.HandleFunc("POST /api/knowledge-base", s.handle(s.member(s.createKnowledge)))
	mux.HandleFunc("PUT /api/knowledge-base/{id}", s.handle(s.member(s.updateKnowledge)))
	mux.HandleFunc("DELETE /api/knowledge-base/{id}", s.handle(s.member(s.deleteKnowledge)))

	mux.HandleFunc("GET /api/settings/recordings", s.handle(s.member(s.getRecordingSettings)))
	mux.HandleFunc("PUT /api/settings/recordings", s.handle(s.member(s.putRecordingSettings)))

	mux.HandleFunc("GET /api/calendar/oauth/start", s.handle(s.member(s.startCalendarOAuth)))
	mux.HandleFunc("GET /api/calendar/oauth/callback", s.handle(s.calendarOAuthCallback))
	mux.HandleFunc("GET /api/calendar/connections", s.handle(s.member(s.listCalendarConnections)))
	mux.HandleFunc("DELETE /api/calendar/connections/{id}", s.handle(s.member(s.deleteCalendarConnection)))

	mux.HandleFunc("GET /api/integrations/twilio", s.handle(s.member(s.getTwilio)))
	mux.HandleFunc("PUT /api/integrations/twilio", s.handle(s.member(s.putTwilio)))
	mux.HandleFunc("DELETE /api/integrations/twilio", s.handle(s.member(s.deleteTwilio)))
	mux.HandleFunc("GET /api/sms/messages", s.handle(s.member(s.listSMS)))
	mux.HandleFunc("GET /api/sms/inbound", s.handle(s.member(s.listInboundSMS)))

	mux.HandleFunc("POST /api/webhooks/vapi", s.handle(s.vapiWebhook))
	mux.HandleFunc("POST /api/webhooks/twilio/status", s.handle(s.twilioStatus))
	mux.HandleFunc("POST /api/webhooks/twilio/inbound", s.handle(s.twilioInbound))

	mux.HandleFunc("/", s.handle(s.notFound))
}
