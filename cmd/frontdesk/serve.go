package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"frontdesk/internal/demo"
	"frontdesk/internal/identity"
	"frontdesk/internal/postgres"
	"frontdesk/internal/web"
)

func cmdServe(ctx context.Context, env *environment, args []string) error {
	fs, c := env.flags("serve", "")
	env.serverFlags(fs, c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.databaseURL == "" {
		return errors.New("set FRONTDESK_DATABASE_URL (the app role); for a local setup run `frontdesk dev`")
	}
	issuer, vc, err := c.signingKey(false)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, c.databaseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	return serveHTTP(ctx, env, c, store, issuer, vc, nil)
}

// openStore connects as the app role and refuses a role or schema that
// would not keep clinics apart.
func openStore(ctx context.Context, url string) (*postgres.Store, error) {
	store, err := postgres.Open(ctx, url)
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
func serveHTTP(ctx context.Context, env *environment, c *config, store *postgres.Store, issuer *identity.Issuer,
	vc identity.VerifierConfig, ready func(baseURL string) error) error {
	verifier, err := identity.NewVerifier(ctx, vc)
	if err != nil {
		return err
	}
	log := c.logger(env)
	api := web.New(web.Config{Store: store, Verifier: verifier, Issuer: issuer, Log: log, TokenTTL: c.tokenTTL})
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
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
	log.Info("shutting down")
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
	if err := fs.Parse(args); err != nil {
		return err
	}
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
	if loaded, err := demo.Seed(ctx, admin, time.Now()); err != nil {
		return fmt.Errorf("demo data: %w", err)
	} else if loaded {
		fmt.Fprintln(env.stderr, "loaded demo data: 2 clinics, 5 users, calls of the last 30 days")
	}
	issuer, vc, err := c.signingKey(true)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, d.appURL)
	if err != nil {
		return err
	}
	defer store.Close()
	return serveHTTP(ctx, env, c, store, issuer, vc, func(base string) error {
		facts, err := demo.Describe(ctx, admin, issuer, base, 7*24*time.Hour)
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
	fmt.Fprintf(w, "\nFrontdesk is running at %s\n\n", f.BaseURL)
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
	fmt.Fprintf(w, "Tokens, ids and logins are in %s.\n", factsPath)
	if d.cluster != nil {
		fmt.Fprintf(w, "Database: psql '%s'\n", strings.ReplaceAll(d.ownerURL, "'", ""))
	}
	fmt.Fprintln(w, "Ctrl-C stops the server and the database; the next `make run` keeps the data.")
}
