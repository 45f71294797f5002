// Package frontdesk holds the vocabulary every other package shares: typed
// identifiers, roles and the errors that the HTTP layer maps to status codes.
// It has no behaviour of its own and imports nothing from the project.
package frontdesk

import (
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// OrgID identifies a clinic (a tenant).
type OrgID uuid.UUID

// UserID identifies a person who can sign in.
type UserID uuid.UUID

// CallID identifies one call log row within a clinic.
type CallID uuid.UUID

// BookingID identifies a booking (or a hold) within a clinic.
type BookingID uuid.UUID

// ServiceID identifies a bookable service within a clinic.
type ServiceID uuid.UUID

// ResourceID identifies a clinician or room within a clinic. The zero
// ResourceID is stored as NULL: "the clinic's own" (hours, closures).
type ResourceID uuid.UUID

// NewOrgID, NewUserID and NewCallID return fresh random identifiers.
func NewOrgID() OrgID   { return OrgID(uuid.New()) }
func NewUserID() UserID { return UserID(uuid.New()) }
func NewCallID() CallID { return CallID(uuid.New()) }

func (id OrgID) String() string      { return uuid.UUID(id).String() }
func (id UserID) String() string     { return uuid.UUID(id).String() }
func (id CallID) String() string     { return uuid.UUID(id).String() }
func (id BookingID) String() string  { return uuid.UUID(id).String() }
func (id ServiceID) String() string  { return uuid.UUID(id).String() }
func (id ResourceID) String() string { return uuid.UUID(id).String() }

func (id OrgID) IsZero() bool      { return id == OrgID{} }
func (id UserID) IsZero() bool     { return id == UserID{} }
func (id ResourceID) IsZero() bool { return id == ResourceID{} }

// ParseOrgID and the other Parse functions accept only the hyphenated
// 36-character form (either case), not uuid.Parse's braced or URN forms.
func ParseOrgID(s string) (OrgID, error)           { u, err := parseUUID(s); return OrgID(u), err }
func ParseUserID(s string) (UserID, error)         { u, err := parseUUID(s); return UserID(u), err }
func ParseCallID(s string) (CallID, error)         { u, err := parseUUID(s); return CallID(u), err }
func ParseBookingID(s string) (BookingID, error)   { u, err := parseUUID(s); return BookingID(u), err }
func ParseServiceID(s string) (ServiceID, error)   { u, err := parseUUID(s); return ServiceID(u), err }
func ParseResourceID(s string) (ResourceID, error) { u, err := parseUUID(s); return ResourceID(u), err }

func parseUUID(s string) (uuid.UUID, error) {
	if len(s) != 36 {
		return uuid.Nil, fmt.Errorf("not a UUID: %q", truncate(s, 64))
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("not a UUID: %q", truncate(s, 64))
	}
	return u, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Text and SQL encodings. A zero ID is stored as NULL, so forgetting to set
// one fails a NOT NULL constraint instead of writing the nil UUID.

func (id OrgID) MarshalText() ([]byte, error)      { return []byte(id.String()), nil }
func (id UserID) MarshalText() ([]byte, error)     { return []byte(id.String()), nil }
func (id CallID) MarshalText() ([]byte, error)     { return []byte(id.String()), nil }
func (id BookingID) MarshalText() ([]byte, error)  { return []byte(id.String()), nil }
func (id ServiceID) MarshalText() ([]byte, error)  { return []byte(id.String()), nil }
func (id ResourceID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

func (id *OrgID) UnmarshalText(b []byte) (err error)  { *id, err = ParseOrgID(string(b)); return err }
func (id *UserID) UnmarshalText(b []byte) (err error) { *id, err = ParseUserID(string(b)); return err }
func (id *CallID) UnmarshalText(b []byte) (err error) { *id, err = ParseCallID(string(b)); return err }
func (id *BookingID) UnmarshalText(b []byte) (err error) {
	*id, err = ParseBookingID(string(b))
	return err
}
func (id *ServiceID) UnmarshalText(b []byte) (err error) {
	*id, err = ParseServiceID(string(b))
	return err
}
func (id *ResourceID) UnmarshalText(b []byte) (err error) {
	*id, err = ParseResourceID(string(b))
	return err
}

func (id OrgID) Value() (driver.Value, error)      { return value(uuid.UUID(id)) }
func (id UserID) Value() (driver.Value, error)     { return value(uuid.UUID(id)) }
func (id CallID) Value() (driver.Value, error)     { return value(uuid.UUID(id)) }
func (id BookingID) Value() (driver.Value, error)  { return value(uuid.UUID(id)) }
func (id ServiceID) Value() (driver.Value, error)  { return value(uuid.UUID(id)) }
func (id ResourceID) Value() (driver.Value, error) { return value(uuid.UUID(id)) }

func (id *OrgID) Scan(src any) error      { return scan((*uuid.UUID)(id), src) }
func (id *UserID) Scan(src any) error     { return scan((*uuid.UUID)(id), src) }
func (id *CallID) Scan(src any) error     { return scan((*uuid.UUID)(id), src) }
func (id *BookingID) Scan(src any) error  { return scan((*uuid.UUID)(id), src) }
func (id *ServiceID) Scan(src any) error  { return scan((*uuid.UUID)(id), src) }
func (id *ResourceID) Scan(src any) error { return scan((*uuid.UUID)(id), src) }

func value(u uuid.UUID) (driver.Value, error) {
	if u == uuid.Nil {
		return nil, nil
	}
	return u.String(), nil
}

func scan(u *uuid.UUID, src any) error {
	if src == nil {
		*u = uuid.Nil
		return nil
	}
	return u.Scan(src)
}

// Role is a member's role in a clinic.
type Role string

const (
	RoleOwner Role = "owner"
	RoleAdmin Role = "admin"
	RoleStaff Role = "staff"
)

// ParseRole accepts the three roles and nothing else.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleOwner, RoleAdmin, RoleStaff:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want owner, admin or staff)", truncate(s, 32))
}

// AtLeast reports whether r grants everything min grants.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleStaff:
		return 1
	}
	return 0
}

// Clinic is what request handling needs to know about the acting clinic.
type Clinic struct {
	ID   OrgID
	Name string
	// Location is the clinic's time zone: dates and hours are in it.
	Location *time.Location
	// Country is the ISO 3166 region used to read phone numbers typed
	// without a country code.
	Country string
}
