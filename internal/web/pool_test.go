package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/app"
	"frontdesk/internal/postgres"
	"frontdesk/internal/web"
)

// A request that cannot get a database connection within the acquire
// timeout is answered 503 with Retry-After, promptly, not left hanging.
func TestFullPoolIsServiceUnavailable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	store, err := postgres.Open(ctx, b.db.AppURL, postgres.PoolConfig{MaxConns: 1, AcquireTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg := b.cfg
	cfg.Store = store
	srv := httptest.NewServer(web.New(web.Config{App: app.New(cfg), Verifier: b.verify, Log: b.log}).Handler())
	defer srv.Close()

	// Hold the pool's only connection.
	held, release := make(chan struct{}), make(chan struct{})
	go store.InTenant(ctx, b.w.A.ID, func(*postgres.Tx) error {
		close(held)
		<-release
		return nil
	})
	<-held
	defer close(release)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/calls-dashboard", nil)
	req.Header.Set("Authorization", "Bearer "+b.token(t, b.w.A.Staff, frontdesk.OrgID{}))
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || time.Since(start) > 3*time.Second {
		t.Fatalf("full pool: %d, Retry-After %q, after %s", res.StatusCode, res.Header.Get("Retry-After"), time.Since(start))
	}
}
