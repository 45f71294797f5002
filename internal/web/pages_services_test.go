package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The services page: a service added, refused at its field with what was
// typed kept, warned about until a clinician offers it; a clinician added
// with the services ticked; one with bookings cannot be deleted; staff see
// no such page.
func TestServicesPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v := b.signInPage(t, b.w.A.Owner, b.w.A.ID)
	v.get("/settings/services")
	svc := url.Values{"name": {"Allergy test"}, "duration_minutes": {"three"}, "buffer_before_minutes": {"0"}, "buffer_after_minutes": {"5"}, "active": {"on"}}
	if res := v.post("/settings/services", svc); res.status != 422 || !bytes.Contains(res.body, []byte(`id="svc-new-duration_minutes-error"`)) ||
		!bytes.Contains(res.body, []byte(`value="Allergy test"`)) {
		t.Fatalf("a length in words: %d", res.status)
	}
	svc.Set("duration_minutes", "45")
	res := v.post("/settings/services", svc)
	if !strings.Contains(res.url, "done=saved") || !bytes.Contains(res.body, []byte("Allergy test")) ||
		!bytes.Contains(res.body, []byte("not bookable: no active clinician")) {
		t.Fatalf("a service added: %d %s", res.status, res.url)
	}
	owner := b.owner(t)
	var svcID, resID string
	owner.QueryRow(context.Background(), "SELECT id FROM services WHERE name = 'Allergy test'").Scan(&svcID)

	// A clinician offering it: the warning is gone, and the service can
	// be booked.
	if res := v.post("/settings/resources", url.Values{"name": {" "}, "kind": {"clinician"}, "service_ids": {svcID}, "active": {"on"}}); res.status != 422 ||
		!bytes.Contains(res.body, []byte(`id="res-new-name-error"`)) || !bytes.Contains(res.body, []byte(`value="`+svcID+`" checked`)) {
		t.Fatalf("a clinician without a name: %d", res.status)
	}
	res = v.post("/settings/resources", url.Values{"name": {"Dr Okafor"}, "kind": {"clinician"}, "service_ids": {svcID}, "active": {"on"}})
	if !strings.Contains(res.url, "done=saved") || bytes.Contains(res.body, []byte("not bookable: no active clinician")) {
		t.Fatalf("a clinician added: %d %s", res.status, res.url)
	}
	owner.QueryRow(context.Background(), "SELECT id FROM resources WHERE name = 'Dr Okafor'").Scan(&resID)
	if n := count(t, owner, "SELECT count(*) FROM resource_services WHERE resource_id = $1 AND service_id = $2", resID, svcID); n != 1 {
		t.Fatalf("the clinician offers %d of the service", n)
	}
	// Closed days of one clinician, from the hours page.
	away := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	if res := v.post("/settings/closures", url.Values{"first_day": {away}, "reason": {"Conference"}, "closure_resource": {resID}}); !strings.Contains(res.url, "saved") ||
		!bytes.Contains(res.body, []byte("Conference <span class=\"muted\">(Dr Okafor only)</span>")) {
		t.Fatalf("a clinician's closure: %d %s", res.status, res.url)
	}

	// An edit refused keeps its own form open with the error there.
	if res := v.post("/settings/services/"+svcID, url.Values{"name": {"Allergy test"}, "duration_minutes": {"2"}}); res.status != 422 ||
		!bytes.Contains(res.body, []byte(`id="svc-`+svcID+`-duration_minutes-error"`)) || !bytes.Contains(res.body, []byte(`value="2"`)) {
		t.Fatalf("a 2-minute service: %d", res.status)
	}
	if res := v.post("/settings/services/"+svcID, url.Values{"name": {"Allergy test (adults)"}, "duration_minutes": {"40"}}); !strings.Contains(res.url, "done=saved") ||
		count(t, owner, "SELECT count(*) FROM services WHERE id = $1 AND name = 'Allergy test (adults)' AND duration_minutes = 40 AND NOT active", svcID) != 1 {
		t.Fatalf("a service edited and switched off: %d %s", res.status, res.url)
	}

	// With a booking, neither can be deleted.
	start := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	if _, err := owner.Exec(context.Background(), `INSERT INTO bookings (org_id, resource_id, service_id, status, starts_at, ends_at, blocked, patient_name, patient_phone, source)
		VALUES ($1, $2, $3, 'confirmed', $4, $5, tstzrange($4, $5), 'Ana', '+12125550101', 'staff')`, b.w.A.ID, resID, svcID, start, start.Add(40*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/settings/services/" + svcID + "/delete", "/settings/resources/" + resID + "/delete"} {
		if res := v.post(p, url.Values{}); res.status != 409 || !bytes.Contains(res.body, []byte("set it inactive instead")) {
			t.Fatalf("%s with a booking: %d", p, res.status)
		}
	}
	if res := b.signInPage(t, b.w.A.Staff, b.w.A.ID).get("/settings/services"); res.status != http.StatusForbidden {
		t.Fatalf("staff open the services page: %d", res.status)
	}
	if res := b.signInPage(t, b.w.B.Owner, b.w.B.ID).get("/settings/services"); bytes.Contains(res.body, []byte("Dr Okafor")) {
		t.Fatal("clinic B sees clinic A's clinician")
	}
}
