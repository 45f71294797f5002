package web_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/app"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/testkit"
	"frontdesk/internal/web"
)

// objects are one clinic's objects of every kind a route names by id.
type objects map[string]string // wildcard kind → id

// seedObjects gives clinic org one object of every kind, as the owner.
func seedObjects(t *testing.T, b *bundle, c testkit.Clinic, n int) objects {
	t.Helper()
	ctx := context.Background()
	q := b.db.Admin
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	svc, err := q.CreateService(ctx, db.CreateServiceParams{OrgID: c.ID, Name: "Service " + c.Name, DurationMinutes: 30, Active: true})
	must(err)
	res, err := q.CreateResource(ctx, db.CreateResourceParams{OrgID: c.ID, Name: "Dr " + c.Name, Kind: "clinician", Active: true})
	must(err)
	closure, err := q.CreateClosure(ctx, db.CreateClosureParams{OrgID: c.ID, FirstDay: pgtype.Date{Time: time.Now().AddDate(0, 1, 0), Valid: true},
		LastDay: pgtype.Date{Time: time.Now().AddDate(0, 1, 1), Valid: true}, Reason: "closed"})
	must(err)
	article, err := q.CreateKnowledge(ctx, db.CreateKnowledgeParams{OrgID: c.ID, Title: "About " + c.Name, Body: "body", Active: true})
	must(err)
	start := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	booking, err := q.InsertBooking(ctx, db.InsertBookingParams{OrgID: c.ID, ResourceID: res, ServiceID: svc, Status: "confirmed",
		StartsAt: start, EndsAt: start.Add(30 * time.Minute), BlockedStart: start, BlockedEnd: start.Add(30 * time.Minute),
		PatientName: "Patient " + c.Name, PatientPhone: "+1212555010" + string(rune('0'+n)), Source: "staff"})
	must(err)
	must(q.SaveCalendarConnection(ctx, db.SaveCalendarConnectionParams{OrgID: c.ID, ResourceID: res, Token: []byte("sealed")}))
	conns, err := q.ListCalendarConnections(ctx, c.ID)
	must(err)
	callback, err := q.AddCallbackRequest(ctx, db.AddCallbackRequestParams{OrgID: c.ID, CallID: c.Calls[0].ID,
		CallbackNumber: "+12125550300", Reason: "call me", Urgency: "routine"})
	must(err)
	campaign, err := q.CreateCampaign(ctx, db.CreateCampaignParams{OrgID: c.ID, Name: "Recall " + c.Name, AudienceTags: []string{},
		RequireCallConsent: true, AssistantID: "asst", PhoneNumberID: "pn", HoursStart: 540, HoursEnd: 1200, Days: []int32{1},
		MaxConcurrent: 1, MaxAttempts: 1, RetryMinutes: 60, StopOn: []string{"answered"}})
	must(err)
	number, assistant := "+1212555020"+string(rune('0'+n)), uuid.NewString()
	must(q.AddVoiceRoute(ctx, db.AddVoiceRouteParams{OrgID: c.ID, Kind: "phone_number", Value: number}))
	must(q.AddVoiceRoute(ctx, db.AddVoiceRouteParams{OrgID: c.ID, Kind: "assistant", Value: assistant}))
	return objects{
		"/api/calls-dashboard/{callId}":       c.Calls[0].ID.String(),
		"/api/settings/closures/{id}":         closure.String(),
		"/api/services/{id}":                  svc.String(),
		"/api/resources/{id}":                 res.String(),
		"/api/bookings/{id}":                  booking.String(),
		"/api/knowledge-base/{id}":            article.String(),
		"/api/calendar/connections/{id}":      conns[0].ID.String(),
		"/api/voice/phone-numbers/{number}":   number,
		"/api/voice/assistants/{assistantId}": assistant,
		"/api/team/{userId}":                  c.Staff.ID.String(),
		"/api/messages/callbacks/{id}":        callback.String(),
		"/api/campaigns/{id}":                 campaign.String(),
	}
}

// id is the object of o that pattern names, and the pattern's path with it.
func (o objects) path(t *testing.T, pattern, id string) string {
	t.Helper()
	_, path, _ := strings.Cut(pattern, " ")
	for prefix := range o {
		if strings.HasPrefix(path, prefix) {
			return strings.Replace(path, prefix[strings.LastIndex(prefix, "/"):], "/"+id, 1)
		}
	}
	t.Fatalf("route %s names an object this test has no fixture for: add one to seedObjects", pattern)
	return ""
}

func (o objects) of(t *testing.T, pattern string) string {
	t.Helper()
	_, path, _ := strings.Cut(pattern, " ")
	for prefix, id := range o {
		if strings.HasPrefix(path, prefix) {
			return id
		}
	}
	t.Fatalf("route %s names an object this test has no fixture for: add one to seedObjects", pattern)
	return ""
}

