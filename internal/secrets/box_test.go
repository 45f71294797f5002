package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"testing"
)

func key() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// Values sealed under an older key, or before versions were marked, open
// with a keyring holding that key; Reseal moves them to the current key;
// nothing opens for another clinic or without its key.
func TestKeyringOpensOldAndSealsNew(t *testing.T) {
	k1, k2 := key(), key()
	old, _ := NewBox(k1)
	clinic := []byte("clinic-a")
	v1 := old.Seal([]byte("twilio token"), clinic)
	// The format before versions: nonce and ciphertext only.
	block, _ := aes.NewCipher(k1)
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	legacy := aead.Seal(nonce, nonce, []byte("vapi secret"), clinic)

	ring, err := NewKeyring(map[byte][]byte{1: k1, 2: k2})
	if err != nil {
		t.Fatal(err)
	}
	if ring.Current() != 2 || Version(v1) != 1 || Version(ring.Seal([]byte("x"), clinic)) != 2 {
		t.Fatalf("versions: current %d, v1 %d", ring.Current(), Version(v1))
	}
	for _, c := range []struct {
		sealed []byte
		want   string
	}{{v1, "twilio token"}, {legacy, "vapi secret"}} {
		got, err := ring.Open(c.sealed, clinic)
		if err != nil || string(got) != c.want {
			t.Fatalf("open: %q %v", got, err)
		}
		if _, err := ring.Open(c.sealed, []byte("clinic-b")); err == nil {
			t.Fatal("opened for another clinic")
		}
		resealed, changed, err := ring.Reseal(c.sealed, clinic)
		if err != nil || !changed || Version(resealed) != 2 {
			t.Fatalf("reseal: %v %v %d", changed, err, Version(resealed))
		}
		again, changed, _ := ring.Reseal(resealed, clinic)
		if changed || !bytes.Equal(again, resealed) {
			t.Fatal("resealed a value already under the current key")
		}
		// After rotation, the old key can go.
		onlyNew, _ := NewKeyring(map[byte][]byte{2: k2})
		if got, err := onlyNew.Open(resealed, clinic); err != nil || string(got) != c.want {
			t.Fatalf("open with the new key alone: %q %v", got, err)
		}
		if _, err := onlyNew.Open(c.sealed, clinic); err == nil {
			t.Fatal("the new key alone opened a value of the old")
		}
	}
	// The signing key stays the lowest version's, for the same values.
	if !bytes.Equal(old.MACKey(), ring.MACKey()) {
		t.Fatal("the signing key changed with a new key")
	}
}

func TestParseKeys(t *testing.T) {
	a, b := base64.StdEncoding.EncodeToString(key()), base64.StdEncoding.EncodeToString(key())
	keys, err := ParseKeys("2:" + b + ", 1:" + a)
	if err != nil || len(keys) != 2 {
		t.Fatalf("%v %d", err, len(keys))
	}
	if keys, err := ParseKeys(a); err != nil || len(keys[1]) != 32 {
		t.Fatalf("a lone key: %v", err)
	}
	for _, bad := range []string{"", "0:" + a, "x:" + a, "1:" + a + ",1:" + b, "1:short"} {
		if _, err := ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}
