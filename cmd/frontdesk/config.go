package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"frontdesk/internal/identity"
	"frontdesk/internal/jobs"
	"frontdesk/internal/pgcluster"
	"frontdesk/internal/postgres"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/providers/twilio"
	"frontdesk/internal/secrets"
)

// config is every setting, read once from flags with FRONTDESK_* variables
// as their defaults. The README lists them all.
type config struct {
	dataDir     string
	databaseURL string // app role
	migrateURL  string // owner role
	pool        postgres.PoolConfig

	addr         string
	listener     net.Listener // dev takes its port before starting anything
	jwtKeyFile   string
	jwtIssuer    string
	jwtAudience  string
	jwksURL      string
	jwksIssuer   string
	jwksAudience string
	tokenTTL     time.Duration
	proxies      string
	logFormat    string
	publicURL    string
	secretKey    string
	secretKeys   string

	blobURL           string
	recordingHosts    string
	recordingPrivate  bool
	recordingMaxBytes int64
	recordingTimeout  time.Duration
	recordingAttempts int
	sweepInterval     time.Duration
	orphanGrace       time.Duration
	workers           int

	googleClientID     string
	googleClientSecret string
	// Provider endpoints: a regional edge, or local fakes end to end.
	twilioAPIURL                                                 string
	vapiAPIURL                                                   string
	googleAuthURL, googleTokenURL, googleRevokeURL, googleAPIURL string
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

// poolFlags adds the app role's connection pool settings (serve, worker,
// dev).
func (env *environment) poolFlags(fs *flag.FlagSet, c *config) {
	c.pool.MaxConns = int32(env.integer("FRONTDESK_DB_MAX_CONNS", 16))
	fs.Func("db-max-conns", "most database connections this process opens (FRONTDESK_DB_MAX_CONNS; default 16)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("want a positive number, not %q", v)
		}
		c.pool.MaxConns = int32(n)
		return nil
	})
	fs.DurationVar(&c.pool.AcquireTimeout, "db-acquire-timeout", env.duration("FRONTDESK_DB_ACQUIRE_TIMEOUT", 3*time.Second),
		"how long a request waits for a database connection before it is answered 503 (FRONTDESK_DB_ACQUIRE_TIMEOUT)")
}

// serverFlags adds what serving the API needs.
func (env *environment) serverFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.addr, "addr", env.get("FRONTDESK_ADDR", ":3001"), "HTTP listen address (FRONTDESK_ADDR)")
	fs.StringVar(&c.jwksURL, "jwks-url", env.get("FRONTDESK_JWKS_URL", ""), "also accept tokens signed by this JWKS, e.g. Supabase's (FRONTDESK_JWKS_URL)")
	fs.StringVar(&c.jwksIssuer, "jwks-issuer", env.get("FRONTDESK_JWKS_ISSUER", ""), "required iss of JWKS tokens (FRONTDESK_JWKS_ISSUER)")
	fs.StringVar(&c.jwksAudience, "jwks-audience", env.get("FRONTDESK_JWKS_AUDIENCE", "authenticated"), "required aud of JWKS tokens (FRONTDESK_JWKS_AUDIENCE)")
	fs.DurationVar(&c.tokenTTL, "token-ttl", env.duration("FRONTDESK_TOKEN_TTL", 12*time.Hour), "lifetime of tokens from POST /api/auth/login (FRONTDESK_TOKEN_TTL)")
	fs.StringVar(&c.proxies, "trusted-proxies", env.get("FRONTDESK_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of load balancers whose X-Forwarded-For names the client (FRONTDESK_TRUSTED_PROXIES)")
	env.keyFlags(fs, c)
	env.jobFlags(fs, c)
}

