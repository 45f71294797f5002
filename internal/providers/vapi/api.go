package vapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultAPIURL is Vapi's REST API.
const DefaultAPIURL = "https://api.vapi.ai"

// API is Vapi's REST API, called with one clinic's private API key:
// which phone numbers and assistants are in the clinic's own Vapi
// organization. Every call has a deadline (a slow Vapi answers an error,
// never a hang).
type API struct {
	base string
	http *http.Client
}

// NewAPI returns the API at base (DefaultAPIURL when empty).
func NewAPI(base string) *API {
	if base == "" {
		base = DefaultAPIURL
	}
	return &API{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 5 * time.Second}}
}

// Errors of the API, for the service to explain.
var (
	// ErrKeyRefused: Vapi refused the key (401, 403).
	ErrKeyRefused = errors.New("vapi refused the API key")
	// ErrUnavailable: Vapi could not be reached or failed (timeout, 429, 5xx).
	ErrUnavailable = errors.New("vapi is not answering")
)

// PhoneNumberRecord is one phone number of a Vapi organization.
type PhoneNumberRecord struct {
	ID          string `json:"id"`
	Number      string `json:"number"`
	Name        string `json:"name"`
	AssistantID string `json:"assistantId"`
}

// PhoneNumbers lists the organization's phone numbers (up to 1,000).
func (a *API) PhoneNumbers(ctx context.Context, key string) ([]PhoneNumberRecord, error) {
	var out []PhoneNumberRecord
	found, err := a.get(ctx, key, "/phone-number?limit=1000", &out)
	if err == nil && !found {
		err = fmt.Errorf("%w: GET /phone-number answered 404", ErrUnavailable)
	}
	return out, err
}

// HasAssistant reports whether the assistant id is in the organization.
func (a *API) HasAssistant(ctx context.Context, key, id string) (bool, error) {
	var out struct {
		ID string `json:"id"`
	}
	found, err := a.get(ctx, key, "/assistant/"+url.PathEscape(id), &out)
	return found && out.ID == id, err
}

// get reads path into out; found is false for a 404 (or a 400, which Vapi
// answers for an id that is not one of its ids).
func (a *API) get(ctx context.Context, key, path string, out any) (found bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrUnavailable, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	switch {
	case err != nil:
		return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return false, ErrKeyRefused
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusBadRequest:
		return false, nil
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("%w: %s answered %d", ErrUnavailable, strings.SplitN(path, "?", 2)[0], resp.StatusCode)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return false, fmt.Errorf("%w: unreadable answer to %s: %v", ErrUnavailable, strings.SplitN(path, "?", 2)[0], err)
	}
	return true, nil
}
