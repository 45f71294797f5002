package identity

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"frontdesk"
)

// Claims are what Frontdesk reads from a token. app_metadata is set by the
// issuer (Frontdesk, or Supabase's admin API) and may name a default clinic;
// the user-editable metadata claim is deliberately not decoded.
type Claims struct {
	jwt.RegisteredClaims
	AppMetadata struct {
		OrgID string `json:"org_id,omitempty"`
	} `json:"app_metadata"`
}

// Principal is a verified token's subject.
type Principal struct {
	UserID frontdesk.UserID
	// DefaultOrg is app_metadata.org_id, or zero.
	DefaultOrg frontdesk.OrgID
}

// leeway tolerates small clock differences between issuer and verifier.
const leeway = 30 * time.Second

// Issuer signs Frontdesk's own tokens (EdDSA).
type Issuer struct {
	key      ed25519.PrivateKey
	issuer   string
	audience string
}

// NewIssuer returns an Issuer for key.
func NewIssuer(key ed25519.PrivateKey, issuer, audience string) *Issuer {
	return &Issuer{key: key, issuer: issuer, audience: audience}
}

// Issue returns a token for user, valid for ttl, optionally naming a default
// clinic (app_metadata.org_id).
func (i *Issuer) Issue(user frontdesk.UserID, org frontdesk.OrgID, ttl time.Duration) (string, error) {
	now := time.Now()
	c := Claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    i.issuer,
		Subject:   user.String(),
		Audience:  jwt.ClaimStrings{i.audience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	if !org.IsZero() {
		c.AppMetadata.OrgID = org.String()
	}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(i.key)
}

// VerifierConfig says which tokens are accepted.
type VerifierConfig struct {
	// Own tokens: Frontdesk's public key, issuer and audience.
	PublicKey ed25519.PublicKey
	Issuer    string
	Audience  string
	// Optional external tokens (Supabase-style), verified against a JWKS.
	JWKSURL      string
	JWKSIssuer   string
	JWKSAudience string
}

// Verifier checks bearer tokens: the signature with a pinned algorithm, and
// iss, aud and exp, all required.
type Verifier struct {
	cfg      VerifierConfig
	own      *jwt.Parser
	external *jwt.Parser
	jwks     keyfunc.Keyfunc
}

// NewVerifier builds a Verifier. With a JWKS URL it starts fetching (and
// periodically refreshing) the key set in the background until ctx ends.
func NewVerifier(ctx context.Context, cfg VerifierConfig) (*Verifier, error) {
	v := &Verifier{
		cfg: cfg,
		own: jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience), jwt.WithExpirationRequired(), jwt.WithLeeway(leeway)),
	}
	if cfg.JWKSURL != "" {
		if cfg.JWKSIssuer == "" || cfg.JWKSAudience == "" {
			return nil, errors.New("FRONTDESK_JWKS_URL needs FRONTDESK_JWKS_ISSUER and FRONTDESK_JWKS_AUDIENCE")
		}
		k, err := keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
		if err != nil {
			return nil, fmt.Errorf("JWKS %s: %w", cfg.JWKSURL, err)
		}
		v.jwks = k
		v.external = jwt.NewParser(jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}),
			jwt.WithIssuer(cfg.JWKSIssuer), jwt.WithAudience(cfg.JWKSAudience),
			jwt.WithExpirationRequired(), jwt.WithLeeway(leeway))
	}
	return v, nil
}

// Verify returns the token's principal, or an error wrapping
// frontdesk.ErrUnauthorized.
func (v *Verifier) Verify(token string) (Principal, error) {
	// The unverified issuer only selects which verifier (key, algorithms,
	// issuer) to apply; that verifier then checks everything again.
	var peek jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &peek); err != nil {
		return Principal{}, unauthorized("malformed token")
	}
	var claims Claims
	var err error
	switch {
	case peek.Issuer == v.cfg.Issuer:
		_, err = v.own.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return v.cfg.PublicKey, nil })
	case v.jwks != nil && peek.Issuer == v.cfg.JWKSIssuer:
		_, err = v.external.ParseWithClaims(token, &claims, v.jwks.Keyfunc)
	default:
		return Principal{}, unauthorized("unknown issuer")
	}
	if err != nil {
		return Principal{}, unauthorized(err.Error())
	}
	user, err := frontdesk.ParseUserID(claims.Subject)
	if err != nil {
		return Principal{}, unauthorized("subject is not a user id")
	}
	p := Principal{UserID: user}
	if claims.AppMetadata.OrgID != "" {
		if p.DefaultOrg, err = frontdesk.ParseOrgID(claims.AppMetadata.OrgID); err != nil {
			return Principal{}, unauthorized("app_metadata.org_id is not an organization id")
		}
	}
	return p, nil
}

func unauthorized(reason string) error {
	return fmt.Errorf("%w: %s", frontdesk.ErrUnauthorized, reason)
}

// LoadOrCreateKey reads an Ed25519 private key (PKCS #8 PEM) from path; if
// create is set and the file does not exist, it generates one there (0600).
func LoadOrCreateKey(path string, create bool) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
			return nil, fmt.Errorf("write signing key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("signing key %s: not PEM", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not an Ed25519 key", path)
	}
	return key, nil
}
