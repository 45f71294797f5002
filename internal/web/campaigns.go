package web

import (
	"net/http"
	"path"
	"time"

	"github.com/google/uuid"

	"frontdesk/internal/campaigns"
)

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request, m member) error {
	var in campaigns.Campaign
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Campaigns.Create(r.Context(), m.Org, in)
	return reply(w, err, http.StatusCreated, out)
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Campaigns.List(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"campaigns": out})
}

func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[uuid.UUID](r, "id")
	if err != nil {
		return err
	}
	out, err := s.app.Campaigns.Get(r.Context(), m.Org, id)
	return reply(w, err, http.StatusOK, out)
}

// actOnCampaign starts, pauses, resumes or cancels a campaign.
func (s *Server) actOnCampaign(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[uuid.UUID](r, "id")
	if err != nil {
		return err
	}
	out, err := s.app.Campaigns.Act(r.Context(), m.Org, id, path.Base(r.URL.Path))
	return reply(w, err, http.StatusOK, out)
}

// scheduleCampaign sets a draft campaign to start at starts_at.
func (s *Server) scheduleCampaign(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[uuid.UUID](r, "id")
	if err != nil {
		return err
	}
	var in struct {
		StartsAt time.Time `json:"starts_at"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Campaigns.Schedule(r.Context(), m.Org, id, in.StartsAt)
	return reply(w, err, http.StatusOK, out)
}
