package vapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxSkew is how far an HMAC timestamp may be from now: older requests are
// refused as replays.
const MaxSkew = 5 * time.Minute

// Verify checks that a request carries one of the clinic's current secrets,
// in any of the forms Vapi sends (shared/providers/vapi.md §3):
//
//   - Authorization: Bearer <secret> (a bearer credential);
//   - X-Vapi-Secret: <secret> (the legacy header, or a bearer credential
//     with headerName X-Vapi-Secret and no prefix);
//   - x-signature: hex HMAC-SHA256(secret, "{x-timestamp}.{body}"), with
//     x-timestamp (seconds or milliseconds) within MaxSkew of now.
//
// Comparisons are constant-time. The error says why, for the log only.
func Verify(h http.Header, body []byte, secrets [][]byte, now time.Time) error {
	if len(secrets) == 0 {
		return errors.New("clinic has no voice secret")
	}
	if sig := h.Get("X-Signature"); sig != "" {
		return verifyHMAC(sig, h.Get("X-Timestamp"), body, secrets, now)
	}
	var presented string
	if v, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
		presented = strings.TrimSpace(v)
	} else if v := h.Get("X-Vapi-Secret"); v != "" {
		presented = strings.TrimSpace(v)
	}
	if presented == "" {
		return errors.New("no credential (Authorization, X-Vapi-Secret or x-signature)")
	}
	ok := 0
	for _, s := range secrets {
		ok |= subtle.ConstantTimeCompare([]byte(presented), s)
	}
	if ok != 1 {
		return errors.New("credential does not match the clinic's")
	}
	return nil
}

func verifyHMAC(sig, ts string, body []byte, secrets [][]byte, now time.Time) error {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("x-signature without a numeric x-timestamp")
	}
	t := time.Unix(n, 0)
	if n > 1e12 { // milliseconds
		t = time.UnixMilli(n)
	}
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return errors.New("x-timestamp is not fresh (replay?)")
	}
	got, err := hex.DecodeString(strings.TrimPrefix(sig, "sha256="))
	if err != nil {
		return errors.New("x-signature is not hex")
	}
	ok := 0
	for _, s := range secrets {
		ok |= subtle.ConstantTimeCompare(got, Sign(s, ts, body))
	}
	if ok != 1 {
		return errors.New("x-signature does not match")
	}
	return nil
}

// Sign returns HMAC-SHA256(secret, "{timestamp}.{body}"), as Vapi's HMAC
// credential computes it by default.
func Sign(secret []byte, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}
