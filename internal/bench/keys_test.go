package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"frontdesk/internal/postgres"
	"frontdesk/internal/secrets"
	"frontdesk/internal/testkit"
)

// BenchmarkKeyRotation re-seals 10,000 secrets (FRONTDESK_BENCH_SECRETS)
// under a new key while the server, holding both keys, answers webhooks
// from 8 senders for 100 clinics whose own secrets are among those being
// re-sealed: rotation time, webhooks refused (none may be), and their
// p50/p99 during rotation against the same load just before it.
func BenchmarkKeyRotation(b *testing.B) {
	ctx := context.Background()
	d := testkit.NewDB(b)
	const clinics, senders = 100, 8
	total := envInt("FRONTDESK_BENCH_SECRETS", 10_000)
	k1, k2 := make([]byte, 32), make([]byte, 32)
	rand.Read(k1)
	rand.Read(k2)
	old, _ := secrets.NewBox(k1)
	ring, _ := secrets.NewKeyring(map[byte][]byte{1: k1, 2: k2})
	owner, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close(ctx)

	// 100 clinics with numbers and secrets under the old key, served by
	// a server that holds only it; then the rest of the secrets.
	first := newAPIOn(b, d, d.Store, nil, old)
	cs := voiceClinics(b, d, first.url, first.issuer, owner, clinics)
	var orgs []uuid.UUID
	rows, err := owner.Query(ctx, "INSERT INTO organizations (name, timezone, country) SELECT 'Filler ' || g, 'UTC', 'US' FROM generate_series(1, $1) g RETURNING id", total-clinics)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		rows.Scan(&id)
		orgs = append(orgs, id)
	}
	rows.Close()
	filler := make([][]any, len(orgs))
	for i, org := range orgs {
		filler[i] = []any{org, old.Seal([]byte(fmt.Sprintf("secret-%d", i)), org[:])}
	}
	if _, err := owner.CopyFrom(ctx, pgx.Identifier{"voice_secrets"}, []string{"org_id", "ciphertext"}, pgx.CopyFromRows(filler)); err != nil {
		b.Fatal(err)
	}

	// The server that holds both keys.
	api := newAPIOn(b, d, d.Store, nil, ring)
	report, err := os.ReadFile("../providers/vapi/testdata/status-update.json")
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders * 2}}
	load := func(stop <-chan struct{}) (result, int64) {
		var mu sync.Mutex
		var lat []time.Duration
		var refused atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for s := range senders {
			wg.Go(func() {
				for i := s; ; i += senders {
					select {
					case <-stop:
						return
					default:
					}
					c := cs[i%clinics]
					body := bytes.ReplaceAll(report, []byte("7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601"), []byte(uuid.NewString()))
					body = bytes.ReplaceAll(body, []byte("+15125550100"), []byte(c.number))
					status, _, took, err := postTimed(client, api.url+"/api/webhooks/vapi", c.secret, body)
					if err != nil || status != 200 {
						refused.Add(1)
						continue
					}
					mu.Lock()
					lat = append(lat, took)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return result{lat: lat, elapsed: time.Since(start)}, refused.Load()
	}
	stop := make(chan struct{})
	time.AfterFunc(3*time.Second, func() { close(stop) })
	before, refusedBefore := load(stop)

	admin, err := postgres.OpenAdmin(ctx, d.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	stop = make(chan struct{})
	var rotated int
	var took time.Duration
	go func() {
		defer close(stop)
		t0 := time.Now()
		rotated, err = admin.Rotate(ctx, ring, 500, func(string, int) {})
		took = time.Since(t0)
	}()
	during, refusedDuring := load(stop)
	if err != nil {
		b.Fatal(err)
	}
	versions, err := admin.KeyVersions(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if versions[1] != 0 || versions[0] != 0 || refusedBefore+refusedDuring != 0 {
		b.Fatalf("after rotation: versions %v; webhooks refused %d before, %d during", versions, refusedBefore, refusedDuring)
	}
	fmt.Printf("\nkey rotation: %d secrets re-sealed in %s (%.0f/s), batches of 500\n", rotated, took.Round(time.Millisecond), float64(rotated)/took.Seconds())
	fmt.Printf("  webhooks before: %d, p50 %s, p99 %s; during: %d, p50 %s, p99 %s; refused: %d\n",
		len(before.lat), before.p(50), before.p(99), len(during.lat), during.p(50), during.p(99), refusedBefore+refusedDuring)
	fmt.Printf("  during / before: p50 %.2f×, p99 %.2f×\n", ratio(during.p(50), before.p(50)), ratio(during.p(99), before.p(99)))
	b.ReportMetric(took.Seconds(), "rotation-s")
	b.ReportMetric(float64(refusedBefore+refusedDuring), "refused")
	b.ReportMetric(0, "ns/op")
}
