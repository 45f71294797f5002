package scheduling

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Clinic setup for scheduling: booking settings, hours, closures, services
// and resources.

// BookingSettings are a clinic's zone, booking window and hold length.
type BookingSettings struct {
	Timezone         string `json:"timezone"`
	MinNoticeMinutes int32  `json:"min_notice_minutes"`
	MaxDaysAhead     int32  `json:"max_days_ahead"`
	HoldMinutes      int32  `json:"hold_minutes"`
}

// BookingSettings reads the clinic's settings.
func (s *Service) BookingSettings(ctx context.Context, org frontdesk.OrgID) (BookingSettings, error) {
	var out BookingSettings
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		row, err := tx.BookingSettings(ctx, org)
		out = BookingSettings(row)
		return err
	})
	return out, err
}

// SetBookingSettings changes them.
func (s *Service) SetBookingSettings(ctx context.Context, org frontdesk.OrgID, in BookingSettings) error {
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
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return tx.UpdateBookingSettings(ctx, db.UpdateBookingSettingsParams{ID: org, Timezone: in.Timezone,
			MinNoticeMinutes: in.MinNoticeMinutes, MaxDaysAhead: in.MaxDaysAhead, HoldMinutes: in.HoldMinutes})
	})
}

// HoursRange is one opening range of a weekday, clinic time.
type HoursRange struct {
	Weekday int16  `json:"weekday"` // 0 = Sunday
	Opens   string `json:"opens"`   // HH:MM
	Closes  string `json:"closes"`
}

// Hours lists the clinic's weekly hours, or (resource set) a resource's own.
func (s *Service) Hours(ctx context.Context, org frontdesk.OrgID, resource frontdesk.ResourceID) ([]HoursRange, error) {
	out := []HoursRange{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListOpeningHours(ctx, org)
		for _, h := range rows {
			if h.ResourceID == resource {
				out = append(out, HoursRange{h.Weekday, ClockOf(h.Opens).String(), ClockOf(h.Closes).String()})
			}
		}
		return err
	})
	return out, err
}

// SetHours replaces the clinic's weekly hours (or a resource's own).
func (s *Service) SetHours(ctx context.Context, org frontdesk.OrgID, resource frontdesk.ResourceID, hours []HoursRange) error {
	type parsed struct {
		day          int16
		opens, close Clock
	}
	var ranges []parsed
	for i, h := range hours {
		o, ok1 := ParseClock(h.Opens)
		c, ok2 := ParseClock(h.Closes)
		if h.Weekday < 0 || h.Weekday > 6 || !ok1 || !ok2 || o >= c {
			return frontdesk.Invalid(fmt.Sprintf("hours[%d]", i), "weekday 0-6 (0 = Sunday), opens before closes, times as HH:MM")
		}
		ranges = append(ranges, parsed{h.Weekday, o, c})
	}
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		if err := resourceExists(ctx, tx, resource, "resource"); err != nil {
			return err
		}
		if err := tx.ClearOpeningHours(ctx, db.ClearOpeningHoursParams{OrgID: org, ResourceID: nullable(resource)}); err != nil {
			return err
		}
		for _, p := range ranges {
			if err := tx.AddOpeningHours(ctx, db.AddOpeningHoursParams{OrgID: org, ResourceID: nullable(resource), Weekday: p.day,
				Opens: p.opens.PG(), Closes: p.close.PG()}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Closure is a span of closed days, the clinic's or one resource's.
type Closure struct {
	ID         uuid.UUID             `json:"id"`
	ResourceID *frontdesk.ResourceID `json:"resource_id"`
	FirstDay   string                `json:"first_day"` // YYYY-MM-DD
	LastDay    string                `json:"last_day"`
	Reason     string                `json:"reason"`
}

// Closures lists closures that have not ended.
func (s *Service) Closures(ctx context.Context, org frontdesk.OrgID) ([]Closure, error) {
	out := []Closure{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		today := time.Now().In(tx.Org.Location)
		rows, err := tx.ListClosures(ctx, db.ListClosuresParams{OrgID: org, FromDay: pgtype.Date{Time: today, Valid: true}})
		for _, c := range rows {
			cl := Closure{ID: c.ID, FirstDay: c.FirstDay.Time.Format(time.DateOnly), LastDay: c.LastDay.Time.Format(time.DateOnly), Reason: c.Reason}
			if !c.ResourceID.IsZero() {
				id := c.ResourceID
				cl.ResourceID = &id
			}
			out = append(out, cl)
		}
		return err
	})
	return out, err
}

// CreateClosure adds one.
func (s *Service) CreateClosure(ctx context.Context, org frontdesk.OrgID, in Closure) (Closure, error) {
	first, err1 := time.Parse(time.DateOnly, in.FirstDay)
	last, err2 := time.Parse(time.DateOnly, in.LastDay)
	if err1 != nil || err2 != nil || last.Before(first) {
		return in, frontdesk.Invalid("first_day", "first_day and last_day are dates (YYYY-MM-DD), first not after last")
	}
	var res frontdesk.ResourceID
	if in.ResourceID != nil {
		res = *in.ResourceID
	}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if err := resourceExists(ctx, tx, res, "resource"); err != nil {
			return err
		}
		in.ID, err = tx.CreateClosure(ctx, db.CreateClosureParams{OrgID: org, FirstDay: pgtype.Date{Time: first, Valid: true},
			LastDay: pgtype.Date{Time: last, Valid: true}, Reason: in.Reason, ResourceID: nullable(res)})
		return err
	})
	return in, err
}

