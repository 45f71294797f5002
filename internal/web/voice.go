package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Voice setup: which phone numbers and assistants are the clinic's, and the
// secret Vapi presents. Admins and owners only.

const (
	routePhone     = "phone_number"
	routeAssistant = "assistant"
)

type voiceRoute struct {
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) listPhoneNumbers(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	return s.listRoutes(w, r, org, routePhone)
}

func (s *Server) listAssistants(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	return s.listRoutes(w, r, org, routeAssistant)
}

func (s *Server) listRoutes(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID, kind string) error {
	out := []voiceRoute{}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		rows, err := tx.ListVoiceRoutes(r.Context(), db.ListVoiceRoutesParams{OrgID: org, Kind: kind})
		for _, row := range rows {
			out = append(out, voiceRoute{Value: row.Value, CreatedAt: row.CreatedAt.In(tx.Org.Location)})
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{kind + "s": out})
	return nil
}

type phoneNumberRequest struct {
	Number string `json:"number"`
}

type assistantRequest struct {
	AssistantID string `json:"assistant_id"`
}

func (s *Server) addPhoneNumber(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var req phoneNumberRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	return s.addRoute(w, r, org, routePhone, func(c frontdesk.Clinic) (string, error) {
		n, err := calls.NormalizePhone(req.Number, c.Country)
		if err != nil || !strings.HasPrefix(n, "+") {
			return "", frontdesk.Invalid("number", "must be a phone number, e.g. +15125550100")
		}
		return n, nil
	})
}

func (s *Server) addAssistant(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var req assistantRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	return s.addRoute(w, r, org, routeAssistant, func(frontdesk.Clinic) (string, error) {
		// Vapi assistant ids are UUIDs.
		id, err := uuid.Parse(strings.TrimSpace(req.AssistantID))
		if err != nil || len(strings.TrimSpace(req.AssistantID)) != 36 {
			return "", frontdesk.Invalid("assistant_id", "must be a Vapi assistant id (a UUID)")
		}
		return id.String(), nil
	})
}

// addRoute registers a number or assistant for the clinic. One held by
// another clinic is a 409 that does not say which.
func (s *Server) addRoute(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID, kind string,
	value func(frontdesk.Clinic) (string, error)) error {
	var out voiceRoute
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		v, err := value(tx.Org)
		if err != nil {
			return err
		}
		out = voiceRoute{Value: v, CreatedAt: time.Now().In(tx.Org.Location)}
		return tx.AddVoiceRoute(r.Context(), db.AddVoiceRouteParams{OrgID: org, Kind: kind, Value: v})
	})
	if errors.Is(err, frontdesk.ErrConflict) {
		return &httpError{status: http.StatusConflict, detail: errorDetail{Code: "conflict",
			Message: "this " + strings.ReplaceAll(kind, "_", " ") + " is already registered"}}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) deletePhoneNumber(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	return s.deleteRoute(w, r, org, routePhone, r.PathValue("number"))
}

func (s *Server) deleteAssistant(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	return s.deleteRoute(w, r, org, routeAssistant, r.PathValue("assistantId"))
}

func (s *Server) deleteRoute(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID, kind, value string) error {
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		n, err := tx.DeleteVoiceRoute(r.Context(), db.DeleteVoiceRouteParams{OrgID: org, Kind: kind, Value: value})
		if err == nil && n == 0 {
			return frontdesk.ErrNotFound
		}
		return err
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type rotateRequest struct {
	// GraceHours is how long the previous secrets keep working.
	GraceHours *float64 `json:"grace_hours"`
}

// rotateVoiceSecret makes a new secret, shown once, and lets the previous
// ones work for a grace period (default 24 h) while Vapi is updated.
func (s *Server) rotateVoiceSecret(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	req := rotateRequest{}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	grace := 24 * time.Hour
	if req.GraceHours != nil {
		if *req.GraceHours < 0 || *req.GraceHours > 24*30 {
			return frontdesk.Invalid("grace_hours", "must be between 0 and 720")
		}
		grace = time.Duration(*req.GraceHours * float64(time.Hour))
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	expires := time.Now().Add(grace)
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		if err := tx.ExpireVoiceSecrets(r.Context(), db.ExpireVoiceSecretsParams{OrgID: org, ExpiresAt: &expires}); err != nil {
			return err
		}
		return tx.AddVoiceSecret(r.Context(), db.AddVoiceSecretParams{OrgID: org, Ciphertext: s.secrets.Seal([]byte(secret), org[:])})
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "voice secret rotated", "previous_valid_until", expires)
	url := s.publicURL + "/api/webhooks/vapi"
	writeJSON(w, http.StatusCreated, map[string]any{
		"secret":                  secret,
		"shown_once":              true,
		"previous_secrets_expire": expires.UTC(),
		"webhook_url":             url,
		// Paste one of these into Vapi (POST /credential), then set the
		// credential on the phone numbers' and assistants' server.
		"vapi_bearer_credential": map[string]any{"provider": "webhook", "name": "frontdesk",
			"authenticationPlan": map[string]any{"type": "bearer", "token": secret}},
		"vapi_hmac_credential": map[string]any{"provider": "webhook", "name": "frontdesk-hmac",
			"authenticationPlan": map[string]any{"type": "hmac", "secretKey": secret, "algorithm": "sha256"}},
		"vapi_server": map[string]any{"url": url, "credentialId": "<id of the credential above>"},
	})
	return nil
}

// requireRole refuses users below min in the acting clinic.
func requireRole(tx *postgres.Tx, min frontdesk.Role) error {
	if !tx.Role.AtLeast(min) {
		return frontdesk.ErrForbidden
	}
	return nil
}
