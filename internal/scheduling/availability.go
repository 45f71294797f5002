// Package scheduling owns the rules of a clinic's calendar: opening hours
// in the clinic's time zone, closures, services with buffers, the booking
// window, and the free slots that remain around bookings and live holds.
// Times are computed on the clinic's wall clock and returned as instants,
// so a 9:00 opening stays 9:00 across daylight-saving changes, no slot is
// offered in a skipped hour and none twice in a repeated one.
package scheduling

import (
	"sort"
	"time"

	"frontdesk/internal/wallclock"
)

// Clock is a wall-clock time of day, in minutes after midnight.
type Clock int

// ParseClock reads "HH:MM" (00:00 to 24:00).
func ParseClock(s string) (Clock, bool) {
	t, err := time.Parse("15:04", s)
	if err == nil {
		return Clock(t.Hour()*60 + t.Minute()), true
	}
	if s == "24:00" {
		return 24 * 60, true
	}
	return 0, false
}

func (c Clock) String() string {
	if c == 24*60 {
		return "24:00"
	}
	return time.Date(0, 1, 1, 0, int(c), 0, 0, time.UTC).Format("15:04")
}

// Range is a span of the day, [Opens, Closes).
type Range struct{ Opens, Closes Clock }

// Week holds the opening ranges of each weekday (time.Sunday = 0).
type Week [7][]Range

// Appointment is what is booked: its length and the buffers kept free around it.
type Appointment struct {
	Duration, BufferBefore, BufferAfter time.Duration
}

// Interval is a span of time, [Start, End).
type Interval struct{ Start, End time.Time }

func (i Interval) overlaps(o Interval) bool { return i.Start.Before(o.End) && o.Start.Before(i.End) }

// Resource is one clinician or room, with its hours (already chosen: its
// own, or the clinic's), its closed days and what already takes its time
// (bookings and live holds, buffers included).
type Resource struct {
	Hours  Week
	Closed []DayRange
	Busy   []Interval
}

// DayRange is a run of whole days on the clinic's calendar, inclusive.
type DayRange struct{ First, Last Date }

// Date is a calendar day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the calendar day of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

func (d Date) before(o Date) bool {
	return d.Year < o.Year || d.Year == o.Year && (d.Month < o.Month || d.Month == o.Month && d.Day < o.Day)
}

func (d Date) next() Date {
	t := time.Date(d.Year, d.Month, d.Day+1, 12, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

func (d Date) weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Query asks for the free slots of one service in [From, To).
type Query struct {
	Loc     *time.Location
	Service Appointment
	// Step is the spacing of start times on the wall clock.
	Step     time.Duration
	From, To time.Time
	// Earliest and Latest bound start times: now plus minimum notice, and
	// the end of the booking window.
	Earliest, Latest time.Time
}

// Slots returns the start times at which the service fits entirely inside
// an opening range of one day, with its buffers clear of everything in
// Busy, in order.
func Slots(q Query, r Resource) []time.Time {
	var out []time.Time
	start := q.From
	if q.Earliest.After(start) {
		start = q.Earliest
	}
	end := q.To
	if !q.Latest.IsZero() && q.Latest.Before(end) {
		end = q.Latest
	}
	if !start.Before(end) {
		return nil
	}
	busy := merge(r.Busy)
	step := int(q.Step / time.Minute)
	if step <= 0 {
		step = 15
	}
	last := DateOf(end, q.Loc)
	for day := DateOf(start, q.Loc); !last.before(day); day = day.next() {
		if closed(day, r.Closed) {
			continue
		}
		for _, rg := range r.Hours[day.weekday()] {
			// The range in real time: from the first occurrence of its
			// opening to that of its closing (a closing skipped by a
			// spring-forward is the instant the clock jumps past it).
			// Appointments fit in elapsed time, which is what patients and
			// clinicians live.
			closes, _ := wallclock.First(day.Year, day.Month, day.Day, int(rg.Closes), q.Loc)
			for m := int(rg.Opens); m < int(rg.Closes); m += step {
				at, ok := wall(day, Clock(m), q.Loc)
				if !ok {
					continue // this wall time does not exist today
				}
				appt := Interval{at, at.Add(q.Service.Duration)}
				if appt.End.After(closes) || at.Before(start) || !at.Before(end) {
					continue
				}
				blocked := Interval{at.Add(-q.Service.BufferBefore), appt.End.Add(q.Service.BufferAfter)}
				if !clear(blocked, busy) {
					continue
				}
				out = append(out, at)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return dedupe(out)
}

// OpenAt reports whether at falls in one of the week's opening ranges, on
// a day that is not closed, in loc (ranges in real time, as in Slots).
func OpenAt(at time.Time, loc *time.Location, hours Week, closedDays []DayRange) bool {
	day := DateOf(at, loc)
	if closed(day, closedDays) {
		return false
	}
	for _, rg := range hours[day.weekday()] {
		opens, _ := wallclock.First(day.Year, day.Month, day.Day, int(rg.Opens), loc)
		closes, _ := wallclock.First(day.Year, day.Month, day.Day, int(rg.Closes), loc)
		if !at.Before(opens) && at.Before(closes) {
			return true
		}
	}
	return false
}

// wall is the instant of a wall-clock time on day in loc, and whether that
// wall time exists (it does not in a spring-forward gap). In a repeated
// stretch the first occurrence is used, so no wall time is offered twice.
func wall(day Date, c Clock, loc *time.Location) (time.Time, bool) {
	return wallclock.First(day.Year, day.Month, day.Day, int(c), loc)
}

func closed(d Date, ranges []DayRange) bool {
	for _, r := range ranges {
		if !d.before(r.First) && !r.Last.before(d) {
			return true
		}
	}
	return false
}

// merge sorts busy intervals and joins overlapping ones (a connected
// calendar's events may cover bookings), so that they are sorted by start
// and by end alike.
func merge(in []Interval) []Interval {
	out := append([]Interval(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	n := 0
	for _, iv := range out {
		if n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out[n] = iv
		n++
	}
	return out[:n]
}

// clear reports whether iv overlaps nothing in busy (merged: sorted by
// start and by end): a binary search finds the only candidates.
func clear(iv Interval, busy []Interval) bool {
	i := sort.Search(len(busy), func(i int) bool { return busy[i].End.After(iv.Start) })
	for ; i < len(busy) && busy[i].Start.Before(iv.End); i++ {
		if iv.overlaps(busy[i]) {
			return false
		}
	}
	return true
}

func dedupe(ts []time.Time) []time.Time {
	out := ts[:0]
	for i, t := range ts {
		if i == 0 || !t.Equal(ts[i-1]) {
			out = append(out, t)
		}
	}
	return out
}
