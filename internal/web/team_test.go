package web_test

import (
	"net/http"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/internal/testkit"
)

// Owners and admins run their team: people are added by email (a new
// account gets a one-time password it must replace at first sign-in),
// roles change and members leave under the owner rules, passwords are
// reset only for accounts no other clinic relies on, and every change is
// audited.
func TestTeamManagement(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.w
	db := b.owner(t)
	ownerA, ownerB := b.token(t, w.A.Owner, frontdesk.OrgID{}), b.token(t, w.B.Owner, w.B.ID) // B's owner joins A below
	login := func(email, password, next string) response {
		body := map[string]string{"email": email, "password": password}
		if next != "" {
			body["new_password"] = next
		}
		return b.request(t, http.MethodPost, "/api/auth/login", "", body)
	}

	// A new person: a one-time password that signs in only with a new one.
	var added struct {
		UserID             string `json:"user_id"`
		OneTimePassword    string `json:"one_time_password"`
		MustChangePassword bool   `json:"must_change_password"`
	}
	r := b.request(t, http.MethodPost, "/api/team", ownerA, map[string]any{"email": "New.Hire@Alpha.test", "name": "New Hire", "role": "staff"})
	r.json(t, &added)
	if r.status != 201 || len(added.OneTimePassword) < 12 || !added.MustChangePassword {
		t.Fatalf("add a new person: %d %s", r.status, r.body)
	}
	if r := login("new.hire@alpha.test", added.OneTimePassword, ""); r.status != 403 || !strings.Contains(string(r.body), "password_change_required") {
		t.Fatalf("one-time password alone: %d %s", r.status, r.body)
	}
	if r := login("new.hire@alpha.test", added.OneTimePassword, "a-better-password"); r.status != 200 {
		t.Fatalf("one-time password with a new one: %d %s", r.status, r.body)
	}
	if r := login("new.hire@alpha.test", added.OneTimePassword, ""); r.status != 401 {
		t.Fatalf("the one-time password after the change: %d", r.status)
	}
	if r := login("new.hire@alpha.test", "a-better-password", ""); r.status != 200 {
		t.Fatalf("the new password: %d %s", r.status, r.body)
	}

	// An existing account (clinic B's owner) joins A: no password shown or
	// changed, and A cannot reset the password of an account B relies on.
	var existing struct {
		UserID          string `json:"user_id"`
		OneTimePassword string `json:"one_time_password"`
	}
	r = b.request(t, http.MethodPost, "/api/team", ownerA, map[string]any{"email": w.B.Owner.Email, "role": "staff"})
	r.json(t, &existing)
	if r.status != 201 || existing.OneTimePassword != "" {
		t.Fatalf("add an existing account: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPost, "/api/team", ownerA, map[string]any{"email": w.B.Owner.Email, "role": "staff"}); r.status != 409 {
		t.Fatalf("add a member twice: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPost, "/api/team/"+existing.UserID+"/password", ownerA, nil); r.status != 409 {
		t.Fatalf("reset the password of another clinic's owner: %d %s", r.status, r.body)
	}
	if r := login(w.B.Owner.Email, testkit.Password, ""); r.status != 200 {
		t.Fatalf("B's owner after joining A: %d", r.status)
	}

	// Owner rules, as an admin of B (the locum).
	admin := b.token(t, w.Both, w.B.ID)
	for name, c := range map[string]struct {
		method, path string
		body         any
	}{
		"demote the owner": {http.MethodPut, "/api/team/" + w.B.Owner.ID.String(), map[string]any{"role": "staff"}},
		"remove the owner": {http.MethodDelete, "/api/team/" + w.B.Owner.ID.String(), nil},
		"add an owner":     {http.MethodPost, "/api/team", map[string]any{"email": "boss@bravo.test", "role": "owner"}},
		"make an owner":    {http.MethodPut, "/api/team/" + w.B.Staff.ID.String(), map[string]any{"role": "owner"}},
		"reset the owner":  {http.MethodPost, "/api/team/" + w.B.Owner.ID.String() + "/password", nil},
	} {
		if r := b.request(t, c.method, c.path, admin, c.body); r.status != 403 {
			t.Errorf("an admin may not %s: %d %s", name, r.status, r.body)
		}
	}
	if r := b.request(t, http.MethodPut, "/api/team/"+w.B.Staff.ID.String(), admin, map[string]any{"role": "admin"}); r.status != 200 {
		t.Fatalf("an admin promotes staff to admin: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPut, "/api/team/"+w.B.Owner.ID.String(), ownerB, map[string]any{"role": "admin"}); r.status != 409 {
		t.Fatalf("the last owner steps down: %d %s", r.status, r.body)
	}
	var reset struct {
		OneTimePassword string `json:"one_time_password"`
	}
	r = b.request(t, http.MethodPost, "/api/team/"+w.B.Staff.ID.String()+"/password", ownerB, nil)
	r.json(t, &reset)
	if r.status != 200 || login(w.B.Staff.Email, reset.OneTimePassword, "").status != 403 {
		t.Fatalf("reset a member's password: %d %s", r.status, r.body)
	}
	staffB := b.token(t, w.B.Staff, frontdesk.OrgID{})
	if r := b.request(t, http.MethodDelete, "/api/team/"+w.B.Staff.ID.String(), ownerB, nil); r.status != 204 {
		t.Fatalf("remove a member: %d %s", r.status, r.body)
	}
	if r := b.get(t, "/api/calls-dashboard", staffB); r.status != 403 {
		t.Fatalf("a removed member: %d", r.status)
	}
	var team struct{ Members []struct{ Email string } }
	b.get(t, "/api/team", ownerB).json(t, &team)
	for _, m := range team.Members {
		if m.Email == w.B.Staff.Email || m.Email == "new.hire@alpha.test" {
			t.Errorf("B's team lists %s", m.Email)
		}
	}
	if n := count(t, db, "SELECT count(*) FROM audit_events WHERE resource_type = 'member' AND org_id = $1", w.B.ID); n != 3 {
		t.Errorf("%d audited team changes in B, want 3 (role, reset, removal)", n)
	}
	if n := count(t, db, "SELECT count(*) FROM audit_events WHERE resource_type = 'member' AND org_id = $1", w.A.ID); n != 2 {
		t.Errorf("%d audited team changes in A, want 2 (two added)", n)
	}

	// Anyone signed in changes their own password, given the current one.
	if r := b.request(t, http.MethodPost, "/api/me/password", ownerA, map[string]string{"current_password": "wrong-one!", "new_password": "another-password"}); r.status != 422 {
		t.Fatalf("change with a wrong current password: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPost, "/api/me/password", ownerA, map[string]string{"current_password": testkit.Password, "new_password": "another-password"}); r.status != 204 {
		t.Fatalf("change my password: %d %s", r.status, r.body)
	}
	if r := login(w.A.Owner.Email, "another-password", ""); r.status != 200 {
		t.Fatalf("sign in with the changed password: %d", r.status)
	}
}
