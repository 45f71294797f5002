package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"frontdesk/internal/app"
	"frontdesk/internal/demo"
	"frontdesk/internal/identity"
	"frontdesk/internal/postgres"
	"frontdesk/internal/testkit"
	"frontdesk/internal/web"
)

// BenchmarkCallsPage compares the dashboard's calls page (HTML, signed in
// by a session) with the JSON list for the same filter, for the largest
// clinic of 1,000 (20% of 1,000,000 calls) and the median one, at 32
// clients, in the same run; and weighs the page.
func BenchmarkCallsPage(b *testing.B) {
	ctx := context.Background()
	orgs, calls := envInt("FRONTDESK_BENCH_ORGS", 1000), envInt("FRONTDESK_BENCH_CALLS", 1_000_000)
	d := testkit.NewDB(b)
	made, err := demo.Bulk(ctx, d.Admin, orgs, calls, 42, nil)
	if err != nil {
		b.Fatal(err)
	}
	store, err := postgres.Open(ctx, d.AppURL, postgres.PoolConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(store.Close)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	issuer := identity.NewIssuer(key, "frontdesk", "frontdesk")
	verifier, err := identity.NewVerifier(ctx, identity.VerifierConfig{PublicKey: key.Public().(ed25519.PublicKey), Issuer: "frontdesk", Audience: "frontdesk"})
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(web.New(web.Config{App: app.New(app.Config{Store: store, Issuer: issuer, Log: quiet}),
		Verifier: verifier, Log: quiet}).Handler())
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}

	fmt.Printf("\n%-8s %-6s %9s %9s %8s\n", "clinic", "form", "p50", "p99", "req/s")
	for _, c := range []struct {
		name string
		org  demo.BulkOrg
	}{{"large", made[0]}, {"median", made[len(made)/2]}} {
		token, err := issuer.Issue(c.org.Owner, c.org.ID, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		// A dashboard session for the clinic's owner, as signing in makes.
		cookie := fmt.Sprintf("bench-session-%s", c.org.ID)
		hash := sha256.Sum256([]byte(cookie))
		if err := store.StartWebSession(ctx, hash[:], c.org.Owner, "bench-csrf-token-0123456789abcdef01", time.Hour); err != nil {
			b.Fatal(err)
		}
		if err := store.SetWebSessionOrg(ctx, hash[:], c.org.ID); err != nil {
			b.Fatal(err)
		}
		bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
		session := func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "frontdesk_session", Value: cookie}) }
		jsonURL, pageURL := srv.URL+"/api/calls-dashboard", srv.URL+"/calls"
		loadWith(b, client, jsonURL, 200, clients, bearer) // warm up
		loadWith(b, client, pageURL, 200, clients, session)
		var js, page result
		for round := range 4 { // alternate, so drift falls on both
			if round%2 == 0 {
				js = js.merge(loadWith(b, client, jsonURL, 1000, clients, bearer))
				page = page.merge(loadWith(b, client, pageURL, 1000, clients, session))
			} else {
				page = page.merge(loadWith(b, client, pageURL, 1000, clients, session))
				js = js.merge(loadWith(b, client, jsonURL, 1000, clients, bearer))
			}
		}
		req, _ := http.NewRequest(http.MethodGet, pageURL, nil)
		session(req)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Printf("%-8s %-6s %9s %9s %8.0f\n", c.name, "json", js.p(50), js.p(99), js.rps())
		fmt.Printf("%-8s %-6s %9s %9s %8.0f\n", c.name, "page", page.p(50), page.p(99), page.rps())
		fmt.Printf("%-8s page / JSON: p50 %.2f×, p99 %.2f×; page weight %.1f KB (before the recording: it has none)\n",
			c.name, ratio(page.p(50), js.p(50)), ratio(page.p(99), js.p(99)), float64(len(body))/1024)
		b.ReportMetric(ratio(page.p(50), js.p(50)), c.name+"-page/json-p50")
	}
	b.ReportMetric(0, "ns/op")
}
