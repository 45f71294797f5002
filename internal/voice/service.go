// Package voice owns a clinic's voice-agent setup: which phone numbers and
// assistants are the clinic's, the secret the provider presents on every
// callback, and the verification of those callbacks before anything in
// them is used.
package voice

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/secrets"
	"frontdesk/internal/tel"
)

// Service is the voice setup and the door for the provider's callbacks.
type Service struct {
	store   *postgres.Store
	secrets *secrets.Box
	calls   *calls.Service
	api     *vapi.API
	// requireProof: a number or assistant is registered only once the
	// clinic's Vapi API key shows it is the clinic's.
	requireProof bool
}

// NewService returns the voice service; api is Vapi's REST API, and
// requireProof refuses registrations no API key proves (off only in
// development).
func NewService(store *postgres.Store, box *secrets.Box, cs *calls.Service, api *vapi.API, requireProof bool) *Service {
	return &Service{store: store, secrets: box, calls: cs, api: api, requireProof: requireProof}
}

// Kind is what a route names: a phone number or an assistant.
type Kind string

const (
	PhoneNumber Kind = "phone_number"
	Assistant   Kind = "assistant"
)

// Route is one of the clinic's phone numbers or assistants.
type Route struct {
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
}

// Routes lists the clinic's numbers or assistants.
func (s *Service) Routes(ctx context.Context, org frontdesk.OrgID, kind Kind) ([]Route, error) {
	out := []Route{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListVoiceRoutes(ctx, db.ListVoiceRoutesParams{OrgID: org, Kind: string(kind)})
		for _, row := range rows {
			out = append(out, Route{Value: row.Value, CreatedAt: row.CreatedAt.In(tx.Org.Location)})
		}
		return err
	})
	return out, err
}

// AddRoute registers a number (any spelling; stored in E.164) or an
// assistant id for the clinic, once the clinic's Vapi API key shows it is
// in the clinic's Vapi organization (checked with no transaction open).
// One held by another clinic is a conflict that does not say which.
func (s *Service) AddRoute(ctx context.Context, org frontdesk.OrgID, kind Kind, value string) (Route, error) {
	var (
		out    Route
		v, key string
	)
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if v, err = routeValue(kind, value, tx.Org.Country); err != nil {
			return err
		}
		key, err = s.APIKeyTx(ctx, tx)
		return err
	})
	if err != nil {
		return out, err
	}
	if err := s.proveOwnership(ctx, key, kind, v); err != nil {
		return out, err
	}
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		out = Route{Value: v, CreatedAt: time.Now().In(tx.Org.Location)}
		err = tx.AddVoiceRoute(ctx, db.AddVoiceRouteParams{OrgID: org, Kind: string(kind), Value: v})
		if errors.Is(err, frontdesk.ErrConflict) {
			return frontdesk.Conflict("", "this "+strings.ReplaceAll(string(kind), "_", " ")+" is already registered")
		}
		return err
	})
	return out, err
}

func routeValue(kind Kind, value, country string) (string, error) {
	if kind == PhoneNumber {
		n, err := tel.Valid(value, country)
		if err != nil {
			return "", frontdesk.Invalid("number", "%s", err.Error())
		}
		return n, nil
	}
	// Vapi assistant ids are UUIDs.
	v := strings.TrimSpace(value)
	id, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		return "", frontdesk.Invalid("assistant_id", "must be a Vapi assistant id (a UUID)")
	}
	return id.String(), nil
}

// DeleteRoute removes one of the clinic's numbers or assistants.
func (s *Service) DeleteRoute(ctx context.Context, org frontdesk.OrgID, kind Kind, value string) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return postgres.OneRow(tx.DeleteVoiceRoute(ctx, db.DeleteVoiceRouteParams{OrgID: org, Kind: string(kind), Value: value}))
	})
}

// Rotated is a new server secret, shown once.
type Rotated struct {
	Secret string
	// PreviousExpire is when the secrets it replaces stop working.
	PreviousExpire time.Time
}

