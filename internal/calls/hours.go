package calls

import "time"

// HourSplit divides a time range into the whole UTC hours that the hourly
// call counts hold and the partial hours at either end, which are counted
// row by row. A nil bound is open; a nil Head or Tail is empty.
type HourSplit struct {
	HoursFrom, HoursBefore *time.Time
	Head, Tail             *[2]time.Time
}

// SplitHours splits [from, to). Go truncates to hours since the zero time,
// which are UTC hours, the same buckets as date_bin in the database.
func SplitHours(from, to *time.Time) HourSplit {
	var s HourSplit
	if from != nil {
		c := from.Truncate(time.Hour)
		if !c.Equal(*from) {
			c = c.Add(time.Hour)
			s.Head = &[2]time.Time{*from, c}
		}
		s.HoursFrom = &c
	}
	if to != nil {
		f := to.Truncate(time.Hour)
		if !f.Equal(*to) {
			s.Tail = &[2]time.Time{f, *to}
		}
		s.HoursBefore = &f
	}
	if from != nil && to != nil && s.HoursFrom.After(*s.HoursBefore) {
		// Within one hour: no whole hour, one partial range.
		s = HourSplit{HoursFrom: s.HoursFrom, HoursBefore: s.HoursFrom, Head: &[2]time.Time{*from, *to}}
	}
	return s
}