// jobFlags adds what the background jobs and recordings need.
func (env *environment) jobFlags(fs *flag.FlagSet, c *config) {
	env.poolFlags(fs, c)
	fs.StringVar(&c.publicURL, "public-url", env.get("FRONTDESK_PUBLIC_URL", ""), "URL providers use to reach this server, for webhook and callback URLs; default http://localhost:<port> (FRONTDESK_PUBLIC_URL)")
	env.secretFlags(fs, c)
	fs.StringVar(&c.blobURL, "blob-url", env.get("FRONTDESK_BLOB_URL", ""), "where recordings are stored: file:///path, s3://bucket, gs://bucket; default file://<data-dir>/recordings in dev (FRONTDESK_BLOB_URL)")
	fs.StringVar(&c.recordingHosts, "recording-hosts", env.get("FRONTDESK_RECORDING_HOSTS", "storage.vapi.ai,auth.vapi.ai"), "comma-separated hosts recordings may be downloaded from; .example.com allows subdomains (FRONTDESK_RECORDING_HOSTS)")
	fs.BoolVar(&c.recordingPrivate, "recording-allow-private", env.getenv("FRONTDESK_RECORDING_ALLOW_PRIVATE") == "true", "development only: allow http and private/loopback recording addresses (FRONTDESK_RECORDING_ALLOW_PRIVATE)")
	fs.Int64Var(&c.recordingMaxBytes, "recording-max-bytes", int64(env.integer("FRONTDESK_RECORDING_MAX_BYTES", 200<<20)), "largest recording downloaded (FRONTDESK_RECORDING_MAX_BYTES)")
	fs.DurationVar(&c.recordingTimeout, "recording-timeout", env.duration("FRONTDESK_RECORDING_TIMEOUT", 2*time.Minute), "time limit of one recording download (FRONTDESK_RECORDING_TIMEOUT)")
	fs.IntVar(&c.recordingAttempts, "recording-attempts", env.integer("FRONTDESK_RECORDING_ATTEMPTS", 3), "download attempts before a recording is marked failed (FRONTDESK_RECORDING_ATTEMPTS)")
	fs.DurationVar(&c.sweepInterval, "recording-sweep-interval", env.duration("FRONTDESK_RECORDING_SWEEP_INTERVAL", 6*time.Hour), "how often recordings are swept: orphans, missing objects, retention (FRONTDESK_RECORDING_SWEEP_INTERVAL)")
	fs.DurationVar(&c.orphanGrace, "recording-orphan-grace", env.duration("FRONTDESK_RECORDING_ORPHAN_GRACE", 24*time.Hour), "age before an object without a call row is deleted (FRONTDESK_RECORDING_ORPHAN_GRACE)")
	fs.StringVar(&c.googleClientID, "google-client-id", env.get("FRONTDESK_GOOGLE_CLIENT_ID", ""), "Google OAuth client id for calendar connections; empty turns Google Calendar off (FRONTDESK_GOOGLE_CLIENT_ID)")
	fs.StringVar(&c.googleClientSecret, "google-client-secret", env.get("FRONTDESK_GOOGLE_CLIENT_SECRET", ""), "Google OAuth client secret (FRONTDESK_GOOGLE_CLIENT_SECRET)")
	fs.StringVar(&c.vapiAPIURL, "vapi-api-url", env.get("FRONTDESK_VAPI_API_URL", ""), "Vapi's REST API base, for checking that numbers and assistants are the clinic's; empty is https://api.vapi.ai (FRONTDESK_VAPI_API_URL)")
	fs.StringVar(&c.twilioAPIURL, "twilio-api-url", env.get("FRONTDESK_TWILIO_API_URL", ""), "Twilio's REST API base; empty is https://api.twilio.com (FRONTDESK_TWILIO_API_URL)")
	fs.StringVar(&c.googleAuthURL, "google-auth-url", env.get("FRONTDESK_GOOGLE_AUTH_URL", ""), "Google's OAuth consent page; empty is Google's (FRONTDESK_GOOGLE_AUTH_URL)")
	fs.StringVar(&c.googleTokenURL, "google-token-url", env.get("FRONTDESK_GOOGLE_TOKEN_URL", ""), "Google's OAuth token endpoint; empty is Google's (FRONTDESK_GOOGLE_TOKEN_URL)")
	fs.StringVar(&c.googleRevokeURL, "google-revoke-url", env.get("FRONTDESK_GOOGLE_REVOKE_URL", ""), "Google's OAuth revoke endpoint; empty is Google's (FRONTDESK_GOOGLE_REVOKE_URL)")
	fs.StringVar(&c.googleAPIURL, "google-api-url", env.get("FRONTDESK_GOOGLE_API_URL", ""), "Google Calendar API base, ending in /calendar/v3/; empty is Google's (FRONTDESK_GOOGLE_API_URL)")
	fs.IntVar(&c.workers, "workers", env.integer("FRONTDESK_WORKERS", 10), "jobs worked at once by this process (FRONTDESK_WORKERS)")
}

func (env *environment) integer(name string, def int) int {
	if n, err := strconv.Atoi(env.getenv(name)); err == nil {
		return n
	}
	return def
}

// secretBox opens the key that seals provider secrets; dev keeps one in the
// data directory.
func (c *config) secretBox(dev bool) (*secrets.Box, error) {
	var keys map[byte][]byte
	var err error
	switch {
	case c.secretKeys != "":
		keys, err = secrets.ParseKeys(c.secretKeys)
	case c.secretKey != "":
		var key []byte
		key, err = secrets.ParseKey(c.secretKey)
		keys = map[byte][]byte{1: key}
	case dev || c.embedded():
		var key []byte
		key, err = secrets.LoadOrCreateKeyFile(filepath.Join(c.dataDir, "secret.key"))
		keys = map[byte][]byte{1: key}
	default:
		return nil, fmt.Errorf("set FRONTDESK_SECRET_KEY (32 bytes in base64: `openssl rand -base64 32`), or FRONTDESK_SECRET_KEYS")
	}
	if err != nil {
		return nil, err
	}
	return secrets.NewKeyring(keys)
}

