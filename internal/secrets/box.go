// Package secrets keeps provider credentials encrypted at rest: AES-256-GCM
// under keys from configuration (FRONTDESK_SECRET_KEYS, or the single
// FRONTDESK_SECRET_KEY as version 1), each ciphertext bound to its clinic
// so a row copied into another clinic does not open, and marked with the
// version of the key that sealed it: the current key seals, every key
// opens, and `frontdesk keys rotate` re-seals under the current one.
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
	"slices"
	"strconv"
	"strings"
)

// Box seals and opens secrets, and signs short-lived values (OAuth state).
type Box struct {
	keys    map[byte]cipher.AEAD
	current byte
	macKey  []byte
}

// marker starts every sealed value since versions: then the key's version,
// the nonce and the ciphertext. A value without it (sealed before) opens
// with any key.
const marker = 0xFD

// NewBox returns a Box for one 32-byte key, version 1.
func NewBox(key []byte) (*Box, error) { return NewKeyring(map[byte][]byte{1: key}) }

// NewKeyring returns a Box over several keys by version (1 to 255): the
// highest seals, all open. The signing and hashing key is derived from the
// lowest until SetMACKey replaces it (the server keeps its own, stable
// across rotations, in the database).
func NewKeyring(keys map[byte][]byte) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("no secret key")
	}
	b := &Box{keys: map[byte]cipher.AEAD{}}
	lowest := byte(255)
	for v, key := range keys {
		if v == 0 {
			return nil, errors.New("secret key versions start at 1")
		}
		if len(key) != 32 {
			return nil, fmt.Errorf("secret key %d must be 32 bytes, got %d", v, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		b.keys[v] = aead
		b.current = max(b.current, v)
		if v <= lowest {
			lowest = v
			// A separate key for signatures, derived from the same secret.
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte("frontdesk signing key"))
			b.macKey = mac.Sum(nil)
		}
	}
	return b, nil
}

// Current is the version of the key that seals.
func (b *Box) Current() byte { return b.current }

// Versions are the versions of the keys the box holds.
func (b *Box) Versions() []byte {
	var out []byte
	for v := range b.keys {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// MACKey is the signing and hashing key, to be kept (sealed) where every
// process finds it.
func (b *Box) MACKey() []byte { return b.macKey }

// SetMACKey makes key the signing and hashing key.
func (b *Box) SetMACKey(key []byte) { b.macKey = key }

// Version is the version of the key that sealed a value (0 for a value
// sealed before versions were marked).
func Version(sealed []byte) byte {
	if len(sealed) > 2 && sealed[0] == marker {
		return sealed[1]
	}
	return 0
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

// Seal encrypts plaintext under the current key; context (the clinic id)
// must be given again to open it.
func (b *Box) Seal(plaintext, context []byte) []byte {
	aead := b.keys[b.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // the system's randomness failed; nothing can be sealed safely
	}
	return aead.Seal(append([]byte{marker, b.current}, nonce...), nonce, plaintext, context)
}

// Open decrypts what Seal returned for the same context, under the key of
// the version it names (or, for a value from before versions, any key).
func (b *Box) Open(sealed, context []byte) ([]byte, error) {
	if v := Version(sealed); v != 0 {
		if aead, ok := b.keys[v]; ok {
			if out, err := open(aead, sealed[2:], context); err == nil {
				return out, nil
			}
		}
	}
	for _, v := range b.Versions() { // from before versions (or a nonce that looked like a marker)
		if out, err := open(b.keys[v], sealed, context); err == nil {
			return out, nil
		}
	}
	return nil, errors.New("secret does not open with these keys and this clinic")
}

func open(aead cipher.AEAD, sealed, context []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed secret too short")
	}
	return aead.Open(nil, sealed[:n], sealed[n:], context)
}

// Reseal opens sealed and seals it again under the current key; a value
// already under it comes back unchanged, with changed false.
func (b *Box) Reseal(sealed, context []byte) (out []byte, changed bool, err error) {
	if Version(sealed) == b.current {
		if _, err := open(b.keys[b.current], sealed[2:], context); err == nil {
			return sealed, false, nil
		}
	}
	plain, err := b.Open(sealed, context)
	if err != nil {
		return nil, false, err
	}
	return b.Seal(plain, context), true, nil
}

// ParseKeys reads FRONTDESK_SECRET_KEYS: "version:key" pairs (keys in
// base64) separated by commas, spaces or lines; a lone key is version 1.
func ParseKeys(s string) (map[byte][]byte, error) {
	out := map[byte][]byte{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		version, key := "1", f
		if v, k, ok := strings.Cut(f, ":"); ok {
			version, key = v, k
		}
		n, err := strconv.Atoi(version)
		if err != nil || n < 1 || n > 255 {
			return nil, fmt.Errorf("secret key version %q: must be a number from 1 to 255", version)
		}
		k, err := ParseKey(key)
		if err != nil {
			return nil, fmt.Errorf("secret key %d: %w", n, err)
		}
		if _, dup := out[byte(n)]; dup {
			return nil, fmt.Errorf("secret key version %d given twice", n)
		}
		out[byte(n)] = k
	}
	if len(out) == 0 {
		return nil, errors.New("no secret key given")
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
