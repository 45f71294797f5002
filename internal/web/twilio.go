package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/jobs"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/twilio"
	"frontdesk/internal/scheduling"
)

// The clinic's own Twilio account (admins), its message log (members),
// and Twilio's status and inbound webhooks.

type twilioSettings struct {
	AccountSID           string     `json:"account_sid"`
	AuthToken            string     `json:"auth_token,omitempty"` // write-only
	FromNumber           string     `json:"from_number"`
	ConfirmationTemplate string     `json:"confirmation_template"`
	ReminderTemplate     string     `json:"reminder_template"`
	ReminderHoursBefore  *int32     `json:"reminder_hours_before"` // 0: no reminders
	QuietStart           string     `json:"quiet_start"`           // HH:MM, clinic time
	QuietEnd             string     `json:"quiet_end"`
	Configured           bool       `json:"configured"`
	UpdatedAt            *time.Time `json:"updated_at,omitempty"`
}

var accountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)

func (s *Server) getTwilio(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	out := twilioSettings{}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		a, err := tx.GetTwilioAccount(r.Context(), org)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		out = twilioSettings{AccountSID: a.AccountSid, FromNumber: a.FromNumber, ConfirmationTemplate: a.ConfirmationTemplate,
			ReminderTemplate: a.ReminderTemplate, ReminderHoursBefore: &a.ReminderHoursBefore, QuietStart: scheduling.ClockOf(a.QuietStart).String(),
			QuietEnd: scheduling.ClockOf(a.QuietEnd).String(), Configured: true, UpdatedAt: inZone(&a.UpdatedAt, tx.Org.Location)}
		return err
	})
	return s.reply(w, err, http.StatusOK, out)
}

func (s *Server) putTwilio(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var in twilioSettings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	switch {
	case !accountSID.MatchString(in.AccountSID):
		return frontdesk.Invalid("account_sid", "must be a Twilio Account SID (AC followed by 32 hex digits)")
	case len(in.AuthToken) < 16 || len(in.AuthToken) > 128:
		return frontdesk.Invalid("auth_token", "is required (the account's auth token)")
	case len(in.ConfirmationTemplate) > 1000:
		return frontdesk.Invalid("confirmation_template", "at most 1,000 characters")
	case len(in.ReminderTemplate) > 1000:
		return frontdesk.Invalid("reminder_template", "at most 1,000 characters")
	case in.ReminderHoursBefore != nil && (*in.ReminderHoursBefore < 0 || *in.ReminderHoursBefore > 336):
		return frontdesk.Invalid("reminder_hours_before", "must be from 0 (no reminders) to 336")
	}
	if strings.TrimSpace(in.ConfirmationTemplate) == "" {
		in.ConfirmationTemplate = jobs.DefaultConfirmationTemplate
	}
	if strings.TrimSpace(in.ReminderTemplate) == "" {
		in.ReminderTemplate = jobs.DefaultReminderTemplate
	}
	if in.ReminderHoursBefore == nil {
		h := int32(24)
		in.ReminderHoursBefore = &h
	}
	quietStart, quietEnd := scheduling.Clock(21*60), scheduling.Clock(8*60)
	if in.QuietStart != "" || in.QuietEnd != "" {
		var ok1, ok2 bool
		quietStart, ok1 = scheduling.ParseClock(in.QuietStart)
		quietEnd, ok2 = scheduling.ParseClock(in.QuietEnd)
		if !ok1 || !ok2 {
			return frontdesk.Invalid("quiet_start", "quiet_start and quiet_end are HH:MM, clinic time")
		}
	}
	in.QuietStart, in.QuietEnd = quietStart.String(), quietEnd.String()
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		n, err := calls.NormalizePhone(in.FromNumber, tx.Org.Country)
		if err != nil {
			return frontdesk.Invalid("from_number", "must be the account's phone number, e.g. +15125550100")
		}
		in.FromNumber = n
		if err := tx.DeleteSMSRoutes(r.Context(), org); err != nil {
			return err
		}
		if err := tx.AddSMSRoute(r.Context(), db.AddSMSRouteParams{OrgID: org, Value: n}); err != nil {
			return err
		}
		return tx.UpsertTwilioAccount(r.Context(), db.UpsertTwilioAccountParams{OrgID: org, AccountSid: in.AccountSID,
			AuthTokenCiphertext: s.secrets.Seal([]byte(in.AuthToken), org[:]), FromNumber: n,
			ConfirmationTemplate: in.ConfirmationTemplate, ReminderTemplate: in.ReminderTemplate,
			ReminderHoursBefore: *in.ReminderHoursBefore, QuietStart: quietStart.PG(), QuietEnd: quietEnd.PG()})
	})
	if errors.Is(err, frontdesk.ErrConflict) {
		return &httpError{status: http.StatusConflict, detail: errorDetail{Code: "conflict", Field: "from_number",
			Message: "this number is already registered"}}
	}
	in.AuthToken, in.Configured = "", true
	return s.reply(w, err, http.StatusOK, in)
}

