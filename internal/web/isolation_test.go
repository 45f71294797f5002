package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"

	"frontdesk"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/testkit"
)

// secrets are the byte strings that identify a clinic's data: none may
// appear in a response to a user acting for the other clinic.
func clinicData(c testkit.Clinic) []string {
	s := []string{c.ID.String(), c.Name, c.Owner.Email, c.Staff.Email}
	for _, call := range c.Calls {
		s = append(s, call.ID.String(), call.FromNumber, call.CallerName, call.Transcript)
	}
	return s
}

// actor is a user acting for one clinic, and how the clinic is chosen.
type actor struct {
	name    string
	user    testkit.User
	own     testkit.Clinic
	other   testkit.Clinic
	token   string
	headers []string
}

func actors(t *testing.T, b *bundle) []actor {
	w := b.w
	return []actor{
		{"A owner (only membership)", w.A.Owner, w.A, w.B, b.token(t, w.A.Owner, frontdesk.OrgID{}), nil},
		{"A staff (token default)", w.A.Staff, w.A, w.B, b.token(t, w.A.Staff, w.A.ID), nil},
		{"B owner (X-Org-Id)", w.B.Owner, w.B, w.A, b.token(t, w.B.Owner, frontdesk.OrgID{}), []string{"X-Org-Id", w.B.ID.String()}},
		{"B staff", w.B.Staff, w.B, w.A, b.token(t, w.B.Staff, frontdesk.OrgID{}), nil},
		{"both, acting for A", w.Both, w.A, w.B, b.token(t, w.Both, frontdesk.OrgID{}), []string{"X-Org-Id", w.A.ID.String()}},
		{"both, acting for B", w.Both, w.B, w.A, b.token(t, w.Both, w.A.ID), []string{"X-Org-Id", w.B.ID.String()}},
	}
}

// Every endpoint, as every user: the acting clinic's data comes back, and
// no byte of the other clinic's.
func TestEveryEndpointAsEveryUserLeaksNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Both clinics have a server secret, so each serves its assistant.
	for _, c := range []testkit.Clinic{b.w.A, b.w.B} {
		if r := b.request(t, http.MethodPost, "/api/voice/secret/rotate", b.token(t, c.Owner, frontdesk.OrgID{}), nil); r.status != 201 {
			t.Fatalf("rotate: %d", r.status)
		}
	}
	for _, a := range actors(t, b) {
		t.Run(a.name, func(t *testing.T) {
			paths := []string{
				"/api/calls-dashboard",
				"/api/calls-dashboard?call_type=all&limit=100",
				"/api/calls-dashboard?call_type=outbound",
				"/api/calls-dashboard?status=in-progress&call_type=all",
				"/api/calls-dashboard?q=" + url.QueryEscape(a.other.Calls[0].FromNumber) + "&call_type=all",
				"/api/calls-dashboard?q=" + url.QueryEscape(a.other.Calls[0].CallerName[:5]) + "&call_type=all",
				"/api/calls-dashboard/stats",
			}
			for _, c := range a.own.Calls {
				paths = append(paths, "/api/calls-dashboard/"+c.ID.String())
			}
			for _, c := range a.other.Calls {
				paths = append(paths, "/api/calls-dashboard/"+c.ID.String(), "/api/calls-dashboard/"+c.ID.String()+"/recording")
			}
			paths = append(paths, "/api/voice/phone-numbers", "/api/voice/assistants", "/api/settings/recordings",
				"/api/settings/booking", "/api/settings/hours", "/api/settings/closures", "/api/services", "/api/resources",
				"/api/bookings", "/api/knowledge-base", "/api/sms/messages", "/api/sms/inbound", "/api/integrations/twilio",
				"/api/calendar/connections", "/api/voice/receptionist", "/api/voice/assistant", "/api/integrations/vapi",
				"/api/voice/vapi-numbers", "/api/messages/callbacks")
			if a.user != b.w.Both {
				paths = append(paths, "/api/me") // Both legitimately sees both clinics' names there
			}
			for _, p := range paths {
				res := b.get(t, p, a.token, a.headers...)
				for _, s := range clinicData(a.other) {
					if bytes.Contains(res.body, []byte(s)) {
						t.Errorf("GET %s: response contains the other clinic's %q:\n%s", p, s, res.body)
					}
				}
			}
			// The acting clinic's own data does come back.
			var list struct {
				Calls []struct{ ID frontdesk.CallID }
				Total int
			}
			b.get(t, "/api/calls-dashboard?call_type=all&limit=100", a.token, a.headers...).json(t, &list)
			if list.Total != len(a.own.Calls) || len(list.Calls) != len(a.own.Calls) {
				t.Errorf("list all: %d calls, total %d; want %d", len(list.Calls), list.Total, len(a.own.Calls))
			}
			own := b.get(t, "/api/calls-dashboard/"+a.own.Calls[0].ID.String(), a.token, a.headers...)
			if own.status != http.StatusOK || !bytes.Contains(own.body, []byte(a.own.Calls[0].Transcript)) {
				t.Errorf("own call: %d %s", own.status, own.body)
			}
		})
	}
}

