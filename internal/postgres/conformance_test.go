package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"frontdesk/internal/testkit"
)

// globalTables are global by nature, not owned by one clinic. They still
// have forced RLS, so the app role sees only what the acting user may see.
var globalTables = map[string]string{
	"organizations": "a clinic itself; the policy keys on id = app.org_id",
	"users":         "a person may belong to several clinics; visible to themselves and to their clinics",
	"voice_routes":  "a phone number or assistant routes to exactly one clinic, so its key is unique across clinics",
}

// infraTables hold no clinic data at all and are exempt from RLS.
var infraTables = map[string]string{
	"schema_migrations":  "which migrations ran; read by /readyz",
	"river_migration":    "the job queue's own migrations",
	"river_job":          "the job queue: claimed globally, each job's body runs in its clinic's InTenant",
	"river_leader":       "the job queue's leader election",
	"river_queue":        "the job queue's queues",
	"river_notification": "the job queue's notifications",
	"secret_key_check":   "a value sealed with the secret key, to refuse a process started with another key",
	"secret_hash_key":    "the server's signing and hashing key, sealed; the same across key rotations",
	"login_failures":     "failed sign-in counts per account and address; the app role has no grant, only auth_login_reserve and auth_login_release touch it",
	"web_sessions":       "dashboard sign-in sessions (a user's, not a clinic's); the app role has no grant, only the web_session_* functions touch it, by token",
}

// appGrants is every privilege the app role may hold, and must hold.
var appGrants = []string{
	"audit_events:INSERT", "audit_events:SELECT",
	"access_log:INSERT", "access_log:SELECT",
	"contacts:INSERT", "contacts:SELECT", "contacts:UPDATE",
	"campaigns:INSERT", "campaigns:SELECT", "campaigns.state:UPDATE", "campaigns.starts_at:UPDATE", "campaigns.updated_at:UPDATE",
	"campaign_targets:INSERT", "campaign_targets:SELECT", "campaign_targets.state:UPDATE", "campaign_targets.outcome:UPDATE",
	"campaign_targets.attempts:UPDATE", "campaign_targets.next_at:UPDATE", "campaign_targets.updated_at:UPDATE",
	"campaign_targets.phone:UPDATE", "campaign_targets.name:UPDATE",
	"campaign_attempts:INSERT", "campaign_attempts:SELECT", "campaign_attempts.state:UPDATE", "campaign_attempts.posted_at:UPDATE",
	"campaign_attempts.vapi_call_id:UPDATE", "campaign_attempts.error:UPDATE",
	"do_not_call:DELETE", "do_not_call:INSERT", "do_not_call:SELECT", "do_not_call.phone:UPDATE", "do_not_call.reason:UPDATE",
	// Erasing a patient (0028_patient_erasure.sql).
	"patient_erasures:INSERT", "patient_erasures:SELECT", "patient_erasures.finished_at:UPDATE", "patient_erasures.calls:UPDATE",
	"patient_erasures.recordings:UPDATE", "patient_erasures.bookings:UPDATE", "patient_erasures.texts:UPDATE",
	"call_tool_calls.arguments:UPDATE", "call_tool_calls.result:UPDATE", "call_verifications.phone:UPDATE",
	"callback_requests.callback_number:UPDATE", "callback_requests.caller_number:UPDATE", "callback_requests.reason:UPDATE",
	"sms_inbound.body:UPDATE", "sms_inbound.from_number:UPDATE",
	"secret_key_check:INSERT", "secret_key_check:SELECT",
	"secret_hash_key:INSERT", "secret_hash_key:SELECT",
	"receptionist_profiles:INSERT", "receptionist_profiles:SELECT", "receptionist_profiles:UPDATE",
	"call_transfers:INSERT", "call_transfers:SELECT",
	"call_verifications:INSERT", "call_verifications:SELECT", "call_verifications.attempts:UPDATE", "call_verifications.verified_at:UPDATE", "call_verifications.code_sealed:UPDATE",
	"vapi_accounts:DELETE", "vapi_accounts:INSERT", "vapi_accounts:SELECT", "vapi_accounts:UPDATE",
	"callback_requests:INSERT", "callback_requests:SELECT", "callback_requests.status:UPDATE",
	"callback_requests.done_at:UPDATE", "callback_requests.done_by:UPDATE",
	"callback_requests.note:UPDATE", "callback_requests.note_at:UPDATE", "callback_requests.note_by:UPDATE",
	"bookings:DELETE", "bookings:INSERT", "bookings:SELECT", "bookings:UPDATE",
	"calendar_connections:DELETE", "calendar_connections:INSERT", "calendar_connections:SELECT", "calendar_connections:UPDATE",
	"call_tool_calls:INSERT", "call_tool_calls:SELECT",
	"kb_articles:DELETE", "kb_articles:INSERT", "kb_articles:SELECT", "kb_articles:UPDATE",
	"closures:DELETE", "closures:INSERT", "closures:SELECT",
	"opening_hours:DELETE", "opening_hours:INSERT", "opening_hours:SELECT",
	"resource_services:DELETE", "resource_services:INSERT", "resource_services:SELECT",
	"resources:DELETE", "resources:INSERT", "resources:SELECT", "resources:UPDATE",
	"services:DELETE", "services:INSERT", "services:SELECT", "services:UPDATE",
	"call_counts:INSERT", "call_counts:SELECT", "call_counts:UPDATE",
	"call_logs:INSERT", "call_logs:SELECT", "call_logs:UPDATE",
	"memberships:SELECT", "memberships.role:UPDATE", "memberships:DELETE",
	"oauth_pending:DELETE", "oauth_pending:INSERT", "oauth_pending:SELECT",
	"organizations:SELECT", "organizations.name:UPDATE", "organizations.access_log_retention_days:UPDATE",
	"organizations.redact_identifiers:UPDATE", "organizations.text_retention_days:UPDATE", "organizations.transcript_retention_days:UPDATE", "organizations.recording_retention_days:UPDATE", "organizations.timezone:UPDATE",
	"organizations.min_notice_minutes:UPDATE", "organizations.max_days_ahead:UPDATE", "organizations.hold_minutes:UPDATE",
	"river_job:DELETE", "river_job:INSERT", "river_job:SELECT", "river_job:UPDATE",
	"river_job_id_seq:SELECT", "river_job_id_seq:USAGE",
	"river_leader:DELETE", "river_leader:INSERT", "river_leader:SELECT", "river_leader:UPDATE",
	"river_notification:DELETE", "river_notification:INSERT", "river_notification:SELECT", "river_notification:UPDATE",
	"river_notification_id_seq:SELECT", "river_notification_id_seq:USAGE",
	"river_queue:DELETE", "river_queue:INSERT", "river_queue:SELECT", "river_queue:UPDATE",
	"schema_migrations:SELECT",
	"sms_confirmation_logs:INSERT", "sms_confirmation_logs:SELECT", "sms_confirmation_logs:UPDATE",
	"sms_inbound:INSERT", "sms_inbound:SELECT", "sms_inbound.handled_at:UPDATE", "sms_inbound.handled_by:UPDATE",
	"sms_opt_outs:DELETE", "sms_opt_outs:INSERT", "sms_opt_outs:SELECT",
	"twilio_accounts:DELETE", "twilio_accounts:INSERT", "twilio_accounts:SELECT", "twilio_accounts:UPDATE",
	"users:SELECT",
	"voice_routes:DELETE", "voice_routes:INSERT", "voice_routes:SELECT",
	"voice_secrets:INSERT", "voice_secrets:SELECT", "voice_secrets:UPDATE",
	"webhook_events:INSERT", "webhook_events:SELECT",
}

