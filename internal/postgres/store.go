// Package postgres is everything that speaks SQL: migrations, the queries
// compiled by sqlc (package db), and the two ways in. Store is the server's:
// every tenant read and write goes through InTenant, as the non-owner app
// role, with app.org_id set for exactly one transaction. Admin is the
// operator's: the owner role, for migrations, admin commands and demo data.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"frontdesk"
	"frontdesk/internal/postgres/db"
)

// Store is the application's handle on the database, connected as the app
// role (frontdesk_app). It hands out tenant transactions, never the pool.
type Store struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration
}

// PoolConfig sizes the connection pool. Zero values take the defaults.
type PoolConfig struct {
	// MaxConns is the most connections this process opens (default 16).
	MaxConns int32
	// AcquireTimeout is how long a request waits for a free connection
	// before it is refused with frontdesk.ErrUnavailable (default 3 s).
	AcquireTimeout time.Duration
}

// Open connects to url as the app role. It does not check the role's
// attributes; serve calls CheckAppRole before accepting traffic.
func Open(ctx context.Context, url string, pc PoolConfig) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if pc.MaxConns <= 0 {
		pc.MaxConns = 16
	}
	if pc.AcquireTimeout <= 0 {
		pc.AcquireTimeout = 3 * time.Second
	}
	cfg.MaxConns = pc.MaxConns
	cfg.ConnConfig.RuntimeParams["application_name"] = "frontdesk"
	// Requests are short: starting parallel workers costs milliseconds, and
	// the planner picked them even for a subquery it had folded to false.
	cfg.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"] = "0"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &Store{pool: pool, acquireTimeout: pc.AcquireTimeout}, nil
}

// acquire takes a connection from the pool, waiting at most the acquire
// timeout: a full pool is frontdesk.ErrUnavailable, not a hang.
func (s *Store) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, s.acquireTimeout)
	defer cancel()
	conn, err := s.pool.Acquire(actx)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: no database connection within %s", frontdesk.ErrUnavailable, s.acquireTimeout)
		}
		return nil, fmt.Errorf("acquire connection: %w", err)
	}
	return conn, nil
}

// fenced runs one of the fenced cross-tenant reads on a pooled connection.
func fenced[T any](ctx context.Context, s *Store, fn func(q *db.Queries) (T, error)) (T, error) {
	conn, err := s.acquire(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	defer conn.Release()
	return fn(queries(conn))
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Tx is one tenant transaction: the sqlc queries, bound to a connection on
// which app.org_id is the acting clinic, plus who is acting.
type Tx struct {
	*db.Queries
	conn *pgxpool.Conn
	// Org is the clinic the transaction is scoped to.
	Org frontdesk.Clinic
	// Role is the acting user's role in Org, or "" when no user acts (jobs).
	Role frontdesk.Role
}

type actingUserKey struct{}

// WithActingUser marks ctx as acting for user: every InTenant under it first
// checks that user is a member of the clinic, and fails with
// frontdesk.ErrForbidden if not. The HTTP layer sets it once per request.
func WithActingUser(ctx context.Context, user frontdesk.UserID) context.Context {
	return context.WithValue(ctx, actingUserKey{}, user)
}

// ActingUser is the user ctx acts for, if any.
func ActingUser(ctx context.Context) (frontdesk.UserID, bool) { return actingUser(ctx) }

func actingUser(ctx context.Context) (frontdesk.UserID, bool) {
	u, ok := ctx.Value(actingUserKey{}).(frontdesk.UserID)
	return u, ok
}

// InTenant runs fn in one transaction scoped to org: app.org_id (and
// app.user_id, when a user acts) are set with set_config(..., true), so they
// end with the transaction and a pooled connection never carries them into
// the next one. BEGIN, the settings and the membership check travel in one
// round trip. fn's error, mapped by mapError, rolls the transaction back.
func (s *Store) InTenant(ctx context.Context, orgID frontdesk.OrgID, fn func(*Tx) error) (err error) {
	if orgID.IsZero() {
		return errors.New("InTenant: no organization")
	}
	conn, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	// A connection released mid-transaction is destroyed by the pool, so an
	// early return can never leak app.org_id; the explicit ROLLBACK below
	// just keeps the connection.
	defer conn.Release()

	user, acting := actingUser(ctx)
	userSetting := ""
	if acting {
		userSetting = user.String()
	}
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	batch.Queue("SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)",
		orgID.String(), userSetting)
	// The clinic, and the acting user's role in it: no row means the clinic
	// is missing or suspended, or the user is not a member.
	var org db.ActingMemberRow
	found := false
	scan := func(row pgx.Row) error {
		err := row.Scan(&org.Role, &org.Name, &org.Timezone, &org.Country)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	}
	if acting {
		batch.Queue(db.ActingMember, orgID, user).QueryRow(scan)
	} else {
		batch.Queue(db.TenantOrg, orgID).QueryRow(scan)
	}
	committed := false
	defer func() {
		if !committed {
			rollback(conn)
		}
	}()
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("begin tenant transaction: %w", mapError(err))
	}
	switch {
	case !found && acting:
		return fmt.Errorf("%w: not a member of this organization", frontdesk.ErrForbidden)
	case !found:
		return fmt.Errorf("%w: organization %s", frontdesk.ErrNotFound, orgID)
	}
	loc, err := location(org.Timezone)
	if err != nil {
		return err
	}
	tx := &Tx{
		Queries: queries(conn),
		conn:    conn,
		Org:     frontdesk.Clinic{ID: orgID, Name: org.Name, Location: loc, Country: org.Country},
		Role:    frontdesk.Role(org.Role),
	}
	if err := fn(tx); err != nil {
		return mapError(err)
	}
	if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", mapError(err))
	}
	committed = true
	return nil
}

