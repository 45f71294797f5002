package web

import (
	"errors"
	"net/http"
	"time"

	"frontdesk"
	"frontdesk/internal/receptionist"
	"frontdesk/internal/voice"
)

// Voice setup: which phone numbers and assistants are the clinic's, and the
// secret Vapi presents.

func (s *Server) listPhoneNumbers(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Voice.Routes(r.Context(), m.Org, voice.PhoneNumber)
	return reply(w, err, http.StatusOK, map[string]any{"phone_numbers": out})
}

func (s *Server) listAssistants(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Voice.Routes(r.Context(), m.Org, voice.Assistant)
	return reply(w, err, http.StatusOK, map[string]any{"assistants": out})
}

func (s *Server) addPhoneNumber(w http.ResponseWriter, r *http.Request, m member) error {
	var req struct {
		Number string `json:"number"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	out, err := s.app.Voice.AddRoute(r.Context(), m.Org, voice.PhoneNumber, req.Number)
	return reply(w, err, http.StatusCreated, out)
}

func (s *Server) addAssistant(w http.ResponseWriter, r *http.Request, m member) error {
	var req struct {
		AssistantID string `json:"assistant_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	out, err := s.app.Voice.AddRoute(r.Context(), m.Org, voice.Assistant, req.AssistantID)
	return reply(w, err, http.StatusCreated, out)
}

func (s *Server) deletePhoneNumber(w http.ResponseWriter, r *http.Request, m member) error {
	err := s.app.Voice.DeleteRoute(r.Context(), m.Org, voice.PhoneNumber, r.PathValue("number"))
	return reply(w, err, http.StatusNoContent, nil)
}

func (s *Server) deleteAssistant(w http.ResponseWriter, r *http.Request, m member) error {
	err := s.app.Voice.DeleteRoute(r.Context(), m.Org, voice.Assistant, r.PathValue("assistantId"))
	return reply(w, err, http.StatusNoContent, nil)
}

// rotateVoiceSecret makes a new secret, shown once, with the Vapi
// credentials to paste; the previous secrets keep working for a grace
// period (default 24 h) while Vapi is updated.
func (s *Server) rotateVoiceSecret(w http.ResponseWriter, r *http.Request, m member) error {
	var req struct {
		// GraceHours is how long the previous secrets keep working.
		GraceHours *float64 `json:"grace_hours"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	rot, err := s.app.Voice.RotateSecret(r.Context(), m.Org, req.GraceHours)
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "voice secret rotated", "previous_valid_until", rot.PreviousExpire)
	url := s.publicURL + "/api/webhooks/vapi"
	writeJSON(w, http.StatusCreated, map[string]any{
		"secret":                  rot.Secret,
		"shown_once":              true,
		"previous_secrets_expire": rot.PreviousExpire,
		"webhook_url":             url,
		// Paste one of these into Vapi (POST /credential), then set the
		// credential on the phone numbers' and assistants' server.
		"vapi_bearer_credential": map[string]any{"provider": "webhook", "name": "frontdesk",
			"authenticationPlan": map[string]any{"type": "bearer", "token": rot.Secret}},
		"vapi_hmac_credential": map[string]any{"provider": "webhook", "name": "frontdesk-hmac",
			"authenticationPlan": map[string]any{"type": "hmac", "secretKey": rot.Secret, "algorithm": "sha256"}},
		"vapi_server": map[string]any{"url": url, "credentialId": "<id of the credential above>"},
	})
	return nil
}

func (s *Server) getReceptionist(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Receptionist.Profile(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) putReceptionist(w http.ResponseWriter, r *http.Request, m member) error {
	var in receptionist.Profile
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Receptionist.SetProfile(r.Context(), m.Org, in)
	return reply(w, err, http.StatusOK, out)
}

// exportAssistant is the assistant Frontdesk serves on every call, for an
// operator who prefers a fixed assistant in Vapi. It carries the clinic's
// server secret: admins only.
func (s *Server) exportAssistant(w http.ResponseWriter, r *http.Request, m member) error {
	a, err := s.app.Receptionist.Assistant(r.Context(), m.Org, time.Now())
	if errors.Is(err, receptionist.ErrNoSecret) {
		return frontdesk.Conflict("", err.Error())
	}
	return reply(w, err, http.StatusOK, map[string]any{"assistant": a})
}

// The clinic's Vapi account: its private API key, write-only.

func (s *Server) getVapi(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Voice.Account(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) putVapi(w http.ResponseWriter, r *http.Request, m member) error {
	var req struct {
		APIKey string `json:"api_key"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	out, err := s.app.Voice.SetAccount(r.Context(), m.Org, req.APIKey)
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) deleteVapi(w http.ResponseWriter, r *http.Request, m member) error {
	return reply(w, s.app.Voice.DeleteAccount(r.Context(), m.Org), http.StatusNoContent, nil)
}

func (s *Server) listVapiNumbers(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Voice.ProviderNumbers(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"phone_numbers": out})
}
