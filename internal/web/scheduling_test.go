package web_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/testkit"
)

type calendarSetup struct {
	service   string
	resources []string // Dr A, Dr B
	day       time.Time
	loc       *time.Location
	token     string
}

// setupCalendar gives clinic c a 30-minute service (10-minute buffer
// after), two clinicians who offer it, hours 9-12 and 13-17 every day and
// no minimum notice, through the API as its owner. day is a date ten days
// ahead, at midnight in the clinic's zone.
func setupCalendar(t *testing.T, b *bundle, c testkit.Clinic, tz string) calendarSetup {
	t.Helper()
	tok := b.token(t, c.Owner, frontdesk.OrgID{})
	must := func(method, path string, body any, status int, out any) {
		t.Helper()
		res := b.request(t, method, path, tok, body)
		if res.status != status {
			t.Fatalf("%s %s: %d %s", method, path, res.status, res.body)
		}
		if out != nil {
			res.json(t, out)
		}
	}
	must(http.MethodPut, "/api/settings/booking", map[string]any{"timezone": tz, "min_notice_minutes": 0, "max_days_ahead": 60, "hold_minutes": 5}, 200, nil)
	var hours []map[string]any
	for d := 0; d < 7; d++ {
		hours = append(hours, map[string]any{"weekday": d, "opens": "09:00", "closes": "12:00"},
			map[string]any{"weekday": d, "opens": "13:00", "closes": "17:00"})
	}
	must(http.MethodPut, "/api/settings/hours", map[string]any{"hours": hours}, 200, nil)
	var svc struct{ ID string }
	must(http.MethodPost, "/api/services", map[string]any{"name": "Cleaning", "duration_minutes": 30, "buffer_after_minutes": 10}, 201, &svc)
	cs := calendarSetup{service: svc.ID, token: tok}
	for _, name := range []string{"Dr A", "Dr B"} {
		var r struct{ ID string }
		must(http.MethodPost, "/api/resources", map[string]any{"name": name, "service_ids": []string{svc.ID}}, 201, &r)
		cs.resources = append(cs.resources, r.ID)
	}
	cs.loc, _ = time.LoadLocation(tz)
	y, m, d := time.Now().In(cs.loc).AddDate(0, 0, 10).Date()
	cs.day = time.Date(y, m, d, 0, 0, 0, 0, cs.loc)
	return cs
}

func (cs calendarSetup) at(h, m int) time.Time {
	return time.Date(cs.day.Year(), cs.day.Month(), cs.day.Day(), h, m, 0, 0, cs.loc)
}

func (cs calendarSetup) booking(resource string, at time.Time) map[string]any {
	return map[string]any{"patient_name": "Pat Doe", "patient_phone": "+15125550123", "service_id": cs.service,
		"resource_id": resource, "start": at.Format(time.RFC3339)}
}

type slotsResponse struct {
	Timezone string
	Slots    []struct {
		Start        time.Time
		ResourceName string `json:"resource_name"`
	}
}

