// Package knowledge owns a clinic's knowledge base: the articles staff
// write and the voice agent searches.
package knowledge

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Service is the knowledge base.
type Service struct{ store *postgres.Store }

// NewService returns the knowledge service.
func NewService(store *postgres.Store) *Service { return &Service{store: store} }

// Article is one entry the agent can answer from.
type Article struct {
	ID        uuid.UUID  `json:"id"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Active    *bool      `json:"active"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

func (a *Article) validate() error {
	a.Title = strings.TrimSpace(a.Title)
	switch {
	case a.Title == "" || len(a.Title) > 200:
		return frontdesk.Invalid("title", "is required (at most 200 characters)")
	case strings.TrimSpace(a.Body) == "" || len(a.Body) > 20000:
		return frontdesk.Invalid("body", "is required (at most 20,000 characters)")
	}
	if a.Active == nil {
		t := true
		a.Active = &t
	}
	return nil
}

// List is every article of the clinic.
func (s *Service) List(ctx context.Context, org frontdesk.OrgID) ([]Article, error) {
	out := []Article{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListKnowledge(ctx, org)
		for _, a := range rows {
			updated := a.UpdatedAt.In(tx.Org.Location)
			out = append(out, Article{a.ID, a.Title, a.Body, &a.Active, &updated})
		}
		return err
	})
	return out, err
}

// Create adds an article.
func (s *Service) Create(ctx context.Context, org frontdesk.OrgID, a Article) (Article, error) {
	if err := a.validate(); err != nil {
		return a, err
	}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		a.ID, err = tx.CreateKnowledge(ctx, db.CreateKnowledgeParams{OrgID: org, Title: a.Title, Body: a.Body, Active: *a.Active})
		return err
	})
	return a, err
}

// Update replaces an article of the clinic.
func (s *Service) Update(ctx context.Context, org frontdesk.OrgID, id uuid.UUID, a Article) (Article, error) {
	if err := a.validate(); err != nil {
		return a, err
	}
	a.ID = id
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return postgres.OneRow(tx.UpdateKnowledge(ctx, db.UpdateKnowledgeParams{OrgID: org, ID: id, Title: a.Title, Body: a.Body, Active: *a.Active}))
	})
	return a, err
}

// Delete removes an article of the clinic.
func (s *Service) Delete(ctx context.Context, org frontdesk.OrgID, id uuid.UUID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return postgres.OneRow(tx.DeleteKnowledge(ctx, db.DeleteKnowledgeParams{OrgID: org, ID: id}))
	})
}

// Passage is a search hit: the article's title and its best passage.
type Passage struct {
	Title, Text string
}

// SearchTx finds up to n passages for a spoken question, best first, in
// the caller's transaction (the agent's tool call).
func SearchTx(ctx context.Context, tx *postgres.Tx, question string, n int) ([]Passage, error) {
	hits, err := tx.SearchKnowledge(ctx, db.SearchKnowledgeParams{Query: question, MaxResults: int32(n)})
	out := make([]Passage, len(hits))
	for i, h := range hits {
		out[i] = Passage{h.Title, passage(h.Body, question)}
	}
	return out, err
}