func (s *Server) deleteTwilio(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		if err := tx.DeleteSMSRoutes(r.Context(), org); err != nil {
			return err
		}
		return postgres.OneRow(tx.DeleteTwilioAccount(r.Context(), org))
	})
	return s.reply(w, err, http.StatusNoContent, nil)
}

type smsLog struct {
	ID        string    `json:"id"`
	BookingID string    `json:"booking_id"`
	Kind      string    `json:"kind"`
	To        string    `json:"to"`
	Body      string    `json:"body"`
	Status    string    `json:"status"`
	ErrorCode *int32    `json:"error_code,omitempty"`
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) listSMS(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	out := []smsLog{}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		rows, err := tx.ListSMSLogs(r.Context(), org)
		for _, m := range rows {
			l := smsLog{ID: m.ID.String(), BookingID: m.BookingID.String(), Kind: m.Kind, To: m.ToNumber, Body: m.Body,
				Status: m.Status, Error: m.ErrorMessage, CreatedAt: m.CreatedAt.In(tx.Org.Location)}
			if m.ErrorCode.Valid {
				l.ErrorCode = &m.ErrorCode.Int32
			}
			out = append(out, l)
		}
		return err
	})
	return s.reply(w, err, http.StatusOK, map[string]any{"messages": out})
}

var errTwilioSignature = &httpError{status: http.StatusForbidden, detail: errorDetail{Code: "forbidden", Message: "invalid Twilio signature"}}

// twilioWebhook reads a Twilio form post, finds the clinic by its sending
// number and account, and checks X-Twilio-Signature with that clinic's
// auth token over the public URL Twilio called, before fn sees anything.
// Any failure is a 403 and nothing is stored.
func (s *Server) twilioWebhook(w http.ResponseWriter, r *http.Request, clinicNumber func(url.Values) string,
	fn func(ctx context.Context, tx *postgres.Tx, form url.Values) error) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return &httpError{status: http.StatusUnsupportedMediaType, detail: errorDetail{Code: "unsupported_media_type", Message: "form posts only"}}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return &httpError{status: http.StatusRequestEntityTooLarge, detail: errorDetail{Code: "too_large", Message: "body too large"}}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return badRequest("", "malformed form body")
	}
	ctx := r.Context()
	org, err := s.store.TwilioRouteOrg(ctx, clinicNumber(form), form.Get("AccountSid"))
	if errors.Is(err, frontdesk.ErrNotFound) {
		s.log.WarnContext(ctx, "twilio webhook refused", "reason", "unknown number or account")
		return errTwilioSignature
	}
	if err != nil {
		return err
	}
	if ri := info(ctx); ri != nil {
		ri.org = org.String()
	}
	// Twilio signs the URL it called: this server's public URL, not the
	// address it sees behind a proxy.
	publicURL := s.publicURL + r.URL.RequestURI()
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		acct, err := tx.GetTwilioAccount(ctx, org)
		if err != nil {
			return err
		}
		token, err := s.secrets.Open(acct.AuthTokenCiphertext, org[:])
		if err != nil || !twilio.Verify(string(token), publicURL, form, r.Header.Get("X-Twilio-Signature")) {
			s.log.WarnContext(ctx, "twilio webhook refused", "reason", "bad signature")
			return errTwilioSignature
		}
		return fn(ctx, tx, form)
	})
}

