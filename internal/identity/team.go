package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/mail"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Team management: owners and admins add people, change roles, remove
// members and reset passwords; every change is audited. Admins manage
// staff and admins; only an owner adds, promotes, demotes, removes or
// resets an owner; the last owner stays.

// TeamMember is one person of the clinic.
type TeamMember struct {
	UserID frontdesk.UserID `json:"user_id"`
	Email  string           `json:"email"`
	Name   string           `json:"name"`
	Role   frontdesk.Role   `json:"role"`
	// MustChangePassword: they have not yet replaced a one-time password.
	MustChangePassword bool      `json:"must_change_password"`
	Since              time.Time `json:"since"`
}

// Added is who was added, and their one-time password when their account
// was created for the clinic (shown once).
type Added struct {
	TeamMember
	OneTimePassword string `json:"one_time_password,omitempty"`
}

// Team lists the clinic's members.
func (s *Service) Team(ctx context.Context, org frontdesk.OrgID) ([]TeamMember, error) {
	out := []TeamMember{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.TeamMembers(ctx, org)
		for _, r := range rows {
			out = append(out, TeamMember{r.UserID, r.Email, r.Name, frontdesk.Role(r.Role), r.MustChangePassword, r.CreatedAt.In(tx.Org.Location)})
		}
		return err
	})
	return out, err
}

// AddMember adds the person with email to the clinic with role, creating
// their account (with a one-time password) when they have none. An
// existing account keeps its password and name.
func (s *Service) AddMember(ctx context.Context, m Member, email, name string, role frontdesk.Role) (Added, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return Added{}, frontdesk.Invalid("email", "must be an email address")
	}
	if len(name) > 200 {
		return Added{}, frontdesk.Invalid("name", "at most 200 characters")
	}
	if role == frontdesk.RoleOwner && m.Role != frontdesk.RoleOwner {
		return Added{}, frontdesk.ErrForbidden
	}
	password := OneTimePassword()
	hash, err := HashPassword(password)
	if err != nil {
		return Added{}, err
	}
	var out Added
	err = s.store.InTenant(ctx, m.Org, func(tx *postgres.Tx) error {
		row, err := tx.TeamAdd(ctx, db.TeamAddParams{Email: email, Name: strings.TrimSpace(name), Role: string(role), PasswordHash: hash})
		if errors.Is(err, frontdesk.ErrConflict) {
			return frontdesk.Conflict("email", "this person is a member of the clinic already")
		}
		if err != nil {
			return err
		}
		added := frontdesk.UserID(row.UserID)
		if err := teamAudit(ctx, tx, m, "member_added:"+string(role), added); err != nil {
			return err
		}
		r, err := tx.TeamMember(ctx, db.TeamMemberParams{OrgID: m.Org, UserID: added})
		out = Added{TeamMember: TeamMember{UserID: r.UserID, Email: r.Email, Name: r.Name, Role: frontdesk.Role(r.Role),
			MustChangePassword: row.Created, Since: time.Now().In(tx.Org.Location)}}
		if row.Created {
			out.OneTimePassword = password
		}
		return err
	})
	return out, err
}

// SetRole changes a member's role.
func (s *Service) SetRole(ctx context.Context, m Member, user frontdesk.UserID, role frontdesk.Role) (TeamMember, error) {
	var out TeamMember
	err := s.store.InTenant(ctx, m.Org, func(tx *postgres.Tx) error {
		cur, err := s.ownerRules(ctx, tx, m, user, role)
		if err != nil {
			return err
		}
		if err := postgres.OneRow(tx.TeamSetRole(ctx, db.TeamSetRoleParams{OrgID: m.Org, UserID: user, Role: string(role)})); err != nil {
			return err
		}
		out = TeamMember{UserID: cur.UserID, Email: cur.Email, Name: cur.Name, Role: role}
		return teamAudit(ctx, tx, m, "role_changed:"+cur.Role+"->"+string(role), user)
	})
	return out, err
}

