package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Service is who people are and what they may do: sign-in, memberships and
// roles, and the record of requests for objects a clinic does not have.
type Service struct {
	store  *postgres.Store
	issuer *Issuer
	ttl    time.Duration
}

// NewService returns the service; issuer signs the tokens login hands out,
// valid for ttl.
func NewService(store *postgres.Store, issuer *Issuer, ttl time.Duration) *Service {
	if ttl == 0 {
		ttl = 12 * time.Hour
	}
	return &Service{store: store, issuer: issuer, ttl: ttl}
}

// ErrBadCredentials: the email is unknown or the password wrong (the two
// are never told apart).
var ErrBadCredentials = errors.New("invalid email or password")

// RateLimitedError: too many failed logins for the account from this
// address, from this address, or for the account.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string { return "too many failed logins; try again later" }

// ErrPasswordChangeRequired: the password is a one-time one; sign in again
// giving a new password too.
var ErrPasswordChangeRequired = errors.New("this password must be changed: sign in again with new_password")

// ChangePassword replaces a signed-in user's password, given the current
// one.
func (s *Service) ChangePassword(ctx context.Context, user frontdesk.UserID, current, next string) error {
	email, _, err := s.store.UserProfile(ctx, user)
	if err != nil {
		return err
	}
	acct, err := s.store.LoginLookup(ctx, email)
	if err != nil {
		return err
	}
	if !CheckPassword(acct.PasswordHash, current) {
		return frontdesk.Invalid("current_password", "is not your current password")
	}
	return s.setPassword(ctx, user, current, next)
}

func (s *Service) setPassword(ctx context.Context, user frontdesk.UserID, old, next string) error {
	if next == old {
		return frontdesk.Invalid("new_password", "must differ from the old one")
	}
	hash, err := HashPassword(next)
	if err != nil {
		return frontdesk.Invalid("new_password", "%s", err.Error())
	}
	if err := s.store.SetOwnPassword(ctx, user, hash); err != nil {
		return err
	}
	return s.store.EndWebSessions(ctx, user) // every dashboard session of the old password ends
}

// Session is what a successful login hands out.
type Session struct {
	Token     string
	ExpiresIn time.Duration
	User      frontdesk.UserID
}

// Login checks an email and password. Unknown email and wrong password
// answer the same, in the same time. Each attempt is counted against the
// failure limits (per account and address, per address, per account; kept
// in PostgreSQL) before its password is checked, so a burst past a limit
// costs no password checks; a right password gives its attempt back.
func (s *Service) Login(ctx context.Context, email, password, newPassword, clientAddr string) (Session, error) {
	user, err := s.authenticate(ctx, email, password, newPassword, clientAddr)
	if err != nil {
		return Session{}, err
	}
	token, err := s.issuer.Issue(user, frontdesk.OrgID{}, s.ttl)
	if err != nil {
		return Session{}, err
	}
	return Session{Token: token, ExpiresIn: s.ttl, User: user}, nil
}

// authenticate is the user an email and password sign in, under the
// failure limits; a one-time password signs in only with its replacement.
func (s *Service) authenticate(ctx context.Context, email, password, newPassword, clientAddr string) (frontdesk.UserID, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return frontdesk.UserID{}, frontdesk.Invalid("email", "is required")
	}
	if password == "" {
		return frontdesk.UserID{}, frontdesk.Invalid("password", "is required")
	}
	wait, err := s.store.LoginReserve(ctx, email, clientAddr)
	if err != nil {
		return frontdesk.UserID{}, err
	}
	if wait > 0 {
		return frontdesk.UserID{}, &RateLimitedError{RetryAfter: wait}
	}
	acct, err := s.store.LoginLookup(ctx, email)
	if err != nil && !errors.Is(err, frontdesk.ErrNotFound) {
		return frontdesk.UserID{}, err
	}
	if !CheckPassword(acct.PasswordHash, password) || err != nil {
		return frontdesk.UserID{}, ErrBadCredentials
	}
	if err := s.store.LoginRelease(ctx, email, clientAddr); err != nil {
		return frontdesk.UserID{}, err
	}
	user := acct.User
	// A one-time password signs in only together with the new password
	// that replaces it.
	if acct.MustChange || newPassword != "" {
		if newPassword == "" {
			return frontdesk.UserID{}, ErrPasswordChangeRequired
		}
		if err := s.setPassword(ctx, user, password, newPassword); err != nil {
			return frontdesk.UserID{}, err
		}
	}
	return user, s.auditSignIn(ctx, user, clientAddr)
}

// auditSignIn writes a sign-in into the audit trail of each of the
// user's clinics, as that user.
func (s *Service) auditSignIn(ctx context.Context, user frontdesk.UserID, clientAddr string) error {
	ms, err := s.store.UserMemberships(ctx, user)
	if err != nil {
		return err
	}
	ctx = ActingAs(context.WithoutCancel(ctx), user)
	for _, m := range ms {
		if err := s.store.InTenant(ctx, m.OrgID, func(tx *postgres.Tx) error {
			return tx.InsertAuditEvent(ctx, db.InsertAuditEventParams{OrgID: m.OrgID, UserID: user, Action: "sign_in",
				ResourceType: "user", ResourceID: user.String(), RemoteAddr: clientAddr})
		}); err != nil {
			return err
		}
	}
	return nil
}

