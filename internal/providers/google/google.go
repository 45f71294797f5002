// Package google is Google's side of calendar sync
// (shared/providers/google-calendar.md): the OAuth web-server flow with
// PKCE (golang.org/x/oauth2), events created with ids derived from
// bookings (so a retry never makes a second one), and free/busy queries,
// through google.golang.org/api/calendar/v3.
package google

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"
	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// Scopes are what a connection asks for: editing events, reading free/busy.
var Scopes = []string{"https://www.googleapis.com/auth/calendar.events", "https://www.googleapis.com/auth/calendar.freebusy"}

// Config is the OAuth client and Google's endpoints (replaceable for tests).
type Config struct {
	ClientID, ClientSecret string
	RedirectURL            string
	AuthURL, TokenURL      string
	RevokeURL              string
	APIURL                 string // ends in /calendar/v3/
	// HTTP is the transport for every call to Google (nil: the default).
	HTTP *http.Client
}

// Defaults are Google's production endpoints.
func (c Config) withDefaults() Config {
	if c.AuthURL == "" {
		c.AuthURL = "https://accounts.google.com/o/oauth2/v2/auth"
	}
	if c.TokenURL == "" {
		c.TokenURL = "https://oauth2.googleapis.com/token"
	}
	if c.RevokeURL == "" {
		c.RevokeURL = "https://oauth2.googleapis.com/revoke"
	}
	if c.APIURL == "" {
		c.APIURL = "https://www.googleapis.com/calendar/v3/"
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 20 * time.Second}
	}
	return c
}

// Client talks to Google for all clinics; each call carries one clinic's token.
type Client struct {
	cfg   Config
	oauth *oauth2.Config
}

// New returns a Client, or nil when no OAuth client is configured.
func New(cfg Config) *Client {
	if cfg.ClientID == "" {
		return nil
	}
	cfg = cfg.withDefaults()
	return &Client{cfg: cfg, oauth: &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RedirectURL: cfg.RedirectURL, Scopes: Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: cfg.AuthURL, TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}}
}

func (c *Client) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTP)
}

// AuthURL is Google's consent page for state, with PKCE and a refresh
// token forced.
func (c *Client) AuthURL(state, verifier string) string {
	return c.oauth.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.ApprovalForce, oauth2.S256ChallengeOption(verifier))
}

