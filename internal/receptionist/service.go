package receptionist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/internal/agent"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/runes"
	"frontdesk/internal/scheduling"
	"frontdesk/internal/secrets"
)

// Service is the clinics' receptionists.
type Service struct {
	store   *postgres.Store
	secrets *secrets.Box
	// webhookURL is where the assistant's tools and messages go.
	webhookURL string
}

// NewService returns the receptionist service; publicURL is where the
// voice provider reaches Frontdesk.
func NewService(store *postgres.Store, box *secrets.Box, publicURL string) *Service {
	return &Service{store: store, secrets: box, webhookURL: strings.TrimRight(publicURL, "/") + "/api/webhooks/vapi"}
}

// Profile is the clinic's receptionist profile, or the defaults.
func (s *Service) Profile(ctx context.Context, org frontdesk.OrgID) (Profile, error) {
	var p Profile
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		p, err = ProfileTx(ctx, tx)
		return err
	})
	return p, err
}

// ProfileTx is the clinic's profile (its defaults when never saved), in
// the caller's transaction.
func ProfileTx(ctx context.Context, tx *postgres.Tx) (Profile, error) {
	p := Defaults(tx.Org)
	rows, err := tx.StoredReceptionistProfile(ctx, tx.Org.ID)
	if err != nil || len(rows) == 0 {
		return p, err
	}
	return p, json.Unmarshal(rows[0], &p)
}

// PermitsTx reports whether the clinic's profile lets its assistant use
// tools that need this permission (book, change, answer or messages): a
// fixed assistant exported before the profile changed still cannot do
// what the clinic has since switched off.
func PermitsTx(ctx context.Context, tx *postgres.Tx, needs string) (bool, error) {
	p, err := ProfileTx(ctx, tx)
	return p.permits()[needs], err
}

func (p Profile) permits() map[string]bool {
	return map[string]bool{"book": p.CanBook, "change": p.CanChange, "answer": p.CanAnswer, "messages": p.CanTakeMessages, "always": true}
}

// SetProfile validates and stores the clinic's profile; it returns it as
// stored (phone numbers in E.164).
func (s *Service) SetProfile(ctx context.Context, org frontdesk.OrgID, p Profile) (Profile, error) {
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		if err := p.validate(tx.Org.Country); err != nil {
			return err
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return err
		}
		return tx.SaveReceptionistProfile(ctx, db.SaveReceptionistProfileParams{OrgID: org, Profile: raw})
	})
	return p, err
}

// ErrNoSecret: the clinic has no server secret yet, so its assistant's
// tools could not be verified.
var ErrNoSecret = errors.New("the clinic has no server secret: rotate one first (POST /api/voice/secret/rotate)")

// Assistant is the clinic's whole assistant, in the voice provider's
// shape: the profile, the system prompt from the clinic's live data, the
// tools from the one set of definitions, each pointing at Frontdesk's
// webhook with the clinic's current secret.
func (s *Service) Assistant(ctx context.Context, org frontdesk.OrgID, now time.Time) (map[string]any, error) {
	return s.assistant(ctx, org, now, nil)
}

// outbound is what a call the clinic places is for: what the assistant
// says first, and the call's purpose.
type outbound struct{ greeting, goal string }

// Outbound is the clinic's assistant for a call the clinic places now:
// the same profile, facts and tools, opening with greeting (and the
// recording notice) and told the call's goal.
func (s *Service) Outbound(ctx context.Context, org frontdesk.OrgID, greeting, goal string) (map[string]any, error) {
	return s.assistant(ctx, org, time.Now(), &outbound{greeting, goal})
}

