package web

import "net/http"

// access is who may call a route. It is decided from the credential and
// the membership alone, before a handler reads the body.
type access int

const (
	public   access = iota // anyone; providers prove themselves in the handler
	signedIn               // a valid bearer token, no clinic needed
	staff                  // a member of the acting clinic
	admin                  // an admin or owner of the acting clinic
	owner                  // an owner of the acting clinic
)

// route is one line of the API.
type route struct {
	pattern string
	access  access
	h       handlerFunc
}

// routes lists every route, one line each, with who may call it.
func (s *Server) routes() []route {
	return []route{
		{"GET /healthz", public, s.healthz},
		{"GET /readyz", public, s.readyz},

		{"POST /api/auth/login", public, s.login},
		{"GET /api/me", signedIn, s.me},
		{"POST /api/me/password", signedIn, s.changePassword},

		{"GET /api/team", admin, s.listTeam},
		{"POST /api/team", admin, s.addMember},
		{"PUT /api/team/{userId}", admin, s.setRole},
		{"DELETE /api/team/{userId}", admin, s.removeMember},
		{"POST /api/team/{userId}/password", admin, s.resetPassword},

		{"GET /api/calls-dashboard", staff, s.listCalls},
		{"GET /api/calls-dashboard/stats", staff, s.callStats},
		{"GET /api/calls-dashboard/{callId}", staff, s.getCall},
		{"GET /api/calls-dashboard/{callId}/recording", staff, s.getRecording},
		{"POST /api/calls-dashboard/{callId}/recording/retry", admin, s.retryRecording},
		{"GET /api/patients", staff, s.getPatient},
		{"POST /api/contacts/import", admin, s.importContacts},
		{"GET /api/contacts/export", staff, s.exportContacts},
		{"GET /api/do-not-call", staff, s.listDoNotCall},
		{"GET /api/campaigns", staff, s.listCampaigns},
		{"POST /api/campaigns", admin, s.createCampaign},
		{"GET /api/campaigns/{id}", staff, s.getCampaign},
		{"POST /api/campaigns/{id}/schedule", admin, s.scheduleCampaign},
		{"POST /api/campaigns/{id}/start", admin, s.actOnCampaign},
		{"POST /api/campaigns/{id}/pause", admin, s.actOnCampaign},
		{"POST /api/campaigns/{id}/resume", admin, s.actOnCampaign},
		{"POST /api/campaigns/{id}/cancel", admin, s.actOnCampaign},
		{"POST /api/do-not-call", staff, s.addDoNotCall},
		{"POST /api/patients/export", owner, s.exportPatientAPI},
		{"POST /api/patients/erase", owner, s.erasePatientAPI},
		{"GET /api/access-log", owner, s.listAccess},
		{"GET /api/messages/callbacks", staff, s.listCallbacks},
		{"POST /api/messages/callbacks/{id}/done", staff, s.callbackDone},
		{"PUT /api/messages/callbacks/{id}/note", staff, s.callbackNote},
		{"GET /api/settings/recordings", staff, s.getRecordingSettings},
		{"PUT /api/settings/recordings", admin, s.putRecordingSettings},
		{"GET /api/settings/retention", staff, s.getRetention},
		{"PUT /api/settings/retention", admin, s.putRetention},

		{"GET /api/voice/phone-numbers", admin, s.listPhoneNumbers},
		{"POST /api/voice/phone-numbers", admin, s.addPhoneNumber},
		{"DELETE /api/voice/phone-numbers/{number}", admin, s.deletePhoneNumber},
		{"GET /api/voice/assistants", admin, s.listAssistants},
		{"POST /api/voice/assistants", admin, s.addAssistant},
		{"DELETE /api/voice/assistants/{assistantId}", admin, s.deleteAssistant},
		{"POST /api/voice/secret/rotate", admin, s.rotateVoiceSecret},
		{"GET /api/voice/vapi-numbers", admin, s.listVapiNumbers},
		{"GET /api/voice/receptionist", staff, s.getReceptionist},
		{"PUT /api/voice/receptionist", admin, s.putReceptionist},
		{"GET /api/voice/assistant", admin, s.exportAssistant},

		{"PUT /api/settings/clinic", admin, s.putClinic},
		{"GET /api/settings/booking", staff, s.getBookingSettings},
		{"PUT /api/settings/booking", admin, s.putBookingSettings},
		{"GET /api/settings/hours", staff, s.getHours},
		{"PUT /api/settings/hours", admin, s.putHours},
		{"GET /api/settings/closures", staff, s.listClosures},
		{"POST /api/settings/closures", admin, s.createClosure},
		{"DELETE /api/settings/closures/{id}", admin, s.deleteClosure},
		{"GET /api/services", staff, s.listServices},
		{"POST /api/services", admin, s.createService},
		{"PUT /api/services/{id}", admin, s.updateService},
		{"DELETE /api/services/{id}", admin, s.deleteService},
		{"GET /api/resources", staff, s.listResources},
		{"POST /api/resources", admin, s.createResource},
		{"PUT /api/resources/{id}", admin, s.updateResource},
		{"DELETE /api/resources/{id}", admin, s.deleteResource},

		{"GET /api/availability", staff, s.getAvailability},
		{"GET /api/bookings", staff, s.listBookings},
		{"POST /api/bookings", staff, s.createBooking},
		{"POST /api/bookings/{id}/cancel", staff, s.cancelBooking},
		{"POST /api/bookings/{id}/reschedule", staff, s.rescheduleBooking},

		{"GET /api/knowledge-base", staff, s.listKnowledge},
		{"POST /api/knowledge-base", admin, s.createKnowledge},
		{"PUT /api/knowledge-base/{id}", admin, s.updateKnowledge},
		{"DELETE /api/knowledge-base/{id}", admin, s.deleteKnowledge},

		{"GET /api/calendar/oauth/start", admin, s.startCalendarOAuth},
		{"GET /api/calendar/oauth/callback", public, s.calendarOAuthCallback},
		{"GET /api/calendar/connections", admin, s.listCalendarConnections},
		{"DELETE /api/calendar/connections/{id}", admin, s.deleteCalendarConnection},

		{"GET /api/integrations/vapi", admin, s.getVapi},
		{"PUT /api/integrations/vapi", admin, s.putVapi},
		{"DELETE /api/integrations/vapi", admin, s.deleteVapi},
		{"GET /api/integrations/twilio", admin, s.getTwilio},
		{"PUT /api/integrations/twilio", admin, s.putTwilio},
		{"DELETE /api/integrations/twilio", admin, s.deleteTwilio},
		{"GET /api/sms/messages", staff, s.listSMS},
		{"GET /api/sms/inbound", staff, s.listInboundSMS},
		{"GET /api/sms/opt-outs", staff, s.listOptOuts},
		{"POST /api/sms/opt-outs", staff, s.addOptOut},

		{"POST /api/webhooks/vapi", public, s.vapiWebhook},
		{"POST /api/webhooks/twilio/status", public, s.twilioStatus},
		{"POST /api/webhooks/twilio/inbound", public, s.twilioInbound},

		{"/api/", public, s.notFound},
	}
}