func TestAvailabilityAndBooking(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.B, "Europe/London")
	day := cs.day.Format(time.DateOnly)
	var av slotsResponse
	res := b.get(t, "/api/availability?service="+cs.service+"&from="+day+"&to="+day+"&resource="+cs.resources[0], cs.token)
	res.json(t, &av)
	// 9:00 to 11:30 and 13:00 to 16:30 every 15 minutes: 11 + 15 slots.
	if res.status != 200 || len(av.Slots) != 26 || !av.Slots[0].Start.Equal(cs.at(9, 0)) || !av.Slots[25].Start.Equal(cs.at(16, 30)) {
		t.Fatalf("availability %d: %d slots %s", res.status, len(av.Slots), res.body)
	}
	if !strings.Contains(string(res.body), `"start":"`+cs.at(9, 0).Format(time.RFC3339)) {
		t.Fatalf("slots are not in the clinic's offset: %s", res.body)
	}

	// Book 10:00 with Dr A; the same time with Dr A again is taken, with
	// alternatives; "any" gets Dr B; a third is taken.
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(10, 0))); r.status != 201 {
		t.Fatalf("book: %d %s", r.status, r.body)
	}
	r := b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(10, 0)))
	var conflict struct {
		Error        struct{ Code string }
		Alternatives []struct{ Start time.Time }
	}
	r.json(t, &conflict)
	if r.status != 409 || conflict.Error.Code != "slot_unavailable" || len(conflict.Alternatives) != 3 {
		t.Fatalf("double booking: %d %s", r.status, r.body)
	}
	if !conflict.Alternatives[0].Start.Equal(cs.at(9, 0)) || !conflict.Alternatives[1].Start.Equal(cs.at(9, 15)) ||
		!conflict.Alternatives[2].Start.Equal(cs.at(10, 45)) {
		t.Fatalf("alternatives: %s", r.body)
	}
	// With the 10-minute buffer after each appointment, the 10:00 booking
	// blocks 10:00-10:40: starts from 9:30 (ends 10:00, buffer to 10:10) to
	// 10:30 are taken; 9:15 and 10:45 are the nearest free.
	for _, a := range conflict.Alternatives {
		if a.Start.After(cs.at(9, 29)) && a.Start.Before(cs.at(10, 41)) {
			t.Fatalf("alternative %s overlaps the booking with its buffer", a.Start.In(cs.loc))
		}
	}
	var any struct {
		ResourceName string `json:"resource_name"`
	}
	r = b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking("any", cs.at(10, 0)))
	r.json(t, &any)
	if r.status != 201 || any.ResourceName != "Dr B" {
		t.Fatalf("any resource: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking("any", cs.at(10, 0))); r.status != 409 {
		t.Fatalf("third at 10:00: %d", r.status)
	}
	// Outside hours, in the lunch break, off the grid.
	for _, at := range []time.Time{cs.at(12, 0), cs.at(8, 0), cs.at(11, 45), cs.at(13, 5)} {
		if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking("any", at)); r.status != 409 {
			t.Fatalf("booking at %s: %d", at.Format("15:04"), r.status)
		}
	}
	// Bad input.
	bad := cs.booking("any", cs.at(14, 0))
	bad["patient_phone"] = "not a phone"
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, bad); r.status != 422 {
		t.Fatalf("bad phone: %d", r.status)
	}
	bad = cs.booking("any", cs.at(14, 0))
	bad["service_id"] = frontdesk.NewCallID().String()
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, bad); r.status != 422 {
		t.Fatalf("unknown service: %d", r.status)
	}
}

// Many concurrent requests for one slot: exactly one wins, the rest get
// 409 — the exclusion constraint decides, not the application's check.
func TestConcurrentBookingsOneWinner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	const n = 24
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses <- b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(15, 0))).status
		}()
	}
	close(start)
	wg.Wait()
	close(statuses)
	won := 0
	for s := range statuses {
		switch s {
		case 201:
			won++
		case 409:
		default:
			t.Fatalf("status %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d winners, want 1", won)
	}
	db := b.owner(t)
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE status = 'confirmed'"); n != 1 {
		t.Fatalf("%d confirmed bookings", n)
	}
}

func TestCancelRescheduleAndIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	csB := setupCalendar(t, b, b.w.B, "Europe/London")
	var first, second struct{ ID string }
	b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(9, 0))).json(t, &first)
	b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(11, 0))).json(t, &second)

	// Rescheduling onto a taken time changes nothing.
	r := b.request(t, http.MethodPost, "/api/bookings/"+first.ID+"/reschedule", cs.token,
		map[string]any{"start": cs.at(11, 0).Format(time.RFC3339), "resource_id": cs.resources[0]})
	if r.status != 409 {
		t.Fatalf("reschedule onto a taken time: %d %s", r.status, r.body)
	}
	var list struct{ Bookings []struct{ ID, Status string } }
	b.get(t, "/api/bookings?status=confirmed", cs.token).json(t, &list)
	if len(list.Bookings) != 2 {
		t.Fatalf("after a failed reschedule: %+v", list)
	}
	// A free time: the old booking is cancelled and the new one confirmed.
	var moved struct{ ID, Status string }
	r = b.request(t, http.MethodPost, "/api/bookings/"+first.ID+"/reschedule", cs.token,
		map[string]any{"start": cs.at(14, 0).Format(time.RFC3339), "resource_id": cs.resources[0]})
	r.json(t, &moved)
	if r.status != 200 || moved.Status != "confirmed" || moved.ID == first.ID {
		t.Fatalf("reschedule: %d %s", r.status, r.body)
	}
	// 9:00 is free again.
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(9, 0))); r.status != 201 {
		t.Fatalf("rebook the freed time: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPost, "/api/bookings/"+second.ID+"/cancel", cs.token, nil); r.status != 200 {
		t.Fatalf("cancel: %d", r.status)
	}
	if r := b.request(t, http.MethodPost, "/api/bookings/"+second.ID+"/cancel", cs.token, nil); r.status != 409 {
		t.Fatalf("cancel twice: %d", r.status)
	}

	// Clinic B sees none of it and can touch none of it.
	if r := b.get(t, "/api/bookings", csB.token); strings.Contains(string(r.body), second.ID) || strings.Contains(string(r.body), "Pat Doe") {
		t.Fatalf("clinic B lists clinic A's bookings: %s", r.body)
	}
	for _, path := range []string{"/api/bookings/" + moved.ID + "/cancel", "/api/bookings/" + moved.ID + "/reschedule"} {
		r := b.request(t, http.MethodPost, path, csB.token, map[string]any{"start": csB.at(9, 0).Format(time.RFC3339)})
		if r.status != 404 {
			t.Fatalf("clinic B %s: %d %s", path, r.status, r.body)
		}
	}
	// Clinic A's service and resource do not exist for clinic B.
	if r := b.request(t, http.MethodPost, "/api/bookings", csB.token, cs.booking(cs.resources[0], csB.at(9, 0))); r.status != 422 {
		t.Fatalf("clinic B books clinic A's service: %d %s", r.status, r.body)
	}
	// (422 naming the field, as for a booking, and the same as for a
	// service that does not exist.)
	if r, random := b.get(t, "/api/availability?service="+cs.service+"&from=2026-12-01&to=2026-12-02", csB.token),
		b.get(t, "/api/availability?service="+uuid.NewString()+"&from=2026-12-01&to=2026-12-02", csB.token); r.status != 422 || !bytes.Equal(r.body, random.body) {
		t.Fatalf("clinic B asks availability of clinic A's service: %d %s", r.status, r.body)
	}
	withA := csB.booking(cs.resources[0], csB.at(9, 0))
	withA["service_id"] = csB.service
	if r := b.request(t, http.MethodPost, "/api/bookings", csB.token, withA); r.status != 409 {
		t.Fatalf("clinic B books on clinic A's clinician: %d %s", r.status, r.body)
	}
	// Clinic A's clinician cannot be given hours or closures by clinic B.
	if r := b.request(t, http.MethodPut, "/api/settings/hours?resource="+cs.resources[0], csB.token,
		map[string]any{"hours": []map[string]any{{"weekday": 1, "opens": "09:00", "closes": "10:00"}}}); r.status != 422 {
		t.Fatalf("clinic B sets hours of clinic A's clinician: %d %s", r.status, r.body)
	}
	if r := b.request(t, http.MethodPost, "/api/settings/closures", csB.token,
		map[string]any{"first_day": "2026-12-24", "last_day": "2026-12-26", "resource_id": cs.resources[0]}); r.status != 422 {
		t.Fatalf("clinic B closes clinic A's clinician: %d %s", r.status, r.body)
	}
	// Staff may book, not configure.
	staff := b.token(t, b.w.A.Staff, frontdesk.OrgID{})
	if r := b.request(t, http.MethodPost, "/api/services", staff, map[string]any{"name": "X", "duration_minutes": 30}); r.status != 403 {
		t.Fatalf("staff creates a service: %d", r.status)
	}
	if r := b.request(t, http.MethodPost, "/api/bookings", staff, cs.booking("any", cs.at(15, 0))); r.status != 201 {
		t.Fatalf("staff books: %d %s", r.status, r.body)
	}
}

