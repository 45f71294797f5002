package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/internal/receptionist"
)

// Settings pages (admins): the receptionist profile.

type receptionistPage struct {
	P      receptionist.Profile
	Errors map[string]string
	Saved  bool
	// Languages is the profile's languages as typed.
	Languages string
	Whens     []whenChoice
}

type whenChoice struct {
	Value, Label string
	Checked      bool
}

func (d receptionistPage) fieldError(name string) string { return d.Errors[name] }

func receptionistData(p receptionist.Profile) receptionistPage {
	d := receptionistPage{P: p, Languages: strings.Join(p.Languages, ", ")}
	for _, w := range [][2]string{{"asks_for_person", "the caller asks for a person"}, {"urgent_symptoms", "the caller describes urgent symptoms"},
		{"cannot_answer", "the assistant cannot answer a question"}} {
		checked := false
		for _, x := range p.TransferWhen {
			checked = checked || x == w[0]
		}
		d.Whens = append(d.Whens, whenChoice{w[0], w[1], checked})
	}
	return d
}

func (s *Server) receptionistPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "receptionist"
	p, err := s.app.Receptionist.Profile(r.Context(), v.m.Org)
	if err != nil {
		return err
	}
	d := receptionistData(p)
	d.Saved = r.URL.Query().Has("saved")
	return s.render(w, v, http.StatusOK, "receptionist", "Receptionist", d)
}

func (s *Server) receptionistSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	p := receptionist.Profile{
		AssistantName: f.Get("assistant_name"), Greeting: f.Get("greeting"), Address: f.Get("address"),
		VoiceProvider: f.Get("voice_provider"), VoiceID: f.Get("voice_id"), ModelProvider: f.Get("model_provider"), Model: f.Get("model"),
		Tone: f.Get("tone"), Instructions: f.Get("instructions"),
		CanBook: f.Has("can_book"), CanChange: f.Has("can_change"), CanAnswer: f.Has("can_answer"), CanTakeMessages: f.Has("can_take_messages"),
		FrontDeskNumber: f.Get("front_desk_number"), OnCallNumber: f.Get("on_call_number"), TransferWhen: f["transfer_when"],
		AfterHoursMessage: f.Get("after_hours_message"), RecordingConsent: f.Has("recording_consent"), ConsentSentence: f.Get("consent_sentence"),
	}
	for _, l := range strings.Split(f.Get("languages"), ",") {
		if l = strings.TrimSpace(l); l != "" {
			p.Languages = append(p.Languages, l)
		}
	}
	d := receptionistData(p)
	d.Languages = f.Get("languages")
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("max_call_minutes")))
	if err != nil {
		err = frontdesk.Invalid("max_call_minutes", "must be a whole number of minutes, from 1 to 60")
	} else {
		p.MaxCallMinutes = n
		_, err = s.app.Receptionist.SetProfile(r.Context(), v.m.Org, p)
	}
	var ve *frontdesk.ValidationError
	if errors.As(err, &ve) {
		v.nav = "receptionist"
		d.P.MaxCallMinutes = n
		d.Errors = map[string]string{ve.Field: ve.Message}
		return s.render(w, v, http.StatusUnprocessableEntity, "receptionist", "Receptionist", d)
	}
	if err != nil {
		return err
	}
	return errRedirect("/settings/receptionist?saved")
}