// Another clinic's call is a 404 byte-identical to a call that does not
// exist, and the attempt is recorded for the operator.
func TestOtherClinicsCallIsPlainNotFoundAndAudited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	target := b.w.A.Calls[1].ID
	cross := b.get(t, "/api/calls-dashboard/"+target.String(), tok)
	random := b.get(t, "/api/calls-dashboard/"+frontdesk.NewCallID().String(), tok)
	if cross.status != http.StatusNotFound || random.status != http.StatusNotFound {
		t.Fatalf("statuses %d and %d, want 404", cross.status, random.status)
	}
	if !bytes.Equal(cross.body, random.body) {
		t.Fatalf("bodies differ:\n%s\n%s", cross.body, random.body)
	}
	events, err := b.db.Admin.ListAuditEvents(context.Background(), db.ListAuditEventsParams{RowLimit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("%d audit events, want 2", len(events))
	}
	crossSeen := false
	for _, e := range events {
		if e.OrgID != b.w.B.ID || e.UserID != b.w.B.Owner.ID || e.ResourceType != "call" {
			t.Errorf("audit event %+v: want org B, B's owner, a call", e)
		}
		if e.ResourceID == target.String() {
			crossSeen = true
			if !e.CrossTenant {
				t.Error("the attempt on clinic A's call is not marked cross-tenant")
			}
		} else if e.CrossTenant {
			t.Error("a random id is marked cross-tenant")
		}
	}
	if !crossSeen {
		t.Error("no audit event for clinic A's call")
	}
}

// The acting clinic is chosen by header, token default or only membership,
// and must always be a membership.
func TestActingOrganization(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.w
	aStaff := b.token(t, w.A.Staff, frontdesk.OrgID{})
	both := b.token(t, w.Both, frontdesk.OrgID{})
	outsider := b.token(t, w.Outsider, frontdesk.OrgID{})
	// A token whose app_metadata names clinic B, for a user of clinic A only:
	// the claim chooses, but membership still decides.
	aStaffClaimsB := b.token(t, w.A.Staff, w.B.ID)

	forbidden := b.get(t, "/api/calls-dashboard", aStaff, "X-Org-Id", w.B.ID.String())
	missing := b.get(t, "/api/calls-dashboard", aStaff, "X-Org-Id", frontdesk.NewOrgID().String())
	if forbidden.status != http.StatusForbidden || missing.status != http.StatusForbidden || !bytes.Equal(forbidden.body, missing.body) {
		t.Fatalf("another clinic %d %s; a missing clinic %d %s: want identical 403s", forbidden.status, forbidden.body, missing.status, missing.body)
	}
	cases := []struct {
		name    string
		token   string
		headers []string
		status  int
		clinic  *testkit.Clinic
	}{
		{"only membership", aStaff, nil, 200, &w.A},
		{"several memberships, none named", both, nil, 400, nil},
		{"several memberships, header A", both, []string{"X-Org-Id", w.A.ID.String()}, 200, &w.A},
		{"several memberships, header B", both, []string{"X-Org-Id", w.B.ID.String()}, 200, &w.B},
		{"token default B, header A wins", b.token(t, w.Both, w.B.ID), []string{"X-Org-Id", w.A.ID.String()}, 200, &w.A},
		{"token default B", b.token(t, w.Both, w.B.ID), nil, 200, &w.B},
		{"claim names a clinic the user is not in", aStaffClaimsB, nil, 403, nil},
		{"malformed header", aStaff, []string{"X-Org-Id", "B"}, 400, nil},
		{"member of nothing", outsider, nil, 403, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := b.get(t, "/api/calls-dashboard?call_type=all", c.token, c.headers...)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
			}
			if c.clinic != nil && !bytes.Contains(res.body, []byte(c.clinic.Calls[0].ID.String())) {
				t.Fatalf("response lacks %s's latest call: %s", c.clinic.Name, res.body)
			}
		})
	}
}

// A validly signed token that names an organization only in user_metadata
// gains nothing there.
func TestUserMetadataGainsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := signedMap(t, b, map[string]any{
		"sub":           b.w.Outsider.ID.String(),
		"user_metadata": map[string]any{"org_id": b.w.A.ID.String(), "role": "owner"},
	})
	if res := b.get(t, "/api/calls-dashboard", tok); res.status != http.StatusForbidden {
		t.Fatalf("outsider with user_metadata.org_id=A: %d %s", res.status, res.body)
	}
	tok = signedMap(t, b, map[string]any{
		"sub":           b.w.A.Staff.ID.String(),
		"user_metadata": map[string]any{"org_id": b.w.B.ID.String()},
	})
	res := b.get(t, "/api/calls-dashboard?call_type=all", tok)
	if res.status != http.StatusOK || bytes.Contains(res.body, []byte(b.w.B.Calls[0].ID.String())) ||
		!bytes.Contains(res.body, []byte(b.w.A.Calls[0].ID.String())) {
		t.Fatalf("A staff with user_metadata.org_id=B: %d %s", res.status, res.body)
	}
}
