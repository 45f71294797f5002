package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"frontdesk/internal/postgres/db"
)

// Admin is the operator's handle: connected as the owner role, which
// bypasses row-level security. It serves admin commands, demo data, the
// audit listing and test setup; the HTTP server never holds one.
type Admin struct {
	*db.Queries
	pool *pgxpool.Pool
}

// OpenAdmin connects to ownerURL.
func OpenAdmin(ctx context.Context, ownerURL string) (*Admin, error) {
	pool, err := pgxpool.New(ctx, ownerURL)
	if err != nil {
		return nil, fmt.Errorf("owner database URL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect as owner: %w", err)
	}
	return &Admin{Queries: queries(pool), pool: pool}, nil
}

// Close closes the pool.
func (a *Admin) Close() { a.pool.Close() }

// Exec runs one statement as the owner (maintenance such as ANALYZE).
func (a *Admin) Exec(ctx context.Context, sql string) error {
	_, err := a.pool.Exec(ctx, sql)
	return err
}

// Tx runs fn in one owner transaction.
func (a *Admin) Tx(ctx context.Context, fn func(q *db.Queries) error) error {
	return pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error { return fn(queries(tx)) })
}
