// Package calendars owns Google Calendar connections: connecting a
// clinician's or room's calendar (OAuth with a signed, single-use state),
// the busy times of connected calendars that availability leaves out, and
// deciding which booking changes are synced.
package calendars

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/secrets"
)

// Outbox enqueues a booking's calendar sync in the transaction that
// changed it (implemented by the job queue).
type Outbox interface {
	EnqueueCalendarSync(ctx context.Context, tx *postgres.Tx, booking frontdesk.BookingID) error
}

// Service is the clinic's connected calendars.
type Service struct {
	store   *postgres.Store
	secrets *secrets.Box
	google  *google.Client // nil: not configured
	outbox  Outbox
	log     *slog.Logger
	cache   busyCache
}

// NewService returns the calendars service; google may be nil.
func NewService(store *postgres.Store, box *secrets.Box, gc *google.Client, outbox Outbox, log *slog.Logger) *Service {
	return &Service{store: store, secrets: box, google: gc, outbox: outbox, log: log}
}

// ErrNotConfigured: this server has no Google OAuth client.
var ErrNotConfigured = errors.New("Google Calendar is not configured on this server (FRONTDESK_GOOGLE_CLIENT_ID)")

// ErrBadState: the sign-in link is forged, expired, used or another's.
type ErrBadState struct{ Field, Reason string }

func (e *ErrBadState) Error() string { return e.Reason }

// state is what the signed state carries through Google and back.
type state struct {
	Pending uuid.UUID        `json:"p"`
	Org     frontdesk.OrgID  `json:"o"`
	User    frontdesk.UserID `json:"u"`
	Expires int64            `json:"e"`
	// Browser is the hash of the nonce the starting browser keeps in a
	// cookie: only that browser can finish the flow.
	Browser string `json:"b"`
	// Replace allows a different Google account to take over an active
	// connection.
	Replace bool `json:"r"`
}

// Started is a flow begun: the URL of Google's consent page, and the
// nonce the starting browser must keep (an HttpOnly cookie) to finish it.
type Started struct {
	URL, BrowserNonce string
}

func nonceHash(nonce string) string {
	sum := sha256.Sum256([]byte("frontdesk oauth browser " + nonce))
	return hex.EncodeToString(sum[:])
}

const oauthWindow = 10 * time.Minute

// Start begins connecting resource's calendar for user: the PKCE verifier
// stays in the database, and the browser goes to the returned URL with a
// signed state bound to the clinic, the user and a short expiry.
//
// replace says the admin means to replace an active connection with
// another Google account's; without it, a different account is refused.
func (s *Service) Start(ctx context.Context, org frontdesk.OrgID, user frontdesk.UserID, resource frontdesk.ResourceID, replace bool) (Started, error) {
	if s.google == nil {
		return Started{}, ErrNotConfigured
	}
	if resource.IsZero() {
		return Started{}, frontdesk.Invalid("resource_id", "is required: the clinician or room whose calendar this is")
	}
	verifier := oauth2.GenerateVerifier()
	nonce := oauth2.GenerateVerifier() // 32 random bytes, URL-safe
	var st string
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		ok, err := tx.ResourceExists(ctx, db.ResourceExistsParams{OrgID: org, ID: resource})
		if err != nil {
			return err
		}
		if !ok {
			return frontdesk.Invalid("resource", "no resource %s", resource)
		}
		id, err := tx.AddOAuthPending(ctx, db.AddOAuthPendingParams{OrgID: org, UserID: user, ResourceID: resource,
			Verifier: s.secrets.Seal([]byte(verifier), org[:]), ExpiresAt: time.Now().Add(oauthWindow)})
		if err != nil {
			return err
		}
		b, _ := json.Marshal(state{Pending: id, Org: org, User: user, Expires: time.Now().Add(oauthWindow).Unix(),
			Browser: nonceHash(nonce), Replace: replace})
		st = s.secrets.Sign(b)
		return nil
	})
	if err != nil {
		return Started{}, err
	}
	return Started{URL: s.google.AuthURL(st, verifier), BrowserNonce: nonce}, nil
}