// twilioStatus records a message's status; repeats and late arrivals never
// move it backward.
func (s *Server) twilioStatus(w http.ResponseWriter, r *http.Request) error {
	err := s.twilioWebhook(w, r, func(f url.Values) string { return f.Get("From") },
		func(ctx context.Context, tx *postgres.Tx, form url.Values) error {
			status := form.Get("MessageStatus")
			if status == "accepted" || status == "scheduled" {
				status = "queued"
			}
			p := db.ApplySMSStatusParams{OrgID: tx.Org.ID, MessageSid: pgtype.Text{String: form.Get("MessageSid"), Valid: true}, Status: status}
			if code, err := strconv.Atoi(form.Get("ErrorCode")); err == nil {
				p.ErrorCode = pgtype.Int4{Int32: int32(code), Valid: true}
			}
			switch status {
			case "queued", "sending", "sent", "delivered", "read", "undelivered", "failed", "canceled":
				_, err := tx.ApplySMSStatus(ctx, p)
				return err
			}
			return nil // a status outbound messages do not have
		})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// twilioInbound takes a patient's text: STOP and its synonyms opt the
// number out for this clinic, START opts it back in, C or CONFIRM confirms
// their next appointment; anything else is kept for staff. Answered with
// TwiML.
func (s *Server) twilioInbound(w http.ResponseWriter, r *http.Request) error {
	var reply string
	err := s.twilioWebhook(w, r, func(f url.Values) string { return f.Get("To") },
		func(ctx context.Context, tx *postgres.Tx, form url.Values) error {
			org := tx.Org
			from, err := calls.NormalizePhone(form.Get("From"), org.Country)
			if err != nil {
				from = form.Get("From")
			}
			action := twilio.Classify(form.Get("Body"))
			n, err := tx.RecordInboundSMS(ctx, db.RecordInboundSMSParams{OrgID: org.ID, MessageSid: form.Get("MessageSid"),
				FromNumber: from, Body: form.Get("Body"), Action: string(action)})
			if err != nil || n == 0 {
				return err // a redelivery: already handled
			}
			switch action {
			case twilio.ActionOptOut:
				return tx.OptOut(ctx, db.OptOutParams{OrgID: org.ID, Phone: from})
			case twilio.ActionOptIn:
				return tx.OptIn(ctx, db.OptInParams{OrgID: org.ID, Phone: from})
			case twilio.ActionConfirm:
				at, err := tx.ConfirmNextBooking(ctx, db.ConfirmNextBookingParams{OrgID: org.ID, Phone: from})
				if errors.Is(err, pgx.ErrNoRows) {
					reply = "We could not find an upcoming appointment for this number."
					return nil
				}
				if err == nil {
					reply = "Thanks, your appointment on " + at.In(org.Location).Format("Monday 2 January at 3:04 PM") + " is confirmed."
				}
				return err
			}
			return nil
		})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(twilio.TwiML(reply))
	return nil
}

type inboundSMS struct {
	From       string    `json:"from"`
	Body       string    `json:"body"`
	Action     string    `json:"action"` // opt_out, opt_in, confirm or message
	ReceivedAt time.Time `json:"received_at"`
}

// listInboundSMS shows staff what patients texted the clinic.
func (s *Server) listInboundSMS(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	out := []inboundSMS{}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		rows, err := tx.ListInboundSMS(r.Context(), org)
		for _, m := range rows {
			out = append(out, inboundSMS{m.FromNumber, m.Body, m.Action, m.ReceivedAt.In(tx.Org.Location)})
		}
		return err
	})
	return s.reply(w, err, http.StatusOK, map[string]any{"messages": out})
}
