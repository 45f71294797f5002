// Package testkit is the shared test setup: one private PostgreSQL cluster
// per test binary (or FRONTDESK_TEST_DATABASE_URL), a migrated template
// database, and for each test its own database cloned from the template,
// with two clinics and three users in it.
package testkit

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"frontdesk/internal/pgcluster"
	"frontdesk/internal/postgres"
)

const template = "frontdesk_template"

var (
	superURL string // a superuser on the test cluster, database "postgres"
	dbSeq    atomic.Int64
	createMu sync.Mutex
)

// Main starts the cluster and template for a package's tests, runs them and
// stops the cluster. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	superURL = os.Getenv("FRONTDESK_TEST_DATABASE_URL")
	if superURL == "" {
		dir, err := os.MkdirTemp("", "frontdesk-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "testkit:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if err := os.Chmod(dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "testkit:", err)
			return 1
		}
		cl, err := pgcluster.Start(ctx, dir+"/pg", pgcluster.Options{Ephemeral: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, "testkit: start PostgreSQL:", err)
			return 1
		}
		defer os.RemoveAll(cl.Dir) // may have moved out of dir (see pgcluster.Start)
		defer cl.Stop()
		superURL = cl.URL(pgcluster.Superuser, "postgres")
	}
	if err := postgres.Bootstrap(ctx, superURL, template); err != nil {
		fmt.Fprintln(os.Stderr, "testkit:", err)
		return 1
	}
	if _, err := postgres.Migrate(ctx, urlFor(postgres.OwnerRole, template)); err != nil {
		fmt.Fprintln(os.Stderr, "testkit: migrate template:", err)
		return 1
	}
	return checkLogs(m.Run())
}

func testingVerbose() bool { return testing.Verbose() }

// urlFor is superURL with another role and database.
func urlFor(role, db string) string {
	u, err := url.Parse(superURL)
	if err != nil {
		panic(err)
	}
	u.User = url.User(role)
	q := u.Query()
	if q.Get("user") != "" {
		q.Set("user", role)
	}
	u.RawQuery = q.Encode()
	u.Path = "/" + db
	return u.String()
}

// DB is one test's database.
type DB struct {
	Name string
	// AppURL connects as the app role, OwnerURL as the owner.
	AppURL, OwnerURL string
	// Store is the server's handle (app role); Admin the operator's (owner).
	Store *postgres.Store
	Admin *postgres.Admin
}

// NewDB clones the template into a database for t alone, dropped when t
// ends.
func NewDB(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), dbSeq.Add(1))
	super(t, "CREATE DATABASE "+name+" TEMPLATE "+template+" OWNER "+postgres.OwnerRole)
	t.Cleanup(func() { super(t, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	d := &DB{Name: name, AppURL: urlFor(postgres.AppRole, name), OwnerURL: urlFor(postgres.OwnerRole, name)}
	var err error
	if d.Store, err = postgres.Open(ctx, d.AppURL, postgres.PoolConfig{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Store.Close)
	if d.Admin, err = postgres.OpenAdmin(ctx, d.OwnerURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Admin.Close)
	return d
}

// super runs one statement as the superuser.
func super(t testing.TB, sql string) {
	t.Helper()
	createMu.Lock()
	defer createMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, superURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
