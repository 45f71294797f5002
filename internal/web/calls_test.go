package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/testkit"
)

type listResponse struct {
	Calls []struct {
		ID         frontdesk.CallID
		Direction  string
		Status     string
		StartedAt  time.Time `json:"started_at"`
		CallerName string    `json:"caller_name"`
	}
	Total      int
	Limit      int
	NextCursor *string `json:"next_cursor"`
}

// Keyset pages walk every call exactly once, newest first, with the exact
// total on each page.
func TestListPagesThroughEveryCall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.token(t, b.w.A.Owner, frontdesk.OrgID{})
	// Same started_at for two calls: the id breaks the tie.
	tie := b.w.A.Calls[0].StartedAt
	extra := testkit.AddCall(t, b.db, b.w.A.ID, testkit.Call{Direction: "inbound", Status: "ended", FromNumber: "+12125550199",
		CallerName: "Tie Breaker", StartedAt: tie, Transcript: "tie"})
	want := []frontdesk.CallID{extra.ID}
	for _, c := range b.w.A.Calls {
		want = append(want, c.ID)
	}
	slices.SortStableFunc(want[:2], func(x, y frontdesk.CallID) int { return -strings.Compare(x.String(), y.String()) })

	var got []frontdesk.CallID
	path := "/api/calls-dashboard?call_type=all&limit=2"
	for pages := 0; ; pages++ {
		var page listResponse
		res := b.get(t, path, tok)
		if res.status != 200 {
			t.Fatalf("%s: %d %s", path, res.status, res.body)
		}
		res.json(t, &page)
		if page.Total != len(want) {
			t.Fatalf("total %d, want %d", page.Total, len(want))
		}
		for _, c := range page.Calls {
			got = append(got, c.ID)
		}
		if page.NextCursor == nil {
			break
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		path = "/api/calls-dashboard?call_type=all&limit=2&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages gave\n%v\nwant\n%v", got, want)
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.w.A
	tok := b.token(t, a.Owner, frontdesk.OrgID{})
	ids := func(pred func(testkit.Call) bool) []frontdesk.CallID {
		var out []frontdesk.CallID
		for _, c := range a.Calls {
			if pred(c) {
				out = append(out, c.ID)
			}
		}
		return out
	}
	// Fixture: calls 0..5, an hour apart going back from 2026-03-10 15:00 UTC
	// (11:00 in New York); every third is outbound and in progress.
	cases := []struct {
		query string
		want  []frontdesk.CallID
	}{
		{"", ids(func(c testkit.Call) bool { return c.Direction == "inbound" })},
		{"call_type=outbound", ids(func(c testkit.Call) bool { return c.Direction == "outbound" })},
		{"call_type=all&status=ended", ids(func(c testkit.Call) bool { return c.Status == "ended" })},
		{"call_type=all&status=queued", nil},
		{"call_type=all&q=" + url.QueryEscape(a.Calls[3].FromNumber), []frontdesk.CallID{a.Calls[3].ID}},
		{"call_type=all&q=" + url.QueryEscape("(212) 555-0104"), []frontdesk.CallID{a.Calls[4].ID}},
		{"call_type=all&q=alpha%20caller%202", []frontdesk.CallID{a.Calls[2].ID}},
		{"call_type=all&q=ALPHA", ids(func(testkit.Call) bool { return true })},
		{"call_type=all&q=bravo", nil},
		{"call_type=all&from=2026-03-10T13:30:00Z", []frontdesk.CallID{a.Calls[0].ID, a.Calls[1].ID}},
		{"call_type=all&to=2026-03-10T12:00:00Z", []frontdesk.CallID{a.Calls[4].ID, a.Calls[5].ID}},
		{"call_type=all&from=2026-03-10&to=2026-03-10", ids(func(testkit.Call) bool { return true })},
		{"call_type=all&from=2026-03-11", nil},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			var page listResponse
			res := b.get(t, "/api/calls-dashboard?"+c.query, tok)
			if res.status != 200 {
				t.Fatalf("%d %s", res.status, res.body)
			}
			res.json(t, &page)
			var got []frontdesk.CallID
			for _, call := range page.Calls {
				got = append(got, call.ID)
			}
			if !slices.Equal(got, c.want) || page.Total != len(c.want) {
				t.Fatalf("got %v (total %d), want %v", got, page.Total, c.want)
			}
		})
	}
}

