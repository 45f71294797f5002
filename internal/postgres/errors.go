package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"frontdesk"
	"frontdesk/internal/postgres/db"
)

// mapError turns database errors into the domain's, in one place, keeping
// the original wrapped for logs. An error that is already the domain's is
// returned as it is.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	for _, domain := range []error{frontdesk.ErrNotFound, frontdesk.ErrConflict, frontdesk.ErrForbidden, frontdesk.ErrUnavailable} {
		if errors.Is(err, domain) {
			return err
		}
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
		case "22021", "22P05": // character_not_in_repertoire (a NUL), untranslatable_character
			return &frontdesk.ValidationError{Field: "", Message: "the text holds a character that cannot be stored"}
		}
	}
	return err
}

// OneRow turns an update or delete that affected no row into
// frontdesk.ErrNotFound: the row is not the acting clinic's, or not there.
func OneRow(n int64, err error) error {
	if err == nil && n == 0 {
		return frontdesk.ErrNotFound
	}
	return err
}

// queries returns the sqlc queries over conn with every error translated
// where the query runs: callers see frontdesk.ErrNotFound for no row and
// frontdesk.ErrConflict for a unique or exclusion violation, never a
// driver error.
func queries(conn db.DBTX) *db.Queries { return db.New(translated{conn}) }

type translated struct{ db.DBTX }

func (t translated) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.DBTX.Exec(ctx, sql, args...)
	return tag, mapError(err)
}

func (t translated) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := t.DBTX.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapError(err)
	}
	return translatedRows{rows}, nil
}

func (t translated) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return translatedRow{t.DBTX.QueryRow(ctx, sql, args...)}
}

func (t translated) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	n, err := t.DBTX.CopyFrom(ctx, table, cols, src)
	return n, mapError(err)
}

type translatedRow struct{ pgx.Row }

func (r translatedRow) Scan(dest ...any) error { return mapError(r.Row.Scan(dest...)) }

type translatedRows struct{ pgx.Rows }

func (r translatedRows) Scan(dest ...any) error { return mapError(r.Rows.Scan(dest...)) }
func (r translatedRows) Err() error             { return mapError(r.Rows.Err()) }
