package scheduling

import (
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, tz string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// every day the same ranges
func daily(ranges ...Range) Week {
	var w Week
	for d := range w {
		w[d] = ranges
	}
	return w
}

func clock(s string) Clock {
	c, ok := ParseClock(s)
	if !ok {
		panic(s)
	}
	return c
}

// wallTimes renders slots as the clinic's wall clock with its offset.
func wallTimes(ts []time.Time, loc *time.Location) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.In(loc).Format("15:04Z07:00"))
	}
	return strings.Join(out, " ")
}

// The daylight-saving table: a 9:00 opening stays 9:00 local on change
// days, the skipped hour offers nothing, the repeated hour nothing twice.
func TestSlotsAcrossDST(t *testing.T) {
	t.Parallel()
	hour := Appointment{Duration: 30 * time.Minute}
	cases := []struct {
		name, tz, day string
		hours         Range
		want          string
	}{
		{"New York spring forward, 9:00 stays 9:00", "America/New_York", "2026-03-08", Range{clock("09:00"), clock("11:00")},
			"09:00-04:00 09:30-04:00 10:00-04:00 10:30-04:00"},
		{"New York spring forward, no 2:xx", "America/New_York", "2026-03-08", Range{clock("01:00"), clock("04:00")},
			"01:00-05:00 01:30-05:00 03:00-04:00 03:30-04:00"},
		{"New York fall back, 9:00 stays 9:00", "America/New_York", "2026-11-01", Range{clock("09:00"), clock("10:00")},
			"09:00-05:00 09:30-05:00"},
		{"New York fall back, 1:00 and 1:30 once", "America/New_York", "2026-11-01", Range{clock("00:00"), clock("03:00")},
			"00:00-04:00 00:30-04:00 01:00-04:00 01:30-04:00 02:00-05:00 02:30-05:00"},
		{"London spring forward, no 1:xx", "Europe/London", "2026-03-29", Range{clock("00:00"), clock("03:00")},
			"00:00Z 00:30Z 02:00+01:00 02:30+01:00"},
		{"London spring forward, 9:00 stays 9:00", "Europe/London", "2026-03-29", Range{clock("09:00"), clock("10:00")},
			"09:00+01:00 09:30+01:00"},
		{"London fall back, 1:xx once", "Europe/London", "2026-10-25", Range{clock("00:30"), clock("02:30")},
			"00:30+01:00 01:00+01:00 01:30+01:00 02:00Z"},
		{"Phoenix, no DST", "America/Phoenix", "2026-03-08", Range{clock("01:00"), clock("04:00")},
			"01:00-07:00 01:30-07:00 02:00-07:00 02:30-07:00 03:00-07:00 03:30-07:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := load(t, c.tz)
			day, _ := time.ParseInLocation("2006-01-02", c.day, loc)
			q := Query{Loc: loc, Service: hour, Step: 30 * time.Minute, From: day, To: day.AddDate(0, 0, 1)}
			got := wallTimes(Slots(q, Resource{Hours: daily(c.hours)}), loc)
			if got != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestSlotsRespectBusyBuffersBreaksClosuresAndWindow(t *testing.T) {
	t.Parallel()
	loc := load(t, "Europe/London")
	day := time.Date(2026, 6, 10, 0, 0, 0, 0, loc) // a Wednesday
	at := func(h, m int) time.Time { return time.Date(2026, 6, 10, h, m, 0, 0, loc) }
	svc := Appointment{Duration: 30 * time.Minute, BufferBefore: 10 * time.Minute, BufferAfter: 5 * time.Minute}
	week := Week{}
	week[time.Wednesday] = []Range{{clock("09:00"), clock("12:00")}, {clock("13:00"), clock("14:00")}} // lunch break
	q := Query{Loc: loc, Service: svc, Step: 30 * time.Minute, From: day, To: day.AddDate(0, 0, 1)}
	r := Resource{Hours: week, Busy: []Interval{{at(10, 0), at(10, 30)}}}
	// 9:30 ends 10:00 + 5 min buffer overlaps the 10:00 booking; 10:30
	// starts with 10 min before it, overlapping too.
	if got := wallTimes(Slots(q, r), loc); got != "09:00+01:00 11:00+01:00 11:30+01:00 13:00+01:00 13:30+01:00" {
		t.Fatalf("busy and buffers: %s", got)
	}
	q.Earliest = at(11, 15) // minimum notice
	if got := wallTimes(Slots(q, r), loc); got != "11:30+01:00 13:00+01:00 13:30+01:00" {
		t.Fatalf("notice: %s", got)
	}
	q.Latest = at(13, 15) // end of the booking window
	if got := wallTimes(Slots(q, r), loc); got != "11:30+01:00 13:00+01:00" {
		t.Fatalf("window: %s", got)
	}
	r.Closed = []DayRange{{Date{2026, 6, 9}, Date{2026, 6, 10}}}
	if got := Slots(q, r); len(got) != 0 {
		t.Fatalf("closed day offered %v", got)
	}
	// Another weekday has no hours.
	q2 := Query{Loc: loc, Service: svc, Step: 30 * time.Minute, From: day.AddDate(0, 0, 1), To: day.AddDate(0, 0, 2)}
	if got := Slots(q2, Resource{Hours: week}); len(got) != 0 {
		t.Fatalf("closed weekday offered %v", got)
	}
}
