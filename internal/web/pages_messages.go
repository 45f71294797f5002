package web

import (
	"net/http"

	"frontdesk/internal/calls"
	"frontdesk/internal/messaging"
)

// The messages page: what the receptionist took for the staff, the texts
// the clinic sent, and what patients texted back.

type messagesPage struct {
	Callbacks []calls.Callback
	Texts     []messaging.Message
	Replies   []messaging.Inbound
	Done      bool // showing the messages already done
}

func (s *Server) messagesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "messages"
	status := "open"
	if r.URL.Query().Get("show") == "done" {
		status = "done"
	}
	cbs, err := s.app.Calls.Callbacks(r.Context(), v.m.Org, status)
	if err != nil {
		return err
	}
	texts, err := s.app.Messaging.Messages(r.Context(), v.m.Org)
	if err != nil {
		return err
	}
	replies, err := s.app.Messaging.InboundMessages(r.Context(), v.m.Org)
	if err != nil {
		return err
	}
	return s.render(w, v, http.StatusOK, "messages", "Messages", messagesPage{Callbacks: cbs, Texts: texts, Replies: replies, Done: status == "done"})
}
