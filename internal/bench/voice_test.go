package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"frontdesk"
	"frontdesk/internal/app"
	"frontdesk/internal/identity"
	"frontdesk/internal/jobs"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/secrets"
	"frontdesk/internal/testkit"
	"frontdesk/internal/web"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// benchAPI is the API served over a test database.
type benchAPI struct {
	url    string
	issuer *identity.Issuer
	bucket *blob.Bucket
	box    *secrets.Box
}

// newAPI serves the API over d with an enqueue-only job client (and gc for
// Google Calendar, if not nil).
func newAPI(b *testing.B, d *testkit.DB, gc *google.Client) benchAPI {
	return newAPIOn(b, d, d.Store, gc, nil)
}

// newAPIOn is newAPI over store (a pool of its own size), sealing with box
// (nil: a random key).
func newAPIOn(b *testing.B, d *testkit.DB, store *postgres.Store, gc *google.Client, box *secrets.Box) benchAPI {
	ctx := context.Background()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	v, err := identity.NewVerifier(ctx, identity.VerifierConfig{PublicKey: key.Public().(ed25519.PublicKey), Issuer: "frontdesk", Audience: "frontdesk"})
	if err != nil {
		b.Fatal(err)
	}
	if box == nil {
		sk := make([]byte, 32)
		rand.Read(sk)
		box, _ = secrets.NewBox(sk)
	}
	bucket, err := fileblob.OpenBucket(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	queue, err := jobs.New(jobs.Config{Store: store, Bucket: bucket, Log: quiet}, false)
	if err != nil {
		b.Fatal(err)
	}
	issuer := identity.NewIssuer(key, "frontdesk", "frontdesk")
	// Numbers register without a Vapi key, as in development: the
	// benchmarks measure what follows.
	services := app.New(app.Config{Store: store, Issuer: issuer, Log: quiet, Jobs: queue, Secrets: box, Bucket: bucket, Google: gc,
		PublicURL: "https://frontdesk.test", VapiProofOptional: true})
	srv := httptest.NewServer(web.New(web.Config{App: services, Verifier: v, Log: quiet, PublicURL: "https://frontdesk.test"}).Handler())
	b.Cleanup(srv.Close)
	return benchAPI{url: srv.URL, issuer: issuer, bucket: bucket, box: box}
}

// voiceAPI serves the API over d and returns its URL and token issuer.
func voiceAPI(b *testing.B, d *testkit.DB) (string, *identity.Issuer) {
	a := newAPI(b, d, nil)
	return a.url, a.issuer
}

type benchClinic struct {
	org            frontdesk.OrgID
	owner          frontdesk.UserID
	number, secret string
}

// voiceClinics creates n clinics, each with an owner who registers a phone
// number and rotates a secret through the API, and lists them in
// bench_orgs (n, org_id) for pgbench.
func voiceClinics(b *testing.B, d *testkit.DB, base string, issuer *identity.Issuer, owner *pgx.Conn, n int) []benchClinic {
	ctx := context.Background()
	if _, err := owner.Exec(ctx, "CREATE TABLE bench_orgs (n int PRIMARY KEY, org_id uuid NOT NULL); GRANT SELECT ON bench_orgs TO frontdesk_app"); err != nil {
		b.Fatal(err)
	}
	cs := make([]benchClinic, n)
	for i := range cs {
		org, err := d.Admin.CreateOrg(ctx, db.CreateOrgParams{Name: fmt.Sprintf("Clinic %d", i), Timezone: "America/New_York", Country: "US"})
		if err != nil {
			b.Fatal(err)
		}
		user, err := d.Admin.CreateUser(ctx, db.CreateUserParams{Email: fmt.Sprintf("owner%d@bench.test", i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Admin.AddMember(ctx, db.AddMemberParams{OrgID: org, UserID: user, Role: "owner"}); err != nil {
			b.Fatal(err)
		}
		tok, _ := issuer.Issue(user, org, time.Hour)
		cs[i] = benchClinic{org: org, owner: user, number: fmt.Sprintf("+1512555%04d", i)}
		post(b, base+"/api/voice/phone-numbers", tok, `{"number":"`+cs[i].number+`"}`, nil)
		var out struct{ Secret string }
		post(b, base+"/api/voice/secret/rotate", tok, "", &out)
		cs[i].secret = out.Secret
		if _, err := owner.Exec(ctx, "INSERT INTO bench_orgs VALUES ($1, $2)", i+1, org); err != nil {
			b.Fatal(err)
		}
	}
	return cs
}

// postTimed posts a JSON body with a bearer credential and returns the
// status, the answer and how long the round trip took.
func postTimed(client *http.Client, url, bearer string, body []byte) (int, []byte, time.Duration, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	t0 := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	out, err := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, out, time.Since(t0), err
}

func post(b *testing.B, url, token, body string, out any) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		msg, _ := io.ReadAll(res.Body)
		b.Fatalf("POST %s: %d %s", url, res.StatusCode, msg)
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWebhookIngest sends end-of-call reports (each a new call, with a
// recording to download) for 100 clinics from 32 concurrent senders, and in
// the same run has pgbench write the same rows (event, call, job) straight
// into PostgreSQL as the app role: the ceiling the API is compared with.
func BenchmarkWebhookIngest(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	const clinics, requests = 100, 6000
	base, issuer := voiceAPI(b, d)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}
	owner, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close(ctx)
	cs := voiceClinics(b, d, base, issuer, owner, clinics)

	report, err := os.ReadFile("../providers/vapi/testdata/end-of-call-report.json")
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var lat []time.Duration
	work := make(chan int, requests)
	for i := range requests {
		work <- i
	}
	close(work)
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := cs[i%clinics]
				body := bytes.ReplaceAll(report, []byte("7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601"), []byte(uuid.NewString()))
				body = bytes.ReplaceAll(body, []byte("+15125550100"), []byte(c.number))
				status, _, took, err := postTimed(client, base+"/api/webhooks/vapi", c.secret, body)
				if err != nil || status != 200 {
					b.Errorf("webhook: %d %v", status, err)
					return
				}
				mu.Lock()
				lat = append(lat, took)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	api := result{lat: lat, elapsed: time.Since(start)}
	var calls, jobsQueued int
	owner.QueryRow(ctx, "SELECT (SELECT count(*) FROM call_logs), (SELECT count(*) FROM river_job WHERE kind = 'recording_download')").Scan(&calls, &jobsQueued)
	if calls != requests || jobsQueued != requests {
		b.Fatalf("stored %d calls and %d jobs for %d reports", calls, jobsQueued, requests)
	}

	ceiling := pgbenchIngest(b, d, clinics)
	fmt.Printf("\nwebhook ingest, 32 senders, %d clinics: %.0f reports/s, p50 %s, p99 %s\n", clinics, api.rps(), api.p(50), api.p(99))
	fmt.Printf("pgbench, the same rows as the app role, 32 clients: %.0f tx/s\n", ceiling)
	fmt.Printf("API / pgbench ceiling: %.0f%%\n", 100*api.rps()/ceiling)
	b.ReportMetric(api.rps(), "reports/s")
	b.ReportMetric(ceiling, "pgbench-tx/s")
}

// pgbenchIngest runs pgbench for 10 s with 32 clients writing what one
// end-of-call report writes, and returns transactions per second.
func pgbenchIngest(b *testing.B, d *testkit.DB, clinics int) float64 {
	script := filepath.Join(b.TempDir(), "ingest.sql")
	sql := `\set n random(1, ` + strconv.Itoa(clinics) + `)
BEGIN;
SELECT set_config('app.org_id', org_id::text, true) AS org FROM bench_orgs WHERE n = :n \gset
INSERT INTO webhook_events (org_id, provider, event_key, event_type)
  VALUES (:org::uuid, 'vapi', gen_random_uuid()::text || '#end-of-call-report', 'end-of-call-report');
INSERT INTO call_logs (org_id, provider, provider_call_id, direction, status, from_number, to_number, caller_name,
  started_at, ended_at, duration_seconds, ended_reason, summary, transcript, cost_usd, recording_url)
  VALUES (:org::uuid, 'vapi', gen_random_uuid()::text, 'inbound', 'ended', '+15125550123', '+15125550100', '',
  now() - interval '3 minutes', now(), 174, 'customer-ended-call', 'Caller booked a cleaning on Jan 9 at 10:00.',
  'AI: Thanks for calling Oak Street Dental.\nUser: I''d like a cleaning.\n', 0.0731, 'https://storage.vapi.ai/x.wav');
UPDATE call_logs SET recording_status = 'pending' WHERE org_id = :org::uuid AND id = (SELECT id FROM call_logs WHERE org_id = :org::uuid ORDER BY created_at DESC LIMIT 1);
SELECT count(*) FROM call_logs WHERE org_id = :org::uuid AND recording_status = 'pending';
INSERT INTO river_job (args, kind, max_attempts, priority, queue, state, scheduled_at)
  VALUES (jsonb_build_object('org_id', :org::text, 'call_id', gen_random_uuid()), 'bench_download', 3, 1, 'bench', 'available', now());
COMMIT;
`
	if err := os.WriteFile(script, []byte(sql), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command("pgbench", "-n", "-c", "32", "-j", "2", "-T", "10", "-M", "prepared", "-f", script, d.AppURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		b.Fatalf("pgbench output: %s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps
}
