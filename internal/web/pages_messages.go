package web

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"frontdesk"

	"frontdesk/internal/calls"
	"frontdesk/internal/messaging"
)

// The messages page: what the receptionist took for the staff, the texts
// the clinic sent, what patients texted back, and the numbers not texted.

type messagesPage struct {
	Callbacks []calls.Callback
	Texts     []messaging.Message
	Replies   []messaging.Inbound
	OptOuts   []messaging.OptOut
	Done      bool // showing the messages already done
	// A reply refused: to which text, why, and what was typed.
	ReplyTo           uuid.UUID
	ReplyError, Typed string
	// The stop-texting form as typed, and its refusal.
	Phone, PhoneError string
	Notice            string
}

func (s *Server) messagesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.messages(w, r, v, messagesPage{Done: r.URL.Query().Get("show") == "done",
		Notice: map[string]string{"sent": "Reply sent.", "handled": "Marked handled.", "retried": "The text is queued again.",
			"stopped": "That number will not be texted."}[r.URL.Query().Get("done")]}, http.StatusOK)
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request, v *view, d messagesPage, code int) error {
	v.nav = "messages"
	status := "open"
	if d.Done {
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
	optOuts, err := s.app.Messaging.OptOuts(r.Context(), v.m.Org)
	if err != nil {
		return err
	}
	d.Callbacks, d.Texts, d.Replies, d.OptOuts = cbs, texts, replies, optOuts
	return s.render(w, v, code, "messages", "Messages", d)
}

// stopTextingPage records a patient's wish not to be texted.
func (s *Server) stopTextingPage(w http.ResponseWriter, r *http.Request, v *view) error {
	phone := r.PostFormValue("phone")
	_, err := s.app.Messaging.StopTexting(r.Context(), v.m.Org, phone)
	if fields, status, ok := formRefusal(err); ok {
		return s.messages(w, r, v, messagesPage{Phone: phone, PhoneError: fields["phone"]}, status)
	}
	if err != nil {
		return err
	}
	return errRedirect("/messages?done=stopped")
}

// replyPage answers a patient's text from the clinic's number.
func (s *Server) replyPage(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	body := r.PostFormValue("body")
	err = s.app.Messaging.Reply(r.Context(), v.m.Org, id, body)
	var (
		ve *frontdesk.ValidationError
		ce *frontdesk.ConflictError
	)
	switch {
	case errors.As(err, &ve):
		return s.messages(w, r, v, messagesPage{ReplyTo: id, ReplyError: ve.Message, Typed: body}, http.StatusUnprocessableEntity)
	case errors.As(err, &ce):
		return s.messages(w, r, v, messagesPage{ReplyTo: id, ReplyError: ce.Message, Typed: body}, http.StatusConflict)
	case err != nil:
		return err
	}
	return errRedirect("/messages?done=sent")
}

// handledPage marks a patient's text handled.
func (s *Server) handledPage(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if err := s.app.Messaging.MarkHandled(r.Context(), v.m.Org, v.m.User, id); err != nil && !errors.Is(err, frontdesk.ErrConflict) {
		return err
	}
	return errRedirect("/messages?done=handled")
}

// retryPage sends a failed text again.
func (s *Server) retryPage(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if err := s.app.Messaging.Retry(r.Context(), v.m.Org, id); err != nil {
		return err
	}
	return errRedirect("/messages?done=retried")
}
