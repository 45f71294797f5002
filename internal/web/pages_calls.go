package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/calls"
)

// The calls pages: the list with its filters, one call with its recording.

type callsPage struct {
	Query  url.Values
	Errors map[string]string
	Page   calls.Page
	Rows   []callRow
	// Next is the next page's URL, with the same filters.
	Next               string
	Statuses, Outcomes []option
	// Live is where the page hears of changes to its calls; Insert, on the
	// first page without filters, which new calls it adds (their
	// direction, or "all").
	Live, Insert string
}

// option is one choice of a select: its value, in words, and whether it
// is the chosen one.
type option struct {
	Value, Label string
	Selected     bool
}

// options are a select's choices, the one given selected.
func options(values []string, chosen string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{v, words(v), v == chosen}
	}
	return out
}

func (s *Server) callsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "calls"
	q := r.URL.Query()
	for k, vs := range q { // an empty filter field is no filter
		if len(vs) == 1 && strings.TrimSpace(vs[0]) == "" {
			q.Del(k)
		}
	}
	data := callsPage{Query: q, Statuses: options(calls.Statuses, q.Get("status")), Outcomes: options(calls.Outcomes, q.Get("outcome"))}
	since := calls.Position{UpdatedAt: time.Now()}
	data.Live = "/calls/live?since=" + url.QueryEscape(since.String())
	if len(q) == 0 || (len(q) == 1 && q.Has("call_type")) {
		data.Insert = q.Get("call_type")
		if data.Insert == "" {
			data.Insert = "inbound"
		}
	}
	page, err := s.app.Calls.List(r.Context(), v.m.Org, q)
	var ve *frontdesk.ValidationError
	status := http.StatusOK
	switch {
	case errors.As(err, &ve):
		data.Errors, status = map[string]string{ve.Field: ve.Message}, http.StatusUnprocessableEntity
	case err != nil:
		return err
	default:
		data.Page = page
		for _, c := range page.Calls {
			data.Rows = append(data.Rows, rowOf(c))
		}
		if page.NextCursor != nil {
			next := url.Values{}
			for k, vs := range q {
				next[k] = vs
			}
			next.Set("cursor", *page.NextCursor)
			data.Next = "/calls?" + next.Encode()
		}
	}
	return s.render(w, v, status, "calls", "Calls", data)
}

// callRow is one row of the calls list, its words ready: the list and
// the live stream render the same rows.
type callRow struct {
	ID, When, Caller, Number, Status, StatusWords, Length, Outcome, Recording string
	Booked, CallBack                                                          bool
}

// HTML is the row as the calls page and its live stream show it. It is
// written here rather than in the template: a page has up to 100 rows,
// and html/template's escaping (a reflective call for every value) made
// the page a third slower than the JSON list (BenchmarkCallsPage). Every
// value is escaped; the markup is fixed.
func (r callRow) HTML() template.HTML {
	e := html.EscapeString
	var b strings.Builder
	b.Grow(600)
	b.WriteString(`<tr data-call="` + e(r.ID) + `">
    <td><a href="/calls/` + e(r.ID) + `">` + e(r.When) + `</a></td>
    <td>`)
	if r.Caller != "" {
		b.WriteString(e(r.Caller) + `<br>`)
	}
	b.WriteString(`<span class="muted">` + e(r.Number) + `</span></td>
    <td><span class="badge status-` + e(r.Status) + `">` + e(r.StatusWords) + `</span></td>
    <td>` + e(r.Length) + `</td>
    <td>` + e(r.Outcome) + `</td>
    <td>`)
	if r.Booked {
		b.WriteString(`<span class="badge">booking made</span> `)
	}
	if r.CallBack {
		b.WriteString(`<span class="badge urgent-badge">call back</span>`)
	}
	b.WriteString(`</td>
    <td>` + e(r.Recording) + `</td>
  </tr>`)
	return template.HTML(b.String())
}

func rowOf(c calls.Call) callRow {
	r := callRow{ID: c.ID.String(), When: c.StartedAt.Format("Mon 2 Jan 2006, 3:04 PM"), Caller: c.CallerName, Number: c.FromNumber,
		Status: c.Status, StatusWords: words(c.Status), Length: durationWords(c.DurationSeconds), Booked: c.Booked, CallBack: c.OpenCallback}
	if c.Direction == "outbound" {
		r.Number = "to " + c.ToNumber
	}
	if c.Outcome != nil {
		r.Outcome = words(*c.Outcome)
	}
	switch c.RecordingStatus {
	case "stored":
		r.Recording = "▶ stored"
	case "none":
	default:
		r.Recording = c.RecordingStatus
	}
	return r
}

