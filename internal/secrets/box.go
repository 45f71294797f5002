// Package secrets keeps provider credentials encrypted at rest: AES-256-GCM
// under one key from configuration (FRONTDESK_SECRET_KEY), each ciphertext
// bound to its clinic so a row copied into another clinic does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Box seals and opens secrets, and signs short-lived values (OAuth state).
type Box struct {
	aead   cipher.AEAD
	macKey []byte
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// A separate key for signatures, derived from the same secret.
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("frontdesk signing key"))
	return &Box{aead: aead, macKey: mac.Sum(nil)}, nil
}

// Sign returns msg with an HMAC-SHA256, base64url: "msg.mac".
func (b *Box) Sign(msg []byte) string {
	mac := hmac.New(sha256.New, b.macKey)
	mac.Write(msg)
	return base64.RawURLEncoding.EncodeToString(msg) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// Verify returns the message Sign signed, or an error.
func (b *Box) Verify(signed string) ([]byte, error) {
	m, s, ok := strings.Cut(signed, ".")
	msg, err1 := base64.RawURLEncoding.DecodeString(m)
	sum, err2 := base64.RawURLEncoding.DecodeString(s)
	if !ok || err1 != nil || err2 != nil {
		return nil, errors.New("not a signed value")
	}
	mac := hmac.New(sha256.New, b.macKey)
	mac.Write(msg)
	if !hmac.Equal(mac.Sum(nil), sum) {
		return nil, errors.New("signature does not match")
	}
	return msg, nil
}

// Seal encrypts plaintext; context (the clinic id) must be given again to
// open it.
func (b *Box) Seal(plaintext, context []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // the system's randomness failed; nothing can be sealed safely
	}
	return b.aead.Seal(nonce, nonce, plaintext, context)
}

// Open decrypts what Seal returned for the same context.
func (b *Box) Open(sealed, context []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed secret too short")
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], context)
	if err != nil {
		return nil, errors.New("secret does not open with this key and clinic")
	}
	return out, nil
}

// ParseKey reads a key written as base64 (standard or URL alphabet).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("FRONTDESK_SECRET_KEY must be 32 bytes in base64 (`openssl rand -base64 32`)")
}

// LoadOrCreateKeyFile reads a base64 key from path, creating one (0600) if
// the file does not exist.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write secret key: %w", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return ParseKey(string(b))
}

// MAC is an HMAC-SHA256 of msg under the signing key: comparable, but
// neither reversible nor computable without the key (one-time codes are
// kept this way).
func (b *Box) MAC(msg []byte) []byte {
	mac := hmac.New(sha256.New, b.macKey)
	mac.Write(msg)
	return mac.Sum(nil)
}
