package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/testkit"
)

// RLS, not the handler, keeps clinics apart: a query with no org filter,
// run through InTenant, sees only the acting clinic.
func TestInTenantUnfilteredQuerySeesOnlyActingClinic(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	ctx := context.Background()
	for _, c := range []testkit.Clinic{w.A, w.B} {
		err := d.Store.InTenant(ctx, c.ID, func(tx *postgres.Tx) error {
			rows, err := tx.Conn().Query(ctx, "SELECT org_id FROM call_logs")
			if err != nil {
				return err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var org frontdesk.OrgID
				if err := rows.Scan(&org); err != nil {
					return err
				}
				if org != c.ID {
					t.Errorf("acting as %s, saw a call of %s", c.Name, org)
				}
				n++
			}
			if n != len(c.Calls) {
				t.Errorf("%s: saw %d calls, want %d", c.Name, n, len(c.Calls))
			}
			var orgs, memberships int
			if err := tx.Conn().QueryRow(ctx, "SELECT (SELECT count(*) FROM organizations), (SELECT count(*) FROM memberships)").
				Scan(&orgs, &memberships); err != nil {
				return err
			}
			if orgs != 1 || memberships != 3 {
				t.Errorf("%s: saw %d organizations and %d memberships, want 1 and 3", c.Name, orgs, memberships)
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A pooled connection used for clinic A carries nothing into later use:
// outside InTenant it sees zero tenant rows.
func TestPooledConnectionForgetsTenant(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	ctx := context.Background()
	pool := d.Store.Pool()
	// Run many tenant transactions so every pooled connection has served one.
	for i := 0; i < int(pool.Config().MaxConns)*2; i++ {
		if err := d.Store.InTenant(ctx, w.A.ID, func(*postgres.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	conns := make([]interface{ Release() }, 0)
	for range pool.Config().MaxConns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var calls, orgs, users int
		var setting string
		if err := c.QueryRow(ctx, `SELECT (SELECT count(*) FROM call_logs), (SELECT count(*) FROM organizations),
			(SELECT count(*) FROM users), coalesce(current_setting('app.org_id', true), '')`).Scan(&calls, &orgs, &users, &setting); err != nil {
			t.Fatal(err)
		}
		if calls != 0 || orgs != 0 || users != 0 || setting != "" {
			t.Errorf("outside InTenant: %d calls, %d orgs, %d users, app.org_id=%q; want nothing", calls, orgs, users, setting)
		}
	}
	for _, c := range conns {
		c.Release()
	}
}

// A failed transaction leaves nothing behind either.
func TestInTenantErrorRollsBackAndForgets(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	ctx := context.Background()
	boom := errors.New("boom")
	err := d.Store.InTenant(ctx, w.A.ID, func(tx *postgres.Tx) error {
		if err := tx.InsertAuditEvent(ctx, db.InsertAuditEventParams{OrgID: w.A.ID, Action: "read", ResourceType: "call", ResourceID: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	var n int
	if err := d.Admin.Pool().QueryRow(ctx, "SELECT count(*) FROM audit_events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("rolled-back insert left %d rows", n)
	}
}

// WITH CHECK: acting for clinic A, a row for clinic B cannot be written.
func TestInTenantCannotWriteOtherClinic(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	ctx := context.Background()
	err := d.Store.InTenant(ctx, w.A.ID, func(tx *postgres.Tx) error {
		return tx.InsertAuditEvent(ctx, db.InsertAuditEventParams{OrgID: w.B.ID, Action: "read", ResourceType: "call", ResourceID: "x"})
	})
	if !errors.Is(err, frontdesk.ErrForbidden) {
		t.Fatalf("writing clinic B's row as clinic A: got %v, want ErrForbidden", err)
	}
}

// The acting user must be a member: checked in the database, per
// transaction, with the same error whether or not the clinic exists.
func TestInTenantChecksMembership(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	ctx := context.Background()
	cases := []struct {
		name     string
		user     frontdesk.UserID
		org      frontdesk.OrgID
		wantRole frontdesk.Role
		wantErr  error
	}{
		{"owner of A in A", w.A.Owner.ID, w.A.ID, frontdesk.RoleOwner, nil},
		{"staff of A in B", w.A.Staff.ID, w.B.ID, "", frontdesk.ErrForbidden},
		{"both in A", w.Both.ID, w.A.ID, frontdesk.RoleStaff, nil},
		{"both in B", w.Both.ID, w.B.ID, frontdesk.RoleAdmin, nil},
		{"outsider in A", w.Outsider.ID, w.A.ID, "", frontdesk.ErrForbidden},
		{"owner of A in a clinic that does not exist", w.A.Owner.ID, frontdesk.NewOrgID(), "", frontdesk.ErrForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var role frontdesk.Role
			err := d.Store.InTenant(postgres.WithActingUser(ctx, c.user), c.org, func(tx *postgres.Tx) error {
				role = tx.Role
				return nil
			})
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, c.wantErr)
			}
			if role != c.wantRole {
				t.Errorf("role %q, want %q", role, c.wantRole)
			}
		})
	}
	if err := d.Store.InTenant(ctx, frontdesk.NewOrgID(), func(*postgres.Tx) error { return nil }); !errors.Is(err, frontdesk.ErrNotFound) {
		t.Errorf("job-style transaction for a missing clinic: got %v, want ErrNotFound", err)
	}
}

func TestCheckAppRole(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	ctx := context.Background()
	if err := d.Store.CheckAppRole(ctx); err != nil {
		t.Fatalf("app role refused: %v", err)
	}
	owner, err := postgres.Open(ctx, d.OwnerURL, postgres.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if err := owner.CheckAppRole(ctx); err == nil {
		t.Fatal("the owner role (BYPASSRLS, owns the tables) was accepted as the app role")
	}
}

func TestMigrateIsIdempotentAndCurrent(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	ctx := context.Background()
	applied, err := postgres.Migrate(ctx, d.OwnerURL)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate: applied %v, err %v; want nothing", applied, err)
	}
	if err := d.Store.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	// An edited migration is refused.
	if _, err := d.Admin.Pool().Exec(ctx, "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Migrate(ctx, d.OwnerURL); err == nil {
		t.Fatal("migrate accepted a migration whose checksum changed")
	}
	// A database behind the binary is not ready.
	if _, err := d.Admin.Pool().Exec(ctx, "DELETE FROM schema_migrations"); err != nil {
		t.Fatal(err)
	}
	if err := d.Store.Ready(ctx); err == nil {
		t.Fatal("Ready with no migrations applied")
	}
}

// Searches and listings use an index condition on the filter even under
// RLS, never a filter over the whole clinic: the operators in the query are
// leakproof, so the policy does not keep them out of the index. (Sequential
// scans are disabled so a small test table cannot hide a plan that would not
// use the index.)
func TestDashboardQueriesUseIndexesUnderRLS(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	ctx := context.Background()
	// Enough calls, with statistics, that the planner's choice means something.
	if _, err := d.Admin.Pool().Exec(ctx, `
		INSERT INTO call_logs (org_id, direction, status, from_number, caller_name, started_at)
		SELECT $1, CASE WHEN i % 10 = 0 THEN 'inbound' ELSE 'outbound' END,
		       CASE WHEN i % 10 = 0 THEN 'ended' ELSE 'in-progress' END, '+1202555' || lpad(i::text, 4, '0'),
		       'Caller ' || i, now() - i * interval '5 minutes'
		FROM generate_series(1, 5000) i`, w.A.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.Admin.Exec(ctx, "ANALYZE call_logs"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, where, index, cond string
	}{
		{"default listing", "direction = 'inbound' ORDER BY started_at DESC, id DESC LIMIT 21", "call_logs_direction_idx", "direction ="},
		{"phone", "from_number = '+12125550100'", "call_logs_from_number_idx", "from_number ="},
		{"name prefix", "caller_name_key ~>=~ lower('Alp') AND caller_name_key ~<~ (lower('Alp') || chr(1114111))", "call_logs_caller_name_idx", "caller_name_key ~>=~"},
		{"status", "status = 'ended' AND direction = 'inbound' ORDER BY started_at DESC, id DESC LIMIT 21", "call_logs_status_idx", "status ="},
		{"keyset page", "direction = 'inbound' AND (started_at, id) < (now() - interval '100 hours', '00000000-0000-0000-0000-000000000000'::uuid) ORDER BY started_at DESC, id DESC LIMIT 21", "call_logs_direction_idx", "ROW(started_at, id) <"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := d.Store.InTenant(ctx, w.A.ID, func(tx *postgres.Tx) error {
				if _, err := tx.Conn().Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
					return err
				}
				rows, err := tx.Conn().Query(ctx, "EXPLAIN SELECT id FROM call_logs WHERE org_id = '"+w.A.ID.String()+"' AND "+c.where)
				if err != nil {
					return err
				}
				var plan []string
				for rows.Next() {
					var line string
					if err := rows.Scan(&line); err != nil {
						return err
					}
					plan = append(plan, line)
				}
				text := strings.Join(plan, "\n")
				cond := false
				for _, line := range plan {
					cond = cond || strings.Contains(line, "Index Cond:") && strings.Contains(line, c.cond)
				}
				if !strings.Contains(text, c.index) || !cond || strings.Contains(text, "Seq Scan") {
					t.Errorf("plan does not use %s with an index condition on %q:\n%s", c.index, c.cond, text)
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
