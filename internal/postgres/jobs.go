package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"frontdesk"
	"frontdesk/internal/postgres/db"
)

// JobDriver is the job queue's (River's) way in: the one other fenced
// cross-tenant path. River claims jobs of every clinic in one global query
// (so idle polling does not grow with the number of clinics); each job's
// body then runs inside its clinic's InTenant.
func (s *Store) JobDriver() riverdriver.Driver[pgx.Tx] { return riverpgxv5.New(s.pool) }

// PgxTx presents the tenant transaction as a pgx.Tx, for River's InsertTx:
// a job is enqueued in the transaction that decided it. The transaction
// stays InTenant's: Commit, Rollback and nested transactions are refused.
func (tx *Tx) PgxTx() pgx.Tx { return pgxTx{tx.conn} }

type pgxTx struct{ conn *pgxpool.Conn }

var errOwnedByInTenant = errors.New("this transaction belongs to InTenant")

func (t pgxTx) Begin(context.Context) (pgx.Tx, error) { return nil, errOwnedByInTenant }
func (t pgxTx) Commit(context.Context) error          { return errOwnedByInTenant }
func (t pgxTx) Rollback(context.Context) error        { return errOwnedByInTenant }
func (t pgxTx) LargeObjects() pgx.LargeObjects        { return pgx.LargeObjects{} }
func (t pgxTx) Conn() *pgx.Conn                       { return t.conn.Conn() }

func (t pgxTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t pgxTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.conn.SendBatch(ctx, b)
}

func (t pgxTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Conn().Prepare(ctx, name, sql)
}

func (t pgxTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.conn.Exec(ctx, sql, args...)
}

func (t pgxTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.conn.Query(ctx, sql, args...)
}

func (t pgxTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.conn.QueryRow(ctx, sql, args...)
}

// SweepOrgs lists the active clinics (the fenced function sweep_orgs),
// for the periodic sweeps.
func (s *Store) SweepOrgs(ctx context.Context) ([]frontdesk.OrgID, error) {
	return orgsOf(fenced(ctx, s, func(q *db.Queries) ([]uuid.UUID, error) { return q.SweepOrgs(ctx) }))
}

// CampaignOrgs lists the clinics with running campaigns, or scheduled ones
// due (the fenced function campaign_orgs), for the dialer.
func (s *Store) CampaignOrgs(ctx context.Context) ([]frontdesk.OrgID, error) {
	return orgsOf(fenced(ctx, s, func(q *db.Queries) ([]uuid.UUID, error) { return q.CampaignOrgs(ctx) }))
}

// SilentCallOrgs lists the clinics with calls that have had no event since
// idleBefore (the fenced function silent_call_orgs), for the sweep that
// closes them.
func (s *Store) SilentCallOrgs(ctx context.Context, idleBefore time.Time) ([]frontdesk.OrgID, error) {
	return orgsOf(fenced(ctx, s, func(q *db.Queries) ([]uuid.UUID, error) { return q.SilentCallOrgs(ctx, idleBefore) }))
}

func orgsOf(ids []uuid.UUID, err error) ([]frontdesk.OrgID, error) {
	out := make([]frontdesk.OrgID, len(ids))
	for i, id := range ids {
		out[i] = frontdesk.OrgID(id)
	}
	return out, err
}