func (s *Service) assistant(ctx context.Context, org frontdesk.OrgID, now time.Time, out *outbound) (map[string]any, error) {
	var (
		p       Profile
		clinic  frontdesk.Clinic
		facts   clinicFacts
		secret  []byte
		missing bool
	)
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		clinic = tx.Org
		if p, err = ProfileTx(ctx, tx); err != nil {
			return err
		}
		if facts, err = readFacts(ctx, tx, now); err != nil {
			return err
		}
		sealed, err := tx.LatestVoiceSecret(ctx, org)
		if err != nil {
			return err
		}
		if len(sealed) == 0 {
			missing = true
			return nil
		}
		secret, err = s.secrets.Open(sealed[0], org[:])
		return err
	})
	if err != nil {
		return nil, err
	}
	if missing {
		return nil, ErrNoSecret
	}
	server := map[string]any{"url": s.webhookURL, "timeoutSeconds": 20,
		"headers": map[string]string{"Authorization": "Bearer " + string(secret)}}
	var tools []any
	permits := p.permits()
	for _, d := range agent.Definitions {
		if permits[d.Needs] {
			tools = append(tools, map[string]any{"type": "function", "server": server,
				"function": map[string]any{"name": d.Name, "description": d.Description, "parameters": d.Parameters}})
		}
	}
	if p.FrontDeskNumber != "" || p.OnCallNumber != "" {
		// No fixed destinations: Vapi asks Frontdesk where to transfer
		// (transfer-destination-request), which decides by the hours at
		// that moment and records the transfer on the call.
		tools = append(tools, map[string]any{"type": "transferCall", "server": server, "function": map[string]any{"name": "transferCall",
			"description": "Transfer the caller to a person at the clinic, when the rules say to."}})
	}
	first, system := p.Greeting, prompt(p, clinic, facts, now)
	if out != nil {
		first = out.greeting
		system += "\n\nThis is a call the clinic placed; the person did not call. Its purpose: " + out.goal +
			"\nIf they ask not to be called again, use optOut, and say they will not be called again."
	}
	if p.RecordingConsent {
		first += " " + p.ConsentSentence
	}
	return map[string]any{
		"name":             runes.Clip(p.AssistantName+" at "+clinic.Name, 40),
		"firstMessage":     first,
		"firstMessageMode": "assistant-speaks-first",
		"model": map[string]any{"provider": p.ModelProvider, "model": p.Model, "temperature": 0.3,
			"messages": []any{map[string]any{"role": "system", "content": system}}, "tools": tools},
		"voice":              map[string]any{"provider": p.VoiceProvider, "voiceId": p.VoiceID},
		"transcriber":        map[string]any{"provider": "deepgram", "model": "nova-3", "language": p.Languages[0]},
		"serverMessages":     ServerMessages,
		"server":             server,
		"maxDurationSeconds": p.MaxCallMinutes * 60,
		"artifactPlan":       map[string]any{"recordingEnabled": p.RecordingConsent},
		"analysisPlan": map[string]any{"structuredDataPlan": map[string]any{"enabled": true, "schema": map[string]any{
			"type": "object", "required": []string{"outcome"}, "properties": map[string]any{"outcome": map[string]any{
				"type": "string", "description": "what the call achieved",
				"enum": []string{"booked", "rescheduled", "cancelled", "question_answered", "message_taken", "transferred", "spam", "other"}}}}}},
		"metadata": map[string]any{"org_id": clinic.ID.String()},
	}, nil
}

// ServerMessages are the messages the assistant sends Frontdesk: the
// call's lifecycle, its tools and where to transfer.
var ServerMessages = []string{"status-update", "end-of-call-report", "hang", "tool-calls", "transfer-destination-request"}

// clinicFacts are the live data the prompt states.
type clinicFacts struct {
	hours      scheduling.Week
	open       bool // open at the moment the facts were read
	closures   []string
	services   []string
	clinicians []string
}

func readFacts(ctx context.Context, tx *postgres.Tx, now time.Time) (clinicFacts, error) {
	var f clinicFacts
	org := tx.Org
	hours, err := scheduling.ReadClinicHours(ctx, tx, now)
	if err != nil {
		return f, err
	}
	f.hours, f.open = hours.Week, hours.OpenAt(now)
	horizon := now.AddDate(0, 0, 28)
	for _, c := range hours.Closures {
		if !c.First.Time(org.Location).Before(horizon) {
			continue
		}
		span := c.First.Time(org.Location).Format("Monday 2 January")
		if c.Last != c.First {
			span += " to " + c.Last.Time(org.Location).Format("Monday 2 January")
		}
		if c.Reason != "" {
			span += " (" + c.Reason + ")"
		}
		f.closures = append(f.closures, span)
	}
	resources, err := tx.ListResources(ctx, org.ID)
	if err != nil {
		return f, err
	}
	offered := map[frontdesk.ServiceID]bool{}
	for _, r := range resources {
		if r.Active {
			f.clinicians = append(f.clinicians, r.Name)
			for _, id := range r.ServiceIds {
				offered[frontdesk.ServiceID(id)] = true
			}
		}
	}
	svcs, err := tx.ListServices(ctx, org.ID)
	for _, s := range svcs {
		if s.Active && offered[s.ID] {
			f.services = append(f.services, fmt.Sprintf("%s (%d minutes)", s.Name, s.DurationMinutes))
		}
	}
	sort.Strings(f.clinicians)
	return f, err
}

