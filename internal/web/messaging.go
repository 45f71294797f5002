package web

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"frontdesk"
	"frontdesk/internal/messaging"
	"frontdesk/internal/providers/twilio"
)

// The clinic's own Twilio account (admins), its message log (members),
// and Twilio's status and inbound webhooks.

func (s *Server) getTwilio(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Messaging.Settings(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) putTwilio(w http.ResponseWriter, r *http.Request, m member) error {
	var in messaging.Settings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Messaging.SetSettings(r.Context(), m.Org, in)
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) deleteTwilio(w http.ResponseWriter, r *http.Request, m member) error {
	return reply(w, s.app.Messaging.DeleteSettings(r.Context(), m.Org), http.StatusNoContent, nil)
}

func (s *Server) listSMS(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Messaging.Messages(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"messages": out})
}

// listInboundSMS shows staff what patients texted the clinic.
func (s *Server) listInboundSMS(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Messaging.InboundMessages(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"messages": out})
}

// listOptOuts lists the numbers the clinic does not text.
func (s *Server) listOptOuts(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Messaging.OptOuts(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"opt_outs": out})
}

// addOptOut records a patient's wish not to be texted.
func (s *Server) addOptOut(w http.ResponseWriter, r *http.Request, m member) error {
	var in struct {
		Phone string `json:"phone"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	phone, err := s.app.Messaging.StopTexting(r.Context(), m.Org, in.Phone)
	return reply(w, err, http.StatusOK, map[string]any{"phone": phone})
}

// twilioForm reads a Twilio form post and what verifies it: the clinic's
// number (From of a status callback, To of an inbound text) and account,
// and X-Twilio-Signature over the public URL Twilio called (this server's,
// not the address it sees behind a proxy).
func (s *Server) twilioForm(w http.ResponseWriter, r *http.Request, numberField string) (url.Values, messaging.Callback, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, messaging.Callback{}, &httpError{status: http.StatusUnsupportedMediaType, detail: errorDetail{Code: "unsupported_media_type", Message: "form posts only"}}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return nil, messaging.Callback{}, &httpError{status: http.StatusRequestEntityTooLarge, detail: errorDetail{Code: "too_large", Message: "body too large"}}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, messaging.Callback{}, badRequest("", "malformed form body")
	}
	if err := checkValues(form); err != nil {
		return nil, messaging.Callback{}, err
	}
	publicURL := s.publicURL + r.URL.RequestURI()
	sig := r.Header.Get("X-Twilio-Signature")
	return form, messaging.Callback{ClinicNumber: form.Get(numberField), AccountSID: form.Get("AccountSid"),
		Check: func(token string) bool { return twilio.Verify(token, publicURL, form, sig) }}, nil
}

// twilioStatus records a message's status.
func (s *Server) twilioStatus(w http.ResponseWriter, r *http.Request, _ member) error {
	form, cb, err := s.twilioForm(w, r, "From")
	if err != nil {
		return err
	}
	st := messaging.Status{MessageSID: form.Get("MessageSid"), Status: form.Get("MessageStatus")}
	if code, err := strconv.Atoi(form.Get("ErrorCode")); err == nil {
		c := int32(code)
		st.ErrorCode = &c
	}
	org, err := s.app.Messaging.RecordStatus(r.Context(), cb, st)
	if err = s.twilioRefused(r, org, err); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// twilioInbound takes a patient's text and answers with TwiML.
func (s *Server) twilioInbound(w http.ResponseWriter, r *http.Request, _ member) error {
	form, cb, err := s.twilioForm(w, r, "To")
	if err != nil {
		return err
	}
	text := messaging.Text{MessageSID: form.Get("MessageSid"), From: form.Get("From"), Body: form.Get("Body"),
		Action: twilio.Classify(form.Get("Body"))}
	org, answer, err := s.app.Messaging.Receive(r.Context(), cb, text)
	if err = s.twilioRefused(r, org, err); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(twilio.TwiML(answer))
	return nil
}

// twilioRefused logs a callback that failed verification (the response
// says no more than 403) and tags the request with its clinic.
func (s *Server) twilioRefused(r *http.Request, org frontdesk.OrgID, err error) error {
	if ri := info(r.Context()); ri != nil && !org.IsZero() {
		ri.org = org.String()
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "twilio webhook refused", "reason", err.Error())
	}
	return err
}
