package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"frontdesk"
)

// mapError turns database errors into the domain's, in one place, keeping
// the original wrapped for logs.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", frontdesk.ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "23P01", "23503": // unique, exclusion and foreign key violations
			return fmt.Errorf("%w: %w", frontdesk.ErrConflict, err)
		case "42501": // insufficient_privilege, including an RLS WITH CHECK refusal
			return fmt.Errorf("%w: %w", frontdesk.ErrForbidden, err)
		}
	}
	return err
}

// IsConflict reports whether err, from a query inside a transaction, is a
// unique or exclusion violation. (The transaction is then aborted: work
// that follows belongs in a new one.)
func IsConflict(err error) bool { return errors.Is(mapError(err), frontdesk.ErrConflict) }

// OneRow turns an update or delete that affected no row into
// frontdesk.ErrNotFound: the row is not the acting clinic's, or not there.
func OneRow(n int64, err error) error {
	if err == nil && n == 0 {
		return frontdesk.ErrNotFound
	}
	return err
}