// prompt is the system prompt: the clinic's facts and the rules.
func prompt(p Profile, c frontdesk.Clinic, f clinicFacts, now time.Time) string {
	var b strings.Builder
	local := now.In(c.Location)
	fmt.Fprintf(&b, "You are %s, the receptionist of %s", p.AssistantName, c.Name)
	if p.Address != "" {
		fmt.Fprintf(&b, ", %s", p.Address)
	}
	state := "closed"
	if f.open {
		state = "open"
	}
	fmt.Fprintf(&b, ". The clinic's time zone is %s; the call began on %s at %s there, when the clinic was %s.\n", c.Location,
		local.Format("Monday 2 January 2006"), local.Format("3:04 PM"), state)
	var days []string
	for i := range 7 {
		d := time.Weekday((i + 1) % 7) // Monday first
		days = append(days, d.String()+" "+scheduling.RangesWords(f.hours[d]))
	}
	fmt.Fprintf(&b, "Opening hours: %s.\n", strings.Join(days, "; "))
	if len(f.closures) > 0 {
		fmt.Fprintf(&b, "Closed in the coming weeks: %s.\n", strings.Join(f.closures, "; "))
	}
	if len(f.services) > 0 {
		fmt.Fprintf(&b, "Services callers can book: %s.\n", strings.Join(f.services, ", "))
	} else {
		b.WriteString("Callers cannot book by phone yet.\n")
	}
	if len(f.clinicians) > 0 {
		fmt.Fprintf(&b, "Clinicians: %s.\n", strings.Join(f.clinicians, ", "))
	}
	b.WriteString("You may:")
	if p.CanBook {
		b.WriteString(" check free times and book appointments (checkAvailability, holdSlot, bookAppointment);")
	}
	if p.CanChange {
		b.WriteString(" cancel or move the caller's own appointments (cancelAppointment, rescheduleAppointment);" +
			" for an appointment booked under another number, text that number a code (sendVerificationCode) and check it (verifyCode) first;")
	}
	if p.CanAnswer {
		b.WriteString(" answer questions from the clinic's information (lookupKnowledge), never from guesses, and say when it is open on a given day (openingHours);")
	}
	if p.CanTakeMessages {
		b.WriteString(" take a message for the staff (takeMessage);")
	}
	b.WriteString("\n")
	if (p.FrontDeskNumber != "" || p.OnCallNumber != "") && len(p.TransferWhen) > 0 {
		when := map[string]string{"asks_for_person": "the caller asks for a person", "urgent_symptoms": "the caller describes urgent symptoms",
			"cannot_answer": "you cannot answer the question"}
		var ws []string
		for _, w := range p.TransferWhen {
			ws = append(ws, when[w])
		}
		fmt.Fprintf(&b, "Transfer the call (transferCall) when %s: to the front desk during opening hours", strings.Join(ws, ", or when "))
		if p.OnCallNumber != "" {
			b.WriteString(", to the clinician on call otherwise")
		}
		b.WriteString(".\n")
	}
	if p.AfterHoursMessage != "" {
		fmt.Fprintf(&b, "Outside opening hours: %s\n", p.AfterHoursMessage)
	}
	fmt.Fprintf(&b, "Tone: %s. Speak the caller's language (%s). Say times in words. Confirm the name, service and time before booking. "+
		"You act only for the caller: appointments can be changed only under the number they call from or a number verified with a code. Never give medical advice; "+
		"in an emergency, tell the caller to hang up and call emergency services.\n", p.Tone, strings.Join(p.Languages, ", "))
	if p.Instructions != "" {
		fmt.Fprintf(&b, "The clinic adds: %s\n", p.Instructions)
	}
	return b.String()
}
