package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"frontdesk/internal/app"
	"frontdesk/internal/testkit"
	"frontdesk/internal/web"
)

// signedMap signs claims (plus valid iss, aud, exp) with the server's key.
func signedMap(t *testing.T, b *bundle, claims map[string]any) string {
	t.Helper()
	c := jwt.MapClaims{"iss": "frontdesk", "aud": "frontdesk", "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(b.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMissingOrInvalidTokenIs401(t *testing.T) {
	t.Parallel()
	b := setup(t)
	expired := signedMap(t, b, map[string]any{"sub": b.w.A.Owner.ID.String(), "exp": time.Now().Add(-time.Hour).Unix()})
	var first []byte
	for name, header := range map[string]string{
		"none":    "",
		"basic":   "Basic dXNlcjpwYXNz",
		"garbage": "Bearer abc.def.ghi",
		"expired": "Bearer " + expired,
	} {
		for _, path := range []string{"/api/me", "/api/calls-dashboard", "/api/calls-dashboard/stats",
			"/api/calls-dashboard/" + b.w.A.Calls[0].ID.String()} {
			req, _ := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			body.ReadFrom(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s: %d, want 401", name, path, res.StatusCode)
			}
			if first == nil {
				first = body.Bytes()
			} else if !bytes.Equal(first, body.Bytes()) {
				t.Errorf("%s %s: 401 body differs: %s", name, path, body.Bytes())
			}
		}
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ok := b.request(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": "Owner@Alpha.test", "password": testkit.Password})
	if ok.status != http.StatusOK {
		t.Fatalf("login: %d %s", ok.status, ok.body)
	}
	var tok struct{ Token string }
	ok.json(t, &tok)
	var me struct {
		User        struct{ Email string }
		Memberships []struct {
			OrgName string `json:"org_name"`
		}
	}
	b.get(t, "/api/me", tok.Token).json(t, &me)
	if me.User.Email != "owner@alpha.test" || len(me.Memberships) != 1 || me.Memberships[0].OrgName != b.w.A.Name {
		t.Fatalf("me: %+v", me)
	}

	// Unknown email and wrong password answer alike.
	wrong := b.request(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": "owner@alpha.test", "password": "nope-nope-nope"})
	unknown := b.request(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": "ghost@alpha.test", "password": "nope-nope-nope"})
	if wrong.status != http.StatusUnauthorized || unknown.status != wrong.status || !bytes.Equal(wrong.body, unknown.body) {
		t.Fatalf("wrong password %d %s; unknown email %d %s", wrong.status, wrong.body, unknown.status, unknown.body)
	}

	// Bad requests.
	for _, c := range []struct {
		body   []byte
		ctype  string
		status int
	}{
		{[]byte(`{"email":`), "application/json", 400},
		{[]byte(`{"email":"a@b.c","password":"x","admin":true}`), "application/json", 400},
		{[]byte(`{"email":"","password":"x"}`), "application/json", 422},
		{[]byte(`email=a`), "application/x-www-form-urlencoded", 415},
		{bytes.Repeat([]byte(" "), 70<<10), "application/json", 413},
	} {
		res := b.request(t, http.MethodPost, "/api/auth/login", "", c.body, "Content-Type", c.ctype)
		if res.status != c.status || !strings.Contains(string(res.body), `"error"`) {
			t.Errorf("%.30q: %d %s, want %d", c.body, res.status, res.body, c.status)
		}
	}
}

func TestLoginIsRateLimitedPerEmail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	try := func(password string) int {
		return b.request(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": "staff@bravo.test", "password": password}).status
	}
	for i := 0; i < 5; i++ {
		if s := try("wrong-password"); s != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, s)
		}
	}
	if s := try("wrong-password"); s != http.StatusTooManyRequests {
		t.Fatalf("6th failure: %d, want 429", s)
	}
	// Even the right password waits: the limit protects the account.
	if s := try(testkit.Password); s != http.StatusTooManyRequests {
		t.Fatalf("right password while limited: %d, want 429", s)
	}
	// Another account is unaffected.
	other := b.request(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": "owner@bravo.test", "password": testkit.Password})
	if other.status != http.StatusOK {
		t.Fatalf("other account: %d", other.status)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := b.get(t, "/healthz", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := b.get(t, "/readyz", ""); r.status != 200 {
		t.Fatalf("readyz %d %s", r.status, r.body)
	}
	if r := b.get(t, "/api/nope", ""); r.status != 404 {
		t.Fatalf("unknown route %d", r.status)
	}
}

// loginFrom signs in through a server that trusts the test client as a
// proxy, from the client address addr (X-Forwarded-For).
func loginFrom(t *testing.T, url, email, password, addr string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	req, _ := http.NewRequest(http.MethodPost, url+"/api/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "10.9.9.9, "+addr) // the leftmost hop is the client's say, and ignored
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Failed sign-ins are limited per account and address, per address, and
// per account with a high ceiling, each reserved before the password is
// checked and kept in PostgreSQL: a burst costs five password checks, a
// stranger cannot lock an account out from another address, and the
// counts outlive the server. The operator can lift a lock.
func TestLoginLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	proxied := func() string {
		srv := httptest.NewServer(web.New(web.Config{App: app.New(b.cfg), Verifier: b.verify, Log: b.log,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}}).Handler())
		t.Cleanup(srv.Close)
		return srv.URL
	}
	url := proxied()

	// 200 wrong passwords at once for one account from one address: five
	// are checked (401), the rest refused before any check (429).
	var wg sync.WaitGroup
	var checked, refused atomic.Int32
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch loginFrom(t, url, "staff@bravo.test", "wrong-password", "203.0.113.9") {
			case http.StatusUnauthorized:
				checked.Add(1)
			case http.StatusTooManyRequests:
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if checked.Load() != 5 || refused.Load() != 195 {
		t.Fatalf("burst: %d password checks, %d refused; want 5 and 195", checked.Load(), refused.Load())
	}
	// The stranger's address is locked out, even with the right password;
	// the account's owner, from their own address, is not.
	if s := loginFrom(t, url, "staff@bravo.test", testkit.Password, "203.0.113.9"); s != http.StatusTooManyRequests {
		t.Fatalf("right password from the stranger's address: %d, want 429", s)
	}
	if s := loginFrom(t, url, "staff@bravo.test", testkit.Password, "198.51.100.7"); s != http.StatusOK {
		t.Fatalf("right password from the owner's address: %d, want 200", s)
	}
	// The counts live in PostgreSQL: another server process sees them.
	if s := loginFrom(t, proxied(), "staff@bravo.test", testkit.Password, "203.0.113.9"); s != http.StatusTooManyRequests {
		t.Fatalf("another server, the locked address: %d, want 429", s)
	}
	// Credential stuffing: 30 failures from one address across accounts
	// lock that address for every account.
	for i := range 30 {
		if s := loginFrom(t, url, fmt.Sprintf("nobody%d@x.test", i), "wrong-password", "192.0.2.50"); s != http.StatusUnauthorized {
			t.Fatalf("stuffing attempt %d: %d", i, s)
		}
	}
	if s := loginFrom(t, url, "owner@alpha.test", testkit.Password, "192.0.2.50"); s != http.StatusTooManyRequests {
		t.Fatalf("after 30 failures from one address: %d, want 429", s)
	}
	// Without a trusted proxy, X-Forwarded-For is the client's say: ignored.
	if s := loginFrom(t, b.srv.URL, "owner@alpha.test", testkit.Password, "192.0.2.50"); s != http.StatusOK {
		t.Fatalf("X-Forwarded-For from an untrusted peer: %d, want 200", s)
	}
	// The operator lifts the lock.
	if n, err := b.db.Admin.UnlockLogin(context.Background(), "Staff@Bravo.test"); err != nil || n == 0 {
		t.Fatalf("unlock: %d %v", n, err)
	}
	if s := loginFrom(t, url, "staff@bravo.test", testkit.Password, "203.0.113.9"); s != http.StatusOK {
		t.Fatalf("after unlock: %d, want 200", s)
	}
}
