package scheduling

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The four daylight-saving cases an independent tz implementation found,
// each against what the documented rule says: a range is real time from
// the first occurrence of its opening to that of its closing (a skipped
// closing is the instant the clock jumps past it), appointments fit in
// elapsed time, a skipped wall time does not exist, a repeated one means
// its first occurrence.
func TestDaylightSavingEdges(t *testing.T) {
	t.Parallel()
	zone := func(name string) *time.Location {
		l, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	cases := []struct {
		name  string
		loc   *time.Location
		day   Date
		opens Clock
		close Clock
		dur   time.Duration
		want  []time.Time
	}{
		{"New York spring-forward, closing in the gap", zone("America/New_York"), Date{2027, 3, 14}, 60, 150, 30 * time.Minute,
			[]time.Time{utc("2027-03-14T06:00:00Z"), utc("2027-03-14T06:15:00Z"), utc("2027-03-14T06:30:00Z")}},
		{"Sydney spring-forward, closing in the gap (east of Greenwich)", zone("Australia/Sydney"), Date{2026, 10, 4}, 60, 150, 30 * time.Minute,
			[]time.Time{utc("2026-10-03T15:00:00Z"), utc("2026-10-03T15:15:00Z"), utc("2026-10-03T15:30:00Z")}},
		{"New York fall-back: 90 minutes fit in the two elapsed hours of 01:00-02:00", zone("America/New_York"), Date{2026, 11, 1}, 60, 120, 90 * time.Minute,
			[]time.Time{utc("2026-11-01T05:00:00Z"), utc("2026-11-01T05:15:00Z"), utc("2026-11-01T05:30:00Z")}},
		{"Lord Howe's 30-minute fall-back: the repeated half hour at its first occurrence", zone("Australia/Lord_Howe"), Date{2027, 4, 4}, 90, 120, 15 * time.Minute,
			[]time.Time{utc("2027-04-03T14:30:00Z"), utc("2027-04-03T14:45:00Z")}},
	}
	for _, c := range cases {
		res := Resource{}
		res.Hours[c.day.weekday()] = []Range{{c.opens, c.close}}
		from := time.Date(c.day.Year, c.day.Month, c.day.Day, 0, 0, 0, 0, time.UTC).Add(-24 * time.Hour)
		got := Slots(Query{Loc: c.loc, Service: Appointment{Duration: c.dur}, Step: 15 * time.Minute, From: from, To: from.Add(72 * time.Hour)}, res)
		if !slices.EqualFunc(got, c.want, time.Time.Equal) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
		if ref := refSlots(c.loc, c.day, res.Hours[c.day.weekday()], Appointment{Duration: c.dur}, nil); !slices.EqualFunc(ref, c.want, time.Time.Equal) {
			t.Errorf("%s: the reference says %v", c.name, ref)
		}
	}
}

// The engine agrees with a slow, obviously correct reference (it steps
// through real instants minute by minute and asks each its wall time) in
// every zone of the system's tz database, on the days around each of its
// transitions in the next two years, with random hours, buffers and
// bookings.
func TestAvailabilityMatchesMinuteByMinuteReference(t *testing.T) {
	t.Parallel()
	zones := systemZones(t)
	rng := rand.New(rand.NewPCG(7, uint64(len(zones))))
	start := time.Now().UTC().Truncate(24 * time.Hour)
	days, zonesWithTransitions := 0, 0
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue
		}
		transitions := transitionsOf(loc, start, start.AddDate(2, 0, 0))
		if len(transitions) > 0 {
			zonesWithTransitions++
		}
		for _, tr := range transitions {
			for _, shift := range []int{-1, 0, 1} {
				day := DateOf(tr.AddDate(0, 0, shift), loc)
				var ranges []Range
				for range 1 + rng.IntN(2) {
					o := rng.IntN(96) * 15
					c := o + 15 + rng.IntN(8)*30
					if rng.IntN(4) == 0 {
						c = 24 * 60
					}
					ranges = append(ranges, Range{Clock(o), Clock(min(c, 24*60))})
				}
				svc := Appointment{Duration: time.Duration([]int{15, 30, 45, 60, 90, 120}[rng.IntN(6)]) * time.Minute,
					BufferBefore: time.Duration(rng.IntN(3)*5) * time.Minute, BufferAfter: time.Duration(rng.IntN(3)*5) * time.Minute}
				dayStart, _ := firstRef(loc, day, 0)
				var busy []Interval
				for range rng.IntN(4) {
					b := dayStart.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
					busy = append(busy, Interval{b, b.Add(time.Duration(15+rng.IntN(8)*15) * time.Minute)})
				}
				res := Resource{Busy: busy}
				res.Hours[day.weekday()] = ranges
				dayEnd, _ := firstRef(loc, day.next(), 0)
				got := Slots(Query{Loc: loc, Service: svc, Step: 15 * time.Minute, From: dayStart, To: dayEnd}, res)
				want := refSlots(loc, day, ranges, svc, busy)
				if !slices.EqualFunc(got, want, time.Time.Equal) {
					t.Errorf("%s %v, hours %v, %+v, busy %v:\n engine    %v\n reference %v", name, day, ranges, svc, busy, got, want)
				}
				days++
			}
		}
	}
	if zonesWithTransitions < 50 || days < 300 {
		t.Fatalf("checked %d days in %d zones with transitions: the tz database was not found", days, zonesWithTransitions)
	}
}

