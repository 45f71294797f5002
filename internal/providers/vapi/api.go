package vapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
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

// Outbound calls (POST /call). Vapi has no idempotency key: a call is
// named after the attempt that placed it, and after a doubtful answer
// (a timeout, a 5xx) the caller looks for that name (FindCall) instead of
// asking again.

// CallRequest is one outbound call.
type CallRequest struct {
	Name          string `json:"name"` // fd-<attempt id>, at most 40 characters
	PhoneNumberID string `json:"phoneNumberId"`
	// AssistantID names a saved assistant; Assistant is a transient one.
	AssistantID string         `json:"assistantId,omitempty"`
	Assistant   map[string]any `json:"assistant,omitempty"`
	Customer    struct {
		Number string `json:"number"`
		Name   string `json:"name,omitempty"`
	} `json:"customer"`
}

// CallRecord is a call as Vapi lists it.
type CallRecord struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Status        string    `json:"status"`
	PhoneNumberID string    `json:"phoneNumberId"`
	CreatedAt     time.Time `json:"createdAt"`
}

// Refused is a call Vapi answered it will not make (400, 401, 403): the
// call was not created.
type Refused struct {
	Status  int
	Message string
}

func (e *Refused) Error() string {
	return fmt.Sprintf("vapi refused the call (%d): %s", e.Status, e.Message)
}

// Busy is Vapi asking to be called later (429), with how long to wait
// (Retry-After, when given): the call was not created.
type Busy struct{ RetryAfter time.Duration }

func (e *Busy) Error() string { return "vapi is busy (429)" }

// CreateCall asks Vapi to place a call and returns its id. An error that
// is neither *Refused nor *Busy leaves it unknown whether the call was
// created.
func (a *API) CreateCall(ctx context.Context, key string, in CallRequest) (string, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/call", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	case resp.StatusCode == http.StatusTooManyRequests:
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return "", &Busy{RetryAfter: time.Duration(wait) * time.Second}
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		var e struct {
			Message any `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		return "", &Refused{Status: resp.StatusCode, Message: fmt.Sprint(e.Message)}
	case resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("%w: POST /call answered %d", ErrUnavailable, resp.StatusCode)
	}
	var out CallRecord
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("%w: unreadable answer to POST /call", ErrUnavailable)
	}
	return out.ID, nil
}

// FindCall looks for the call named name placed from phoneNumberID since
// since; found is false when Vapi has none.
func (a *API) FindCall(ctx context.Context, key, phoneNumberID, name string, since time.Time) (id string, found bool, err error) {
	var calls []CallRecord
	q := url.Values{"phoneNumberId": {phoneNumberID}, "createdAtGe": {since.UTC().Format(time.RFC3339)}, "limit": {"1000"}}
	ok, err := a.get(ctx, key, "/call?"+q.Encode(), &calls)
	if err != nil || !ok {
		return "", false, err
	}
	for _, c := range calls {
		if c.Name == name {
			return c.ID, true, nil
		}
	}
	return "", false, nil
}
