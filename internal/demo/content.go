// Package demo makes believable data: the two demo clinics that frontdesk
// dev starts with, and large skewed data sets for benchmarks.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres/db"
)

var firstNames = []string{"Maria", "James", "Aisha", "Tom", "Priya", "Liam", "Sofia", "Noah", "Grace", "Oliver",
	"Chen", "Emma", "Daniel", "Fatima", "Lucas", "Hannah", "Mateo", "Zoe", "Samuel", "Ava"}
var lastNames = []string{"Garcia", "Smith", "Khan", "Brown", "Patel", "Murphy", "Rossi", "Nguyen", "Walker", "Jones",
	"Wright", "Taylor", "Silva", "Cohen", "Okafor", "Evans", "Kowalski", "Lee", "Hughes", "Martin"}

type scenario struct {
	outcome string
	summary string
	lines   []string
}

var scenarios = []scenario{
	{"booked", "Caller booked a %s for %s.", []string{
		"AI: Thank you for calling %s, this is the virtual receptionist. How can I help?",
		"Caller: Hi, I'd like to book a %s, please.",
		"AI: Of course. I have %s available. Would that work?",
		"Caller: Yes, that's perfect.",
		"AI: Great, you're booked in. You'll get a text confirmation shortly.",
		"Caller: Thanks, bye."}},
	{"rescheduled", "Caller moved their %s to %s.", []string{
		"AI: Thank you for calling %s. How can I help today?",
		"Caller: I need to move my %s, something came up.",
		"AI: No problem. The next opening is %s. Shall I move it there?",
		"Caller: Yes please.",
		"AI: Done. Your appointment has been moved."}},
	{"question_answered", "Caller asked about opening hours; no booking (%s, %s).", []string{
		"AI: Thank you for calling %s. How can I help?",
		"Caller: What time do you close today? I was thinking about a %s.",
		"AI: We're open until 6pm today, and %s is still free if you'd like it.",
		"Caller: I'll call back, thanks."}},
	{"cancelled", "Caller cancelled their %s on %s.", []string{
		"AI: Thank you for calling %s. How can I help?",
		"Caller: I have to cancel my %s.",
		"AI: I've cancelled your appointment on %s. Would you like to rebook?",
		"Caller: Not right now, thank you."}},
}

var services = map[string][]string{
	"dental": {"cleaning", "check-up", "filling consultation", "whitening consultation"},
	"physio": {"initial assessment", "follow-up session", "sports massage", "back pain review"},
}

// call is one generated call, before it is given an org.
func call(r *rand.Rand, org frontdesk.OrgID, clinic, kind, clinicNumber, country string, at time.Time, now time.Time) db.InsertCallsParams {
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	caller := phone(r, country)
	direction := "inbound"
	if r.IntN(5) == 0 {
		direction = "outbound"
	}
	p := db.InsertCallsParams{
		OrgID: org, ID: frontdesk.NewCallID(), Provider: "vapi",
		ProviderCallID: pgtype.Text{String: fmt.Sprintf("demo-%x", r.Uint64()), Valid: true},
		Direction:      direction, FromNumber: caller, ToNumber: clinicNumber, CallerName: first + " " + last,
		StartedAt: at, Status: "ended", RecordingStatus: "none",
	}
	if direction == "outbound" {
		p.FromNumber, p.ToNumber = clinicNumber, caller
	}
	if r.IntN(8) == 0 {
		p.CallerName = "" // caller ID withheld
	}
	// The last few minutes hold calls still under way.
	if now.Sub(at) < 10*time.Minute {
		p.Status = []string{"ringing", "in-progress", "in-progress", "forwarding"}[r.IntN(4)]
		return p
	}
	dur := int32(20 + r.IntN(400))
	end := at.Add(time.Duration(dur) * time.Second)
	p.EndedAt, p.DurationSeconds = &end, pgtype.Int4{Int32: dur, Valid: true}
	p.CostUsd = numeric(float64(dur) * 0.0012)
	switch n := r.IntN(20); {
	case n == 0:
		p.EndedReason, p.Summary = "silence-timed-out", "Caller stayed silent; the call timed out."
		p.Outcome = pgtype.Text{String: "other", Valid: true}
		return p
	case n == 1 && direction == "outbound":
		p.EndedReason, p.Summary = "customer-did-not-answer", "Reminder call not answered."
		return p
	case n == 2:
		p.EndedReason, p.Summary = "voicemail", "Reached voicemail; left a message."
		return p
	case n < 5:
		p.EndedReason = "assistant-forwarded-call"
	case n < 9:
		p.EndedReason = "assistant-ended-call"
	default:
		p.EndedReason = "customer-ended-call"
	}
	sc := scenarios[r.IntN(len(scenarios))]
	svc := services[kind][r.IntN(len(services[kind]))]
	slot := at.AddDate(0, 0, 1+r.IntN(10)).Format("Monday 2 January") + " at " + []string{"9:00", "10:30", "2:15", "4:00"}[r.IntN(4)]
	p.Summary = fmt.Sprintf(sc.summary, svc, slot)
	p.Outcome = pgtype.Text{String: sc.outcome, Valid: true}
	var b strings.Builder
	for i, line := range sc.lines {
		switch i {
		case 0:
			line = fmt.Sprintf(line, clinic)
		case 1:
			line = fmt.Sprintf(line, svc)
		case 2:
			line = fmt.Sprintf(line, slot)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	p.Transcript = b.String()
	return p
}

func phone(r *rand.Rand, country string) string {
	if country == "GB" {
		return fmt.Sprintf("+4477009%05d", r.IntN(100000))
	}
	return fmt.Sprintf("+1%03d555%04d", 201+r.IntN(700), r.IntN(10000))
}

func numeric(f float64) pgtype.Numeric {
	var n pgtype.Numeric
	_ = n.Scan(fmt.Sprintf("%.4f", f))
	return n
}

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }
