// Package receptionist owns each clinic's receptionist: its profile (who
// the assistant is, what it may do, where it transfers) and the assistant
// Frontdesk serves the voice provider on every call, built from the
// profile and the clinic's live data.
package receptionist

import (
	"regexp"
	"strings"

	"frontdesk"
	"frontdesk/internal/tel"
)

// Profile is a clinic's receptionist, as admins set it.
type Profile struct {
	AssistantName string   `json:"assistant_name"`
	Greeting      string   `json:"greeting"`
	Address       string   `json:"address"`
	Languages     []string `json:"languages"`
	VoiceProvider string   `json:"voice_provider"`
	VoiceID       string   `json:"voice_id"`
	ModelProvider string   `json:"model_provider"`
	Model         string   `json:"model"`
	Tone          string   `json:"tone"` // warm, concise or formal
	Instructions  string   `json:"instructions"`
	// What the assistant may do.
	CanBook         bool `json:"can_book"`
	CanChange       bool `json:"can_change"`
	CanAnswer       bool `json:"can_answer"`
	CanTakeMessages bool `json:"can_take_messages"`
	// Where it transfers: the front desk in opening hours, the on-call
	// number otherwise; TransferWhen says when.
	FrontDeskNumber   string   `json:"front_desk_number"`
	OnCallNumber      string   `json:"on_call_number"`
	TransferWhen      []string `json:"transfer_when"` // asks_for_person, urgent_symptoms, cannot_answer
	AfterHoursMessage string   `json:"after_hours_message"`
	RecordingConsent  bool     `json:"recording_consent"`
	ConsentSentence   string   `json:"consent_sentence"`
	MaxCallMinutes    int      `json:"max_call_minutes"`
}

// Defaults is the profile a clinic starts with: it works without edits.
func Defaults(c frontdesk.Clinic) Profile {
	return Profile{
		AssistantName: "Riley", Greeting: "Thank you for calling " + c.Name + ", this is Riley. How can I help you today?",
		Languages: []string{"en"}, VoiceProvider: "11labs", VoiceID: "sarah", ModelProvider: "openai", Model: "gpt-4.1",
		Tone: "warm", CanBook: true, CanChange: true, CanAnswer: true, CanTakeMessages: true,
		TransferWhen:      []string{"asks_for_person", "urgent_symptoms"},
		AfterHoursMessage: "Say that the clinic is closed and when it opens next, and offer to take a message so the staff call back.",
		RecordingConsent:  true, ConsentSentence: "This call may be recorded to help us look after you.",
		MaxCallMinutes: 15,
	}
}

var (
	language  = regexp.MustCompile(`^[a-z]{2}(-[A-Z]{2})?$`)
	tones     = []string{"warm", "concise", "formal"}
	whens     = []string{"asks_for_person", "urgent_symptoms", "cannot_answer"}
	providers = map[string][]string{
		"voice": {"11labs", "cartesia", "openai", "deepgram", "azure", "playht", "rime-ai", "vapi"},
		"model": {"openai", "anthropic", "google", "groq"},
	}
	ident = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)
)

// validate checks every field, naming the one at fault, and reads phone
// numbers in the clinic's country.
func (p *Profile) validate(country string) error {
	text := func(field, v string, max int, required bool) error {
		if required && strings.TrimSpace(v) == "" {
			return frontdesk.Invalid(field, "is required")
		}
		if len([]rune(v)) > max {
			return frontdesk.Invalid(field, "at most %d characters", max)
		}
		return nil
	}
	for _, c := range []struct {
		field, v string
		max      int
		required bool
	}{
		{"assistant_name", p.AssistantName, 40, true}, {"greeting", p.Greeting, 300, true}, {"address", p.Address, 300, false},
		{"instructions", p.Instructions, 2000, false}, {"after_hours_message", p.AfterHoursMessage, 500, false},
		{"consent_sentence", p.ConsentSentence, 300, p.RecordingConsent},
	} {
		if err := text(c.field, c.v, c.max, c.required); err != nil {
			return err
		}
	}
	if len(p.Languages) == 0 || len(p.Languages) > 5 {
		return frontdesk.Invalid("languages", "one to five language codes, e.g. [\"en\", \"es\"]")
	}
	for _, l := range p.Languages {
		if !language.MatchString(l) {
			return frontdesk.Invalid("languages", "%q is not a language code such as en or es-MX", l)
		}
	}
	if !contains(providers["voice"], p.VoiceProvider) {
		return frontdesk.Invalid("voice_provider", "must be one of %s", strings.Join(providers["voice"], ", "))
	}
	if !ident.MatchString(p.VoiceID) {
		return frontdesk.Invalid("voice_id", "is required: the provider's voice id")
	}
	if !contains(providers["model"], p.ModelProvider) {
		return frontdesk.Invalid("model_provider", "must be one of %s", strings.Join(providers["model"], ", "))
	}
	if !ident.MatchString(p.Model) {
		return frontdesk.Invalid("model", "is required: the provider's model name, e.g. gpt-4.1")
	}
	if !contains(tones, p.Tone) {
		return frontdesk.Invalid("tone", "must be warm, concise or formal")
	}
	for _, w := range p.TransferWhen {
		if !contains(whens, w) {
			return frontdesk.Invalid("transfer_when", "each must be asks_for_person, urgent_symptoms or cannot_answer")
		}
	}
	for _, n := range []struct {
		field string
		v     *string
	}{{"front_desk_number", &p.FrontDeskNumber}, {"on_call_number", &p.OnCallNumber}} {
		if strings.TrimSpace(*n.v) == "" {
			*n.v = ""
			continue
		}
		e164, err := tel.Valid(*n.v, country)
		if err != nil {
			return frontdesk.Invalid(n.field, "%s", err.Error())
		}
		*n.v = e164
	}
	if p.MaxCallMinutes < 1 || p.MaxCallMinutes > 60 {
		return frontdesk.Invalid("max_call_minutes", "must be from 1 to 60")
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
