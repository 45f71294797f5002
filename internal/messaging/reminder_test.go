package messaging

import (
	"testing"
	"time"
)

// Reminders: a day before by default, never in the clinic's night, never
// for an appointment within the hour.
func TestReminderTime(t *testing.T) {
	t.Parallel()
	ny, _ := time.LoadLocation("America/New_York")
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, ny) }
	quietStart, quietEnd := 21*60, 8*60
	now := at(1, 12, 0)
	cases := []struct {
		name  string
		start time.Time
		now   time.Time
		want  time.Time
		ok    bool
	}{
		{"a day before, in the afternoon", at(10, 14, 0), now, at(9, 14, 0), true},
		{"a day before would be 7:30 AM: the evening before", at(10, 7, 30), now, at(8, 20, 59), true},
		{"a day before would be 11 PM: that evening at 20:59", at(10, 23, 0), now, at(9, 20, 59), true},
		{"a day before has passed: now", at(2, 10, 0), now, now, true},
		{"it has passed and it is night: none", at(2, 10, 0), at(1, 22, 0), time.Time{}, false},
		{"within the hour: none", at(1, 12, 30), now, time.Time{}, false},
	}
	for _, c := range cases {
		got, ok := ReminderTime(c.start, 24*time.Hour, quietStart, quietEnd, ny, c.now)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("%s: %s %v, want %s %v", c.name, got.In(ny), ok, c.want, c.ok)
		}
	}
}