// RotateSecret makes a new secret and lets the previous ones work for
// grace (default 24 h, at most 30 days) while the provider is updated.
func (s *Service) RotateSecret(ctx context.Context, org frontdesk.OrgID, graceHours *float64) (Rotated, error) {
	grace := 24 * time.Hour
	if graceHours != nil {
		if *graceHours < 0 || *graceHours > 24*30 {
			return Rotated{}, frontdesk.Invalid("grace_hours", "must be between 0 and 720")
		}
		grace = time.Duration(*graceHours * float64(time.Hour))
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Rotated{}, err
	}
	out := Rotated{Secret: base64.RawURLEncoding.EncodeToString(raw), PreviousExpire: time.Now().Add(grace).UTC()}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		if err := tx.ExpireVoiceSecrets(ctx, db.ExpireVoiceSecretsParams{OrgID: org, ExpiresAt: &out.PreviousExpire}); err != nil {
			return err
		}
		return tx.AddVoiceSecret(ctx, db.AddVoiceSecretParams{OrgID: org, Ciphertext: s.secrets.Seal([]byte(out.Secret), org[:])})
	})
	return out, err
}

// ErrUnverified: the callback does not carry a current secret of the
// clinic it names.
var ErrUnverified = errors.New("request not verified")

// Check is the provider's own signature rule, given the clinic's current
// secrets: nil when the request carries one of them.
type Check func(secrets [][]byte) error

// Verify checks a callback against the clinic's current secrets.
func (s *Service) Verify(ctx context.Context, org frontdesk.OrgID, check Check) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error { return s.verifyTx(ctx, tx, check) })
}

// Event reads a verified callback's call event (the provider's
// translation); it is called only after the callback is verified.
type Event func() (calls.Event, error)

// RecordEvent verifies a callback and records its call event, in one
// transaction.
func (s *Service) RecordEvent(ctx context.Context, org frontdesk.OrgID, check Check, event Event) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		if err := s.verifyTx(ctx, tx, check); err != nil {
			return err
		}
		ev, err := event()
		if err != nil {
			return err
		}
		return s.calls.ApplyTx(ctx, tx, ev)
	})
}

// OpenCall verifies a callback and makes sure the call it names has its
// row (tool calls can come first), returning the call's id.
func (s *Service) OpenCall(ctx context.Context, org frontdesk.OrgID, check Check, event Event) (frontdesk.CallID, error) {
	var id frontdesk.CallID
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		if err := s.verifyTx(ctx, tx, check); err != nil {
			return err
		}
		ev, err := event()
		if err != nil {
			return err
		}
		id, err = s.calls.EnsureTx(ctx, tx, ev)
		return err
	})
	return id, err
}

// Route is the clinic that holds phoneNumber and/or assistantID, or
// frontdesk.ErrNotFound when none does or the two name different clinics.
// Nothing of the callback is trusted yet: it only says whose secrets to
// verify it with.
func (s *Service) Route(ctx context.Context, phoneNumber, assistantID string) (frontdesk.OrgID, error) {
	return s.store.VapiRouteOrg(ctx, phoneNumber, assistantID)
}

func (s *Service) verifyTx(ctx context.Context, tx *postgres.Tx, check Check) error {
	sealed, err := tx.ActiveVoiceSecrets(ctx, tx.Org.ID)
	if err != nil {
		return err
	}
	var keys [][]byte
	var unopened error
	for _, c := range sealed {
		k, err := s.secrets.Open(c, tx.Org.ID[:])
		if err != nil {
			unopened = err
			continue
		}
		keys = append(keys, k)
	}
	if err := check(keys); err != nil {
		if unopened != nil {
			return errors.Join(ErrUnverified, err, errors.New("a stored secret does not open: "+unopened.Error()))
		}
		return errors.Join(ErrUnverified, err)
	}
	return nil
}