// A hold blocks its slot until it lapses, and then frees it by itself.
func TestHoldsLapseByThemselves(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	db := b.owner(t)
	insertHold := func(until string) {
		t.Helper()
		if _, err := db.Exec(context.Background(), `INSERT INTO bookings (org_id, resource_id, service_id, status, starts_at, ends_at,
			blocked, held_until) VALUES ($1, $2, $3, 'held', $4, $5, tstzrange($4, $5), now() + $6::interval)`,
			b.w.A.ID, cs.resources[0], cs.service, cs.at(10, 0), cs.at(10, 40), until); err != nil {
			t.Fatal(err)
		}
	}
	insertHold("5 minutes")
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(10, 0))); r.status != 409 {
		t.Fatalf("booking over a live hold: %d", r.status)
	}
	if _, err := db.Exec(context.Background(), "UPDATE bookings SET held_until = now() - interval '1 second' WHERE status = 'held'"); err != nil {
		t.Fatal(err)
	}
	if r := b.request(t, http.MethodPost, "/api/bookings", cs.token, cs.booking(cs.resources[0], cs.at(10, 0))); r.status != 201 {
		t.Fatalf("booking over a lapsed hold: %d %s", r.status, r.body)
	}
	if n := count(t, db, "SELECT count(*) FROM bookings WHERE status = 'held'"); n != 0 {
		t.Fatalf("the lapsed hold is still there")
	}
}

// Clinic B's admin changing or deleting clinic A's objects by id gets the
// same 404 as for ids that do not exist, and A's objects stay as they were.
func TestSetupObjectsOfAnotherClinicAreNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := setupCalendar(t, b, b.w.A, "America/New_York")
	csB := setupCalendar(t, b, b.w.B, "Europe/London")
	var art, cl struct{ ID string }
	b.request(t, http.MethodPost, "/api/knowledge-base", cs.token, map[string]any{"title": "Parking", "body": "Behind the building."}).json(t, &art)
	b.request(t, http.MethodPost, "/api/settings/closures", cs.token, map[string]any{"first_day": "2026-12-24", "last_day": "2026-12-26"}).json(t, &cl)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPut, "/api/services/" + cs.service, map[string]any{"name": "Hijacked", "duration_minutes": 30}},
		{http.MethodDelete, "/api/services/" + cs.service, nil},
		{http.MethodPut, "/api/resources/" + cs.resources[0], map[string]any{"name": "Hijacked"}},
		{http.MethodDelete, "/api/resources/" + cs.resources[0], nil},
		{http.MethodPut, "/api/knowledge-base/" + art.ID, map[string]any{"title": "Hijacked", "body": "x"}},
		{http.MethodDelete, "/api/knowledge-base/" + art.ID, nil},
		{http.MethodDelete, "/api/settings/closures/" + cl.ID, nil},
	} {
		cross := b.request(t, c.method, c.path, csB.token, c.body)
		if cross.status != 404 {
			t.Fatalf("clinic B %s %s: %d %s", c.method, c.path, cross.status, cross.body)
		}
	}
	var svcs struct{ Services []struct{ Name string } }
	b.get(t, "/api/services", cs.token).json(t, &svcs)
	var res struct{ Resources []struct{ Name string } }
	b.get(t, "/api/resources", cs.token).json(t, &res)
	var arts struct{ Articles []struct{ Title string } }
	b.get(t, "/api/knowledge-base", cs.token).json(t, &arts)
	if len(svcs.Services) != 1 || svcs.Services[0].Name != "Cleaning" || len(res.Resources) != 2 || res.Resources[0].Name != "Dr A" ||
		len(arts.Articles) != 1 || arts.Articles[0].Title != "Parking" {
		t.Fatalf("clinic A's objects changed: %+v %+v %+v", svcs, res, arts)
	}
}