// A client's mistake is a 4xx naming the field, never a 500.
func TestListRefusesBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.token(t, b.w.A.Owner, frontdesk.OrgID{})
	cases := []struct {
		path   string
		status int
		field  string
	}{
		{"/api/calls-dashboard?limit=0", 422, "limit"},
		{"/api/calls-dashboard?limit=10000", 422, "limit"},
		{"/api/calls-dashboard?cursor=bogus", 422, "cursor"},
		{"/api/calls-dashboard?status=lost", 422, "status"},
		{"/api/calls-dashboard?call_type=missed", 422, "call_type"},
		{"/api/calls-dashboard?from=2026-03-10&to=2026-03-01", 422, "to"},
		{"/api/calls-dashboard?from=tuesday", 422, "from"},
		{"/api/calls-dashboard?q=555-01", 422, "q"},
		{"/api/calls-dashboard?q=" + strings.Repeat("x", 101), 422, "q"},
		{"/api/calls-dashboard?colour=red", 422, "colour"},
		{"/api/calls-dashboard/stats?from=2026-03-10&to=2026-03-01", 422, "to"},
		{"/api/calls-dashboard/stats?limit=5", 422, "limit"},
		{"/api/calls-dashboard/not-a-uuid", 400, "callId"},
		{"/api/calls-dashboard/{" + b.w.A.Calls[0].ID.String() + "}", 400, "callId"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			res := b.get(t, c.path, tok)
			var body struct {
				Error struct{ Field, Message string }
			}
			res.json(t, &body)
			if res.status != c.status || body.Error.Field != c.field || body.Error.Message == "" {
				t.Fatalf("%d %s; want %d on field %q", res.status, res.body, c.status, c.field)
			}
		})
	}
}

func TestCallDetailAndStats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.token(t, b.w.B.Staff, frontdesk.OrgID{})
	call := b.w.B.Calls[1]
	var detail struct {
		ID         frontdesk.CallID
		Transcript string
		Summary    string
		StartedAt  string `json:"started_at"`
		Recording  struct{ Status string }
	}
	res := b.get(t, "/api/calls-dashboard/"+call.ID.String(), tok)
	if res.status != http.StatusOK {
		t.Fatalf("%d %s", res.status, res.body)
	}
	res.json(t, &detail)
	// London is on GMT on 10 March: the time is shown with its offset.
	if detail.ID != call.ID || detail.Transcript != call.Transcript || detail.Recording.Status != "none" ||
		detail.StartedAt != "2026-03-10T14:00:00Z" {
		t.Fatalf("detail %+v", detail)
	}
	var stats struct {
		Total              int
		ByStatus           map[string]int `json:"by_status"`
		ByDirection        map[string]int `json:"by_direction"`
		AvgDurationSeconds float64        `json:"avg_duration_seconds"`
	}
	b.get(t, "/api/calls-dashboard/stats", tok).json(t, &stats)
	// Clinic B: calls 0..3; call 2 is outbound and in progress, the rest
	// ended inbound/outbound with 90 s each.
	if stats.Total != 4 || stats.ByStatus["ended"] != 3 || stats.ByStatus["in-progress"] != 1 || stats.ByStatus["queued"] != 0 ||
		stats.ByDirection["inbound"] != 3 || stats.ByDirection["outbound"] != 1 || stats.AvgDurationSeconds != 90 {
		t.Fatalf("stats %+v", stats)
	}
	b.get(t, "/api/calls-dashboard/stats?from=2026-03-11", tok).json(t, &stats)
	if stats.Total != 0 || stats.AvgDurationSeconds != 0 {
		t.Fatalf("stats for a day without calls %+v", stats)
	}
}
