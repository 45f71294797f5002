package web

import (
	"errors"
	"fmt"
	"net/http"

	"frontdesk"
	"frontdesk/internal/calls"
)

// The insights page: a range's calls per day and per hour, by outcome,
// how many made a booking, drawn as bar charts (SVG from the server) with
// their numbers.

type insightsPage struct {
	In          calls.Insights
	From, To    string // as typed
	Errors      map[string]string
	ByDay       chart
	ByHour      chart
	ByOutcome   []calls.Count
	Busiest     string
	AvgDuration string
}

// chart is a bar chart laid out for an SVG of Width × Height.
type chart struct {
	Width, Height int
	Bars          []bar
}

type bar struct {
	X, Y, W, H int
	Label      string
	N          int64
}

func barChart(counts []calls.Count, width, height int) chart {
	c := chart{Width: width, Height: height}
	var most int64 = 1
	for _, n := range counts {
		most = max(most, n.N)
	}
	if len(counts) == 0 {
		return c
	}
	step := width / len(counts)
	for i, n := range counts {
		h := int(int64(height-4) * n.N / most)
		c.Bars = append(c.Bars, bar{X: i*step + 1, Y: height - h, W: max(step-2, 1), H: h, Label: n.Label, N: n.N})
	}
	return c
}

func (s *Server) insightsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "insights"
	q := r.URL.Query()
	d := insightsPage{From: q.Get("from"), To: q.Get("to")}
	in, err := s.app.Calls.Insights(r.Context(), v.m.Org, q)
	var ve *frontdesk.ValidationError
	status := http.StatusOK
	if errors.As(err, &ve) {
		d.Errors, status = map[string]string{ve.Field: ve.Message}, http.StatusUnprocessableEntity
		in, err = s.app.Calls.Insights(r.Context(), v.m.Org, nil)
	}
	if err != nil {
		return err
	}
	d.In, d.ByOutcome = in, in.ByOutcome
	if d.From == "" {
		d.From = in.From.Format("2006-01-02")
	}
	if d.To == "" {
		d.To = in.To.AddDate(0, 0, -1).Format("2006-01-02")
	}
	d.ByDay, d.ByHour = barChart(in.ByDay, 720, 160), barChart(in.ByHour, 720, 160)
	var busiest calls.Count
	for _, h := range in.ByHour {
		if h.N > busiest.N {
			busiest = h
		}
	}
	if busiest.N > 0 {
		d.Busiest = fmt.Sprintf("%s (%d calls)", busiest.Label, busiest.N)
	}
	if secs := int32(in.AvgSeconds + 0.5); secs > 0 {
		d.AvgDuration = durationWords(&secs)
	}
	return s.render(w, v, status, "insights", "Insights", d)
}
