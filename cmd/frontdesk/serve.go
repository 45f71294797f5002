package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"

	"frontdesk/internal/app"
	"frontdesk/internal/demo"
	"frontdesk/internal/identity"
	"frontdesk/internal/postgres"
	"frontdesk/internal/secrets"
	"frontdesk/internal/web"
)

func cmdServe(ctx context.Context, env *environment, args []string) error {
	fs, c := env.flags("serve", "")
	env.serverFlags(fs, c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.defaultPublicURL()
	if c.databaseURL == "" {
		return errors.New("set FRONTDESK_DATABASE_URL (the app role); for a local setup run `frontdesk dev`")
	}
	store, err := openStore(ctx, c.databaseURL, c.pool)
	if err != nil {
		return err
	}
	defer store.Close()
	api, err := c.apiConfig(ctx, env, store, false)
	if err != nil {
		return err
	}
	defer api.bucket.Close()
	return serveHTTP(ctx, env, c, api.web, nil)
}

// api is what serving the API is built from.
type api struct {
	web     web.Config
	issuer  *identity.Issuer
	bucket  *blob.Bucket
	secrets *secrets.Box
	log     *slog.Logger
}

// apiConfig gathers what the API needs. Its job client only enqueues:
// `frontdesk worker` (or dev) works the jobs.
func (c *config) apiConfig(ctx context.Context, env *environment, store *postgres.Store, dev bool) (api, error) {
	issuer, vc, err := c.signingKey(dev)
	if err != nil {
		return api{}, err
	}
	verifier, err := identity.NewVerifier(ctx, vc)
	if err != nil {
		return api{}, err
	}
	box, err := c.secretBox(dev)
	if err != nil {
		return api{}, err
	}
	if err := checkSecretKey(ctx, store, box, c.logger(env)); err != nil {
		return api{}, err
	}
	bucket, err := c.bucket(ctx, dev)
	if err != nil {
		return api{}, err
	}
	proxies, err := c.trustedProxies()
	if err != nil {
		bucket.Close()
		return api{}, err
	}
	log := c.logger(env)
	jobsClient, err := c.jobsClient(store, bucket, box, log, false)
	if err != nil {
		bucket.Close()
		return api{}, err
	}
	services := app.New(app.Config{Store: store, Issuer: issuer, TokenTTL: c.tokenTTL, Jobs: jobsClient, Secrets: box,
		Bucket: bucket, Google: c.google(), PublicURL: c.publicURL, VapiAPIURL: c.vapiAPIURL, VapiProofOptional: dev, Log: log})
	return api{web: web.Config{App: services, Verifier: verifier, Log: log, PublicURL: c.publicURL, TrustedProxies: proxies},
		issuer: issuer, bucket: bucket, secrets: box, log: log}, nil
}

func cmdWorker(ctx context.Context, env *environment, args []string) error {
	fs, c := env.flags("worker", "")
	env.jobFlags(fs, c)
	fs.StringVar(&c.logFormat, "log-format", env.get("FRONTDESK_LOG_FORMAT", "text"), "log format: text or json (FRONTDESK_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.databaseURL == "" {
		return errors.New("set FRONTDESK_DATABASE_URL (the app role); for a local setup run `frontdesk dev`")
	}
	store, err := openStore(ctx, c.databaseURL, c.pool)
	if err != nil {
		return err
	}
	defer store.Close()
	bucket, err := c.bucket(ctx, false)
	if err != nil {
		return err
	}
	defer bucket.Close()
	box, err := c.secretBox(false)
	if err != nil {
		return err
	}
	if err := checkSecretKey(ctx, store, box, c.logger(env)); err != nil {
		return err
	}
	return runWorker(ctx, c, store, bucket, box, c.logger(env))
}

// runWorker works jobs until ctx ends, then lets running jobs finish (up to
// 30 s; a job cut off is rescued later).
func runWorker(ctx context.Context, c *config, store *postgres.Store, bucket *blob.Bucket, box *secrets.Box, log *slog.Logger) error {
	w, err := c.jobsClient(store, bucket, box, log, true)
	if err != nil {
		return err
	}
	if err := w.Start(ctx); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	log.Info("worker started", "workers", c.workers)
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return w.Stop(stopCtx)
}

// openStore connects as the app role and refuses a role or schema that
// would not keep clinics apart.
func openStore(ctx context.Context, url string, pool postgres.PoolConfig) (*postgres.Store, error) {
	store, err := postgres.Open(ctx, url, pool)
	if err != nil {
		return nil, err
	}
	if err := store.CheckAppRole(ctx); err != nil {
		store.Close()
		return nil, err
	}
	if err := store.Ready(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// serveHTTP serves the API on c.addr until ctx ends, then drains requests.
// ready, if set, is called with the base URL once the port is open.
func serveHTTP(ctx context.Context, env *environment, c *config, cfg web.Config, ready func(baseURL string) error) error {
	ln := c.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", c.addr); err != nil {
			return fmt.Errorf("listen on %s: %w", c.addr, err)
		}
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = baseURL(ln.Addr())
	}
	srv := &http.Server{
		Handler:           web.New(cfg).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      10 * time.Minute, // recordings stream
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	cfg.Log.Info("listening", "addr", ln.Addr().String())
	if ready != nil {
		if err := ready(baseURL(ln.Addr())); err != nil {
			srv.Close()
			return err
		}
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	cfg.Log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

func baseURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() || tcp.IP.IsLoopback() {
		return fmt.Sprintf("http://localhost:%d", tcp.Port)
	}
	return "http://" + addr.String()
}

func cmdDev(ctx context.Context, env *environment, args []string) error {
	fs, c := env.flags("dev", "")
	env.serverFlags(fs, c)
	var reset bool
	fs.BoolVar(&reset, "reset", false, "start over: delete the embedded database, its keys, recordings and demo.json first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// dev prints a demo password: it listens on this machine only unless
	// told otherwise (--addr :3001 opts in to every interface).
	addrSet := env.getenv("FRONTDESK_ADDR") != ""
	fs.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
	if !addrSet {
		c.addr = "127.0.0.1:3001"
	}
	if reset {
		if err := c.reset(env); err != nil {
			return err
		}
	}
	// Take the port first: a second `make run` stops here, before it starts
	// anything that would fail less clearly.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (is another `make run` running?): stop it, or pick another port with `make run ARGS=\"--addr 127.0.0.1:3002\"`: %w", c.addr, err)
	}
	c.listener = ln
	c.defaultPublicURL()
	d, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer d.close()
	admin, err := d.admin(ctx)
	if err != nil {
		return err
	}
	defer admin.Close()
	loaded, err := demo.Seed(ctx, admin, time.Now())
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	store, err := openStore(ctx, d.appURL, c.pool)
	if err != nil {
		return err
	}
	defer store.Close()
	api, err := c.apiConfig(ctx, env, store, true)
	if err != nil {
		return err
	}
	defer api.bucket.Close()
	if loaded {
		if err := demo.Recordings(ctx, admin, api.bucket, time.Now()); err != nil {
			return fmt.Errorf("demo recordings: %w", err)
		}
		fmt.Fprintln(env.stderr, "loaded demo data: 2 clinics, 5 users, calls of the last 30 days, a few with recordings")
	}
	// The worker runs in this process too, stopped after the server.
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan error, 1)
	go func() { workerDone <- runWorker(workerCtx, c, store, api.bucket, api.secrets, api.log) }()
	defer func() {
		stopWorker()
		if err := <-workerDone; err != nil {
			api.log.Error("worker", "err", err)
		}
	}()
	return serveHTTP(ctx, env, c, api.web, func(base string) error {
		facts, err := demo.Describe(ctx, admin, api.issuer, base, 7*24*time.Hour)
		if err != nil {
			return err
		}
		b, _ := json.MarshalIndent(facts, "", "  ")
		path := filepath.Join(c.dataDir, "demo.json")
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			return err
		}
		printBanner(env, facts, d, path)
		return nil
	})
}

func printBanner(env *environment, f demo.Facts, d *databases, factsPath string) {
	w := env.stdout
	fmt.Fprintf(w, "\nFrontdesk is running at %s: open it in a browser and sign in as a demo user below\n\n", f.BaseURL)
	fmt.Fprintf(w, "Demo logins (password for all: %s):\n", demo.Password)
	for _, o := range f.Orgs {
		fmt.Fprintf(w, "  %s  (org %s, %d calls)\n", o.Name, o.ID, len(o.CallIDs))
		for _, u := range o.Users {
			fmt.Fprintf(w, "    %-6s %s\n", u.Role, u.Email)
		}
	}
	a, b := f.Orgs[0], f.Orgs[len(f.Orgs)-1]
	fmt.Fprintf(w, "\nTry:\n")
	fmt.Fprintf(w, "  # log in\n  curl -s -X POST %s/api/auth/login -H 'Content-Type: application/json' -d '{\"email\":\"%s\",\"password\":\"%s\"}'\n\n",
		f.BaseURL, a.Users[0].Email, demo.Password)
	fmt.Fprintf(w, "  # %s's latest inbound calls\n  curl -s '%s/api/calls-dashboard?limit=5' -H 'Authorization: Bearer %s'\n\n",
		a.Name, f.BaseURL, a.Users[0].Token)
	if len(a.CallIDs) > 0 && len(b.Users) > 0 {
		fmt.Fprintf(w, "  # %s asks for a call of %s: 404, and `frontdesk audit` shows the attempt\n  curl -s %s/api/calls-dashboard/%s -H 'Authorization: Bearer %s'\n\n",
			b.Name, a.Name, f.BaseURL, a.CallIDs[0], b.Users[0].Token)
	}
	fmt.Fprintf(w, "  # the receptionist %s serves on every call (Vapi's assistant-request): its profile, then the whole assistant\n"+
		"  # (the assistant needs a server secret first: POST /api/voice/secret/rotate)\n"+
		"  curl -s %s/api/voice/receptionist -H 'Authorization: Bearer %s'\n"+
		"  curl -s -X POST %s/api/voice/secret/rotate -H 'Authorization: Bearer %s' && curl -s %s/api/voice/assistant -H 'Authorization: Bearer %s'\n\n",
		a.Name, f.BaseURL, a.Users[0].Token, f.BaseURL, a.Users[0].Token, f.BaseURL, a.Users[0].Token)
	fmt.Fprintf(w, "Tokens, ids and logins are in %s.\n", factsPath)
	if d.cluster != nil {
		fmt.Fprintf(w, "Database: psql '%s'\n", strings.ReplaceAll(d.ownerURL, "'", ""))
	}
	fmt.Fprintln(w, "Ctrl-C stops the server and the database; the next `make run` keeps the data.")
}

// checkSecretKey refuses to start with keys that do not open the secrets
// already stored, or without the key some stored secrets were sealed with
// (naming the versions); it takes the server's hash key into box, and
// logs which key versions hold how many secrets.
func checkSecretKey(ctx context.Context, store *postgres.Store, box *secrets.Box, log *slog.Logger) error {
	inUse, err := store.KeyVersions(ctx)
	if err != nil {
		return err
	}
	var missing []string
	for v, n := range inUse {
		if v != 0 && n > 0 && !slices.Contains(box.Versions(), byte(v)) {
			missing = append(missing, strconv.Itoa(v))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("stored secrets were sealed with key version %s, which FRONTDESK_SECRET_KEYS does not hold: "+
			"put it back (drop an old key only after `frontdesk keys rotate` has moved every secret to the current one)", strings.Join(missing, ", "))
	}
	label := postgres.KeyCheckLabel
	if err := store.CheckSecretKey(ctx, func() []byte { return box.Seal(label, label) },
		func(sealed []byte) error { _, err := box.Open(sealed, label); return err }); err != nil {
		return err
	}
	key, err := store.HashKey(ctx, box.MACKey(), func(k []byte) []byte { return box.Seal(k, postgres.HashKeyLabel) },
		func(sealed []byte) ([]byte, error) { return box.Open(sealed, postgres.HashKeyLabel) })
	if err != nil {
		return err
	}
	box.SetMACKey(key)
	if log != nil {
		log.InfoContext(ctx, "secret keys", "current", box.Current(), "sealed_by_version", inUse)
	}
	return nil
}
