package campaigns

import (
	"testing"
	"time"

	"frontdesk/internal/postgres/db"
	"frontdesk/internal/tel"
)

// Calling hours are the callee's wall clock: across the days the clocks
// change, and in another country's zone for a number from there.
func TestCallingHours(t *testing.T) {
	c := db.Campaign{HoursStart: 9 * 60, HoursEnd: 20 * 60, Days: []int32{0, 1, 2, 3, 4, 5, 6}}
	ny, _ := time.LoadLocation("America/New_York")
	london, _ := time.LoadLocation("Europe/London")
	for _, x := range []struct {
		at   time.Time
		in   bool
		next string // the next opening, when not in
	}{
		{time.Date(2027, 3, 14, 8, 59, 0, 0, ny), false, "2027-03-14 09:00 EDT"}, // the morning clocks go forward
		{time.Date(2027, 3, 14, 9, 0, 0, 0, ny), true, ""},
		{time.Date(2027, 3, 14, 19, 59, 0, 0, ny), true, ""},
		{time.Date(2027, 3, 14, 20, 0, 0, 0, ny), false, "2027-03-15 09:00 EDT"},
		{time.Date(2027, 11, 7, 1, 30, 0, 0, ny), false, "2027-11-07 09:00 EST"}, // the repeated hour, clocks going back
		{time.Date(2027, 11, 7, 8, 59, 0, 0, ny), false, "2027-11-07 09:00 EST"},
	} {
		if got := within(c, x.at); got != x.in {
			t.Errorf("%s: within %v", x.at, got)
		}
		if !x.in {
			if got := nextWindow(c, x.at).Format("2006-01-02 15:04 MST"); got != x.next {
				t.Errorf("%s: next window %s, want %s", x.at, got, x.next)
			}
		}
	}
	weekdays := db.Campaign{HoursStart: 9 * 60, HoursEnd: 20 * 60, Days: []int32{1, 2, 3, 4, 5}}
	if got := nextWindow(weekdays, time.Date(2027, 3, 12, 21, 0, 0, 0, ny)).Format("Mon 15:04"); got != "Mon 09:00" { // a Friday night
		t.Errorf("after Friday: %s", got)
	}
	// A British number called by a New York clinic keeps British hours;
	// a US number keeps the clinic's.
	if z := tel.Zone("+442079460001", "US", ny); z.String() != "Europe/London" {
		t.Errorf("a London number: %s", z)
	}
	if z := tel.Zone("+13105550100", "US", ny); z != ny {
		t.Errorf("a US number from a US clinic: %s", z)
	}
	if z := tel.Zone("+12125550100", "GB", london); z.String() == "Europe/London" {
		t.Errorf("a New York number from a London clinic: %s", z)
	}
}