// definerFunctions are the only SECURITY DEFINER functions (the fenced
// cross-tenant reads), and the only functions the app role may execute.
var definerFunctions = []string{"auth_login_lookup", "auth_user_memberships", "auth_user_profile", "vapi_route_org",
	"recording_sweep_orgs", "kb_search", "twilio_route_org", "silent_call_orgs",
	"auth_login_reserve", "auth_login_release", "auth_set_own_password", "team_add", "team_reset_password",
	"web_session_start", "web_session_get", "web_session_set_org", "web_session_end", "web_session_end_user", "access_log_expire", "sweep_orgs", "sealed_key_versions", "campaign_orgs"}

// infraFunctions are the job queue's own helpers, executable by everyone as
// River creates them; they touch no clinic data.
var infraFunctions = []string{"river_job_state_in_bitmask"}

const tenantPolicy = "(org_id = (NULLIF(current_setting('app.org_id'::text, true), ''::text))::uuid)"

func TestSchemaConformance(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	if v := conformance(t, d.Admin.Pool()); len(v) > 0 {
		t.Fatalf("schema violates the tenancy rules:\n  %s", strings.Join(v, "\n  "))
	}
}

// TestConformanceCatchesViolations proves the checker is not vacuous: each
// broken table or grant below must be reported.
func TestConformanceCatchesViolations(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	ctx := context.Background()
	for _, stmt := range []string{
		`CREATE TABLE no_rls (org_id uuid NOT NULL, id uuid, PRIMARY KEY (org_id, id))`,
		`CREATE TABLE not_forced (org_id uuid NOT NULL, id uuid, PRIMARY KEY (org_id, id));
		 ALTER TABLE not_forced ENABLE ROW LEVEL SECURITY;
		 CREATE POLICY p ON not_forced USING (true)`,
		`CREATE TABLE nullable_org (org_id uuid, id uuid UNIQUE, call_id uuid,
		   FOREIGN KEY (org_id, call_id) REFERENCES call_logs (org_id, id));
		 ALTER TABLE nullable_org ENABLE ROW LEVEL SECURITY; ALTER TABLE nullable_org FORCE ROW LEVEL SECURITY;
		 CREATE POLICY p ON nullable_org USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)`,
		`CREATE TABLE bad_fk (org_id uuid NOT NULL, id uuid, call_org uuid, call_id uuid, PRIMARY KEY (org_id, id),
		   FOREIGN KEY (call_org, call_id) REFERENCES call_logs (org_id, id));
		 ALTER TABLE bad_fk ENABLE ROW LEVEL SECURITY; ALTER TABLE bad_fk FORCE ROW LEVEL SECURITY;
		 CREATE POLICY p ON bad_fk USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
		   WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid)`,
		`GRANT DELETE ON call_logs TO frontdesk_app`,
	} {
		if _, err := d.Admin.Pool().Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	got := strings.Join(conformance(t, d.Admin.Pool()), "\n")
	for _, want := range []string{
		"no_rls: row-level security not enabled",
		"not_forced: row-level security not forced",
		"not_forced: policy p uses USING (true)",
		"nullable_org: org_id must be NOT NULL",
		"nullable_org: has no primary key",
		"nullable_org: unique constraint nullable_org_id_key does not include org_id",
		"nullable_org: policy p has no WITH CHECK",
		"bad_fk: foreign key bad_fk_call_org_call_id_fkey does not pair org_id with org_id",
		"frontdesk_app: unexpected grant call_logs:DELETE",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("checker missed %q; it reported:\n%s", want, got)
		}
	}
}