// DeleteClosure removes one of the clinic's closures.
func (s *Service) DeleteClosure(ctx context.Context, org frontdesk.OrgID, id uuid.UUID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return postgres.OneRow(tx.DeleteClosure(ctx, db.DeleteClosureParams{OrgID: org, ID: id}))
	})
}

// ServiceDef is a bookable service as staff define it.
type ServiceDef struct {
	ID                  frontdesk.ServiceID `json:"id"`
	Name                string              `json:"name"`
	DurationMinutes     int32               `json:"duration_minutes"`
	BufferBeforeMinutes int32               `json:"buffer_before_minutes"`
	BufferAfterMinutes  int32               `json:"buffer_after_minutes"`
	Active              *bool               `json:"active"`
	// Bookable says whether patients can book it; NotBookable says why not
	// (read-only: set by the service, not by the client).
	Bookable    bool   `json:"bookable"`
	NotBookable string `json:"not_bookable,omitempty"`
}

// explain sets Bookable and NotBookable from whether a resource offers it.
func (v *ServiceDef) explain(offered bool) {
	v.Bookable, v.NotBookable = *v.Active && offered, ""
	switch {
	case !*v.Active:
		v.NotBookable = "inactive"
	case !offered:
		v.NotBookable = "no active clinician or room offers it: add it to a resource's services"
	}
}

func (v *ServiceDef) validate() error {
	v.Name = strings.TrimSpace(v.Name)
	switch {
	case v.Name == "" || len(v.Name) > 200:
		return frontdesk.Invalid("name", "is required (at most 200 characters)")
	case v.DurationMinutes < 5 || v.DurationMinutes > 480:
		return frontdesk.Invalid("duration_minutes", "must be from 5 to 480")
	case v.BufferBeforeMinutes < 0 || v.BufferBeforeMinutes > 240:
		return frontdesk.Invalid("buffer_before_minutes", "must be from 0 to 240")
	case v.BufferAfterMinutes < 0 || v.BufferAfterMinutes > 240:
		return frontdesk.Invalid("buffer_after_minutes", "must be from 0 to 240")
	}
	if v.Active == nil {
		t := true
		v.Active = &t
	}
	return nil
}

// Services lists the clinic's services.
func (s *Service) Services(ctx context.Context, org frontdesk.OrgID) ([]ServiceDef, error) {
	out := []ServiceDef{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		offered, err := bookableServices(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.ListServices(ctx, org)
		for _, x := range rows {
			d := ServiceDef{ID: x.ID, Name: x.Name, DurationMinutes: x.DurationMinutes, BufferBeforeMinutes: x.BufferBeforeMinutes,
				BufferAfterMinutes: x.BufferAfterMinutes, Active: &x.Active}
			d.explain(offered[x.ID])
			out = append(out, d)
		}
		return err
	})
	return out, err
}

// SaveService creates (zero id) or replaces a service.
func (s *Service) SaveService(ctx context.Context, org frontdesk.OrgID, id frontdesk.ServiceID, in ServiceDef) (ServiceDef, error) {
	if err := in.validate(); err != nil {
		return in, err
	}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if id == (frontdesk.ServiceID{}) {
			in.ID, err = tx.CreateService(ctx, db.CreateServiceParams{OrgID: org, Name: in.Name, DurationMinutes: in.DurationMinutes,
				BufferBeforeMinutes: in.BufferBeforeMinutes, BufferAfterMinutes: in.BufferAfterMinutes, Active: *in.Active})
		} else {
			in.ID = id
			err = postgres.OneRow(tx.UpdateService(ctx, db.UpdateServiceParams{OrgID: org, ID: id, Name: in.Name, DurationMinutes: in.DurationMinutes,
				BufferBeforeMinutes: in.BufferBeforeMinutes, BufferAfterMinutes: in.BufferAfterMinutes, Active: *in.Active}))
		}
		if err != nil {
			return err
		}
		offered, err := bookableServices(ctx, tx)
		in.explain(offered[in.ID])
		return err
	})
	return in, err
}

