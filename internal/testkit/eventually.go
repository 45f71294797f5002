package testkit

import (
	"testing"
	"time"
)

// Eventually polls ok until it holds, failing t after within. It is the
// one way tests wait for background work (a job, a webhook's effect).
func Eventually(t testing.TB, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