// Callback finishes the flow Google redirects back to. The state decides
// everything: it must be ours (signed), fresh, come back to the browser
// that started it (browserNonce, from its cookie), and name a pending flow
// of that clinic and a user who is still an admin there, used once. The
// pending flow is taken in one transaction, the code exchanged with Google
// with none open, and the connection saved in another, unless it would
// silently replace another Google account's active connection.
func (s *Service) Callback(ctx context.Context, rawState, code, googleErr, browserNonce string) error {
	if s.google == nil {
		return ErrNotConfigured
	}
	raw, err := s.secrets.Verify(rawState)
	var st state
	if err != nil || json.Unmarshal(raw, &st) != nil || time.Now().Unix() > st.Expires || st.Org.IsZero() {
		return &ErrBadState{"state", "the sign-in link is invalid or expired; start again"}
	}
	if browserNonce == "" || subtle.ConstantTimeCompare([]byte(nonceHash(browserNonce)), []byte(st.Browser)) != 1 {
		return &ErrBadState{"state", "this sign-in was started in another browser: start again from the browser that will finish it"}
	}
	if googleErr != "" {
		return &ErrBadState{"error", "Google did not grant access: " + googleErr}
	}
	if code == "" {
		return &ErrBadState{"code", "missing code"}
	}
	ctx = postgres.WithActingUser(ctx, st.User) // the user must still be a member
	var p db.TakeOAuthPendingRow
	err = s.store.InTenant(ctx, st.Org, func(tx *postgres.Tx) (err error) {
		if !tx.Role.AtLeast(frontdesk.RoleAdmin) {
			return frontdesk.ErrForbidden
		}
		p, err = tx.TakeOAuthPending(ctx, db.TakeOAuthPendingParams{OrgID: st.Org, ID: st.Pending, UserID: st.User})
		if errors.Is(err, frontdesk.ErrNotFound) {
			return &ErrBadState{"state", "the sign-in link was used already or has expired; start again"}
		}
		return err
	})
	if err != nil {
		return err
	}
	verifier, err := s.secrets.Open(p.Verifier, st.Org[:])
	if err != nil {
		return err
	}
	token, err := s.google.Exchange(ctx, code, string(verifier))
	if err != nil {
		s.log.WarnContext(ctx, "google code exchange failed", "err", err)
		return &ErrBadState{"code", "Google refused the sign-in; start again"}
	}
	account, err := s.google.Account(ctx, token)
	if err != nil {
		s.log.WarnContext(ctx, "google account lookup failed", "err", err)
		return &ErrBadState{"code", "Google did not say which account signed in; start again"}
	}
	err = s.store.InTenant(ctx, st.Org, func(tx *postgres.Tx) error {
		old, err := tx.CalendarConnectionByResource(ctx, db.CalendarConnectionByResourceParams{OrgID: st.Org, ResourceID: p.ResourceID})
		if err == nil && old.Status == "active" && old.Account != account && !st.Replace {
			current := old.Account
			if current == "" {
				current = "another Google account"
			}
			return frontdesk.Conflict("", "this calendar is connected to "+current+"; to connect "+account+" instead, start again asking to replace it (replace=true)")
		}
		if err != nil && !errors.Is(err, frontdesk.ErrNotFound) {
			return err
		}
		if err := tx.SaveCalendarConnection(ctx, db.SaveCalendarConnectionParams{OrgID: st.Org, ResourceID: p.ResourceID,
			Token: s.secrets.Seal(token, st.Org[:]), ConnectedBy: uuid.NullUUID{UUID: uuid.UUID(st.User), Valid: true},
			Account: account}); err != nil {
			return err
		}
		return s.resync(ctx, tx, p.ResourceID)
	})
	if errors.Is(err, frontdesk.ErrConflict) {
		if rerr := s.google.Revoke(ctx, token); rerr != nil { // the refused grant is not kept
			s.log.WarnContext(ctx, "google revoke failed", "err", rerr)
		}
	}
	s.cache.forget(st.Org)
	return err
}

// Connection is a connected calendar, never its token.
type Connection struct {
	ID           uuid.UUID            `json:"id"`
	ResourceID   frontdesk.ResourceID `json:"resource_id"`
	ResourceName string               `json:"resource_name"`
	CalendarID   string               `json:"calendar_id"`
	Status       string               `json:"status"` // active or needs_reconnect
	Reason       string               `json:"reason,omitempty"`
	// Account is the Google account the calendar belongs to.
	Account   string    `json:"account"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ConsentOrigin is the origin of Google's consent page ("" when Google
// Calendar is not configured).
func (s *Service) ConsentOrigin() string {
	if s.google == nil {
		return ""
	}
	return s.google.ConsentOrigin()
}

// Connections lists the clinic's connected calendars.
func (s *Service) Connections(ctx context.Context, org frontdesk.OrgID) ([]Connection, error) {
	out := []Connection{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListCalendarConnections(ctx, org)
		for _, c := range rows {
			out = append(out, Connection{ID: c.ID, ResourceID: c.ResourceID, ResourceName: c.ResourceName, CalendarID: c.CalendarID,
				Status: c.Status, Reason: c.StatusReason, Account: c.Account, UpdatedAt: c.UpdatedAt.In(tx.Org.Location)})
		}
		return err
	})
	return out, err
}

// Disconnect removes a connection and then, with no transaction open,
// revokes the grant at Google (best effort: the stored token is gone
// either way).
func (s *Service) Disconnect(ctx context.Context, org frontdesk.OrgID, id uuid.UUID) error {
	var sealed []byte
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		sealed, err = tx.DeleteCalendarConnection(ctx, db.DeleteCalendarConnectionParams{OrgID: org, ID: id})
		return err
	})
	if err != nil {
		return err
	}
	s.cache.forget(org)
	if token, err := s.secrets.Open(sealed, org[:]); err == nil && s.google != nil {
		if err := s.google.Revoke(ctx, token); err != nil {
			s.log.WarnContext(ctx, "google revoke failed", "err", err)
		}
	}
	return nil
}

// BookingChanged enqueues the booking's calendar sync, in its
// transaction, when its resource has a connected calendar.
func (s *Service) BookingChanged(ctx context.Context, tx *postgres.Tx, booking frontdesk.BookingID) error {
	b, err := tx.GetBooking(ctx, db.GetBookingParams{OrgID: tx.Org.ID, ID: booking})
	if err != nil {
		return err
	}
	_, err = tx.CalendarConnectionByResource(ctx, db.CalendarConnectionByResourceParams{OrgID: tx.Org.ID, ResourceID: b.ResourceID})
	if errors.Is(err, frontdesk.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.outbox.EnqueueCalendarSync(ctx, tx, booking)
}

// resync enqueues the sync of every upcoming booking of a resource whose
// calendar was just (re)connected.
func (s *Service) resync(ctx context.Context, tx *postgres.Tx, resource frontdesk.ResourceID) error {
	ids, err := tx.FutureBookingsOfResource(ctx, db.FutureBookingsOfResourceParams{OrgID: tx.Org.ID, ResourceID: resource})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.outbox.EnqueueCalendarSync(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}
