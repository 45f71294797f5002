package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"frontdesk"
	"frontdesk/internal/app"
	"frontdesk/internal/identity"
	"frontdesk/internal/jobs"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/secrets"
	"frontdesk/internal/testkit"
	"frontdesk/internal/web"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// bundle is one test's world: a database with two clinics, the API in
// front of it, and a way to mint tokens.
type bundle struct {
	db      *testkit.DB
	w       testkit.World
	srv     *httptest.Server
	issuer  *identity.Issuer
	key     ed25519.PrivateKey
	bucket  *blob.Bucket
	log     *slog.Logger
	secrets *secrets.Box
	cfg     app.Config
	verify  *identity.Verifier
	// vapi is the clinics' Vapi organizations: numbers and assistants are
	// registered only once a clinic's key proves them.
	vapi *testkit.FakeVapi
}

func setup(t *testing.T) *bundle {
	t.Helper()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v, err := identity.NewVerifier(context.Background(), identity.VerifierConfig{
		PublicKey: key.Public().(ed25519.PublicKey), Issuer: "frontdesk", Audience: "frontdesk"})
	if err != nil {
		t.Fatal(err)
	}
	issuer := identity.NewIssuer(key, "frontdesk", "frontdesk")
	secretKey := make([]byte, 32)
	rand.Read(secretKey)
	box, err := secrets.NewBox(secretKey)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	log := testkit.Logger() // checked for sensitive values when the tests pass
	testkit.Sensitive(tokenA, tokenB, "Dana Whitfield", "I'd like a cleaning")
	// Enqueue only: tests that need jobs worked run a worker themselves.
	queue, err := jobs.New(jobs.Config{Store: d.Store, Bucket: bucket, Log: log}, false)
	if err != nil {
		t.Fatal(err)
	}
	fakeVapi := testkit.NewFakeVapi(t)
	cfg := app.Config{Store: d.Store, Issuer: issuer, Log: log, Jobs: queue, Secrets: box, Bucket: bucket, PublicURL: "https://frontdesk.test",
		VapiAPIURL: fakeVapi.URL}
	b := &bundle{db: d, w: w, issuer: issuer, key: key, bucket: bucket, log: log, secrets: box, cfg: cfg, verify: v, vapi: fakeVapi}
	b.serve(t)
	return b
}

// serve starts the API over b.cfg.
func (b *bundle) serve(t *testing.T) {
	b.srv = httptest.NewServer(web.New(web.Config{App: app.New(b.cfg), Verifier: b.verify, Log: b.log,
		PublicURL: "https://frontdesk.test"}).Handler())
	t.Cleanup(b.srv.Close)
}

// withGoogle serves the API again, with Google Calendar through gc.
func (b *bundle) withGoogle(t *testing.T, gc *google.Client) {
	b.cfg.Google = gc
	b.serve(t)
}

// token mints a token for u, with org as app_metadata.org_id when set.
func (b *bundle) token(t *testing.T, u testkit.User, org frontdesk.OrgID) string {
	t.Helper()
	tok, err := b.issuer.Issue(u.ID, org, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Sensitive(tok)
	return tok
}

type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.status, err, r.body)
	}
}

// request sends method path with a bearer token (if any), headers as
// name/value pairs, and a JSON body (if any).
func (b *bundle) request(t *testing.T, method, path, token string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			raw, _ = json.Marshal(body)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	// 502 provider_unavailable is the answer when a provider does not
	// answer (tests make it fail on purpose); any other 5xx is a bug.
	if res.StatusCode >= 500 && !(res.StatusCode == 502 && bytes.Contains(out, []byte(`"provider_unavailable"`))) {
		t.Errorf("%s %s: %d %s", method, path, res.StatusCode, out)
	}
	if ct := res.Header.Get("Content-Type"); len(out) > 0 && ct != "application/json; charset=utf-8" && !strings.HasPrefix(ct, "audio/") && !strings.HasPrefix(ct, "text/xml") &&
		!strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "application/zip") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return response{res.StatusCode, out, res.Header}
}

// noRedirects shows tests the redirect itself (OAuth start answers 302).
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (b *bundle) get(t *testing.T, path, token string, headers ...string) response {
	t.Helper()
	return b.request(t, http.MethodGet, path, token, nil, headers...)
}