// pages lists every page of the staff dashboard, one line each, with who
// may open it (signed in with a session; forms need its token too).
func (s *Server) pages() []page {
	return []page{
		{"GET /{$}", public, s.home},
		{"GET /login", public, s.loginPage},
		{"POST /login", public, s.loginSubmit},
		{"POST /logout", signedIn, s.logout},
		{"GET /clinics", signedIn, s.clinicsPage},
		{"POST /clinics", signedIn, s.switchClinic},
		{"GET /password", signedIn, s.passwordPage},
		{"POST /password", signedIn, s.passwordSubmit},

		{"GET /calls", staff, s.callsPage},
		{"GET /calls/live", staff, s.callsLive},
		{"GET /calls/{callId}", staff, s.callPage},
		{"GET /calls/{callId}/recording", staff, s.callRecording},
		{"POST /callbacks/{id}/done", staff, s.callbackDonePage},
		{"POST /callbacks/{id}/note", staff, s.callbackNotePage},
		{"GET /messages", staff, s.messagesPage},
		{"POST /messages/inbound/{id}/reply", staff, s.replyPage},
		{"POST /messages/inbound/{id}/handled", staff, s.handledPage},
		{"POST /messages/texts/{id}/retry", staff, s.retryPage},
		{"POST /messages/opt-outs", staff, s.stopTextingPage},
		{"GET /patients", staff, s.patientPage},
		{"POST /patients/export", owner, s.exportPatientPage},
		{"POST /patients/erase", owner, s.erasePatientPage},
		{"GET /insights", staff, s.insightsPage},
		{"GET /calendar", staff, s.calendarPage},
		{"POST /calendar/book", staff, s.calendarBook},
		{"POST /calendar/bookings/{id}/cancel", staff, s.calendarCancel},
		{"POST /calendar/bookings/{id}/move", staff, s.calendarMove},

		{"GET /team", admin, s.teamPage},
		{"POST /team", admin, s.teamAdd},
		{"POST /team/{userId}/role", admin, s.teamSetRole},
		{"POST /team/{userId}/remove", admin, s.teamRemove},
		{"POST /team/{userId}/password", admin, s.teamResetPassword},

		{"GET /integrations", admin, s.integrationsPage},
		{"POST /integrations/vapi", admin, s.vapiKeySubmit},
		{"POST /integrations/vapi/disconnect", admin, s.vapiDisconnect},
		{"POST /integrations/numbers", admin, s.numberSubmit},
		{"POST /integrations/numbers/remove", admin, s.numberRemove},
		{"POST /integrations/secret", admin, s.secretRotate},
		{"POST /integrations/twilio", admin, s.twilioSubmit},
		{"POST /integrations/twilio/disconnect", admin, s.twilioDisconnect},
		{"POST /integrations/calendars/connect", admin, s.calendarConnect},
		{"POST /integrations/connections/{id}/disconnect", admin, s.calendarDisconnect},

		{"GET /outbound", admin, s.outboundPage},
		{"POST /outbound/campaigns", admin, s.campaignSubmit},
		{"POST /outbound/campaigns/{id}/start", admin, s.campaignAction},
		{"POST /outbound/campaigns/{id}/pause", admin, s.campaignAction},
		{"POST /outbound/campaigns/{id}/resume", admin, s.campaignAction},
		{"POST /outbound/campaigns/{id}/cancel", admin, s.campaignAction},
		{"POST /outbound/contacts/import", admin, s.contactsImportPage},
		{"GET /outbound/contacts.csv", admin, s.contactsCSV},
		{"POST /outbound/do-not-call", admin, s.doNotCallPage},

		{"GET /audit", owner, s.auditPage},
		{"GET /audit/access.csv", owner, s.accessCSV},

		{"GET /settings/clinic", admin, s.clinicPage},
		{"POST /settings/clinic/name", admin, s.clinicNameSubmit},
		{"POST /settings/clinic/rules", admin, s.clinicRulesSubmit},
		{"POST /settings/clinic/retention", admin, s.clinicRetentionSubmit},
		{"POST /settings/clinic/articles", admin, s.articleSubmit},
		{"POST /settings/clinic/articles/{id}/delete", admin, s.articleDelete},

		{"GET /settings/hours", admin, s.hoursPage},
		{"POST /settings/hours", admin, s.hoursSubmit},
		{"POST /settings/closures", admin, s.closureSubmit},
		{"POST /settings/closures/{id}/delete", admin, s.closureDelete},

		{"GET /settings/services", admin, s.servicesPage},
		{"POST /settings/services", admin, s.serviceSubmit},
		{"POST /settings/services/{id}", admin, s.serviceSubmit},
		{"POST /settings/services/{id}/delete", admin, s.serviceDelete},
		{"POST /settings/resources", admin, s.resourceSubmit},
		{"POST /settings/resources/{id}", admin, s.resourceSubmit},
		{"POST /settings/resources/{id}/delete", admin, s.resourceDelete},

		{"GET /settings/receptionist", admin, s.receptionistPage},
		{"POST /settings/receptionist", admin, s.receptionistSubmit},

		{"/", public, s.notFoundPage},
	}
}

// mux serves the routes, each behind its access check.
func (s *Server) mux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.pattern, s.handle(s.guard(rt)))
	}
	mux.Handle("/", s.pagesHandler())
	return mux
}

// Access maps every route's pattern to who may call it ("public",
// "signed-in", or the least role), for the tests that walk every route.
func (s *Server) Access() map[string]string {
	out := map[string]string{}
	for _, rt := range s.routes() {
		out[rt.pattern] = rt.access.String()
	}
	return out
}

// PageAccess maps every page's pattern to who may open it, as Access.
func (s *Server) PageAccess() map[string]string {
	out := map[string]string{}
	for _, pg := range s.pages() {
		out[pg.pattern] = pg.access.String()
	}
	return out
}

func (a access) String() string {
	switch a {
	case public:
		return "public"
	case signedIn:
		return "signed-in"
	}
	return string(minRole[a])
}
