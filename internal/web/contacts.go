package web

import (
	"net/http"

	"frontdesk"
	"frontdesk/internal/contacts"
)

// maxImportBytes is the largest CSV an import accepts (about a million
// rows).
const maxImportBytes = 64 << 20

// importContacts reads a CSV body (?dry_run=true: only say what would
// happen): the counts by outcome, and every row that was not imported as
// it stood, with why (the first 1,000).
func (s *Server) importContacts(w http.ResponseWriter, r *http.Request, m member) error {
	dry := r.URL.Query().Get("dry_run")
	if dry != "" && dry != "true" && dry != "false" {
		return frontdesk.Invalid("dry_run", "must be true or false")
	}
	const shown = 1000
	problems, more := []contacts.Row{}, 0
	sum, err := s.app.Contacts.Import(r.Context(), m.Org, http.MaxBytesReader(w, r.Body, maxImportBytes), dry != "true", func(row contacts.Row) {
		switch row.Outcome {
		case contacts.New, contacts.Updated, contacts.Unchanged:
			return
		}
		if len(problems) < shown {
			problems = append(problems, row)
		} else {
			more++
		}
	})
	return reply(w, err, http.StatusOK, map[string]any{"summary": sum, "rows": problems, "more_rows": more})
}

// exportContacts writes the clinic's contacts as CSV (?tag= for one tag).
func (s *Server) exportContacts(w http.ResponseWriter, r *http.Request, m member) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="contacts.csv"`)
	return s.app.Contacts.Export(r.Context(), m.Org, r.URL.Query().Get("tag"), w)
}

func (s *Server) listDoNotCall(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Contacts.DoNotCall(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"do_not_call": out})
}

func (s *Server) addDoNotCall(w http.ResponseWriter, r *http.Request, m member) error {
	var in struct {
		Phone  string `json:"phone"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	phone, err := s.app.Contacts.AddDoNotCall(r.Context(), m.Org, m.User, in.Phone, in.Reason)
	return reply(w, err, http.StatusOK, map[string]string{"phone": phone})
}