var locations sync.Map // time zone name → *time.Location

// location loads a clinic's time zone once per process.
func location(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("organization time zone %q: %w", name, err)
	}
	locations.Store(name, l)
	return l, nil
}

// OneShot returns the queries bound so that each execution is planned for
// its actual values (an unnamed statement, still one round trip), never from
// a cached generic plan. The dashboard's queries need it: their optional
// filters decide which index fits, and a generic plan made for one clinic's
// size would be reused for every other.
func (tx *Tx) OneShot() *db.Queries { return queries(oneShot{tx.conn}) }

// oneShot puts the exec mode in front of every query's arguments (pgx reads
// it from there); CopyFrom needs none.
type oneShot struct{ *pgxpool.Conn }

func (o oneShot) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return o.Conn.Exec(ctx, sql, append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
}

func (o oneShot) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return o.Conn.Query(ctx, sql, append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
}

func (o oneShot) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return o.Conn.QueryRow(ctx, sql, append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
}

func rollback(conn *pgxpool.Conn) {
	if conn.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	// A fresh context: the request's may already be cancelled, and a
	// connection that cannot roll back is destroyed on release anyway.
	_, _ = conn.Exec(context.Background(), "ROLLBACK")
}

// Membership is one clinic a user belongs to.
type Membership struct {
	OrgID   frontdesk.OrgID
	OrgName string
	Role    frontdesk.Role
}

// UserMemberships lists the active clinics user belongs to. It is one of the
// fenced cross-tenant reads (auth_user_memberships), for a user whose token
// was verified.
func (s *Store) UserMemberships(ctx context.Context, user frontdesk.UserID) ([]Membership, error) {
	rows, err := fenced(ctx, s, func(q *db.Queries) ([]db.UserMembershipsRow, error) { return q.UserMemberships(ctx, [16]byte(user)) })
	if err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	out := make([]Membership, len(rows))
	for i, r := range rows {
		out[i] = Membership{OrgID: frontdesk.OrgID(r.OrgID), OrgName: r.OrgName, Role: frontdesk.Role(r.Role)}
	}
	return out, nil
}

// Login is what signing in needs to know of an account.
type Login struct {
	User         frontdesk.UserID
	PasswordHash string
	// MustChange: the password is a one-time one, to be replaced at sign-in.
	MustChange bool
}

// LoginLookup returns the account for email (the other fenced read). A
// missing user is frontdesk.ErrNotFound.
func (s *Store) LoginLookup(ctx context.Context, email string) (Login, error) {
	row, err := fenced(ctx, s, func(q *db.Queries) (db.LoginLookupRow, error) { return q.LoginLookup(ctx, strings.ToLower(email)) })
	if err != nil {
		return Login{}, err
	}
	return Login{User: frontdesk.UserID(row.UserID), PasswordHash: row.PasswordHash, MustChange: row.MustChangePassword}, nil
}

// SetOwnPassword sets a user's password (the fenced auth_set_own_password),
// for a user who proved the current one; a one-time password ends.
func (s *Store) SetOwnPassword(ctx context.Context, user frontdesk.UserID, hash string) error {
	_, err := fenced(ctx, s, func(q *db.Queries) (struct{}, error) {
		return struct{}{}, q.SetOwnPassword(ctx, db.SetOwnPasswordParams{UserID: uuid.UUID(user), PasswordHash: hash})
	})
	return err
}

