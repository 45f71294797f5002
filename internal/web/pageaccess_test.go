package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/app"
	"frontdesk/internal/testkit"
	"frontdesk/internal/web"
)

// pageObjects are one clinic's objects of every kind a page names by id,
// from the API's fixtures plus a patient's text and one sent to them.
func pageObjects(t *testing.T, b *bundle, c testkit.Clinic, api objects) objects {
	t.Helper()
	ctx, owner := context.Background(), b.owner(t)
	var inbound, text string
	if err := owner.QueryRow(ctx, `INSERT INTO sms_inbound (org_id, message_sid, from_number, body, action)
		VALUES ($1, $2, '+12125550311', 'Is there parking?', 'message') RETURNING id`, c.ID, "SM"+c.ID.String()).Scan(&inbound); err != nil {
		t.Fatal(err)
	}
	if err := owner.QueryRow(ctx, `INSERT INTO sms_confirmation_logs (org_id, booking_id, kind, to_number, body, send_at, status, error_message)
		VALUES ($1, $2, 'confirmation', '+12125550311', 'See you', now(), 'failed', 'Twilio said 401') RETURNING id`,
		c.ID, api["/api/bookings/{id}"]).Scan(&text); err != nil {
		t.Fatal(err)
	}
	return objects{
		"/calls/{callId}":                api["/api/calls-dashboard/{callId}"],
		"/callbacks/{id}":                api["/api/messages/callbacks/{id}"],
		"/messages/inbound/{id}":         inbound,
		"/messages/texts/{id}":           text,
		"/calendar/bookings/{id}":        api["/api/bookings/{id}"],
		"/team/{userId}":                 api["/api/team/{userId}"],
		"/settings/clinic/articles/{id}": api["/api/knowledge-base/{id}"],
		"/settings/closures/{id}":        api["/api/settings/closures/{id}"],
		"/settings/services/{id}":        api["/api/services/{id}"],
		"/settings/resources/{id}":       api["/api/resources/{id}"],
		"/integrations/connections/{id}": api["/api/calendar/connections/{id}"],
		"/outbound/campaigns/{id}":       api["/api/campaigns/{id}"],
	}
}

// pageForm is a well-formed form for a page that takes one, so that a
// refusal is about which object, never what was typed.
func pageForm(pattern string) url.Values {
	switch {
	case strings.HasPrefix(pattern, "POST /settings/services/{id}"):
		return url.Values{"name": {"Renamed"}, "duration_minutes": {"30"}, "active": {"on"}}
	case strings.HasPrefix(pattern, "POST /settings/resources/{id}"):
		return url.Values{"name": {"Renamed"}, "kind": {"clinician"}}
	case strings.HasSuffix(pattern, "/reply"):
		return url.Values{"body": {"Yes"}}
	case strings.HasSuffix(pattern, "/note"):
		return url.Values{"note": {"Called back"}}
	case strings.HasSuffix(pattern, "/move"):
		return url.Values{"start": {time.Now().Add(96 * time.Hour).Truncate(time.Hour).Format("2006-01-02T15:04")}}
	case strings.HasSuffix(pattern, "/role"):
		return url.Values{"role": {"staff"}}
	}
	return url.Values{}
}

// Every page and form that names an object by id, as each user allowed
// it: another clinic's object is the 404 page byte-identical to a random
// id's, audited, and the other clinic's data is unchanged. A page added
// naming a kind of object this test has no fixture for fails here.
func TestEveryPageRefusesAnotherClinicsObjects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.w
	objs := map[frontdesk.OrgID]objects{
		w.A.ID: pageObjects(t, b, w.A, seedObjects(t, b, w.A, 1)),
		w.B.ID: pageObjects(t, b, w.B, seedObjects(t, b, w.B, 2)),
	}
	type who struct {
		name       string
		user       testkit.User
		role       frontdesk.Role
		own, other testkit.Clinic
	}
	people := []who{
		{"A staff", w.A.Staff, frontdesk.RoleStaff, w.A, w.B}, {"A owner", w.A.Owner, frontdesk.RoleOwner, w.A, w.B},
		{"B owner", w.B.Owner, frontdesk.RoleOwner, w.B, w.A}, {"both, admin at B", w.Both, frontdesk.RoleAdmin, w.B, w.A},
	}
	visitors := map[string]*browserLike{}
	for _, p := range people {
		visitors[p.name] = b.signInPage(t, p.user, p.own.ID)
	}
	// What each clinic's owner reads of its own data, before and after.
	lists := []string{"/api/services", "/api/resources", "/api/bookings", "/api/knowledge-base", "/api/settings/closures",
		"/api/messages/callbacks?status=all", "/api/team", "/api/sms/messages", "/api/sms/inbound", "/api/calendar/connections",
		"/api/calls-dashboard/" + w.A.Calls[0].ID.String(), "/api/calls-dashboard/" + w.B.Calls[0].ID.String()}
	tokens := map[frontdesk.OrgID]string{w.A.ID: b.token(t, w.A.Owner, frontdesk.OrgID{}), w.B.ID: b.token(t, w.B.Owner, frontdesk.OrgID{})}
	snapshot := func() map[string]string {
		out := map[string]string{}
		for org, tok := range tokens {
			for _, l := range lists {
				out[org.String()+l] = string(b.get(t, l, tok).body)
			}
		}
		return out
	}
	before := snapshot()

	checked := 0
	for pattern, needs := range web.New(web.Config{App: app.New(b.cfg), Verifier: b.verify, Log: b.log}).PageAccess() {
		method, path, _ := strings.Cut(pattern, " ")
		if !strings.Contains(path, "{") || strings.Contains(path, "{$}") {
			continue
		}
		checked++
		for _, p := range people {
			if !p.role.AtLeast(frontdesk.Role(needs)) {
				continue
			}
			v := visitors[p.name]
			v.get("/calls")
			send := func(id string) pageResponse {
				path := objs[p.other.ID].path(t, pattern, id)
				if method == http.MethodGet {
					return v.get(path)
				}
				return v.post(path, pageForm(pattern))
			}
			otherID := objs[p.other.ID].of(t, pattern)
			cross, random := send(otherID), send(uuid.NewString())
			if cross.status != http.StatusNotFound || !bytes.Equal(cross.body, random.body) {
				t.Errorf("%s, %s with the other clinic's object: %d; with a random id: %d", p.name, pattern, cross.status, random.status)
			}
			if !audited(t, b, p.own.ID, p.user.ID, otherID) {
				t.Errorf("%s, %s with the other clinic's object %s: no audit row", p.name, pattern, otherID)
			}
		}
	}
	if checked < 15 {
		t.Fatalf("walked %d pages with ids; the page table has more", checked)
	}
	after := snapshot()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed:\nbefore %s\nafter  %s", k, v, after[k])
		}
	}
}