// Profile is a signed-in user and the clinics they belong to.
type Profile struct {
	ID          frontdesk.UserID      `json:"id"`
	Email       string                `json:"email"`
	Name        string                `json:"name"`
	Memberships []postgres.Membership `json:"-"`
}

// Me is user's own profile. A verified token for a user that no longer
// exists is frontdesk.ErrUnauthorized.
func (s *Service) Me(ctx context.Context, user frontdesk.UserID) (Profile, error) {
	email, name, err := s.store.UserProfile(ctx, user)
	if errors.Is(err, frontdesk.ErrNotFound) {
		return Profile{}, frontdesk.ErrUnauthorized
	}
	if err != nil {
		return Profile{}, err
	}
	ms, err := s.store.UserMemberships(ctx, user)
	return Profile{ID: user, Email: email, Name: name, Memberships: ms}, err
}

// Member is the acting user in the acting clinic.
type Member struct {
	User frontdesk.UserID
	Org  frontdesk.OrgID
	Role frontdesk.Role
}

// ErrChooseOrg: the user belongs to several clinics and named none.
var ErrChooseOrg = errors.New("several memberships")

// Acting decides which clinic a request acts for and the user's role there:
// the clinic named (a header, a session), else the token's default, else
// the user's only membership. A clinic the user is not a member of, or one
// that does not exist, is frontdesk.ErrForbidden either way.
func (s *Service) Acting(ctx context.Context, user frontdesk.UserID, named, tokenDefault frontdesk.OrgID) (Member, error) {
	ms, err := s.store.UserMemberships(ctx, user)
	if err != nil {
		return Member{}, err
	}
	return ActingIn(ms, user, named, tokenDefault)
}

// ActingIn picks the acting clinic among the user's memberships, as
// Acting does, for a caller that has read them already.
func ActingIn(ms []postgres.Membership, user frontdesk.UserID, named, tokenDefault frontdesk.OrgID) (Member, error) {
	want := named
	if want.IsZero() {
		want = tokenDefault
	}
	if want.IsZero() {
		switch len(ms) {
		case 0:
			return Member{}, frontdesk.ErrForbidden
		case 1:
			want = ms[0].OrgID
		default:
			return Member{}, ErrChooseOrg
		}
	}
	for _, m := range ms {
		if m.OrgID == want {
			return Member{User: user, Org: want, Role: m.Role}, nil
		}
	}
	return Member{}, fmt.Errorf("%w: not a member of this organization", frontdesk.ErrForbidden)
}

// Miss is a request for an object the acting clinic does not have.
type Miss struct {
	Action       string // read, update, delete, cancel, ...
	ResourceType string // call, booking, service, ...
	ResourceID   string
	RequestID    string
	RemoteAddr   string
}

// RenameClinic changes the clinic's name: 1 to 200 characters, one
// line.
func (s *Service) RenameClinic(ctx context.Context, org frontdesk.OrgID, name string) error {
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n == 0 || n > 200 || strings.ContainsFunc(name, unicode.IsControl) {
		return frontdesk.Invalid("name", "is required: one line of at most 200 characters")
	}
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return postgres.OneRow(tx.RenameOrg(ctx, db.RenameOrgParams{ID: org, Name: name}))
	})
}

// RecordMiss writes the audit row for a miss (the operator's `frontdesk
// audit` shows whether the object belongs to another clinic). It never
// fails the request: the caller only logs an error.
func (s *Service) RecordMiss(ctx context.Context, m Member, miss Miss) error {
	// Recorded even if the client has already hung up.
	ctx = context.WithoutCancel(ctx)
	return s.store.InTenant(ctx, m.Org, func(tx *postgres.Tx) error { return RecordMissTx(ctx, tx, m.User, miss) })
}

// RecordMissTx writes the audit row for a miss in the caller's transaction
// (the agent's tool calls, where no user acts: user is zero).
func RecordMissTx(ctx context.Context, tx *postgres.Tx, user frontdesk.UserID, miss Miss) error {
	return tx.InsertAuditEvent(ctx, db.InsertAuditEventParams{
		OrgID: tx.Org.ID, UserID: user, Action: miss.Action, ResourceType: miss.ResourceType,
		ResourceID: miss.ResourceID, RequestID: miss.RequestID, RemoteAddr: miss.RemoteAddr,
	})
}

// ActingAs marks ctx as acting for user: every tenant transaction under it
// checks, in the database, that user is a member of the clinic.
func ActingAs(ctx context.Context, user frontdesk.UserID) context.Context {
	return postgres.WithActingUser(ctx, user)
}
