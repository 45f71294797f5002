package calls_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/calls"
)

func clinic(t testing.TB, tz, country string) frontdesk.Clinic {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	return frontdesk.Clinic{Location: loc, Country: country}
}

func TestParseListFilter(t *testing.T) {
	t.Parallel()
	ny := clinic(t, "America/New_York", "US")
	london := clinic(t, "Europe/London", "GB")
	cur := calls.Cursor{StartedAt: time.Date(2026, 3, 1, 12, 0, 0, 123000, time.UTC), ID: frontdesk.NewCallID()}
	day := func(loc *time.Location, y int, m time.Month, d int) *time.Time {
		t := time.Date(y, m, d, 0, 0, 0, 0, loc)
		return &t
	}
	cases := []struct {
		query  string
		clinic frontdesk.Clinic
		want   calls.ListFilter
	}{
		{"", ny, calls.ListFilter{Direction: "inbound", Limit: 20}},
		{"call_type=all&limit=100", ny, calls.ListFilter{Limit: 100}},
		{"call_type=outbound&status=in-progress", ny, calls.ListFilter{Direction: "outbound", Status: "in-progress", Limit: 20}},
		// Dates are the clinic's days; "to" includes its day.
		{"from=2026-03-08&to=2026-03-08", ny, calls.ListFilter{Direction: "inbound", Limit: 20,
			From: day(ny.Location, 2026, 3, 8), To: day(ny.Location, 2026, 3, 9)}},
		{"from=2026-03-29T00:30:00Z", london, calls.ListFilter{Direction: "inbound", Limit: 20,
			From: func() *time.Time { t := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC); return &t }()}},
		// A phone number in any common spelling becomes E.164, in the
		// clinic's country.
		{"q=(212) 555-0100", ny, calls.ListFilter{Direction: "inbound", Limit: 20, Phone: "+12125550100"}},
		{"q=%2B1 212 555 0100", london, calls.ListFilter{Direction: "inbound", Limit: 20, Phone: "+12125550100"}},
		{"q=020 7946 0000", london, calls.ListFilter{Direction: "inbound", Limit: 20, Phone: "+442079460000"}},
		{"q=Maria", ny, calls.ListFilter{Direction: "inbound", Limit: 20, NamePrefix: "Maria"}},
		{"q=O'Brien", ny, calls.ListFilter{Direction: "inbound", Limit: 20, NamePrefix: "O'Brien"}},
		{"cursor=" + cur.Encode(), ny, calls.ListFilter{Direction: "inbound", Limit: 20, After: &cur}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			q, err := url.ParseQuery(c.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := calls.ParseListFilter(q, c.clinic)
			if err != nil {
				t.Fatal(err)
			}
			if !equal(got, c.want) {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func equal(a, b calls.ListFilter) bool {
	sameTime := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	sameCursor := (a.After == nil) == (b.After == nil) && (a.After == nil || (a.After.ID == b.After.ID && a.After.StartedAt.Equal(b.After.StartedAt)))
	return a.Direction == b.Direction && a.Status == b.Status && a.Phone == b.Phone && a.NamePrefix == b.NamePrefix &&
		a.Limit == b.Limit && sameTime(a.From, b.From) && sameTime(a.To, b.To) && sameCursor
}

func TestParseListFilterRefusesBadInput(t *testing.T) {
	t.Parallel()
	ny := clinic(t, "America/New_York", "US")
	cases := map[string]string{
		"limit=0":                         "limit",
		"limit=10000":                     "limit",
		"limit=ten":                       "limit",
		"call_type=missed":                "call_type",
		"status=done":                     "status",
		"from=yesterday":                  "from",
		"to=2026-13-01":                   "to",
		"from=2026-03-10&to=2026-03-01":   "to",
		"cursor=abc":                      "cursor",
		"cursor=" + "MTIzLG5vdC1hLXV1aWQ": "cursor",
		"q=12":                            "", // too short for a number: a name prefix, fine
		"q=555-01":                        "q",
		"sort=asc":                        "sort",
		"limit=5&limit=6":                 "limit",
	}
	for query, field := range cases {
		t.Run(query, func(t *testing.T) {
			q, _ := url.ParseQuery(query)
			_, err := calls.ParseListFilter(q, ny)
			if field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var ve *frontdesk.ValidationError
			if !errors.As(err, &ve) || ve.Field != field {
				t.Fatalf("got %v, want a validation error on %q", err, field)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	c := calls.Cursor{StartedAt: time.Date(2026, 11, 1, 1, 30, 0, 999999000, time.UTC), ID: frontdesk.NewCallID()}
	got, err := calls.DecodeCursor(c.Encode())
	if err != nil || got.ID != c.ID || !got.StartedAt.Equal(c.StartedAt) {
		t.Fatalf("round trip: got %+v, %v; want %+v", got, err, c)
	}
}

// FuzzParseListFilter: any query string is either a filter or a validation
// error naming a field, never a panic or another kind of error.
func FuzzParseListFilter(f *testing.F) {
	for _, s := range []string{"", "limit=5", "q=%2B44 20 7946 0000", "cursor=MTIz", "from=2026-01-01&to=2026-01-02",
		"status=ended&call_type=all", "q=" + string([]byte{0xff, 0xfe})} {
		f.Add(s)
	}
	ny := clinic(f, "America/New_York", "US")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := calls.ParseListFilter(q, ny)
		if err != nil {
			var ve *frontdesk.ValidationError
			if !errors.As(err, &ve) || ve.Field == "" {
				t.Fatalf("%q: error %v is not a field validation error", raw, err)
			}
			return
		}
		if got.Limit < 1 || got.Limit > calls.MaxLimit {
			t.Fatalf("%q: limit %d out of range", raw, got.Limit)
		}
		if got.From != nil && got.To != nil && !got.To.After(*got.From) {
			t.Fatalf("%q: to before from accepted", raw)
		}
	})
}

// A date is the whole day in the clinic's zone, from its first instant,
// even where the clocks change at midnight and the day starts at 01:00.
func TestDateRangeInZonesThatChangeAtMidnight(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"America/Santiago", "Asia/Beirut", "America/Havana"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		// Find the next day that starts in a gap.
		var day time.Time
		for h := time.Now().UTC().Truncate(time.Hour); h.Before(time.Now().AddDate(2, 0, 0)); h = h.Add(time.Hour) {
			_, o1 := h.In(loc).Zone()
			_, o2 := h.Add(time.Hour).In(loc).Zone()
			if after := h.Add(time.Hour).In(loc); o2 > o1 && after.Hour() == 1 {
				day = after
				break
			}
		}
		if day.IsZero() {
			continue // no midnight spring-forward ahead in this zone
		}
		date := day.Format(time.DateOnly)
		from, to, err := calls.ParseRange(url.Values{"from": {date}, "to": {date}}, loc)
		if err != nil {
			t.Fatal(err)
		}
		first := func(d string) time.Time { // the first real minute whose local date is d
			for m := day.Add(-48 * time.Hour).Truncate(time.Minute); ; m = m.Add(time.Minute) {
				if m.In(loc).Format(time.DateOnly) >= d {
					return m
				}
			}
		}
		next := day.AddDate(0, 0, 1).Format(time.DateOnly)
		if !from.Equal(first(date)) || !to.Equal(first(next)) || from.In(loc).Format(time.DateOnly) != date {
			t.Errorf("%s %s: from %v to %v; want %v to %v", name, date, from.In(loc), to.In(loc), first(date).In(loc), first(next).In(loc))
		}
	}
}
