package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/postgres/db"
)

// WebSession is a live dashboard session: its user, acting clinic (zero
// until one is chosen) and form token.
type WebSession struct {
	User        frontdesk.UserID
	Org         frontdesk.OrgID
	CSRF        string
	Email, Name string
	// Memberships are the user's active clinics, as UserMemberships lists them.
	Memberships []Membership
}

// StartWebSession keeps a new session under the token's hash.
func (s *Store) StartWebSession(ctx context.Context, hash []byte, user frontdesk.UserID, csrf string, lifetime time.Duration) error {
	_, err := fenced(ctx, s, func(q *db.Queries) (struct{}, error) {
		return struct{}{}, q.WebSessionStart(ctx, db.WebSessionStartParams{TokenHash: hash, UserID: uuid.UUID(user), Csrf: csrf,
			LifetimeSeconds: int32(lifetime.Seconds())})
	})
	return err
}

// WebSessionOf is the live session of the token's hash, seen now;
// frontdesk.ErrNotFound when there is none (unknown, idle, expired).
func (s *Store) WebSessionOf(ctx context.Context, hash []byte, idle time.Duration) (WebSession, error) {
	rows, err := fenced(ctx, s, func(q *db.Queries) ([]db.WebSessionGetRow, error) {
		return q.WebSessionGet(ctx, db.WebSessionGetParams{TokenHash: hash, IdleSeconds: int32(idle.Seconds())})
	})
	if err != nil {
		return WebSession{}, err
	}
	if len(rows) == 0 {
		return WebSession{}, frontdesk.ErrNotFound
	}
	r := rows[0]
	ws := WebSession{User: frontdesk.UserID(r.UserID), Org: frontdesk.OrgID(r.OrgID), CSRF: r.Csrf, Email: r.Email, Name: r.Name,
		Memberships: []Membership{}}
	for i := range r.MemberOrgIds {
		ws.Memberships = append(ws.Memberships, Membership{OrgID: frontdesk.OrgID(r.MemberOrgIds[i]), OrgName: r.MemberOrgNames[i],
			Role: frontdesk.Role(r.MemberRoles[i])})
	}
	return ws, nil
}

// SetWebSessionOrg makes org the session's acting clinic; ErrForbidden
// when the user is not a member of it.
func (s *Store) SetWebSessionOrg(ctx context.Context, hash []byte, org frontdesk.OrgID) error {
	ok, err := fenced(ctx, s, func(q *db.Queries) (bool, error) {
		return q.WebSessionSetOrg(ctx, db.WebSessionSetOrgParams{TokenHash: hash, OrgID: uuid.UUID(org)})
	})
	if err == nil && !ok {
		err = frontdesk.ErrForbidden
	}
	return err
}

// EndWebSession ends one session.
func (s *Store) EndWebSession(ctx context.Context, hash []byte) error {
	_, err := fenced(ctx, s, func(q *db.Queries) (struct{}, error) { return struct{}{}, q.WebSessionEnd(ctx, hash) })
	return err
}

// EndWebSessions ends every session of the user.
func (s *Store) EndWebSessions(ctx context.Context, user frontdesk.UserID) error {
	_, err := fenced(ctx, s, func(q *db.Queries) (struct{}, error) { return struct{}{}, q.WebSessionEndUser(ctx, uuid.UUID(user)) })
	return err
}