// validBody is a well-formed body for routes that take one, so that a
// refusal is about who asks or which object, never the input.
func validBody(pattern string) any {
	switch {
	case strings.HasPrefix(pattern, "PUT /api/services/"):
		return map[string]any{"name": "Renamed", "duration_minutes": 30}
	case strings.HasPrefix(pattern, "PUT /api/resources/"):
		return map[string]any{"name": "Renamed"}
	case strings.HasPrefix(pattern, "PUT /api/knowledge-base/"):
		return map[string]any{"title": "Renamed", "body": "text"}
	case strings.HasPrefix(pattern, "PUT /api/team/"):
		return map[string]any{"role": "staff"}
	case strings.HasSuffix(pattern, "/schedule"):
		return map[string]any{"starts_at": time.Now().Add(time.Hour).Format(time.RFC3339)}
	case strings.HasSuffix(pattern, "/note"):
		return map[string]any{"note": "Left a voicemail"}
	case strings.HasSuffix(pattern, "/reschedule"):
		return map[string]any{"start": time.Now().Add(96 * time.Hour).Truncate(time.Hour).Format(time.RFC3339)}
	}
	return nil
}

// Every route, as no one, as each role of each clinic: no token is 401; a
// role below the route's is 403 before the body is read; another clinic's
// object is a 404 byte-identical to a random id's, and audited. A route
// added without a role, or naming an object kind the audit does not
// cover, fails here.
func TestEveryRouteEnforcesAccessAndAuditsMisses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.w
	objs := map[frontdesk.OrgID]objects{w.A.ID: seedObjects(t, b, w.A, 1), w.B.ID: seedObjects(t, b, w.B, 2)}
	access := web.New(web.Config{App: app.New(b.cfg), Verifier: b.verify, Log: b.log}).Access()
	type who struct {
		name    string
		user    testkit.User
		role    frontdesk.Role
		own     testkit.Clinic
		other   testkit.Clinic
		headers []string
	}
	people := []who{
		{"A staff", w.A.Staff, frontdesk.RoleStaff, w.A, w.B, nil},
		{"A owner", w.A.Owner, frontdesk.RoleOwner, w.A, w.B, nil},
		{"B staff", w.B.Staff, frontdesk.RoleStaff, w.B, w.A, nil},
		{"B owner", w.B.Owner, frontdesk.RoleOwner, w.B, w.A, nil},
		{"both, staff at A", w.Both, frontdesk.RoleStaff, w.A, w.B, []string{"X-Org-Id", w.A.ID.String()}},
		{"both, admin at B", w.Both, frontdesk.RoleAdmin, w.B, w.A, []string{"X-Org-Id", w.B.ID.String()}},
	}
	checked := 0
	for pattern, needs := range access {
		method, _, _ := strings.Cut(pattern, " ")
		if needs == "public" || method == pattern { // the catch-all
			continue
		}
		t.Run(pattern, func(t *testing.T) {
			path := pattern[len(method)+1:]
			if strings.Contains(path, "{") {
				path = objs[w.A.ID].path(t, pattern, objs[w.A.ID].of(t, pattern))
			}
			if res := b.request(t, method, path, "", validBody(pattern)); res.status != http.StatusUnauthorized {
				t.Errorf("no token: %d %s", res.status, res.body)
			}
			if needs == "signed-in" {
				return
			}
			if res := b.request(t, method, path, b.token(t, w.Outsider, frontdesk.OrgID{}), validBody(pattern)); res.status != http.StatusForbidden {
				t.Errorf("a member of no clinic: %d %s", res.status, res.body)
			}
			for _, p := range people {
				tok := b.token(t, p.user, frontdesk.OrgID{})
				if !p.role.AtLeast(frontdesk.Role(needs)) {
					// A malformed body: the role is refused before it is read.
					own := path
					if strings.Contains(pattern, "{") {
						own = objs[p.own.ID].path(t, pattern, objs[p.own.ID].of(t, pattern))
					}
					res := b.request(t, method, own, tok, []byte("{not json"), p.headers...)
					if res.status != http.StatusForbidden {
						t.Errorf("%s (%s) on a %s route: %d %s, want 403", p.name, p.role, needs, res.status, res.body)
					}
					continue
				}
				if !strings.Contains(pattern, "{") {
					continue
				}
				otherID := objs[p.other.ID].of(t, pattern)
				randomID := uuid.NewString()
				if strings.Contains(pattern, "{number}") {
					randomID = "+12125559999"
				}
				cross := b.request(t, method, objs[p.other.ID].path(t, pattern, otherID), tok, validBody(pattern), p.headers...)
				random := b.request(t, method, objs[p.other.ID].path(t, pattern, randomID), tok, validBody(pattern), p.headers...)
				if cross.status != http.StatusNotFound || !bytes.Equal(cross.body, random.body) {
					t.Errorf("%s, the other clinic's object: %d %s; a random id: %d %s", p.name, cross.status, cross.body, random.status, random.body)
				}
				if !audited(t, b, p.own.ID, p.user.ID, otherID) {
					t.Errorf("%s, the other clinic's object %s: no audit row", p.name, otherID)
				}
			}
		})
		checked++
	}
	if checked < 40 {
		t.Fatalf("walked %d routes; the route table has more", checked)
	}
}

func audited(t *testing.T, b *bundle, org frontdesk.OrgID, user frontdesk.UserID, id string) bool {
	t.Helper()
	events, err := b.db.Admin.ListAuditEvents(context.Background(), db.ListAuditEventsParams{RowLimit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.OrgID == org && e.UserID == user && e.ResourceID == id && e.CrossTenant {
			return true
		}
	}
	return false
}
