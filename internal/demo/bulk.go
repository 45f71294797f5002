package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"frontdesk"
	"frontdesk/internal/identity"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// BulkOrg is one generated clinic.
type BulkOrg struct {
	ID    frontdesk.OrgID
	Name  string
	Owner frontdesk.UserID
	Email string
	Calls int
}

// BulkShare is the share of all calls held by the largest clinic.
const BulkShare = 0.20

// Bulk creates orgs clinics with one owner each and calls calls among them
// over the last 30 days, skewed like real traffic: the first clinic holds
// 20% of the calls, the others follow a Zipf-like curve, and every clinic
// has at least one. progress, if set, is called after each clinic.
func Bulk(ctx context.Context, admin *postgres.Admin, orgs, calls int, seed uint64, progress func(done, total int)) ([]BulkOrg, error) {
	if orgs < 1 || calls < orgs {
		return nil, fmt.Errorf("need at least one clinic and at least one call per clinic (got %d clinics, %d calls)", orgs, calls)
	}
	hash, err := identity.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	counts := skew(orgs, calls)
	r := rand.New(rand.NewPCG(seed, 11))
	now := time.Now()
	batchID := fmt.Sprintf("%06x", r.Uint32()&0xffffff)
	out := make([]BulkOrg, orgs)
	for i := range orgs {
		spec := clinics[i%len(clinics)]
		o := BulkOrg{Name: fmt.Sprintf("%s %s-%04d", spec.name, batchID, i+1), Calls: counts[i],
			Email: fmt.Sprintf("owner-%04d@bulk-%s.example", i+1, batchID)}
		err := admin.Tx(ctx, func(q *db.Queries) error {
			var err error
			if o.ID, err = q.CreateOrg(ctx, db.CreateOrgParams{Name: o.Name, Timezone: spec.timezone, Country: spec.country}); err != nil {
				return err
			}
			if o.Owner, err = q.CreateUser(ctx, db.CreateUserParams{Email: o.Email, Name: "Owner", PasswordHash: text(hash)}); err != nil {
				return err
			}
			return q.AddMember(ctx, db.AddMemberParams{OrgID: o.ID, UserID: o.Owner, Role: string(frontdesk.RoleOwner)})
		})
		if err != nil {
			return nil, err
		}
		const chunk = 20_000
		for left := o.Calls; left > 0; left -= chunk {
			rows := make([]db.InsertCallsParams, min(chunk, left))
			for j := range rows {
				at := now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
				rows[j] = call(r, o.ID, o.Name, spec.kind, spec.number, spec.country, at, now)
			}
			if _, err := admin.InsertCalls(ctx, rows); err != nil {
				return nil, fmt.Errorf("insert calls: %w", err)
			}
		}
		out[i] = o
		if progress != nil {
			progress(i+1, orgs)
		}
	}
	// Fresh statistics and a visibility map, as autovacuum would leave them.
	if err := admin.Exec(ctx, "VACUUM (ANALYZE) call_logs, call_counts"); err != nil {
		return nil, err
	}
	return out, nil
}

// skew splits calls among orgs: BulkShare to the first, the rest by 1/rank.
func skew(orgs, calls int) []int {
	counts := make([]int, orgs)
	if orgs == 1 {
		counts[0] = calls
		return counts
	}
	counts[0] = int(math.Round(float64(calls) * BulkShare))
	rest := calls - counts[0] - (orgs - 1) // one each, guaranteed
	var sum float64
	for i := 1; i < orgs; i++ {
		sum += 1 / float64(i)
	}
	given := 0
	for i := 1; i < orgs; i++ {
		counts[i] = 1 + int(float64(rest)*(1/float64(i))/sum)
		given += counts[i]
	}
	counts[1] += calls - counts[0] - given // rounding remainder
	return counts
}
