package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/postgres/db"
)

// Labels are the contexts the server's own sealed values are bound to
// (a clinic's secrets are bound to the clinic's id).
var (
	KeyCheckLabel = []byte("frontdesk secret key check")
	HashKeyLabel  = []byte("frontdesk hash key")
)

// HashKey is the server's signing and hashing key: kept sealed in the
// database the first time (fresh is what to keep then), and the same for
// every process and every key rotation after.
func (s *Store) HashKey(ctx context.Context, fresh []byte, seal func([]byte) []byte, open func([]byte) ([]byte, error)) ([]byte, error) {
	q := queries(s.pool)
	if err := q.AddHashKey(ctx, seal(fresh)); err != nil {
		return nil, fmt.Errorf("store the hash key: %w", err)
	}
	sealed, err := q.SealedHashKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the hash key: %w", err)
	}
	key, err := open(sealed)
	if err != nil {
		return nil, ErrWrongSecretKey
	}
	return key, nil
}

// KeyVersions counts the sealed values under each key version, across
// every clinic (0: sealed before versions were marked).
func (s *Store) KeyVersions(ctx context.Context) (map[int]int64, error) {
	return byVersion(queries(s.pool).SealedKeyVersions(ctx))
}

// KeyVersions counts as Store.KeyVersions does, as the owner.
func (a *Admin) KeyVersions(ctx context.Context) (map[int]int64, error) {
	return byVersion(a.SealedKeyVersions(ctx))
}

func byVersion(rows []db.SealedKeyVersionsRow, err error) (map[int]int64, error) {
	out := map[int]int64{}
	for _, r := range rows {
		out[int(r.Version)] = r.N
	}
	return out, err
}

// Resealer re-seals a value under the current key.
type Resealer interface {
	Reseal(sealed, context []byte) ([]byte, bool, error)
	Current() byte
}

// sealedRow is one sealed value: its table's key, its clinic (the
// context) and the value.
type sealedRow struct {
	org    frontdesk.OrgID
	id     uuid.UUID
	sealed []byte
}

// sealedColumn is one column of sealed values: how to read a batch not
// under the current key, and how to replace one value if unchanged.
type sealedColumn struct {
	name   string
	stale  func(ctx context.Context, q *db.Queries, current int32, n int32) ([]sealedRow, error)
	reseal func(ctx context.Context, q *db.Queries, r sealedRow, new []byte) (int64, error)
}

