package identity_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"frontdesk"
	"frontdesk/internal/identity"
)

type keys struct {
	priv     ed25519.PrivateKey
	verifier *identity.Verifier
	issuer   *identity.Issuer
	rsa      *rsa.PrivateKey
}

// setup builds a verifier that accepts Frontdesk's own tokens and those of
// a JWKS served by a local fake identity provider (RS256).
func setup(t *testing.T) keys {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "idp-1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(rsaKey.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(rsaKey.E)).Bytes()),
		}}})
	}))
	t.Cleanup(jwks.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := identity.NewVerifier(ctx, identity.VerifierConfig{
		PublicKey: priv.Public().(ed25519.PublicKey), Issuer: "frontdesk", Audience: "frontdesk",
		JWKSURL: jwks.URL, JWKSIssuer: "https://idp.test/auth/v1", JWKSAudience: "authenticated",
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys{priv: priv, verifier: v, issuer: identity.NewIssuer(priv, "frontdesk", "frontdesk"), rsa: rsaKey}
}

func claims(user frontdesk.UserID, mutate func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": "frontdesk", "aud": "frontdesk", "sub": user.String(),
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	}
	if mutate != nil {
		mutate(c)
	}
	return c
}

func TestIssuedTokenVerifies(t *testing.T) {
	t.Parallel()
	k := setup(t)
	user, org := frontdesk.NewUserID(), frontdesk.NewOrgID()
	tok, err := k.issuer.Issue(user, org, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.verifier.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != user || p.DefaultOrg != org {
		t.Fatalf("got %+v, want user %s org %s", p, user, org)
	}
}

func TestJWKSTokenVerifies(t *testing.T) {
	t.Parallel()
	k := setup(t)
	user := frontdesk.NewUserID()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(user, func(c jwt.MapClaims) {
		c["iss"], c["aud"] = "https://idp.test/auth/v1", "authenticated"
	}))
	tok.Header["kid"] = "idp-1"
	s, err := tok.SignedString(k.rsa)
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.verifier.Verify(s)
	if err != nil {
		t.Fatalf("JWKS token refused: %v", err)
	}
	if p.UserID != user {
		t.Fatalf("got %s, want %s", p.UserID, user)
	}
}

// Every forged or wrongly signed token is refused as unauthorized.
func TestForgedTokensAreRefused(t *testing.T) {
	t.Parallel()
	k := setup(t)
	user := frontdesk.NewUserID()
	sign := func(c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(k.priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	pub := k.priv.Public().(ed25519.PublicKey)

	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(user, nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	// HS256 keyed with the public key: the classic algorithm confusion.
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(user, nil)).SignedString([]byte(pub))
	if err != nil {
		t.Fatal(err)
	}
	otherSigned, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims(user, nil)).SignedString(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	good := sign(claims(user, nil))
	parts := strings.Split(good, ".")
	tamperedPayload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"frontdesk","aud":"frontdesk","sub":"` +
		frontdesk.NewUserID().String() + `","exp":9999999999}`))
	// RS256 signed by the trusted IdP key but claiming Frontdesk's issuer.
	rsOwnIss, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(user, nil)).SignedString(k.rsa)
	if err != nil {
		t.Fatal(err)
	}

	cases := map[string]string{
		"alg none":                  none,
		"HS256 with the public key": hs,
		"wrong issuer":              sign(claims(user, func(c jwt.MapClaims) { c["iss"] = "someone-else" })),
		"wrong audience":            sign(claims(user, func(c jwt.MapClaims) { c["aud"] = "another-app" })),
		"expired":                   sign(claims(user, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() })),
		"no exp":                    sign(claims(user, func(c jwt.MapClaims) { delete(c, "exp") })),
		"not yet valid":             sign(claims(user, func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })),
		"signed by another key":     otherSigned,
		"bad signature":             parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)),
		"payload swapped":           parts[0] + "." + tamperedPayload + "." + parts[2],
		"RS256 under own issuer":    rsOwnIss,
		"subject not a user id":     sign(claims(user, func(c jwt.MapClaims) { c["sub"] = "admin" })),
		"org claim not an id":       sign(claims(user, func(c jwt.MapClaims) { c["app_metadata"] = map[string]any{"org_id": "all"} })),
		"garbage":                   "not.a.token",
		"empty":                     "",
		"IdP issuer with own EdDSA": sign(claims(user, func(c jwt.MapClaims) { c["iss"], c["aud"] = "https://idp.test/auth/v1", "authenticated" })),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := k.verifier.Verify(tok)
			if !errors.Is(err, frontdesk.ErrUnauthorized) {
				t.Fatalf("got %v, want ErrUnauthorized", err)
			}
		})
	}
}

// user_metadata is editable by the user: an organization named only there
// is not read at all.
func TestUserMetadataDecidesNothing(t *testing.T) {
	t.Parallel()
	k := setup(t)
	user, org := frontdesk.NewUserID(), frontdesk.NewOrgID()
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims(user, func(c jwt.MapClaims) {
		c["user_metadata"] = map[string]any{"org_id": org.String(), "role": "owner"}
	})).SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.verifier.Verify(s)
	if err != nil {
		t.Fatal(err)
	}
	if !p.DefaultOrg.IsZero() {
		t.Fatalf("user_metadata.org_id became the default organization %s", p.DefaultOrg)
	}
}

func TestPasswords(t *testing.T) {
	t.Parallel()
	h, err := identity.HashPassword("s3cret-enough")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q is not argon2id", h)
	}
	if !identity.CheckPassword(h, "s3cret-enough") {
		t.Error("right password refused")
	}
	for _, wrong := range []string{"s3cret-enougH", "", "s3cret-enough "} {
		if identity.CheckPassword(h, wrong) {
			t.Errorf("wrong password %q accepted", wrong)
		}
	}
	if identity.CheckPassword("", "anything") {
		t.Error("a user without a password logged in")
	}
	if _, err := identity.HashPassword("short"); err == nil {
		t.Error("a 5-character password was accepted")
	}
}