// ConsentOrigin is the scheme and host of Google's consent page, where a
// dashboard form sends the browser.
func (c *Client) ConsentOrigin() string {
	u, err := url.Parse(c.cfg.AuthURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// Exchange trades the callback's code for a token, and refuses one
// without a refresh token or without the scopes the sync needs.
func (c *Client) Exchange(ctx context.Context, code, verifier string) ([]byte, error) {
	tok, err := c.oauth.Exchange(c.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("google gave no refresh token")
	}
	if scope, _ := tok.Extra("scope").(string); scope != "" {
		for _, s := range Scopes {
			if !strings.Contains(" "+scope+" ", " "+s+" ") {
				return nil, fmt.Errorf("the grant lacks %s", s)
			}
		}
	}
	return json.Marshal(tok)
}

func (c *Client) service(ctx context.Context, token []byte) (*calendar.Service, error) {
	var tok oauth2.Token
	if err := json.Unmarshal(token, &tok); err != nil {
		return nil, fmt.Errorf("stored token: %w", err)
	}
	ctx = c.ctx(ctx)
	return calendar.NewService(ctx, option.WithEndpoint(c.cfg.APIURL),
		option.WithHTTPClient(c.oauth.Client(ctx, &tok)))
}

// Account is the Google account a token belongs to: its primary
// calendar's id, which is the account's email address.
func (c *Client) Account(ctx context.Context, token []byte) (string, error) {
	svc, err := c.service(ctx, token)
	if err != nil {
		return "", err
	}
	cal, err := svc.Calendars.Get("primary").Context(ctx).Do()
	if err != nil {
		return "", err
	}
	return cal.Id, nil
}

// EventID derives a booking's event id: lowercase hex without hyphens,
// within Google's base32hex alphabet (a-v, 0-9).
func EventID(booking uuid.UUID) string { return hex.EncodeToString(booking[:]) }

// Event is what a booking shows in the calendar.
type Event struct {
	Booking          uuid.UUID
	Summary          string
	Start, End       time.Time
	TimeZone         string
	BookingReference string
}

// PutEvent creates the booking's event, or (when it already exists: a
// retry, or a reschedule of the same booking) brings it up to date.
func (c *Client) PutEvent(ctx context.Context, token []byte, calendarID string, e Event) error {
	svc, err := c.service(ctx, token)
	if err != nil {
		return err
	}
	ev := &calendar.Event{Id: EventID(e.Booking), Summary: e.Summary, Status: "confirmed",
		Start:              &calendar.EventDateTime{DateTime: e.Start.Format(time.RFC3339), TimeZone: e.TimeZone},
		End:                &calendar.EventDateTime{DateTime: e.End.Format(time.RFC3339), TimeZone: e.TimeZone},
		ExtendedProperties: &calendar.EventExtendedProperties{Private: map[string]string{"frontdesk_booking_id": e.Booking.String()}}}
	_, err = svc.Events.Insert(calendarID, ev).SendUpdates("none").Context(ctx).Do()
	if code(err) == http.StatusConflict {
		_, err = svc.Events.Patch(calendarID, ev.Id, ev).SendUpdates("none").Context(ctx).Do()
	}
	return err
}

// DeleteEvent removes the booking's event; one already gone is fine.
func (c *Client) DeleteEvent(ctx context.Context, token []byte, calendarID string, booking uuid.UUID) error {
	svc, err := c.service(ctx, token)
	if err != nil {
		return err
	}
	err = svc.Events.Delete(calendarID, EventID(booking)).SendUpdates("none").Context(ctx).Do()
	if c := code(err); c == http.StatusGone || c == http.StatusNotFound {
		return nil
	}
	return err
}

// Busy lists the calendar's busy periods in [from, to). A calendar Google
// reports an error for is an error: unknown is not free.
func (c *Client) Busy(ctx context.Context, token []byte, calendarID string, from, to time.Time) ([][2]time.Time, error) {
	svc, err := c.service(ctx, token)
	if err != nil {
		return nil, err
	}
	res, err := svc.Freebusy.Query(&calendar.FreeBusyRequest{TimeMin: from.Format(time.RFC3339), TimeMax: to.Format(time.RFC3339),
		Items: []*calendar.FreeBusyRequestItem{{Id: calendarID}}}).Context(ctx).Do()
	if err != nil {
		return nil, err
	}
	cal, ok := res.Calendars[calendarID]
	if !ok || len(cal.Errors) > 0 {
		return nil, fmt.Errorf("calendar %s: not readable", calendarID)
	}
	var out [][2]time.Time
	for _, p := range cal.Busy {
		s, err1 := time.Parse(time.RFC3339, p.Start)
		e, err2 := time.Parse(time.RFC3339, p.End)
		if err1 == nil && err2 == nil {
			out = append(out, [2]time.Time{s, e})
		}
	}
	return out, nil
}

// Revoke ends the grant behind token at Google.
func (c *Client) Revoke(ctx context.Context, token []byte) error {
	var tok oauth2.Token
	if err := json.Unmarshal(token, &tok); err != nil {
		return err
	}
	t := tok.RefreshToken
	if t == "" {
		t = tok.AccessToken
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.RevokeURL, strings.NewReader(url.Values{"token": {t}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusBadRequest { // 400: already invalid
		return fmt.Errorf("revoke: %d", res.StatusCode)
	}
	return nil
}

// GrantGone reports whether err means the grant was revoked or expired
// (invalid_grant): the clinic must reconnect, retrying cannot help.
func GrantGone(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

func code(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}
