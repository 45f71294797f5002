package postgres_test

import (
	"context"
	"testing"

	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/testkit"
)

// BenchmarkTenantTransaction compares the tenant transaction wrapper as
// InTenant does it (BEGIN, set_config and the membership check in one round
// trip) with the plain way (one round trip each), around the same query.
func BenchmarkTenantTransaction(b *testing.B) {
	d := testkit.NewDB(b)
	w := testkit.TwoClinics(b, d)
	ctx := context.Background()
	call := db.GetCallParams{OrgID: w.A.ID, ID: w.A.Calls[0].ID}
	actingCtx := postgres.WithActingUser(ctx, w.A.Owner.ID)

	b.Run("bare-query-no-tx", func(b *testing.B) {
		q := db.New(d.Admin.Pool())
		for b.Loop() {
			if _, err := q.GetCall(ctx, call); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sequential-round-trips", func(b *testing.B) {
		pool := d.Store.Pool()
		for b.Loop() {
			tx, err := pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)",
				w.A.ID.String(), w.A.Owner.ID.String()); err != nil {
				b.Fatal(err)
			}
			q := db.New(tx)
			if _, err := q.ActingMember(ctx, db.ActingMemberParams{OrgID: w.A.ID, UserID: w.A.Owner.ID}); err != nil {
				b.Fatal(err)
			}
			if _, err := q.GetCall(ctx, call); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("InTenant-batched", func(b *testing.B) {
		for b.Loop() {
			err := d.Store.InTenant(actingCtx, w.A.ID, func(tx *postgres.Tx) error {
				_, err := tx.GetCall(ctx, call)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
