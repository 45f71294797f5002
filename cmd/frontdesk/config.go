package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"frontdesk/internal/identity"
	"frontdesk/internal/pgcluster"
	"frontdesk/internal/postgres"
)

// config is every setting, read once from flags with FRONTDESK_* variables
// as their defaults. The README lists them all.
type config struct {
	dataDir     string
	databaseURL string // app role
	migrateURL  string // owner role

	addr         string
	jwtKeyFile   string
	jwtIssuer    string
	jwtAudience  string
	jwksURL      string
	jwksIssuer   string
	jwksAudience string
	tokenTTL     time.Duration
	logFormat    string
}

// flags returns a flag set for command with the database settings every
// command shares.
func (env *environment) flags(command, args string) (*flag.FlagSet, *config) {
	fs := flag.NewFlagSet("frontdesk "+command, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: frontdesk %s [flags] %s\n\n%s\n\nflags:\n", command, args, commands[command].summary)
		fs.PrintDefaults()
	}
	c := &config{}
	fs.StringVar(&c.dataDir, "data-dir", env.get("FRONTDESK_DATA_DIR", ".data"), "directory for the embedded database and dev keys (FRONTDESK_DATA_DIR)")
	fs.StringVar(&c.databaseURL, "database-url", env.get("FRONTDESK_DATABASE_URL", ""), "PostgreSQL URL of the app role; empty means the embedded cluster (FRONTDESK_DATABASE_URL)")
	fs.StringVar(&c.migrateURL, "migrate-database-url", env.get("FRONTDESK_MIGRATE_DATABASE_URL", ""), "PostgreSQL URL of the owner role, for migrations and admin commands (FRONTDESK_MIGRATE_DATABASE_URL)")
	return fs, c
}

// serverFlags adds what serving the API needs.
func (env *environment) serverFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.addr, "addr", env.get("FRONTDESK_ADDR", ":3001"), "HTTP listen address (FRONTDESK_ADDR)")
	fs.StringVar(&c.jwksURL, "jwks-url", env.get("FRONTDESK_JWKS_URL", ""), "also accept tokens signed by this JWKS, e.g. Supabase's (FRONTDESK_JWKS_URL)")
	fs.StringVar(&c.jwksIssuer, "jwks-issuer", env.get("FRONTDESK_JWKS_ISSUER", ""), "required iss of JWKS tokens (FRONTDESK_JWKS_ISSUER)")
	fs.StringVar(&c.jwksAudience, "jwks-audience", env.get("FRONTDESK_JWKS_AUDIENCE", "authenticated"), "required aud of JWKS tokens (FRONTDESK_JWKS_AUDIENCE)")
	fs.DurationVar(&c.tokenTTL, "token-ttl", env.duration("FRONTDESK_TOKEN_TTL", 12*time.Hour), "lifetime of tokens from POST /api/auth/login (FRONTDESK_TOKEN_TTL)")
	fs.StringVar(&c.logFormat, "log-format", env.get("FRONTDESK_LOG_FORMAT", "text"), "log format: text or json (FRONTDESK_LOG_FORMAT)")
	env.keyFlags(fs, c)
}

// keyFlags adds what issuing tokens needs.
func (env *environment) keyFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.jwtKeyFile, "jwt-key-file", env.get("FRONTDESK_JWT_KEY_FILE", ""), "Ed25519 private key (PKCS #8 PEM) that signs tokens; default <data-dir>/jwt-ed25519.pem with the embedded database (FRONTDESK_JWT_KEY_FILE)")
	fs.StringVar(&c.jwtIssuer, "jwt-issuer", env.get("FRONTDESK_JWT_ISSUER", "frontdesk"), "iss of tokens Frontdesk issues (FRONTDESK_JWT_ISSUER)")
	fs.StringVar(&c.jwtAudience, "jwt-audience", env.get("FRONTDESK_JWT_AUDIENCE", "frontdesk"), "aud of tokens Frontdesk issues (FRONTDESK_JWT_AUDIENCE)")
}

func (env *environment) get(name, def string) string {
	if v := env.getenv(name); v != "" {
		return v
	}
	return def
}

func (env *environment) duration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(env.getenv(name)); err == nil {
		return d
	}
	return def
}

func (c *config) embedded() bool { return c.databaseURL == "" && c.migrateURL == "" }

// databases are the connection URLs a command uses, and the embedded cluster
// behind them, if any.
type databases struct {
	appURL, ownerURL string
	cluster          *pgcluster.Cluster
}

func (d *databases) close() { d.cluster.Stop() }

// open returns the configured databases, or starts (or joins) the embedded
// cluster under the data directory, creates its roles and database, and
// migrates it.
func (c *config) open(ctx context.Context, env *environment) (*databases, error) {
	if !c.embedded() {
		return &databases{appURL: c.databaseURL, ownerURL: c.migrateURL}, nil
	}
	cl, err := pgcluster.Start(ctx, filepath.Join(c.dataDir, "pg"), pgcluster.Options{})
	if err != nil {
		return nil, err
	}
	d := &databases{cluster: cl, appURL: cl.URL(postgres.AppRole, "frontdesk"), ownerURL: cl.URL(postgres.OwnerRole, "frontdesk")}
	if err := postgres.Bootstrap(ctx, cl.URL(pgcluster.Superuser, "postgres"), "frontdesk"); err != nil {
		d.close()
		return nil, err
	}
	applied, err := postgres.Migrate(ctx, d.ownerURL)
	if err != nil {
		d.close()
		return nil, err
	}
	for _, m := range applied {
		fmt.Fprintf(env.stderr, "applied migration %s\n", m)
	}
	return d, nil
}

// admin opens the owner connection, which admin commands need.
func (d *databases) admin(ctx context.Context) (*postgres.Admin, error) {
	if d.ownerURL == "" {
		return nil, fmt.Errorf("set FRONTDESK_MIGRATE_DATABASE_URL (the owner role) for this command")
	}
	return postgres.OpenAdmin(ctx, d.ownerURL)
}

// signingKey loads the token key. Without FRONTDESK_JWT_KEY_FILE, dev (and
// commands on the embedded database) use one in the data directory, created
// on first use.
func (c *config) signingKey(dev bool) (*identity.Issuer, identity.VerifierConfig, error) {
	path, create := c.jwtKeyFile, false
	if path == "" {
		if !dev && !c.embedded() {
			return nil, identity.VerifierConfig{}, fmt.Errorf("set FRONTDESK_JWT_KEY_FILE (an Ed25519 private key in PKCS #8 PEM; `openssl genpkey -algorithm ed25519` makes one)")
		}
		path, create = filepath.Join(c.dataDir, "jwt-ed25519.pem"), true
	}
	key, err := identity.LoadOrCreateKey(path, create)
	if err != nil {
		return nil, identity.VerifierConfig{}, err
	}
	vc := identity.VerifierConfig{PublicKey: key.Public().(ed25519.PublicKey), Issuer: c.jwtIssuer, Audience: c.jwtAudience,
		JWKSURL: c.jwksURL, JWKSIssuer: c.jwksIssuer, JWKSAudience: c.jwksAudience}
	return identity.NewIssuer(key, c.jwtIssuer, c.jwtAudience), vc, nil
}

func (c *config) logger(env *environment) *slog.Logger {
	if c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(env.stderr, nil))
	}
	return slog.New(slog.NewTextHandler(env.stderr, nil))
}