// refSlots is the reference: every wall time of a range, step by step,
// found by scanning real minutes.
func refSlots(loc *time.Location, day Date, ranges []Range, svc Appointment, busy []Interval) []time.Time {
	var out []time.Time
	for _, rg := range ranges {
		closes, _ := firstRef(loc, day, int(rg.Closes))
		for m := int(rg.Opens); m < int(rg.Closes); m += 15 {
			at, exists := firstRef(loc, day, m)
			if !exists || at.Add(svc.Duration).After(closes) {
				continue
			}
			blocked := Interval{at.Add(-svc.BufferBefore), at.Add(svc.Duration + svc.BufferAfter)}
			free := true
			for _, b := range busy {
				if blocked.overlaps(b) {
					free = false
				}
			}
			if free {
				out = append(out, at)
			}
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, time.Time.Equal)
}

// firstRef is the first real minute whose wall clock in loc reads day at
// minute (1440: the next day's midnight) or later, found by stepping
// through every minute from well before; exists says it reads exactly that.
func firstRef(loc *time.Location, day Date, minute int) (time.Time, bool) {
	target := time.Date(day.Year, day.Month, day.Day, 0, minute, 0, 0, time.UTC)
	for t := target.Add(-16 * time.Hour); ; t = t.Add(time.Minute) {
		l := t.In(loc)
		w := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, time.UTC)
		if !w.Before(target) {
			return t, w.Equal(target)
		}
	}
}

// transitionsOf lists the instants loc's offset changes in [from, to).
func transitionsOf(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	_, prev := from.In(loc).Zone()
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		if _, off := t.In(loc).Zone(); off != prev {
			out = append(out, t)
			prev = off
		}
	}
	return out
}

// systemZones are the zone names of the system's tz database.
func systemZones(t *testing.T) []string {
	root := "/usr/share/zoneinfo"
	var out []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "posix" || rel == "right" || rel == "Etc" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.ContainsRune(rel, '/') || strings.ContainsAny(rel, ".") {
			return nil // top-level aliases and data files
		}
		if b, err := os.ReadFile(path); err == nil && strings.HasPrefix(string(b), "TZif") {
			out = append(out, rel)
		}
		return nil
	})
	if len(out) == 0 {
		t.Skip("no tz database under /usr/share/zoneinfo")
	}
	return out
}
