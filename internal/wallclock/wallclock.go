// Package wallclock turns a zone's wall-clock times into instants, across
// daylight-saving transitions of any size (a 30-minute shift included) and
// in zones whose clocks change at midnight. The rule Frontdesk lives by: a
// wall time skipped by a spring-forward does not exist (it reads as the
// instant the clock jumps past it), and a repeated one means its first
// occurrence.
package wallclock

import (
	"sort"
	"time"
)

// First is the first instant at which the wall clock in loc reads y-m-d
// minute (minutes after midnight; 1440 is the next day's midnight) or
// later, and whether that wall time exists. For a wall time that exists it
// is its first occurrence; for one skipped by a transition, the instant the
// clock jumps past it.
func First(y int, m time.Month, d, minute int, loc *time.Location) (time.Time, bool) {
	// Most days: no transition within hours, so the wall time exists once.
	if t := time.Date(y, m, d, 0, minute, 0, 0, loc); steady(t, loc) {
		return t, true
	}
	// The wall time read as if it were UTC: the instant is this minus the
	// zone's offset at that instant, for one of the offsets in force
	// around it.
	naive := time.Date(y, m, d, 0, minute, 0, 0, time.UTC)
	want := key(naive)
	var offsets []int
	for _, probe := range []time.Duration{-36 * time.Hour, 0, 36 * time.Hour} {
		_, o := naive.Add(probe).In(loc).Zone()
		offsets = append(offsets, o)
		_, o = naive.Add(probe).Add(-time.Duration(o) * time.Second).In(loc).Zone()
		offsets = append(offsets, o)
	}
	var found []time.Time
	for _, o := range offsets {
		t := naive.Add(-time.Duration(o) * time.Second)
		if key(t.In(loc)) == want {
			found = append(found, t)
		}
	}
	if len(found) > 0 {
		sort.Slice(found, func(i, j int) bool { return found[i].Before(found[j]) })
		return found[0], true
	}
	// In a gap: the first instant whose wall clock reads past it. Around a
	// gap the wall clock only moves forward, so a binary search finds it.
	lo, hi := offsets[0], offsets[0]
	for _, o := range offsets {
		lo, hi = max(lo, o), min(hi, o)
	}
	from := naive.Add(-time.Duration(lo)*time.Second - 3*time.Hour)
	span := int64(time.Duration(lo-hi)*time.Second+6*time.Hour) / int64(time.Second)
	i := sort.Search(int(span), func(s int) bool {
		return key(from.Add(time.Duration(s)*time.Second).In(loc)) >= want
	})
	return from.Add(time.Duration(i) * time.Second), false
}

// steady reports whether loc keeps one offset from well before t to well
// after it (longer than any transition's shift), so that t's wall time
// occurs exactly once.
func steady(t time.Time, loc *time.Location) bool {
	_, before := t.Add(-4 * time.Hour).In(loc).Zone()
	_, at := t.In(loc).Zone()
	_, after := t.Add(4 * time.Hour).In(loc).Zone()
	return before == at && at == after
}

// key orders wall-clock readings: the reading of t as a number that grows
// with date and time of day, to the second.
func key(t time.Time) int64 {
	y, m, d := t.Date()
	return ((int64(y)*100+int64(m))*100+int64(d))*100000 + int64(t.Hour()*3600+t.Minute()*60+t.Second())
}

// StartOfDay is the first instant of the day y-m-d in loc (which is not
// midnight where the clocks change at midnight).
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	t, _ := First(y, m, d, 0, loc)
	return t
}
