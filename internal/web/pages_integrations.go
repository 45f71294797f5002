package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/calendars"
	"frontdesk/internal/messaging"
	"frontdesk/internal/scheduling"
	"frontdesk/internal/voice"
)

// The integrations page (admins): the clinic's Vapi account, numbers and
// server secret; its Twilio account and what Twilio must call; each
// clinician's and room's Google Calendar.

type integrationsPage struct {
	Vapi          voice.Account
	VapiNumbers   []voice.ProviderNumber
	VapiError     string
	Numbers       []voice.Route
	Assistants    []voice.Route
	Twilio        messaging.Settings
	ReminderHours string
	Errors        map[string]string
	Notice        string
	// Secret is a server secret just made, shown once.
	Secret     string
	WebhookURL string
	TwilioURLs []string
	// Calendars is each clinician's and room's Google Calendar connection;
	// CalendarsOff says Google Calendar is not set up on this server.
	Calendars    []calendarRow
	CalendarsOff bool
}

type calendarRow struct {
	Resource scheduling.ResourceDef
	Conn     *calendars.Connection // nil: not connected
}

func (d integrationsPage) fieldError(name string) string { return d.Errors[name] }

func (s *Server) integrations(w http.ResponseWriter, r *http.Request, v *view, d integrationsPage, status int) error {
	v.nav = "integrations"
	ctx, org := r.Context(), v.m.Org
	var err error
	if d.Vapi, err = s.app.Voice.Account(ctx, org); err != nil {
		return err
	}
	if d.Vapi.Configured {
		d.VapiNumbers, err = s.app.Voice.ProviderNumbers(ctx, org)
		if errors.Is(err, voice.ErrProviderDown) {
			d.VapiError, err = voice.ErrProviderDown.Error(), nil
		}
		if err != nil {
			return err
		}
	}
	if d.Numbers, err = s.app.Voice.Routes(ctx, org, voice.PhoneNumber); err != nil {
		return err
	}
	if d.Assistants, err = s.app.Voice.Routes(ctx, org, voice.Assistant); err != nil {
		return err
	}
	if d.Twilio.AccountSID == "" { // not a form being shown again
		if d.Twilio, err = s.app.Messaging.Settings(ctx, org); err != nil {
			return err
		}
	}
	if d.ReminderHours == "" && d.Twilio.ReminderHoursBefore != nil {
		d.ReminderHours = strconv.Itoa(int(*d.Twilio.ReminderHoursBefore))
	}
	d.CalendarsOff = s.app.Calendars.ConsentOrigin() == ""
	resources, err := s.app.Scheduling.Resources(ctx, org)
	if err != nil {
		return err
	}
	conns, err := s.app.Calendars.Connections(ctx, org)
	if err != nil {
		return err
	}
	for _, res := range resources {
		row := calendarRow{Resource: res}
		for i := range conns {
			if conns[i].ResourceID == res.ID {
				row.Conn = &conns[i]
			}
		}
		d.Calendars = append(d.Calendars, row)
	}
	d.WebhookURL = s.publicURL + "/api/webhooks/vapi"
	d.TwilioURLs = []string{s.publicURL + "/api/webhooks/twilio/inbound", s.publicURL + "/api/webhooks/twilio/status"}
	return s.render(w, v, status, "integrations", "Integrations", d)
}

// notices are what the page says after a change (by key: the URL never
// carries the words themselves).
var notices = map[string]string{
	"vapi": "Vapi account connected.", "vapi-off": "Vapi account disconnected.", "route": "Registered: calls to it now reach this clinic.",
	"route-off": "Removed: its calls no longer reach this clinic.", "twilio": "Twilio account saved.", "twilio-off": "Twilio account disconnected.",
	"calendar": "Google Calendar connected: its busy times now count, and bookings appear in it.", "calendar-off": "Google Calendar disconnected.",
}

func (s *Server) integrationsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.integrations(w, r, v, integrationsPage{Notice: notices[r.URL.Query().Get("done")]}, http.StatusOK)
}

// integrationsDone goes back to the page with what was done, or shows
// the page again with the refusal next to its field.
func (s *Server) integrationsDone(w http.ResponseWriter, r *http.Request, v *view, d integrationsPage, err error, notice string) error {
	if err == nil {
		return errRedirect("/integrations?done=" + notice)
	}
	if fields, status, ok := formRefusal(err); ok {
		d.Errors = fields
		return s.integrations(w, r, v, d, status)
	}
	switch {
	case errors.Is(err, voice.ErrProviderDown):
		d.Errors = map[string]string{"": voice.ErrProviderDown.Error()}
		return s.integrations(w, r, v, d, http.StatusBadGateway)
	case errors.Is(err, calendars.ErrNotConfigured):
		d.Errors = map[string]string{"": calendars.ErrNotConfigured.Error()}
		return s.integrations(w, r, v, d, http.StatusConflict) // a page never answers 5xx for the server's set-up
	}
	return err
}