// callsLive streams changes to the clinic's calls to an open calls page
// (server-sent events, each a row as the page renders it). EventSource
// reconnects with the last event's id, and the stream goes on from there:
// nothing is lost. The stream holds no transaction: it wakes on the
// clinic's notifications (and every 20 s), then reads what changed.
func (s *Server) callsLive(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	from := r.Header.Get("Last-Event-ID")
	if from == "" {
		from = r.URL.Query().Get("since")
	}
	pos := calls.ParsePosition(from, time.Now())
	wake := s.app.Calls.Watch(ctx, v.m.Org)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(20 * time.Second)
	defer tick.Stop()
	for {
		changes, err := s.app.Calls.Changes(ctx, v.m.Org, pos)
		if err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "live calls stream ended", "err", err)
			}
			return nil // the browser reconnects from its last event
		}
		for _, c := range changes {
			data, _ := json.Marshal(map[string]string{"id": c.ID.String(), "direction": c.Direction, "html": string(rowOf(c.Call).HTML())})
			fmt.Fprintf(w, "id: %s\nevent: call\ndata: %s\n\n", c.At, data)
			pos = c.At
		}
		if len(changes) == 100 {
			continue // more changed than one read returns
		}
		_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
		if err := rc.Flush(); err != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick.C:
			fmt.Fprint(w, ": still here\n\n")
		}
	}
}

type callPage struct {
	Call  calls.Detail
	Turns []turn
}

// turn is one speaker's line of a transcript.
type turn struct{ Speaker, Text string }

// turns splits a transcript ("AI: ...\nUser: ...") into speaker turns.
func turns(transcript string) []turn {
	var out []turn
	for _, line := range strings.Split(transcript, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		who, text, ok := strings.Cut(line, ": ")
		switch {
		case ok && (who == "AI" || who == "Assistant" || who == "Bot"):
			out = append(out, turn{"Receptionist", text})
		case ok && (who == "User" || who == "Customer" || who == "Caller"):
			out = append(out, turn{"Caller", text})
		case len(out) > 0:
			out[len(out)-1].Text += " " + line
		default:
			out = append(out, turn{"", line})
		}
	}
	return out
}

func (s *Server) callPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "calls"
	id, err := frontdesk.ParseCallID(r.PathValue("callId"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	c, err := s.app.Calls.Get(r.Context(), v.m.Org, id)
	if err != nil {
		return err
	}
	return s.render(w, v, http.StatusOK, "call", "Call from "+callerWords(c.Call), callPage{Call: c, Turns: turns(c.Transcript)})
}

func callerWords(c calls.Call) string {
	who := c.FromNumber
	if c.Direction == "outbound" {
		who = c.ToNumber
	}
	if c.CallerName != "" {
		who = c.CallerName + " (" + who + ")"
	}
	if who == "" {
		who = "an unknown number"
	}
	return who
}

// callRecording streams the call's recording to the signed-in browser,
// with Range (the player seeks).
func (s *Server) callRecording(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := frontdesk.ParseCallID(r.PathValue("callId"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	return s.streamRecording(w, r, v.m.Org, id)
}

// callbackDonePage marks a message done and goes back to its call, or to
// the messages page.
func (s *Server) callbackDonePage(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if err := s.app.Calls.CallbackDone(r.Context(), v.m.Org, v.m.User, id); err != nil && !errors.Is(err, frontdesk.ErrConflict) {
		return err
	}
	return errRedirect(callbackBack(r))
}

// callbackNotePage keeps the staff's note on a message.
func (s *Server) callbackNotePage(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if err := s.app.Calls.CallbackNote(r.Context(), v.m.Org, v.m.User, id, r.PostFormValue("note")); err != nil {
		return err
	}
	return errRedirect(callbackBack(r))
}

// callbackBack is where a message's form goes back to: its call's page,
// or the messages page.
func callbackBack(r *http.Request) string {
	back := "/messages"
	if c, err := frontdesk.ParseCallID(r.PostFormValue("call")); err == nil {
		back = "/calls/" + c.String()
	}
	return back
}