// CheckAppRole refuses a connection role that would make row-level security
// moot: a superuser, a role that bypasses RLS, or the owner of a table.
func (s *Store) CheckAppRole(ctx context.Context) error {
	var name string
	var super, bypass bool
	var owned int
	err := s.pool.QueryRow(ctx, `
		SELECT r.rolname, r.rolsuper, r.rolbypassrls,
		       (SELECT count(*) FROM pg_class c
		        WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p')
		          AND c.relnamespace = 'public'::regnamespace)
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&name, &super, &bypass, &owned)
	if err != nil {
		return fmt.Errorf("inspect database role: %w", err)
	}
	switch {
	case super:
		return fmt.Errorf("database role %q is a superuser; connect as the app role (frontdesk_app)", name)
	case bypass:
		return fmt.Errorf("database role %q bypasses row-level security; connect as the app role (frontdesk_app)", name)
	case owned > 0:
		return fmt.Errorf("database role %q owns %d tables; connect as the app role (frontdesk_app), not the owner", name, owned)
	}
	return nil
}

// Ready reports whether the database answers and every migration this
// binary knows has been applied.
func (s *Store) Ready(ctx context.Context) error {
	var applied int
	if err := s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&applied); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if want := LatestVersion(); applied < want {
		return fmt.Errorf("migrations: database at %d, binary needs %d; run frontdesk migrate", applied, want)
	}
	return nil
}

// UserProfile is a user's own email and name (a fenced read, for a user
// whose token was verified). A missing user is frontdesk.ErrNotFound.
func (s *Store) UserProfile(ctx context.Context, user frontdesk.UserID) (email, name string, err error) {
	row, err := fenced(ctx, s, func(q *db.Queries) (db.UserProfileRow, error) { return q.UserProfile(ctx, [16]byte(user)) })
	if err != nil {
		return "", "", err
	}
	return row.Email, row.Name, nil
}

// VapiRouteOrg is the clinic that holds phoneNumber and/or assistantID (the
// fenced lookup vapi_route_org), or frontdesk.ErrNotFound when none does or
// the two name different clinics.
func (s *Store) VapiRouteOrg(ctx context.Context, phoneNumber, assistantID string) (frontdesk.OrgID, error) {
	return routedOrg(fenced(ctx, s, func(q *db.Queries) (uuid.UUID, error) {
		return q.VapiRouteOrg(ctx, db.VapiRouteOrgParams{PhoneNumber: phoneNumber, AssistantID: assistantID})
	}))
}

// routedOrg turns a fenced routing lookup's answer (the nil UUID for none)
// into a clinic or frontdesk.ErrNotFound.
func routedOrg(id uuid.UUID, err error) (frontdesk.OrgID, error) {
	if err != nil {
		return frontdesk.OrgID{}, err
	}
	if id == uuid.Nil {
		return frontdesk.OrgID{}, frontdesk.ErrNotFound
	}
	return frontdesk.OrgID(id), nil
}

// TwilioRouteOrg is the clinic whose Twilio account and sending number a
// webhook names (the fenced lookup twilio_route_org), or
// frontdesk.ErrNotFound.
func (s *Store) TwilioRouteOrg(ctx context.Context, number, accountSID string) (frontdesk.OrgID, error) {
	return routedOrg(fenced(ctx, s, func(q *db.Queries) (uuid.UUID, error) {
		return q.TwilioRouteOrg(ctx, db.TwilioRouteOrgParams{Number: number, AccountSid: accountSID})
	}))
}

// LoginReserve counts a sign-in attempt for email from address against the
// failure limits before its password is checked (the fenced function
// auth_login_reserve): 0 to go ahead, else how long to wait.
func (s *Store) LoginReserve(ctx context.Context, email, address string) (time.Duration, error) {
	secs, err := fenced(ctx, s, func(q *db.Queries) (int32, error) {
		return q.LoginReserve(ctx, db.LoginReserveParams{Email: email, Address: address})
	})
	return time.Duration(secs) * time.Second, err
}

// LoginRelease gives back a reserved attempt whose password was right.
func (s *Store) LoginRelease(ctx context.Context, email, address string) error {
	_, err := fenced(ctx, s, func(q *db.Queries) (struct{}, error) {
		return struct{}{}, q.LoginRelease(ctx, db.LoginReleaseParams{Email: email, Address: address})
	})
	return err
}

// ErrWrongSecretKey: the secret key does not open what this database holds.
var ErrWrongSecretKey = errors.New("FRONTDESK_SECRET_KEY does not open the secrets stored in this database: start with the key they were sealed with")

// CheckSecretKey proves the process's secret key is the one this
// database's secrets were sealed with: the first start stores a value
// sealed with it, every later start must open that value.
func (s *Store) CheckSecretKey(ctx context.Context, seal func() []byte, open func([]byte) error) error {
	conn, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	q := queries(conn)
	if err := q.AddSecretKeyCheck(ctx, seal()); err != nil {
		return fmt.Errorf("store the secret key check: %w", err)
	}
	sealed, err := q.SealedKeyCheck(ctx)
	if err != nil || len(sealed) != 1 {
		return fmt.Errorf("read the secret key check: %v", err)
	}
	if open(sealed[0]) != nil {
		return ErrWrongSecretKey
	}
	return nil
}

// Listen calls fn with the payload of every notification on channel, on
// a connection of its own (not one of the pool's), until ctx ends. After
// each (re)connection it calls fn("") once: notifications sent while it
// was away are lost, so a listener then looks for itself.
func (s *Store) Listen(ctx context.Context, channel string, fn func(payload string)) {
	for wait := time.Second; ctx.Err() == nil; wait = min(2*wait, 30*time.Second) {
		conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err == nil {
				wait = time.Second
				fn("")
				for {
					n, err := conn.WaitForNotification(ctx)
					if err != nil {
						break
					}
					fn(n.Payload)
				}
			}
			conn.Close(context.WithoutCancel(ctx))
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}
