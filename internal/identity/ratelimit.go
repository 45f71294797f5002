package identity

import (
	"sync"
	"time"
)

// FailureLimiter counts failed logins per key (an email, an IP address) in a
// fixed window and says when a key has had too many. It lives in memory: a
// restart forgives, and each server process counts on its own.
type FailureLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]*window
}

type window struct {
	start    time.Time
	failures int
}

// NewFailureLimiter allows max failures per key per window.
func NewFailureLimiter(max int, per time.Duration) *FailureLimiter {
	return &FailureLimiter{max: max, window: per, now: time.Now, seen: map[string]*window{}}
}

// Blocked reports whether key is over its limit, and for how long.
func (l *FailureLimiter) Blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.seen[key]
	if !ok {
		return false, 0
	}
	now := l.now()
	if now.Sub(w.start) >= l.window {
		delete(l.seen, key)
		return false, 0
	}
	if w.failures >= l.max {
		return true, w.start.Add(l.window).Sub(now)
	}
	return false, 0
}

// Fail records a failure for key.
func (l *FailureLimiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.seen[key]
	if !ok || now.Sub(w.start) >= l.window {
		if len(l.seen) > 100_000 {
			l.prune(now)
		}
		w = &window{start: now}
		l.seen[key] = w
	}
	w.failures++
}

func (l *FailureLimiter) prune(now time.Time) {
	for k, w := range l.seen {
		if now.Sub(w.start) >= l.window {
			delete(l.seen, k)
		}
	}
}
