package calls

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Live calls: a page open on the calls list learns of every change to the
// clinic's calls. Each change wakes the clinic's watchers through
// PostgreSQL (NOTIFY at the commit of the webhook's transaction, so every
// server process hears it); a woken page reads what changed since its
// position, so a missed wake-up or a reconnection loses nothing.

const liveChannel = "frontdesk_calls"

// watchers are the open live pages of this process, by clinic; the
// process listens while there is one.
type watchers struct {
	mu     sync.Mutex
	subs   map[frontdesk.OrgID]map[chan struct{}]bool
	n      int
	cancel context.CancelFunc
}

// Watch returns a channel that receives whenever the clinic's calls may
// have changed, until ctx ends.
func (s *Service) Watch(ctx context.Context, org frontdesk.OrgID) <-chan struct{} {
	w := &s.watchers
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.subs == nil {
		w.subs = map[frontdesk.OrgID]map[chan struct{}]bool{}
	}
	if w.subs[org] == nil {
		w.subs[org] = map[chan struct{}]bool{}
	}
	w.subs[org][ch] = true
	if w.n++; w.n == 1 {
		lctx, cancel := context.WithCancel(context.Background())
		w.cancel = cancel
		go s.store.Listen(lctx, liveChannel, w.wake)
	}
	w.mu.Unlock()
	context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.subs[org], ch)
		if w.n--; w.n == 0 {
			w.cancel()
		}
	})
	return ch
}

// wake tells the clinic's watchers (every clinic's, for "").
func (w *watchers) wake(payload string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for org, subs := range w.subs {
		if payload != "" && org.String() != payload {
			continue
		}
		for ch := range subs {
			select {
			case ch <- struct{}{}:
			default: // already woken
			}
		}
	}
}

// notifyTx wakes the clinic's live pages when the transaction commits.
func notifyTx(ctx context.Context, tx *postgres.Tx) error {
	return tx.NotifyCallsChanged(ctx, tx.Org.ID.String())
}

// Position is a place in the order calls change: after it come the calls
// changed later. It is encoded for a page as "<unix micro>.<call id>".
type Position struct {
	UpdatedAt time.Time
	ID        frontdesk.CallID
}

func (p Position) String() string {
	return strconv.FormatInt(p.UpdatedAt.UnixMicro(), 10) + "." + p.ID.String()
}

// ParsePosition reads a Position; anything else is the given time.
func ParsePosition(s string, otherwise time.Time) Position {
	micro, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(micro, 10, 64)
	call, err2 := frontdesk.ParseCallID(id)
	if !ok || err != nil || err2 != nil {
		return Position{UpdatedAt: otherwise}
	}
	return Position{UpdatedAt: time.UnixMicro(n), ID: call}
}

// Change is a call as it is after a change, and where the change is.
type Change struct {
	Call
	At Position
}

// Changes are the clinic's calls changed after p, oldest change first (at
// most 100; ask again from the last one's position).
func (s *Service) Changes(ctx context.Context, org frontdesk.OrgID, p Position) ([]Change, error) {
	var out []Change
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.CallsChangedSince(ctx, db.CallsChangedSinceParams{OrgID: org, AfterUpdatedAt: p.UpdatedAt, AfterID: [16]byte(p.ID)})
		for _, r := range rows {
			c := summarize(db.ListCallsRow{ID: r.ID, Direction: r.Direction, Status: r.Status, FromNumber: r.FromNumber, ToNumber: r.ToNumber,
				CallerName: r.CallerName, StartedAt: r.StartedAt, EndedAt: r.EndedAt, DurationSeconds: r.DurationSeconds,
				EndedReason: r.EndedReason, RecordingStatus: r.RecordingStatus, CostUsd: r.CostUsd, Outcome: r.Outcome}, tx.Org.Location)
			out = append(out, Change{Call: c, At: Position{UpdatedAt: r.UpdatedAt, ID: r.ID}})
		}
		if err != nil {
			return err
		}
		page := make([]*Call, len(out))
		for i := range out {
			page[i] = &out[i].Call
		}
		return followUps(ctx, tx, page)
	})
	return out, err
}