var sealedColumns = []sealedColumn{
	{"voice secrets",
		func(ctx context.Context, q *db.Queries, c, n int32) ([]sealedRow, error) {
			rows, err := q.StaleVoiceSecrets(ctx, db.StaleVoiceSecretsParams{Current: c, RowLimit: n})
			out := make([]sealedRow, len(rows))
			for i, r := range rows {
				out[i] = sealedRow{r.OrgID, r.ID, r.Sealed}
			}
			return out, err
		},
		func(ctx context.Context, q *db.Queries, r sealedRow, new []byte) (int64, error) {
			return q.ResealVoiceSecret(ctx, db.ResealVoiceSecretParams{New: new, OrgID: r.org, ID: r.id, Old: r.sealed})
		}},
	{"Twilio auth tokens",
		func(ctx context.Context, q *db.Queries, c, n int32) ([]sealedRow, error) {
			rows, err := q.StaleTwilioTokens(ctx, db.StaleTwilioTokensParams{Current: c, RowLimit: n})
			out := make([]sealedRow, len(rows))
			for i, r := range rows {
				out[i] = sealedRow{org: r.OrgID, sealed: r.Sealed}
			}
			return out, err
		},
		func(ctx context.Context, q *db.Queries, r sealedRow, new []byte) (int64, error) {
			return q.ResealTwilioToken(ctx, db.ResealTwilioTokenParams{New: new, OrgID: r.org, Old: r.sealed})
		}},
	{"Vapi API keys",
		func(ctx context.Context, q *db.Queries, c, n int32) ([]sealedRow, error) {
			rows, err := q.StaleVapiKeys(ctx, db.StaleVapiKeysParams{Current: c, RowLimit: n})
			out := make([]sealedRow, len(rows))
			for i, r := range rows {
				out[i] = sealedRow{org: r.OrgID, sealed: r.Sealed}
			}
			return out, err
		},
		func(ctx context.Context, q *db.Queries, r sealedRow, new []byte) (int64, error) {
			return q.ResealVapiKey(ctx, db.ResealVapiKeyParams{New: new, OrgID: r.org, Old: r.sealed})
		}},
	{"Google Calendar tokens",
		func(ctx context.Context, q *db.Queries, c, n int32) ([]sealedRow, error) {
			rows, err := q.StaleCalendarTokens(ctx, db.StaleCalendarTokensParams{Current: c, RowLimit: n})
			out := make([]sealedRow, len(rows))
			for i, r := range rows {
				out[i] = sealedRow{r.OrgID, r.ID, r.Sealed}
			}
			return out, err
		},
		func(ctx context.Context, q *db.Queries, r sealedRow, new []byte) (int64, error) {
			return q.ResealCalendarToken(ctx, db.ResealCalendarTokenParams{New: new, OrgID: r.org, ID: r.id, Old: r.sealed})
		}},
	{"Google sign-ins in progress",
		func(ctx context.Context, q *db.Queries, c, n int32) ([]sealedRow, error) {
			rows, err := q.StaleOAuthVerifiers(ctx, db.StaleOAuthVerifiersParams{Current: c, RowLimit: n})
			out := make([]sealedRow, len(rows))
			for i, r := range rows {
				out[i] = sealedRow{r.OrgID, r.ID, r.Sealed}
			}
			return out, err
		},
		func(ctx context.Context, q *db.Queries, r sealedRow, new []byte) (int64, error) {
			return q.ResealOAuthVerifier(ctx, db.ResealOAuthVerifierParams{New: new, OrgID: r.org, ID: r.id, Old: r.sealed})
		}},
	{"one-time codes",
		func(ctx context.Context, q *db.Queries, c, n int32) ([]sealedRow, error) {
			rows, err := q.StaleVerificationCodes(ctx, db.StaleVerificationCodesParams{Current: c, RowLimit: n})
			out := make([]sealedRow, len(rows))
			for i, r := range rows {
				out[i] = sealedRow{r.OrgID, r.ID, r.Sealed}
			}
			return out, err
		},
		func(ctx context.Context, q *db.Queries, r sealedRow, new []byte) (int64, error) {
			return q.ResealVerificationCode(ctx, db.ResealVerificationCodeParams{New: new, OrgID: r.org, ID: r.id, Old: r.sealed})
		}},
}

// Rotate re-seals every sealed value not under box's current key, a
// batch at a time (each value in its own statement, only if it still
// holds what was read, so a concurrent change wins), telling progress
// after each batch. The server keeps working meanwhile: it opens values
// under every key it holds. It returns how many values it re-sealed.
func (a *Admin) Rotate(ctx context.Context, box Resealer, batch int, progress func(what string, done int)) (int, error) {
	total := 0
	current := int32(box.Current())
	for _, col := range sealedColumns {
		done := 0
		for {
			rows, err := col.stale(ctx, a.Queries, current, int32(batch))
			if err != nil {
				return total, err
			}
			changed := 0
			for _, r := range rows {
				fresh, _, err := box.Reseal(r.sealed, r.org[:])
				if err != nil {
					return total, fmt.Errorf("%s of clinic %s: %w", col.name, r.org, err)
				}
				n, err := col.reseal(ctx, a.Queries, r, fresh)
				if err != nil {
					return total, err
				}
				changed += int(n)
			}
			done += changed
			total += changed
			if len(rows) > 0 {
				progress(col.name, done)
			}
			if len(rows) < batch {
				break
			}
		}
	}
	// The server's own: the key check and the hash key.
	rows, err := a.StaleKeyChecks(ctx, current)
	if err != nil {
		return total, err
	}
	for _, old := range rows {
		for _, x := range []struct {
			label  []byte
			reseal func(context.Context, db.ResealKeyCheckParams) (int64, error)
		}{{KeyCheckLabel, a.ResealKeyCheck}, {HashKeyLabel, func(ctx context.Context, p db.ResealKeyCheckParams) (int64, error) {
			return a.ResealHashKey(ctx, db.ResealHashKeyParams(p))
		}}} {
			fresh, _, err := box.Reseal(old, x.label)
			if err != nil {
				continue // the other label's
			}
			n, err := x.reseal(ctx, db.ResealKeyCheckParams{New: fresh, Old: old})
			if err != nil {
				return total, err
			}
			total += int(n)
		}
	}
	return total, nil
}