// bucket opens recording storage; dev keeps recordings in the data
// directory.
func (c *config) bucket(ctx context.Context, dev bool) (*blob.Bucket, error) {
	u := c.blobURL
	if u == "" {
		if !dev && !c.embedded() {
			return nil, fmt.Errorf("set FRONTDESK_BLOB_URL (file:///path, s3://bucket or gs://bucket) for recordings")
		}
		dir, err := filepath.Abs(filepath.Join(c.dataDir, "recordings"))
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		u = "file://" + dir
	}
	b, err := blob.OpenBucket(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("recording storage %s: %w", u, err)
	}
	return b, nil
}

// jobsClient returns the job queue client: working jobs, or only
// enqueueing them. box opens the clinics' Twilio tokens for SMS jobs.
func (c *config) jobsClient(store *postgres.Store, bucket *blob.Bucket, box *secrets.Box, log *slog.Logger, work bool) (*jobs.Client, error) {
	var hosts []string
	for _, h := range strings.Split(c.recordingHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	twilioHTTP, err := twilio.HTTPClient(c.twilioAPIURL)
	if err != nil {
		return nil, err
	}
	return jobs.New(jobs.Config{Store: store, Bucket: bucket, Log: log, Workers: c.workers, RecordingAttempts: c.recordingAttempts,
		SweepInterval: c.sweepInterval, OrphanGrace: c.orphanGrace, Secrets: box, PublicURL: c.publicURL, Google: c.google(), VapiAPIURL: c.vapiAPIURL,
		TwilioHTTP: twilioHTTP,
		Fetch:      jobs.FetchConfig{AllowedHosts: hosts, AllowPrivate: c.recordingPrivate, MaxBytes: c.recordingMaxBytes, Timeout: c.recordingTimeout}}, work)
}

// secretFlags adds the keys that seal provider secrets.
func (env *environment) secretFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.secretKey, "secret-key", env.get("FRONTDESK_SECRET_KEY", ""), "32-byte base64 key encrypting provider secrets at rest (version 1); default <data-dir>/secret.key in dev (FRONTDESK_SECRET_KEY)")
	fs.StringVar(&c.secretKeys, "secret-keys", env.get("FRONTDESK_SECRET_KEYS", ""), "several keys by version, \"2:<base64>,1:<base64>\": the highest seals, all open; replaces --secret-key (FRONTDESK_SECRET_KEYS)")
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

// defaultPublicURL fills in the public URL from the listen address when
// none is configured (local use: http://localhost:<port>).
func (c *config) defaultPublicURL() {
	if c.publicURL != "" || c.addr == "" {
		return
	}
	if _, port, err := net.SplitHostPort(c.addr); err == nil && port != "0" {
		c.publicURL = "http://localhost:" + port
	}
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

// google is the Google OAuth and Calendar client, or nil when no client id
// is configured. Its redirect is the public URL's OAuth callback.
func (c *config) google() *google.Client {
	return google.New(google.Config{ClientID: c.googleClientID, ClientSecret: c.googleClientSecret,
		RedirectURL: strings.TrimRight(c.publicURL, "/") + "/api/calendar/oauth/callback",
		AuthURL:     c.googleAuthURL, TokenURL: c.googleTokenURL, RevokeURL: c.googleRevokeURL, APIURL: c.googleAPIURL})
}

// trustedProxies parses --trusted-proxies.
func (c *config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range strings.Split(c.proxies, ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				return nil, fmt.Errorf("FRONTDESK_TRUSTED_PROXIES: %q is not an address or CIDR", v)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// reset deletes what dev keeps between runs: the embedded cluster (and its
// /var/tmp stand-in), the dev keys, recordings and demo.json.
func (c *config) reset(env *environment) error {
	if !c.embedded() {
		return errors.New("--reset deletes the embedded database only: unset FRONTDESK_DATABASE_URL and FRONTDESK_MIGRATE_DATABASE_URL")
	}
	if err := pgcluster.Remove(filepath.Join(c.dataDir, "pg")); err != nil {
		return err
	}
	for _, name := range []string{"jwt-ed25519.pem", "secret.key", "recordings", "demo.json"} {
		if err := os.RemoveAll(filepath.Join(c.dataDir, name)); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stderr, "removed the embedded database, keys and recordings under %s\n", c.dataDir)
	return nil
}
