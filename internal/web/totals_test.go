package web_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"frontdesk"
	"frontdesk/internal/testkit"
)

// The dashboard's total comes from hourly counts kept by triggers plus the
// partial hours at the ends of the range. Against random ranges and filters,
// after inserts, updates and deletes, it must equal a plain count.
func TestTotalsMatchPlainCount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	pool := b.db.Admin
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC) // spans London's spring-forward night
	for _, org := range []frontdesk.OrgID{b.w.A.ID, b.w.B.ID} {
		for i := 0; i < 300; i++ {
			testkit.AddCall(t, b.db, org, testkit.Call{
				Direction:  []string{"inbound", "outbound"}[r.IntN(2)],
				Status:     []string{"ended", "in-progress", "queued"}[r.IntN(3)],
				FromNumber: fmt.Sprintf("+1202555%04d", i), CallerName: "Random", Transcript: "t",
				StartedAt: base.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))),
			})
		}
	}
	// Updates that move calls between buckets, and deletes, in statements
	// that touch many rows at once.
	for _, stmt := range []string{
		"UPDATE call_logs SET status = 'ended' WHERE status = 'queued' AND from_number LIKE '%1'",
		"UPDATE call_logs SET started_at = started_at + interval '37 minutes' WHERE from_number LIKE '%3'",
		"UPDATE call_logs SET direction = 'inbound', summary = 'x' WHERE from_number LIKE '%5'",
		"DELETE FROM call_logs WHERE from_number LIKE '%7'",
	} {
		if err := pool.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}

	owner, err := pgx.Connect(ctx, b.db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	tok := b.token(t, b.w.A.Owner, frontdesk.OrgID{})
	for i := 0; i < 60; i++ {
		from := base.Add(time.Duration(r.Int64N(int64(80*time.Hour))) - 4*time.Hour).Truncate(time.Minute)
		to := from.Add(time.Duration(r.Int64N(int64(30 * time.Hour))))
		q := url.Values{}
		where := "org_id = $1"
		args := []any{b.w.A.ID}
		if r.IntN(4) > 0 {
			q.Set("from", from.Format(time.RFC3339))
			args = append(args, from)
			where += fmt.Sprintf(" AND started_at >= $%d", len(args))
		}
		if r.IntN(4) > 0 && to.After(from) {
			q.Set("to", to.Format(time.RFC3339))
			args = append(args, to)
			where += fmt.Sprintf(" AND started_at < $%d", len(args))
		}
		switch r.IntN(3) {
		case 0:
			q.Set("call_type", "all")
		case 1:
			q.Set("call_type", "outbound")
			where += " AND direction = 'outbound'"
		default:
			where += " AND direction = 'inbound'"
		}
		if r.IntN(2) == 0 {
			q.Set("status", "ended")
			where += " AND status = 'ended'"
		}
		var want int64
		if err := owner.QueryRow(ctx, "SELECT count(*) FROM call_logs WHERE "+where, args...).Scan(&want); err != nil {
			t.Fatal(err)
		}
		var page listResponse
		res := b.get(t, "/api/calls-dashboard?"+q.Encode(), tok)
		if res.status != 200 {
			t.Fatalf("%s: %d %s", q.Encode(), res.status, res.body)
		}
		res.json(t, &page)
		if int64(page.Total) != want {
			t.Errorf("%s: total %d, plain count %d", q.Encode(), page.Total, want)
		}
	}
}