// calendarConnect sends the admin's browser to Google to connect a
// clinician's or room's calendar (replace: in place of another Google
// account's); Google sends it back to the OAuth callback.
func (s *Server) calendarConnect(w http.ResponseWriter, r *http.Request, v *view) error {
	res, err := frontdesk.ParseResourceID(r.PostFormValue("resource_id"))
	if err != nil {
		return s.integrationsDone(w, r, v, integrationsPage{}, frontdesk.Invalid("resource_id", "choose a clinician or room"), "")
	}
	started, err := s.app.Calendars.Start(r.Context(), v.m.Org, v.m.User, res, r.PostFormValue("replace") != "")
	if err != nil {
		return s.integrationsDone(w, r, v, integrationsPage{}, err, "")
	}
	s.setOAuthCookie(w, started.BrowserNonce)
	return errRedirect(started.URL)
}

// calendarDisconnect disconnects a calendar and revokes the grant.
func (s *Server) calendarDisconnect(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if err := s.app.Calendars.Disconnect(r.Context(), v.m.Org, id); err != nil {
		return err
	}
	return errRedirect("/integrations?done=calendar-off")
}

func (s *Server) vapiKeySubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	_, err := s.app.Voice.SetAccount(r.Context(), v.m.Org, r.PostFormValue("api_key"))
	return s.integrationsDone(w, r, v, integrationsPage{}, err, "vapi")
}

func (s *Server) vapiDisconnect(w http.ResponseWriter, r *http.Request, v *view) error {
	err := s.app.Voice.DeleteAccount(r.Context(), v.m.Org)
	if errors.Is(err, frontdesk.ErrNotFound) {
		err = nil
	}
	return s.integrationsDone(w, r, v, integrationsPage{}, err, "vapi-off")
}

func (s *Server) numberSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	kind, field := voice.PhoneNumber, "number"
	if r.PostFormValue("assistant_id") != "" {
		kind, field = voice.Assistant, "assistant_id"
	}
	_, err := s.app.Voice.AddRoute(r.Context(), v.m.Org, kind, r.PostFormValue(field))
	return s.integrationsDone(w, r, v, integrationsPage{}, err, "route")
}

func (s *Server) numberRemove(w http.ResponseWriter, r *http.Request, v *view) error {
	kind, value := voice.PhoneNumber, r.PostFormValue("number")
	if a := r.PostFormValue("assistant_id"); a != "" {
		kind, value = voice.Assistant, a
	}
	err := s.app.Voice.DeleteRoute(r.Context(), v.m.Org, kind, value)
	return s.integrationsDone(w, r, v, integrationsPage{}, err, "route-off")
}

func (s *Server) secretRotate(w http.ResponseWriter, r *http.Request, v *view) error {
	rot, err := s.app.Voice.RotateSecret(r.Context(), v.m.Org, nil)
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "voice secret rotated", "previous_valid_until", rot.PreviousExpire)
	return s.integrations(w, r, v, integrationsPage{Secret: rot.Secret,
		Notice: "New server secret made. The previous one works until " + rot.PreviousExpire.Format("Mon 2 Jan 15:04 MST") + "."}, http.StatusOK)
}

func (s *Server) twilioSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	in := messaging.Settings{AccountSID: strings.TrimSpace(f.Get("account_sid")), AuthToken: strings.TrimSpace(f.Get("auth_token")),
		FromNumber: f.Get("from_number"), ConfirmationTemplate: f.Get("confirmation_template"), ReminderTemplate: f.Get("reminder_template"),
		QuietStart: f.Get("quiet_start"), QuietEnd: f.Get("quiet_end")}
	d := integrationsPage{Twilio: in, ReminderHours: f.Get("reminder_hours_before")}
	d.Twilio.AuthToken = "" // never shown back
	var err error
	if h := strings.TrimSpace(f.Get("reminder_hours_before")); h != "" {
		n, perr := strconv.Atoi(h)
		if perr != nil {
			err = frontdesk.Invalid("reminder_hours_before", "must be a whole number of hours (0: no reminders)")
		}
		n32 := int32(n)
		in.ReminderHoursBefore = &n32
	}
	if err == nil {
		_, err = s.app.Messaging.SetSettings(r.Context(), v.m.Org, in)
	}
	return s.integrationsDone(w, r, v, d, err, "twilio")
}

func (s *Server) twilioDisconnect(w http.ResponseWriter, r *http.Request, v *view) error {
	err := s.app.Messaging.DeleteSettings(r.Context(), v.m.Org)
	if errors.Is(err, frontdesk.ErrNotFound) {
		err = nil
	}
	return s.integrationsDone(w, r, v, integrationsPage{}, err, "twilio-off")
}
