package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres"
)

// Dashboard sessions: a random token in an HttpOnly cookie, its hash in
// PostgreSQL with the acting clinic and the form token. They never work as
// API tokens (those are signed JWTs), and API tokens never open a session.

// Session limits.
const (
	WebSessionIdle     = 2 * time.Hour
	WebSessionLifetime = 12 * time.Hour
)

// WebSession is a live dashboard session.
type WebSession = postgres.WebSession

func hashToken(token string) []byte { h := sha256.Sum256([]byte(token)); return h[:] }

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SignIn checks an email and password as Login does and starts a
// dashboard session; it returns the session's token (for the cookie).
func (s *Service) SignIn(ctx context.Context, email, password, newPassword, clientAddr string) (string, error) {
	user, err := s.authenticate(ctx, email, password, newPassword, clientAddr)
	if err != nil {
		return "", err
	}
	return s.startWebSession(ctx, user)
}

func (s *Service) startWebSession(ctx context.Context, user frontdesk.UserID) (string, error) {
	token := randomToken()
	if err := s.store.StartWebSession(ctx, hashToken(token), user, randomToken(), WebSessionLifetime); err != nil {
		return "", err
	}
	// A user of one clinic acts for it from the start.
	ms, err := s.store.UserMemberships(ctx, user)
	if err == nil && len(ms) == 1 {
		err = s.store.SetWebSessionOrg(ctx, hashToken(token), ms[0].OrgID)
	}
	return token, err
}

// WebVisit is a page's visitor: their live session, who they are and the
// clinics they belong to.
type WebVisit struct {
	Session WebSession
	Profile Profile
}

// WebVisitOf reads the visitor of a cookie's token in one round trip (the
// session with its user and memberships); frontdesk.ErrUnauthorized when
// the session is not live.
func (s *Service) WebVisitOf(ctx context.Context, token string) (WebVisit, error) {
	if token == "" {
		return WebVisit{}, frontdesk.ErrUnauthorized
	}
	ws, err := s.store.WebSessionOf(ctx, hashToken(token), WebSessionIdle)
	if errors.Is(err, frontdesk.ErrNotFound) {
		return WebVisit{}, frontdesk.ErrUnauthorized
	}
	if err != nil {
		return WebVisit{}, err
	}
	return WebVisit{Session: ws, Profile: Profile{ID: ws.User, Email: ws.Email, Name: ws.Name, Memberships: ws.Memberships}}, nil
}

// SwitchClinic makes org the session's acting clinic; a clinic the user
// is not a member of is frontdesk.ErrForbidden.
func (s *Service) SwitchClinic(ctx context.Context, token string, org frontdesk.OrgID) error {
	return s.store.SetWebSessionOrg(ctx, hashToken(token), org)
}

// SignOut ends the session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.store.EndWebSession(ctx, hashToken(token))
}

// ChangeOwnPassword changes the signed-in user's password: every session
// of the old password ends, and a new one starts for this browser.
func (s *Service) ChangeOwnPassword(ctx context.Context, user frontdesk.UserID, current, next string, org frontdesk.OrgID) (string, error) {
	if err := s.ChangePassword(ctx, user, current, next); err != nil {
		return "", err
	}
	token, err := s.startWebSession(ctx, user)
	if err == nil && !org.IsZero() {
		err = s.store.SetWebSessionOrg(ctx, hashToken(token), org)
	}
	return token, err
}