// DeleteService removes a service with no bookings; one with bookings is a
// conflict: set it inactive instead.
func (s *Service) DeleteService(ctx context.Context, org frontdesk.OrgID, id frontdesk.ServiceID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		err := postgres.OneRow(tx.DeleteService(ctx, db.DeleteServiceParams{OrgID: org, ID: id}))
		if errors.Is(err, frontdesk.ErrConflict) {
			return frontdesk.Conflict("", "the service has bookings: set it inactive instead")
		}
		return err
	})
}

// ResourceDef is a clinician or room and the services it offers.
type ResourceDef struct {
	ID         frontdesk.ResourceID  `json:"id"`
	Name       string                `json:"name"`
	Kind       string                `json:"kind"`
	Active     *bool                 `json:"active"`
	ServiceIDs []frontdesk.ServiceID `json:"service_ids"`
}

func (v *ResourceDef) validate() error {
	v.Name = strings.TrimSpace(v.Name)
	if v.Name == "" || len(v.Name) > 200 {
		return frontdesk.Invalid("name", "is required (at most 200 characters)")
	}
	if v.Kind == "" {
		v.Kind = "clinician"
	}
	if v.Kind != "clinician" && v.Kind != "room" {
		return frontdesk.Invalid("kind", "must be clinician or room")
	}
	if v.Active == nil {
		t := true
		v.Active = &t
	}
	if v.ServiceIDs == nil {
		v.ServiceIDs = []frontdesk.ServiceID{}
	}
	return nil
}

// Resources lists the clinic's clinicians and rooms.
func (s *Service) Resources(ctx context.Context, org frontdesk.OrgID) ([]ResourceDef, error) {
	out := []ResourceDef{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListResources(ctx, org)
		for _, x := range rows {
			svcs := make([]frontdesk.ServiceID, len(x.ServiceIds))
			for i, id := range x.ServiceIds {
				svcs[i] = frontdesk.ServiceID(id)
			}
			out = append(out, ResourceDef{x.ID, x.Name, x.Kind, &x.Active, svcs})
		}
		return err
	})
	return out, err
}

// SaveResource creates (zero id) or replaces a resource and the services
// it offers. A service id the clinic does not have (another clinic's
// included) is the same invalid input as one that does not exist.
func (s *Service) SaveResource(ctx context.Context, org frontdesk.OrgID, id frontdesk.ResourceID, in ResourceDef) (ResourceDef, error) {
	if err := in.validate(); err != nil {
		return in, err
	}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if id.IsZero() {
			if id, err = tx.CreateResource(ctx, db.CreateResourceParams{OrgID: org, Name: in.Name, Kind: in.Kind, Active: *in.Active}); err != nil {
				return err
			}
		} else if err := postgres.OneRow(tx.UpdateResource(ctx, db.UpdateResourceParams{OrgID: org, ID: id, Name: in.Name, Kind: in.Kind, Active: *in.Active})); err != nil {
			return err
		}
		in.ID = id
		if err := tx.ClearResourceServices(ctx, db.ClearResourceServicesParams{OrgID: org, ResourceID: id}); err != nil {
			return err
		}
		for _, svc := range in.ServiceIDs {
			if _, err := tx.GetService(ctx, db.GetServiceParams{OrgID: org, ID: svc}); err != nil {
				if errors.Is(err, frontdesk.ErrNotFound) {
					return frontdesk.Invalid("service_ids", "no service %s", svc)
				}
				return err
			}
			if err := tx.AddResourceService(ctx, db.AddResourceServiceParams{OrgID: org, ResourceID: id, ServiceID: svc}); err != nil {
				return err
			}
		}
		return nil
	})
	return in, err
}

// DeleteResource removes one of the clinic's resources with no bookings;
// one with bookings is a conflict: set it inactive instead.
func (s *Service) DeleteResource(ctx context.Context, org frontdesk.OrgID, id frontdesk.ResourceID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		err := postgres.OneRow(tx.DeleteResource(ctx, db.DeleteResourceParams{OrgID: org, ID: id}))
		if errors.Is(err, frontdesk.ErrConflict) {
			return frontdesk.Conflict("", "the clinician or room has bookings: set it inactive instead")
		}
		return err
	})
}

// resourceExists refuses a resource id the clinic does not have (another
// clinic's included) with the same invalid-input error as a malformed one.
func resourceExists(ctx context.Context, tx *postgres.Tx, id frontdesk.ResourceID, field string) error {
	if id.IsZero() {
		return nil
	}
	ok, err := tx.ResourceExists(ctx, db.ResourceExistsParams{OrgID: tx.Org.ID, ID: id})
	if err == nil && !ok {
		return frontdesk.Invalid(field, "no resource %s", id)
	}
	return err
}

func nullable(id frontdesk.ResourceID) uuid.NullUUID {
	return uuid.NullUUID{UUID: uuid.UUID(id), Valid: !id.IsZero()}
}
