package scheduling

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/wallclock"
)

// ClinicHours are the clinic's own opening hours and closed days (a
// clinician's or room's own are not the clinic's).
type ClinicHours struct {
	Week     Week
	Closures []ClosedDays
	loc      *time.Location
}

// ClosedDays is a run of closed days and why.
type ClosedDays struct {
	DayRange
	Reason string
}

// ReadClinicHours reads the clinic's hours and its closures that end on or
// after from's day.
func ReadClinicHours(ctx context.Context, tx *postgres.Tx, from time.Time) (ClinicHours, error) {
	org := tx.Org
	h := ClinicHours{loc: org.Location}
	rows, err := tx.ListOpeningHours(ctx, org.ID)
	if err != nil {
		return h, err
	}
	for _, r := range rows {
		if r.ResourceID.IsZero() {
			h.Week[r.Weekday] = append(h.Week[r.Weekday], Range{Opens: ClockOf(r.Opens), Closes: ClockOf(r.Closes)})
		}
	}
	closures, err := tx.ListClosures(ctx, db.ListClosuresParams{OrgID: org.ID, FromDay: pgtype.Date{Time: from.In(org.Location), Valid: true}})
	for _, c := range closures {
		if c.ResourceID.IsZero() {
			h.Closures = append(h.Closures, ClosedDays{DayRange{dateOf(c.FirstDay), dateOf(c.LastDay)}, c.Reason})
		}
	}
	return h, err
}

// On is what the clinic opens on day: its ranges, or the closure that
// keeps it shut (nil ranges and nil closure: not a working day).
func (h ClinicHours) On(day Date) ([]Range, *ClosedDays) {
	for i, c := range h.Closures {
		if closed(day, []DayRange{c.DayRange}) {
			return nil, &h.Closures[i]
		}
	}
	return h.Week[day.weekday()], nil
}

// OpenAt reports whether the clinic is open at t.
func (h ClinicHours) OpenAt(t time.Time) bool {
	days := make([]DayRange, len(h.Closures))
	for i, c := range h.Closures {
		days[i] = c.DayRange
	}
	return OpenAt(t, h.loc, h.Week, days)
}

// Time is the first instant of day in the clinic's zone.
func (d Date) Time(loc *time.Location) time.Time {
	t, _ := wallclock.First(d.Year, d.Month, d.Day, 0, loc)
	return t
}

// RangesWords says a day's opening ranges as they are spoken: "9 AM to
// 12:30 PM and 1:30 PM to 5 PM", or "closed".
func RangesWords(rs []Range) string {
	if len(rs) == 0 {
		return "closed"
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.Opens.Words()+" to "+r.Closes.Words())
	}
	return strings.Join(out, " and ")
}

// Words is the clock time as spoken: "9 AM", "12:30 PM", "midnight".
func (c Clock) Words() string {
	if c == 24*60 {
		return "midnight"
	}
	t := time.Date(2000, 1, 1, 0, int(c), 0, 0, time.UTC)
	if t.Minute() == 0 {
		return t.Format("3 PM")
	}
	return t.Format("3:04 PM")
}
