package web

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/scheduling"
)

// Clinic setup for scheduling: booking settings, hours, closures,
// services and resources. Everyone in the clinic reads; admins change.

type bookingSettings struct {
	Timezone         string `json:"timezone"`
	MinNoticeMinutes int32  `json:"min_notice_minutes"`
	MaxDaysAhead     int32  `json:"max_days_ahead"`
	HoldMinutes      int32  `json:"hold_minutes"`
}

func (s *Server) getBookingSettings(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var out bookingSettings
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		row, err := tx.BookingSettings(r.Context(), org)
		out = bookingSettings{row.Timezone, row.MinNoticeMinutes, row.MaxDaysAhead, row.HoldMinutes}
		return err
	})
	return s.reply(w, err, http.StatusOK, out)
}

func (s *Server) putBookingSettings(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var in bookingSettings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	switch {
	case in.Timezone == "" || in.Timezone == "Local":
		return frontdesk.Invalid("timezone", "is required: an IANA time zone such as Europe/London")
	case in.MinNoticeMinutes < 0 || in.MinNoticeMinutes > 43200:
		return frontdesk.Invalid("min_notice_minutes", "must be from 0 to 43200")
	case in.MaxDaysAhead < 1 || in.MaxDaysAhead > 730:
		return frontdesk.Invalid("max_days_ahead", "must be from 1 to 730")
	case in.HoldMinutes < 1 || in.HoldMinutes > 60:
		return frontdesk.Invalid("hold_minutes", "must be from 1 to 60")
	}
	if _, err := time.LoadLocation(in.Timezone); err != nil {
		return frontdesk.Invalid("timezone", "%q is not an IANA time zone", in.Timezone)
	}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		return tx.UpdateBookingSettings(r.Context(), db.UpdateBookingSettingsParams{ID: org, Timezone: in.Timezone,
			MinNoticeMinutes: in.MinNoticeMinutes, MaxDaysAhead: in.MaxDaysAhead, HoldMinutes: in.HoldMinutes})
	})
	return s.reply(w, err, http.StatusOK, in)
}

type hoursRange struct {
	Weekday int16  `json:"weekday"` // 0 = Sunday
	Opens   string `json:"opens"`   // HH:MM, clinic time
	Closes  string `json:"closes"`
}

type hoursBody struct {
	Hours []hoursRange `json:"hours"`
}

// getHours lists the clinic's weekly hours, or a resource's own with
// ?resource=<id>.
func (s *Server) getHours(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	res, err := optionalUUID(r, "resource")
	if err != nil {
		return err
	}
	out := hoursBody{Hours: []hoursRange{}}
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		rows, err := tx.ListOpeningHours(r.Context(), org)
		for _, h := range rows {
			if h.ResourceID == res {
				out.Hours = append(out.Hours, hoursRange{h.Weekday, scheduling.ClockOf(h.Opens).String(), scheduling.ClockOf(h.Closes).String()})
			}
		}
		return err
	})
	return s.reply(w, err, http.StatusOK, out)
}

// putHours replaces the clinic's weekly hours (or a resource's own).
func (s *Server) putHours(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	res, err := optionalUUID(r, "resource")
	if err != nil {
		return err
	}
	var in hoursBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	type parsed struct {
		day          int16
		opens, close scheduling.Clock
	}
	var ranges []parsed
	for i, h := range in.Hours {
		o, ok1 := scheduling.ParseClock(h.Opens)
		c, ok2 := scheduling.ParseClock(h.Closes)
		if h.Weekday < 0 || h.Weekday > 6 || !ok1 || !ok2 || o >= c {
			return frontdesk.Invalid("hours", "entry %d: weekday 0-6 (0 = Sunday), opens before closes, times as HH:MM", i)
		}
		ranges = append(ranges, parsed{h.Weekday, o, c})
	}
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		if err := resourceExists(r.Context(), tx, res); err != nil {
			return err
		}
		if err := tx.ClearOpeningHours(r.Context(), db.ClearOpeningHoursParams{OrgID: org, ResourceID: res}); err != nil {
			return err
		}
		for _, p := range ranges {
			if err := tx.AddOpeningHours(r.Context(), db.AddOpeningHoursParams{OrgID: org, ResourceID: res, Weekday: p.day,
				Opens: p.opens.PG(), Closes: p.close.PG()}); err != nil {
				return err
			}
		}
		return nil
	})
	if in.Hours == nil {
		in.Hours = []hoursRange{}
	}
	return s.reply(w, err, http.StatusOK, in)
}