// conformance walks the catalog and returns every violation of DESIGN.md's
// tenancy rules.
func conformance(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	ctx := context.Background()
	var v []string
	add := func(format string, args ...any) { v = append(v, fmt.Sprintf(format, args...)) }
	strs := func(sql string, args ...any) [][]string {
		rows, err := pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out [][]string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(vals))
			for i, x := range vals {
				row[i] = fmt.Sprint(x)
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}

	tables := strs(`SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
		FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1`)
	if len(tables) < 5 {
		t.Fatalf("found only %d tables; is the schema migrated?", len(tables))
	}
	for _, tb := range tables {
		name, rls, forced := tb[0], tb[1] == "true", tb[2] == "true"
		if _, ok := infraTables[name]; ok {
			continue
		}
		if !rls {
			add("%s: row-level security not enabled", name)
		}
		if !forced {
			add("%s: row-level security not forced", name)
		}
		policies := strs(`SELECT policyname, permissive, cmd, array_to_string(roles, ','),
			coalesce(qual, ''), coalesce(with_check, '')
			FROM pg_policies WHERE schemaname = 'public' AND tablename = $1`, name)
		for _, p := range policies {
			if strings.TrimSpace(strings.Trim(p[4], "()")) == "true" {
				add("%s: policy %s uses USING (true)", name, p[0])
			}
		}
		if _, global := globalTables[name]; global {
			if len(policies) == 0 {
				add("%s: global table without a policy", name)
			}
			for _, p := range policies {
				if !strings.Contains(p[4], "app.org_id") && !strings.Contains(p[4], "app.user_id") {
					add("%s: policy %s does not key on app.org_id or app.user_id", name, p[0])
				}
			}
			continue
		}

		// A tenant table.
		var nullable string
		if rows := strs(`SELECT is_nullable FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1 AND column_name = 'org_id' AND data_type = 'uuid'`, name); len(rows) == 0 {
			add("%s: no org_id uuid column", name)
		} else {
			nullable = rows[0][0]
		}
		if nullable == "YES" {
			add("%s: org_id must be NOT NULL", name)
		}
		if len(policies) != 1 {
			add("%s: has %d policies, want exactly one", name, len(policies))
		}
		for _, p := range policies {
			switch {
			case p[1] != "PERMISSIVE" || p[2] != "ALL" || p[3] != "public":
				add("%s: policy %s must be PERMISSIVE, FOR ALL, TO PUBLIC (is %s %s %s)", name, p[0], p[1], p[2], p[3])
			case p[4] != tenantPolicy:
				add("%s: policy %s USING %s, want %s", name, p[0], p[4], tenantPolicy)
			case p[5] == "":
				add("%s: policy %s has no WITH CHECK", name, p[0])
			case p[5] != tenantPolicy:
				add("%s: policy %s WITH CHECK %s, want %s", name, p[0], p[5], tenantPolicy)
			}
		}
		// Keys: the primary key and every unique constraint or index
		// include org_id.
		keys := strs(`SELECT i.indexrelid::regclass::text, i.indisprimary,
			EXISTS (SELECT 1 FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k
			        WHERE a.attname = 'org_id')
			FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique`, name)
		hasPK := false
		for _, k := range keys {
			hasPK = hasPK || k[1] == "true"
			if k[2] != "true" {
				kind := "unique constraint"
				if k[1] == "true" {
					kind = "primary key"
				}
				add("%s: %s %s does not include org_id", name, kind, k[0])
			}
		}
		if !hasPK {
			add("%s: has no primary key", name)
		}
		// Foreign keys: to a tenant table, org_id pairs with org_id; to a
		// global table, only organizations(id) from org_id is expected.
		fks := strs(`SELECT con.conname, con.confrelid::regclass::text,
			(SELECT array_agg(a.attname ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
			   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n)::text,
			(SELECT array_agg(a.attname ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
			   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n)::text
			FROM pg_constraint con WHERE con.conrelid = $1::regclass AND con.contype = 'f'`, name)
		for _, fk := range fks {
			from, to := strings.Split(strings.Trim(fk[2], "{}"), ","), strings.Split(strings.Trim(fk[3], "{}"), ",")
			switch _, global := globalTables[fk[1]]; {
			case fk[1] == "organizations":
				if fk[2] != "{org_id}" {
					add("%s: foreign key %s to organizations must be on org_id", name, fk[0])
				}
			case global:
				// users: a person, not clinic data.
			default:
				i, j := slices.Index(from, "org_id"), slices.Index(to, "org_id")
				if i < 0 || i != j {
					add("%s: foreign key %s does not pair org_id with org_id", name, fk[0])
				}
			}
		}
	}

	// The app role: no attributes that defeat RLS, no memberships, owns
	// nothing, and exactly the grants it uses.
	attrs := strs(`SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication,
		(SELECT count(*) FROM pg_auth_members WHERE member = r.oid),
		(SELECT count(*) FROM pg_class WHERE relowner = r.oid),
		(SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
		FROM pg_roles r WHERE rolname = 'frontdesk_app'`)
	if len(attrs) != 1 {
		t.Fatal("role frontdesk_app does not exist")
	}
	if a := attrs[0]; strings.Join(a, ",") != "false,false,false,false,false,0,0,0" {
		add("frontdesk_app: super,bypassrls,createrole,createdb,replication,memberships,owned relations,owned functions = %s; want false,false,false,false,false,0,0,0", strings.Join(a, ","))
	}
	var got []string
	for _, g := range strs(`SELECT c.relname, a.privilege_type
		FROM pg_class c, aclexplode(c.relacl) a
		WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = 'frontdesk_app'::regrole`) {
		got = append(got, g[0]+":"+g[1])
	}
	for _, g := range strs(`SELECT c.relname || '.' || at.attname, a.privilege_type
		FROM pg_attribute at JOIN pg_class c ON c.oid = at.attrelid, aclexplode(at.attacl) a
		WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = 'frontdesk_app'::regrole`) {
		got = append(got, g[0]+":"+g[1])
	}
	sort.Strings(got)
	for _, g := range got {
		if !slices.Contains(appGrants, g) {
			add("frontdesk_app: unexpected grant %s", g)
		}
	}
	for _, g := range appGrants {
		if !slices.Contains(got, g) {
			add("frontdesk_app: missing grant %s", g)
		}
	}
	// Functions: the app may execute only the definer functions, and PUBLIC
	// may execute none of them.
	for _, f := range strs(`SELECT p.proname, p.prosecdef,
		has_function_privilege('frontdesk_app', p.oid, 'EXECUTE'),
		coalesce(array_to_string(p.proconfig, ','), ''),
		EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee = 0)
		FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d -- an extension's own (btree_gist)
		                  WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`) {
		fenced := slices.Contains(definerFunctions, f[0])
		switch {
		case f[1] == "true" && !fenced:
			add("function %s: SECURITY DEFINER but not on the fenced list", f[0])
		case fenced && f[1] != "true":
			add("function %s: expected SECURITY DEFINER", f[0])
		case fenced && !strings.Contains(f[3], "search_path="):
			add("function %s: SECURITY DEFINER without a fixed search_path", f[0])
		case fenced && f[4] == "true":
			add("function %s: executable by PUBLIC", f[0])
		case !fenced && f[2] == "true" && !slices.Contains(infraFunctions, f[0]):
			add("function %s: executable by frontdesk_app", f[0])
		}
	}
	// Schema: usage, never create.
	if r := strs(`SELECT has_schema_privilege('frontdesk_app', 'public', 'CREATE')`); r[0][0] != "false" {
		add("frontdesk_app: may CREATE in schema public")
	}
	return v
}
