package testkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

var (
	chromiumOnce sync.Once
	chromiumPath string
	chromiumErr  error
)

// chromium finds Debian's chromium on PATH, or installs it (as root, like
// PostgreSQL); browser tests are never skipped.
func chromium() (string, error) {
	chromiumOnce.Do(func() {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				chromiumPath = p
				return
			}
		}
		if os.Geteuid() != 0 {
			chromiumErr = fmt.Errorf("chromium not found: install it (Debian/Ubuntu: sudo apt-get install chromium) for the browser tests")
			return
		}
		fmt.Fprintln(os.Stderr, "chromium not found; installing Debian's chromium package ...")
		out, err := exec.Command("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium").CombinedOutput()
		if err != nil {
			chromiumErr = fmt.Errorf("installing chromium failed (%v): %s", err, out[max(0, len(out)-500):])
			return
		}
		chromiumPath, chromiumErr = exec.LookPath("chromium")
	})
	return chromiumPath, chromiumErr
}

// Browser is a headless Chromium tab for one test, which records every
// console error, uncaught exception and browser log error (a CSP
// violation among them).
type Browser struct {
	Ctx    context.Context
	mu     sync.Mutex
	errors []chromedp.ConsoleMessage
}

// NewBrowser starts headless Chromium for t, with a fresh profile, no
// network beyond what the page asks for, and audio allowed to play
// without a gesture.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	path, err := chromium()
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), chromedp.WindowSize(1440, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &Browser{Ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // start the browser and the tab
		t.Fatalf("start chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, m)
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// Errors returns the errors the pages logged so far, and forgets them.
// The status of a page itself (a 404 page, a form answered 422) is the
// page's to choose and not an error; a failed script, stylesheet or
// recording is.
func (b *Browser) Errors(pages ...string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.errors {
		if m.Source == "network" && slices.Contains(pages, m.URL) {
			continue
		}
		out = append(out, m.String()+" "+m.URL)
	}
	b.errors = nil
	return out
}