type closure struct {
	ID         uuid.UUID  `json:"id"`
	ResourceID *uuid.UUID `json:"resource_id"`
	FirstDay   string     `json:"first_day"`
	LastDay    string     `json:"last_day"`
	Reason     string     `json:"reason"`
}

func (s *Server) listClosures(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	out := []closure{}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		today := time.Now().In(tx.Org.Location)
		rows, err := tx.ListClosures(r.Context(), db.ListClosuresParams{OrgID: org, FromDay: pgtype.Date{Time: today, Valid: true}})
		for _, c := range rows {
			cl := closure{ID: c.ID, FirstDay: c.FirstDay.Time.Format(time.DateOnly), LastDay: c.LastDay.Time.Format(time.DateOnly), Reason: c.Reason}
			if c.ResourceID.Valid {
				cl.ResourceID = &c.ResourceID.UUID
			}
			out = append(out, cl)
		}
		return err
	})
	return s.reply(w, err, http.StatusOK, map[string]any{"closures": out})
}

func (s *Server) createClosure(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var in closure
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	first, err1 := time.Parse(time.DateOnly, in.FirstDay)
	last, err2 := time.Parse(time.DateOnly, in.LastDay)
	if err1 != nil || err2 != nil || last.Before(first) {
		return frontdesk.Invalid("first_day", "first_day and last_day are dates (YYYY-MM-DD), first not after last")
	}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) (err error) {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		p := db.CreateClosureParams{OrgID: org, FirstDay: pgtype.Date{Time: first, Valid: true},
			LastDay: pgtype.Date{Time: last, Valid: true}, Reason: in.Reason}
		if in.ResourceID != nil {
			p.ResourceID = uuid.NullUUID{UUID: *in.ResourceID, Valid: true}
		}
		if err := resourceExists(r.Context(), tx, p.ResourceID); err != nil {
			return err
		}
		in.ID, err = tx.CreateClosure(r.Context(), p)
		return err
	})
	return s.reply(w, err, http.StatusCreated, in)
}

func (s *Server) deleteClosure(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	return s.adminDelete(w, r, org, func(ctx context.Context, tx *postgres.Tx, id uuid.UUID) (int64, error) {
		return tx.DeleteClosure(ctx, db.DeleteClosureParams{OrgID: org, ID: id})
	})
}

// resourceExists refuses a resource id the clinic does not have (another
// clinic's included) with the same 422 as a malformed one.
func resourceExists(ctx context.Context, tx *postgres.Tx, id uuid.NullUUID) error {
	if !id.Valid {
		return nil
	}
	ok, err := tx.ResourceExists(ctx, db.ResourceExistsParams{OrgID: tx.Org.ID, ID: id.UUID})
	if err == nil && !ok {
		return frontdesk.Invalid("resource", "no resource %s", id.UUID)
	}
	return err
}

// adminDelete deletes, for an admin, the clinic's object named by the
// path's id: 204, or the same 404 for another clinic's id as for none.
func (s *Server) adminDelete(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID,
	del func(ctx context.Context, tx *postgres.Tx, id uuid.UUID) (int64, error)) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		return postgres.OneRow(del(r.Context(), tx, id))
	})
	return s.reply(w, err, http.StatusNoContent, nil)
}

// reply writes v with status, or returns err.
func (s *Server) reply(w http.ResponseWriter, err error, status int, v any) error {
	if err != nil {
		return err
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return nil
	}
	writeJSON(w, status, v)
	return nil
}

func pathUUID(r *http.Request, name string) (uuid.UUID, error) {
	v := r.PathValue(name)
	u, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		return uuid.Nil, badRequest(name, name+" must be a UUID")
	}
	return u, nil
}

// optionalUUID reads an optional UUID query parameter.
func optionalUUID(r *http.Request, name string) (uuid.NullUUID, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return uuid.NullUUID{}, nil
	}
	u, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		return uuid.NullUUID{}, frontdesk.Invalid(name, "must be a UUID")
	}
	return uuid.NullUUID{UUID: u, Valid: true}, nil
}
