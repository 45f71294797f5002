// Package calls owns the rules of the calls dashboard: which filters exist,
// what values they take, how a search term is read, and the keyset cursor.
package calls

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"frontdesk"
	"frontdesk/internal/tel"
	"frontdesk/internal/wallclock"
)

// Statuses in lifecycle order: a call's status only moves forward.
var Statuses = []string{"queued", "ringing", "in-progress", "forwarding", "ended"}

// Directions a call can have.
var Directions = []string{"inbound", "outbound"}

const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// ListFilter is a validated dashboard query. Empty strings and nil times
// mean "not filtering".
type ListFilter struct {
	Direction string
	Status    string
	Outcome   string // one of Outcomes
	// Words are words said on the call (summary and transcript), as a
	// web search query ("late appointment", -cancel, "exact phrase").
	Words string
	// From is inclusive, To exclusive.
	From, To *time.Time
	// Phone is an E.164 caller number; NamePrefix a caller-name prefix.
	Phone      string
	NamePrefix string
	Limit      int
	After      *Cursor
}

// Cursor is the keyset position after the last call of a page.
type Cursor struct {
	StartedAt time.Time
	ID        frontdesk.CallID
}

// Encode returns the cursor as an opaque URL-safe string.
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.StartedAt.UnixMicro(), 10) + "," + c.ID.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reverses Encode.
func DecodeCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 80 {
		return Cursor{}, frontdesk.Invalid("cursor", "not a cursor returned by this API")
	}
	micros, id, ok := strings.Cut(string(raw), ",")
	us, err1 := strconv.ParseInt(micros, 10, 64)
	callID, err2 := frontdesk.ParseCallID(id)
	if !ok || err1 != nil || err2 != nil {
		return Cursor{}, frontdesk.Invalid("cursor", "not a cursor returned by this API")
	}
	return Cursor{StartedAt: time.UnixMicro(us).UTC(), ID: callID}, nil
}

var listParams = map[string]bool{"call_type": true, "status": true, "outcome": true, "words": true, "from": true, "to": true, "q": true, "limit": true, "cursor": true}

// ParseListFilter validates the dashboard's query parameters.
func ParseListFilter(q url.Values, c frontdesk.Clinic) (ListFilter, error) {
	if err := onlyParams(q, listParams); err != nil {
		return ListFilter{}, err
	}
	f := ListFilter{Direction: "inbound", Limit: DefaultLimit}
	switch v := q.Get("call_type"); v {
	case "", "inbound":
	case "outbound":
		f.Direction = "outbound"
	case "all":
		f.Direction = ""
	default:
		return f, frontdesk.Invalid("call_type", "must be inbound, outbound or all, not %q", clip(v))
	}
	if v := q.Get("status"); v != "" {
		if !contains(Statuses, v) {
			return f, frontdesk.Invalid("status", "must be one of %s, not %q", strings.Join(Statuses, ", "), clip(v))
		}
		f.Status = v
	}
	if v := q.Get("outcome"); v != "" {
		if !contains(Outcomes, v) {
			return f, frontdesk.Invalid("outcome", "must be one of %s, not %q", strings.Join(Outcomes, ", "), clip(v))
		}
		f.Outcome = v
	}
	if v := strings.TrimSpace(q.Get("words")); v != "" {
		if len(v) > 200 {
			return f, frontdesk.Invalid("words", "at most 200 characters")
		}
		f.Words = v
	}
	var err error
	if f.From, f.To, err = ParseRange(q, c.Location); err != nil {
		return f, err
	}
	if v := strings.TrimSpace(q.Get("q")); v != "" {
		if f.Phone, f.NamePrefix, err = parseSearch(v, c.Country); err != nil {
			return f, err
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return f, frontdesk.Invalid("limit", "must be a whole number from 1 to %d", MaxLimit)
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		cur, err := DecodeCursor(v)
		if err != nil {
			return f, err
		}
		f.After = &cur
	}
	return f, nil
}

var statsParams = map[string]bool{"from": true, "to": true}

// ParseStatsRange validates the stats endpoint's from/to.
func ParseStatsRange(q url.Values, c frontdesk.Clinic) (from, to *time.Time, err error) {
	if err := onlyParams(q, statsParams); err != nil {
		return nil, nil, err
	}
	return ParseRange(q, c.Location)
}

// ParseRange reads from and to, ignoring other parameters: a date
// (YYYY-MM-DD, a whole day in the clinic's zone; "to" includes its day) or
// an RFC 3339 time.
func ParseRange(q url.Values, loc *time.Location) (from, to *time.Time, err error) {
	if v := q.Get("from"); v != "" {
		if from, err = parseTime("from", v, loc, false); err != nil {
			return nil, nil, err
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = parseTime("to", v, loc, true); err != nil {
			return nil, nil, err
		}
	}
	if from != nil && to != nil && !to.After(*from) {
		return nil, nil, frontdesk.Invalid("to", "must be after from")
	}
	return from, to, nil
}

func parseTime(field, v string, loc *time.Location, endOfDay bool) (*time.Time, error) {
	if d, err := time.Parse("2006-01-02", v); err == nil {
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		// The day's first instant, which is not midnight where the clocks
		// change at midnight.
		start := wallclock.StartOfDay(d.Year(), d.Month(), d.Day(), loc)
		return &start, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, frontdesk.Invalid(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time, not %q", clip(v))
	}
	return &t, nil
}

// parseSearch reads q as a phone number when it is made of phone
// characters, else as a caller-name prefix.
func parseSearch(v, country string) (phone, namePrefix string, err error) {
	if utf8.RuneCountInString(v) > 100 {
		return "", "", frontdesk.Invalid("q", "must be at most 100 characters")
	}
	if looksLikePhone(v) {
		e164, err := tel.Normalize(v, country)
		if err != nil {
			return "", "", frontdesk.Invalid("q", "%q is not a phone number we can read; use the full number, e.g. +15551234567", clip(v))
		}
		return e164, "", nil
	}
	return "", v, nil
}

func looksLikePhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-(). ", r):
		default:
			return false
		}
	}
	return digits >= 3
}

func onlyParams(q url.Values, allowed map[string]bool) error {
	for k, vs := range q {
		if k == "" {
			return frontdesk.Invalid("query", "a parameter has no name")
		}
		if !allowed[k] {
			return frontdesk.Invalid(clip(k), "unknown query parameter")
		}
		if len(vs) > 1 {
			return frontdesk.Invalid(k, "given more than once")
		}
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
