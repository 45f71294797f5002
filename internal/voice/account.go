package voice

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/secrets"
)

// The clinic's Vapi account: its private API key proves which phone
// numbers and assistants are the clinic's before Frontdesk routes them,
// so no clinic can claim (or learn about) another's number.

// Account is what is shown of the clinic's Vapi API key: never the key.
type Account struct {
	Configured bool       `json:"configured"`
	KeyHint    string     `json:"key_hint,omitempty"` // its last four characters
	UpdatedAt  *time.Time `json:"updated_at,omitempty"`
	// ProofRequired: without a key, numbers and assistants cannot be
	// registered (false only in development).
	ProofRequired bool `json:"proof_required"`
}

// ErrProviderDown: the voice provider did not answer in time or failed;
// nothing was changed.
var ErrProviderDown = errors.New("Vapi did not answer; nothing was changed, try again shortly")

// Account reads the clinic's Vapi account.
func (s *Service) Account(ctx context.Context, org frontdesk.OrgID) (Account, error) {
	out := Account{ProofRequired: s.requireProof}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.StoredVapiAccount(ctx, org)
		if len(rows) == 1 {
			at := rows[0].UpdatedAt.In(tx.Org.Location)
			out.Configured, out.KeyHint, out.UpdatedAt = true, rows[0].KeyHint, &at
		}
		return err
	})
	return out, err
}

// SetAccount checks the key with Vapi (no transaction open meanwhile) and
// stores it sealed.
func (s *Service) SetAccount(ctx context.Context, org frontdesk.OrgID, key string) (Account, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 200 || strings.ContainsAny(key, " \t\r\n") {
		return Account{}, frontdesk.Invalid("api_key", "is required: the private API key from the Vapi dashboard")
	}
	if _, err := s.api.PhoneNumbers(ctx, key); err != nil {
		return Account{}, providerError(err)
	}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return tx.SaveVapiAccount(ctx, db.SaveVapiAccountParams{OrgID: org, ApiKey: s.secrets.Seal([]byte(key), org[:]), KeyHint: key[max(0, len(key)-4):]})
	})
	if err != nil {
		return Account{}, err
	}
	return s.Account(ctx, org)
}

// DeleteAccount forgets the clinic's key.
func (s *Service) DeleteAccount(ctx context.Context, org frontdesk.OrgID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return postgres.OneRow(tx.DeleteVapiAccount(ctx, org))
	})
}

// apiKey is the clinic's key, opened; "" when it has none.
func (s *Service) apiKey(ctx context.Context, org frontdesk.OrgID) (key string, err error) {
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		key, err = s.APIKeyTx(ctx, tx)
		return err
	})
	return key, err
}

// APIKeyTx is the clinic's Vapi private key, opened, in the caller's
// transaction; "" when it has none.
func (s *Service) APIKeyTx(ctx context.Context, tx *postgres.Tx) (string, error) {
	return APIKey(ctx, tx, s.secrets)
}

// APIKey is the clinic's Vapi private key opened with box, in tx; "" when
// it has none (for the jobs, which have no Service).
func APIKey(ctx context.Context, tx *postgres.Tx, box *secrets.Box) (string, error) {
	rows, err := tx.StoredVapiAccount(ctx, tx.Org.ID)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	plain, err := box.Open(rows[0].ApiKey, tx.Org.ID[:])
	return string(plain), err
}

// ProviderNumber is one phone number of the clinic's Vapi organization.
type ProviderNumber struct {
	ID         string `json:"id"`
	Number     string `json:"number"`
	Name       string `json:"name"`
	Registered bool   `json:"registered"` // routed to this clinic
}

// ProviderNumbers lists the numbers in the clinic's Vapi organization, to
// pick from.
func (s *Service) ProviderNumbers(ctx context.Context, org frontdesk.OrgID) ([]ProviderNumber, error) {
	key, err := s.apiKey(ctx, org)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, frontdesk.Conflict("", "connect the clinic's Vapi account first (PUT /api/integrations/vapi)")
	}
	records, err := s.api.PhoneNumbers(ctx, key)
	if err != nil {
		return nil, providerError(err)
	}
	routes, err := s.Routes(ctx, org, PhoneNumber)
	if err != nil {
		return nil, err
	}
	out := []ProviderNumber{}
	for _, r := range records {
		out = append(out, ProviderNumber{ID: r.ID, Number: r.Number, Name: r.Name,
			Registered: slices.ContainsFunc(routes, func(x Route) bool { return x.Value == r.Number })})
	}
	return out, nil
}

// proveOwnership checks, with the clinic's key ("" for none) and no
// transaction open, that the number or assistant is in the clinic's own
// Vapi organization. Without a key it passes only where proof is not
// required (development).
func (s *Service) proveOwnership(ctx context.Context, key string, kind Kind, value string) error {
	var err error
	field := map[Kind]string{PhoneNumber: "number", Assistant: "assistant_id"}[kind]
	if key == "" {
		if s.requireProof {
			return frontdesk.Conflict(field, "connect the clinic's Vapi account first (PUT /api/integrations/vapi): it proves the "+
				strings.ReplaceAll(string(kind), "_", " ")+" is the clinic's")
		}
		return nil
	}
	var owned bool
	if kind == PhoneNumber {
		records, err := s.api.PhoneNumbers(ctx, key)
		if err != nil {
			return providerError(err)
		}
		owned = slices.ContainsFunc(records, func(r vapi.PhoneNumberRecord) bool { return r.Number == value })
	} else if owned, err = s.api.HasAssistant(ctx, key, value); err != nil {
		return providerError(err)
	}
	if !owned {
		return frontdesk.Invalid(field, "is not in the clinic's Vapi organization (the one its API key belongs to)")
	}
	return nil
}

func providerError(err error) error {
	switch {
	case errors.Is(err, vapi.ErrKeyRefused):
		return frontdesk.Invalid("api_key", "Vapi refused this key: use a private API key of the clinic's Vapi organization")
	case errors.Is(err, vapi.ErrUnavailable):
		return errors.Join(ErrProviderDown, err)
	}
	return err
}