// RemoveMember takes a member out of the clinic (their account stays, for
// their other clinics).
func (s *Service) RemoveMember(ctx context.Context, m Member, user frontdesk.UserID) error {
	return s.store.InTenant(ctx, m.Org, func(tx *postgres.Tx) error {
		if _, err := s.ownerRules(ctx, tx, m, user, ""); err != nil {
			return err
		}
		if err := postgres.OneRow(tx.TeamRemove(ctx, db.TeamRemoveParams{OrgID: m.Org, UserID: user})); err != nil {
			return err
		}
		return teamAudit(ctx, tx, m, "member_removed", user)
	})
}

// ResetPassword gives a member a new one-time password (returned, shown
// once). A member who belongs to another clinic too is refused: one clinic
// must not take over an account another relies on.
func (s *Service) ResetPassword(ctx context.Context, m Member, user frontdesk.UserID) (string, error) {
	password := OneTimePassword()
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	err = s.store.InTenant(ctx, m.Org, func(tx *postgres.Tx) error {
		outcome, err := tx.TeamResetPassword(ctx, db.TeamResetPasswordParams{UserID: [16]byte(user), PasswordHash: hash})
		switch {
		case err != nil:
			return err
		case outcome == "not_member":
			return frontdesk.ErrNotFound
		case outcome == "shared":
			return frontdesk.Conflict("", "this person belongs to another clinic too: they change their own password")
		}
		return teamAudit(ctx, tx, m, "password_reset", user)
	})
	if err == nil { // the old password's sessions end with it
		err = s.store.EndWebSessions(ctx, user)
	}
	return password, err
}

// ownerRules loads the member being changed and refuses what an admin may
// not do to an owner, and leaving the clinic without an owner. role is the
// new role ("" when removing).
func (s *Service) ownerRules(ctx context.Context, tx *postgres.Tx, m Member, user frontdesk.UserID, role frontdesk.Role) (db.TeamMemberRow, error) {
	cur, err := tx.TeamMember(ctx, db.TeamMemberParams{OrgID: m.Org, UserID: user})
	if err != nil {
		return cur, err
	}
	touchesOwner := cur.Role == string(frontdesk.RoleOwner) || role == frontdesk.RoleOwner
	if touchesOwner && m.Role != frontdesk.RoleOwner {
		return cur, frontdesk.ErrForbidden
	}
	if cur.Role == string(frontdesk.RoleOwner) && role != frontdesk.RoleOwner {
		owners, err := tx.TeamOwners(ctx, m.Org)
		if err != nil {
			return cur, err
		}
		if owners <= 1 {
			return cur, frontdesk.Conflict("", "the clinic's last owner cannot leave or step down: make someone else owner first")
		}
	}
	return cur, nil
}

// teamAudit records a team change: who did what to whom.
func teamAudit(ctx context.Context, tx *postgres.Tx, m Member, action string, user frontdesk.UserID) error {
	return tx.InsertAuditEvent(ctx, db.InsertAuditEventParams{OrgID: m.Org, UserID: m.User, Action: action,
		ResourceType: "member", ResourceID: user.String()})
}

// OneTimePassword is a random password to be replaced at first sign-in.
func OneTimePassword() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuditEntry is one line of a clinic's audit trail.
type AuditEntry struct {
	At                         time.Time
	User, Action, What, Client string
}

// AuditLog is the clinic's audit trail, newest first: its people's
// sign-ins, their requests for objects the clinic does not have, and
// changes to its team.
func (s *Service) AuditLog(ctx context.Context, org frontdesk.OrgID) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ClinicAuditEvents(ctx, org)
		for _, r := range rows {
			out = append(out, AuditEntry{At: r.OccurredAt.In(tx.Org.Location), User: r.UserEmail, Action: r.Action,
				What: r.ResourceType + " " + r.ResourceID, Client: r.RemoteAddr})
		}
		return err
	})
	return out, err
}
