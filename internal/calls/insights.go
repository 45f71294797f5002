package calls

import (
	"context"
	"net/url"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Insights are a range's calls counted: per day and per hour of the day
// (clinic time), by outcome, how many made a booking, their average
// length.
type Insights struct {
	From, To      time.Time // To exclusive
	Calls, Booked int64
	AvgSeconds    float64
	ByDay         []Count
	ByHour        []Count // 24, one per hour
	ByOutcome     []Count
}

// Count is one bar of a chart.
type Count struct {
	Label string
	N     int64
}

// Conversion is the share of calls that made a booking, in percent.
func (in Insights) Conversion() float64 {
	if in.Calls == 0 {
		return 0
	}
	return 100 * float64(in.Booked) / float64(in.Calls)
}

// Insights counts the clinic's calls in the from/to range of q (dates in
// the clinic's zone; the last 30 days by default, at most a year).
func (s *Service) Insights(ctx context.Context, org frontdesk.OrgID, q url.Values) (Insights, error) {
	var out Insights
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		loc := tx.Org.Location
		from, to, err := ParseRange(url.Values{"from": {q.Get("from")}, "to": {q.Get("to")}}, loc)
		if err != nil {
			return err
		}
		if to == nil {
			y, m, d := time.Now().In(loc).Date()
			end := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
			to = &end
		}
		if from == nil {
			start := to.AddDate(0, 0, -30)
			from = &start
		}
		if to.Sub(*from) > 366*24*time.Hour {
			return frontdesk.Invalid("from", "a range of at most a year")
		}
		out.From, out.To = from.In(loc), to.In(loc)
		tz := loc.String()
		totals, err := tx.CallTotals(ctx, db.CallTotalsParams{OrgID: org, FromAt: *from, ToAt: *to})
		if err != nil {
			return err
		}
		out.Calls, out.Booked, out.AvgSeconds = totals.Calls, totals.Booked, totals.AvgSeconds
		days, err := tx.CallsByDay(ctx, db.CallsByDayParams{OrgID: org, Tz: tz, FromAt: *from, ToAt: *to})
		if err != nil {
			return err
		}
		perDay := map[string]int64{}
		for _, d := range days {
			perDay[d.Day.Time.Format(time.DateOnly)] = d.Calls
		}
		for d := out.From; d.Before(out.To); d = d.AddDate(0, 0, 1) {
			out.ByDay = append(out.ByDay, Count{d.Format(time.DateOnly), perDay[d.Format(time.DateOnly)]})
		}
		hours, err := tx.CallsByHour(ctx, db.CallsByHourParams{OrgID: org, Tz: tz, FromAt: *from, ToAt: *to})
		if err != nil {
			return err
		}
		out.ByHour = make([]Count, 24)
		for h := range out.ByHour {
			out.ByHour[h].Label = time.Date(2000, 1, 1, h, 0, 0, 0, time.UTC).Format("3 PM")
		}
		for _, h := range hours {
			out.ByHour[h.Hour].N = h.Calls
		}
		outcomes, err := tx.CallsByOutcome(ctx, db.CallsByOutcomeParams{OrgID: org, FromAt: *from, ToAt: *to})
		for _, o := range outcomes {
			out.ByOutcome = append(out.ByOutcome, Count{o.Outcome, o.Calls})
		}
		return err
	})
	return out, err
}
