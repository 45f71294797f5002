package calendars

import (
	"context"
	"strings"
	"sync"
	"time"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/scheduling"
)

// busyTimeout bounds how long availability waits for Google: a slow
// calendar is reported unchecked rather than holding up the caller.
const busyTimeout = 1500 * time.Millisecond

// busyCacheTTL is how long a calendar's busy times are reused.
const busyCacheTTL = time.Minute

// Busy reads the busy times of the clinic's connected calendars in
// [from, to), concurrently, within busyTimeout; calendars that could not
// be read are named in Unchecked. The connections are read in a short
// transaction that ends before Google is asked: a slow Google holds no
// database connection.
func (s *Service) Busy(ctx context.Context, org frontdesk.OrgID, from, to time.Time) (scheduling.External, error) {
	out := scheduling.External{Busy: map[frontdesk.ResourceID][]scheduling.Interval{}}
	if s.google == nil {
		return out, nil
	}
	type conn struct {
		resource frontdesk.ResourceID
		calendar string
		token    []byte
	}
	var conns []conn
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ActiveCalendarConnections(ctx, org)
		for _, c := range rows {
			conns = append(conns, conn{c.ResourceID, c.CalendarID, c.Token})
		}
		return err
	})
	if err != nil || len(conns) == 0 {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, busyTimeout)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range conns {
		key := org.String() + c.resource.String() + from.String() + to.String()
		if busy, ok := s.cache.get(key); ok {
			out.Busy[c.resource] = busy
			continue
		}
		token, err := s.secrets.Open(c.token, org[:])
		if err != nil {
			out.Unchecked = append(out.Unchecked, c.resource.String())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			periods, err := s.google.Busy(ctx, token, c.calendar, from, to)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out.Unchecked = append(out.Unchecked, c.resource.String())
				return
			}
			var busy []scheduling.Interval
			for _, p := range periods {
				busy = append(busy, scheduling.Interval{Start: p[0], End: p[1]})
			}
			out.Busy[c.resource] = busy
			s.cache.put(key, busy)
		}()
	}
	wg.Wait()
	return out, nil
}

type busyEntry struct {
	at   time.Time
	busy []scheduling.Interval
}

// busyCache keeps connected calendars' busy times briefly, per clinic.
type busyCache struct {
	mu sync.Mutex
	m  map[string]busyEntry
}

func (c *busyCache) get(key string) ([]scheduling.Interval, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Since(e.at) > busyCacheTTL {
		return nil, false
	}
	return e.busy, true
}

func (c *busyCache) put(key string, busy []scheduling.Interval) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[string]busyEntry{}
	}
	c.m[key] = busyEntry{at: time.Now(), busy: busy}
}

// forget drops a clinic's entries (their keys start with its id), after
// its calendars change.
func (c *busyCache) forget(org frontdesk.OrgID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, org.String()) {
			delete(c.m, k)
		}
	}
}
