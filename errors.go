package frontdesk

import (
	"errors"
	"fmt"
)

// The errors below are what the domain says went wrong; internal/web maps
// each to one status code in one place (errors.go there).
var (
	// ErrNotFound: the object does not exist for the acting clinic, whether
	// it exists for another clinic or not at all.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: no valid credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: valid credentials, but not allowed (not a member, or the
	// role is too low).
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the change collides with existing data.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the server is busy (no database connection within
	// the acquire timeout); the client should retry shortly.
	ErrUnavailable = errors.New("temporarily unavailable")
)

// ValidationError says which input field is wrong and why. Field is the name
// the client used (a query parameter, a JSON field or a header).
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

// Invalid returns a *ValidationError for field.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ConflictError is a conflict the domain can explain: a cancelled booking,
// a number another clinic holds. It is an ErrConflict.
type ConflictError struct {
	Field   string
	Message string
}

func (e *ConflictError) Error() string { return e.Message }
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Conflict returns a *ConflictError about field ("" for none).
func Conflict(field, message string) error { return &ConflictError{Field: field, Message: message} }
