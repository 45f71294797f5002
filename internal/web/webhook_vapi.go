package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"frontdesk"
	"frontdesk/internal/agent"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/receptionist"
	"frontdesk/internal/voice"
)

// maxWebhookBody is the largest Vapi message accepted (an end-of-call
// report with a long transcript is well under it).
const maxWebhookBody = 1 << 20

// vapiWebhook takes Vapi's server messages. Nothing is trusted until the
// request carries a current secret of the clinic that holds the call's
// phone number or assistant; every event is applied once, whatever the
// order and number of deliveries.
func (s *Server) vapiWebhook(w http.ResponseWriter, r *http.Request, _ member) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType, detail: errorDetail{Code: "unsupported_media_type", Message: "send Content-Type: application/json"}}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{status: http.StatusRequestEntityTooLarge, detail: errorDetail{Code: "too_large", Message: "body over 1 MiB"}}
		}
		return badRequest("", "could not read body")
	}
	msg, err := vapi.Decode(body)
	if err != nil {
		return badRequest("message", err.Error())
	}
	ctx := r.Context()
	org, err := s.app.Voice.Route(ctx, msg.ClinicNumber(), msg.AssistantID())
	if errors.Is(err, frontdesk.ErrNotFound) {
		s.log.WarnContext(ctx, "vapi webhook refused", "reason", "unknown phone number or assistant",
			"phone_number", msg.ClinicNumber(), "assistant_id", msg.AssistantID(), "type", msg.Type)
		return voice.ErrUnverified
	}
	if err != nil {
		return err
	}
	if ri := info(ctx); ri != nil {
		ri.org = org.String()
	}
	check := func(keys [][]byte) error { return vapi.Verify(r.Header, body, keys, time.Now()) }
	var reply any = map[string]string{"status": "ok"}
	switch {
	case msg.Type == vapi.TypeToolCalls:
		var call frontdesk.CallID
		if call, err = s.app.Voice.OpenCall(ctx, org, check, msg.CallEvent); err == nil {
			reply = vapi.Answer(s.app.Agent.Run(ctx, org, agent.Call{ID: call, Customer: msg.CustomerNumber()}, msg.ToolCalls()))
		}
	case msg.Type == vapi.TypeAssistantRequest:
		err = s.app.Voice.Verify(ctx, org, check)
		if err == nil || errors.Is(err, frontdesk.ErrNotFound) { // not found: the clinic is suspended
			reply, err = s.assistantFor(ctx, org), nil
		}
	case msg.Type == vapi.TypeTransferDestinationRequest:
		var call frontdesk.CallID
		if call, err = s.app.Voice.OpenCall(ctx, org, check, msg.CallEvent); err == nil {
			var t receptionist.Transfer
			if t, err = s.app.Receptionist.Transfer(ctx, org, call, msg.EventKey(), time.Now()); err == nil {
				reply = vapi.TransferAnswer(t.Number, t.Message, t.Refusal)
			}
		}
	case vapi.Stored(msg.Type):
		err = s.app.Voice.RecordEvent(ctx, org, check, msg.CallEvent)
	default:
		err = s.app.Voice.Verify(ctx, org, check) // answered 200, not stored
	}
	if errors.Is(err, voice.ErrUnverified) {
		s.log.WarnContext(ctx, "vapi webhook refused", "reason", err.Error(), "type", msg.Type)
	}
	if err != nil {
		return fieldError(err)
	}
	writeJSON(w, http.StatusOK, reply)
	return nil
}

// fieldError is a provider message's missing or wrong value: a 400 naming
// it, as for any malformed body.
func fieldError(err error) error {
	var ve *frontdesk.ValidationError
	if errors.As(err, &ve) {
		return badRequest(ve.Field, ve.Message)
	}
	return err
}

// assistantFor answers an assistant-request: the clinic's whole assistant,
// or a sentence spoken to the caller when it cannot be built (the clinic
// is suspended, or has no server secret).
func (s *Server) assistantFor(ctx context.Context, org frontdesk.OrgID) any {
	a, err := s.app.Receptionist.Assistant(ctx, org, time.Now())
	if err != nil {
		s.log.WarnContext(ctx, "assistant not served", "err", err)
		return vapi.AssistantAnswer(nil, "Sorry, this clinic cannot take calls through its phone assistant right now. Please call back later.")
	}
	return vapi.AssistantAnswer(a, "")
}
