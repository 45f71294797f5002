package jobs

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"gocloud.dev/blob"

	"frontdesk/internal/calls"
)

// FetchConfig limits what recording downloads may reach and take.
type FetchConfig struct {
	// AllowedHosts are the only hosts fetched (exact names, or ".suffix"
	// for subdomains).
	AllowedHosts []string
	// AllowPrivate permits plain http and private, loopback and link-local
	// addresses: for development and tests only.
	AllowPrivate bool
	MaxBytes     int64
	Timeout      time.Duration
}

// PermanentError is a download failure that retrying cannot fix.
type PermanentError struct{ Reason string }

func (e *PermanentError) Error() string { return e.Reason }

func permanent(format string, args ...any) error {
	return &PermanentError{Reason: fmt.Sprintf(format, args...)}
}

// Fetcher downloads recordings from outside without becoming a way into
// the inside (no server-side request forgery): only allowed hosts, only
// public addresses (checked on the address actually dialled, after DNS, so
// a name that resolves inward is refused too), redirects checked the same
// way, a size cap and a timeout.
type Fetcher struct {
	cfg    FetchConfig
	client *http.Client
}

// NewFetcher returns a Fetcher for cfg.
func NewFetcher(cfg FetchConfig) *Fetcher {
	f := &Fetcher{cfg: cfg}
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: f.checkDial}
	f.client = &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			Proxy:                 nil, // never through a proxy that could reach inside
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			MaxIdleConnsPerHost:   4,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return permanent("too many redirects")
			}
			return f.checkURL(req.URL)
		},
	}
	return f
}

func (f *Fetcher) checkURL(u *url.URL) error {
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && f.cfg.AllowPrivate):
		return permanent("recording URL scheme %q not allowed", u.Scheme)
	case u.User != nil:
		return permanent("recording URL with credentials not allowed")
	case u.Port() != "" && u.Port() != "443" && !f.cfg.AllowPrivate:
		return permanent("recording URL port %s not allowed (only 443)", u.Port())
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range f.cfg.AllowedHosts {
		h = strings.ToLower(h)
		if host == h || strings.HasPrefix(h, ".") && strings.HasSuffix(host, h) {
			return nil
		}
	}
	return permanent("recording host %q is not on the allow-list (FRONTDESK_RECORDING_HOSTS)", host)
}

func (f *Fetcher) checkDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return permanent("cannot check address %q", address)
	}
	ip := ap.Addr().Unmap()
	if f.cfg.AllowPrivate {
		return nil
	}
	if ap.Port() != 443 { // redirects too: only HTTPS's port
		return permanent("recording address port %d not allowed (only 443)", ap.Port())
	}
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || isSpecial(ip) {
		return permanent("recording host resolves to a non-public address %s", ip)
	}
	return nil
}

// isSpecial covers ranges IsPrivate does not: carrier-grade NAT, the
// benchmark range and IPv4-translated IPv6.
var specialRanges = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("0.0.0.0/8"),
}

func isSpecial(ip netip.Addr) bool {
	return slices.ContainsFunc(specialRanges, func(p netip.Prefix) bool { return p.Contains(ip) })
}

// Fetched is what Copy stored.
type Fetched struct {
	Size        int64
	SHA256      string
	ContentType string
}

// Copy streams rawURL into bucket under key. The object appears only when
// complete: on any error the write is aborted and nothing is stored.
func (f *Fetcher) Copy(ctx context.Context, rawURL string, bucket *blob.Bucket, key string) (Fetched, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Fetched{}, permanent("recording URL does not parse")
	}
	if err := f.checkURL(u); err != nil {
		return Fetched{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Fetched{}, permanent("recording URL: %v", err)
	}
	res, err := f.client.Do(req)
	if err != nil {
		var perm *PermanentError
		if errors.As(err, &perm) {
			return Fetched{}, perm
		}
		return Fetched{}, fmt.Errorf("fetch recording: %w", err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500,
		// Storage may lag the end-of-call report: not there yet, or not
		// yet readable, is worth retrying.
		res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusForbidden:
		return Fetched{}, fmt.Errorf("recording server answered %d", res.StatusCode)
	case res.StatusCode != http.StatusOK:
		return Fetched{}, permanent("recording server answered %d", res.StatusCode)
	case res.ContentLength > f.cfg.MaxBytes:
		return Fetched{}, permanent("recording is %d bytes, over the %d-byte limit", res.ContentLength, f.cfg.MaxBytes)
	}
	ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "audio/") && ct != "application/octet-stream" {
		return Fetched{}, permanent("recording has content type %q, not audio", ct)
	}
	// The bytes decide, not the label: stored and served as what they are.
	body := bufio.NewReaderSize(io.LimitReader(res.Body, f.cfg.MaxBytes+1), 512)
	head, _ := body.Peek(512)
	if ct = calls.AudioType(head); ct == "" {
		return Fetched{}, permanent("recording is not audio (its first bytes are %s)", http.DetectContentType(head))
	}

	writeCtx, abort := context.WithCancel(ctx)
	defer abort()
	w, err := bucket.NewWriter(writeCtx, key, &blob.WriterOptions{ContentType: ct})
	if err != nil {
		return Fetched{}, fmt.Errorf("open blob writer: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), body)
	switch {
	case err == nil && n > f.cfg.MaxBytes:
		err = permanent("recording is over the %d-byte limit", f.cfg.MaxBytes)
	case err == nil && res.ContentLength >= 0 && n != res.ContentLength:
		err = fmt.Errorf("recording truncated: %d of %d bytes", n, res.ContentLength)
	}
	if err != nil {
		abort() // cancelling before Close discards the partial object
		_ = w.Close()
		return Fetched{}, err
	}
	if err := w.Close(); err != nil {
		return Fetched{}, fmt.Errorf("store recording: %w", err)
	}
	return Fetched{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), ContentType: ct}, nil
}
