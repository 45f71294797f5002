package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/testkit"
)

// recordingWorld is a test database with two clinics, a fake recording
// server whose behaviour the test sets per request, and blob storage.
type recordingWorld struct {
	db      *testkit.DB
	w       testkit.World
	bucket  *blob.Bucket
	server  *httptest.Server
	handler atomic.Value // http.HandlerFunc
	hits    atomic.Int32
	audio   []byte
	cfg     Config
}

func setupRecordings(t *testing.T) *recordingWorld {
	t.Helper()
	d := testkit.NewDB(t)
	rw := &recordingWorld{db: d, w: testkit.TwoClinics(t, d), audio: bytes.Repeat([]byte("RIFF....WAVEfmt "), 4096)}
	rw.serve(func(w http.ResponseWriter, r *http.Request) { rw.ok(w) })
	rw.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw.hits.Add(1)
		rw.handler.Load().(http.HandlerFunc)(w, r)
	}))
	t.Cleanup(rw.server.Close)
	var err error
	if rw.bucket, err = fileblob.OpenBucket(t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rw.bucket.Close() })
	rw.cfg = Config{Store: d.Store, Bucket: rw.bucket, Log: testkit.Logger(),
		RecordingAttempts: 3, Workers: 4,
		Fetch: FetchConfig{AllowedHosts: []string{"127.0.0.1"}, AllowPrivate: true, MaxBytes: 1 << 20, Timeout: time.Second}}
	return rw
}

func (rw *recordingWorld) serve(h http.HandlerFunc) { rw.handler.Store(h) }

func (rw *recordingWorld) ok(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Length", strconv.Itoa(len(rw.audio)))
	w.Write(rw.audio)
}

// pendingCall gives clinic A's first call a recording URL on the fake
// server, as an end-of-call report would, and enqueues its download.
func (rw *recordingWorld) pendingCall(t *testing.T, client *Client, url string) frontdesk.CallID {
	t.Helper()
	ctx := context.Background()
	call := rw.w.A.Calls[0].ID
	if err := rw.db.Admin.Exec(ctx, "UPDATE call_logs SET recording_url = '"+url+"' WHERE id = '"+call.String()+"'"); err != nil {
		t.Fatal(err)
	}
	err := rw.db.Store.InTenant(ctx, rw.w.A.ID, func(tx *postgres.Tx) error {
		ok, err := client.EnqueueRecordingDownload(ctx, tx, call)
		if err == nil && !ok {
			err = errors.New("nothing enqueued")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return call
}

func (rw *recordingWorld) worker() *RecordingDownloader {
	return &RecordingDownloader{store: rw.cfg.Store, bucket: rw.bucket, fetcher: NewFetcher(rw.cfg.Fetch), timeout: time.Minute}
}

func job(org frontdesk.OrgID, call frontdesk.CallID, attempt int) *river.Job[RecordingDownloadArgs] {
	return &river.Job[RecordingDownloadArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 3},
		Args: RecordingDownloadArgs{OrgID: org, CallID: call}}
}

func (rw *recordingWorld) state(t *testing.T, org frontdesk.OrgID, call frontdesk.CallID) db.StoredRecordingRow {
	t.Helper()
	var row db.StoredRecordingRow
	err := rw.db.Store.InTenant(context.Background(), org, func(tx *postgres.Tx) (err error) {
		row, err = tx.StoredRecording(context.Background(), db.StoredRecordingParams{OrgID: org, ID: call})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// objects lists every stored object.
func (rw *recordingWorld) objects(t *testing.T) []string {
	t.Helper()
	var keys []string
	it := rw.bucket.List(nil)
	for {
		o, err := it.Next(context.Background())
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
}

func TestRecordingDownloadOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// attempts are run in order; serve is set before each.
		serve      []func(rw *recordingWorld) http.HandlerFunc
		path       string
		wantStatus string
		wantError  string
		cancelled  bool // the last attempt ends the job (permanent failure)
	}{
		{name: "success", serve: []func(*recordingWorld) http.HandlerFunc{okServer}, wantStatus: "stored"},
		{name: "provider 404, every attempt", serve: []func(*recordingWorld) http.HandlerFunc{statusServer(404), statusServer(403), statusServer(404)},
			wantStatus: "failed", wantError: "after attempt 3 of 3: recording server answered 404"},
		{name: "404 while storage lags, then there", serve: []func(*recordingWorld) http.HandlerFunc{statusServer(404), okServer}, wantStatus: "stored"},
		{name: "HTML labelled audio", serve: []func(*recordingWorld) http.HandlerFunc{htmlAsAudioServer}, wantStatus: "failed", wantError: "not audio", cancelled: true},
		{name: "failure then success", serve: []func(*recordingWorld) http.HandlerFunc{statusServer(503), okServer}, wantStatus: "stored"},
		{name: "slow beyond the timeout, every attempt", serve: []func(*recordingWorld) http.HandlerFunc{slowServer, slowServer, slowServer},
			wantStatus: "failed", wantError: "attempt 3 of 3"},
		{name: "truncated body", serve: []func(*recordingWorld) http.HandlerFunc{truncatedServer}, wantStatus: "pending"},
		{name: "not audio", serve: []func(*recordingWorld) http.HandlerFunc{htmlServer}, wantStatus: "failed", wantError: "not audio", cancelled: true},
		{name: "too large", serve: []func(*recordingWorld) http.HandlerFunc{hugeServer}, wantStatus: "failed", wantError: "limit", cancelled: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rw := setupRecordings(t)
			client, err := New(rw.cfg, false)
			if err != nil {
				t.Fatal(err)
			}
			call := rw.pendingCall(t, client, rw.server.URL+"/rec.wav")
			var err2 error
			for i, s := range c.serve {
				rw.serve(s(rw))
				err2 = rw.worker().Work(context.Background(), job(rw.w.A.ID, call, i+1))
			}
			got := rw.state(t, rw.w.A.ID, call)
			if got.RecordingStatus != c.wantStatus || !strings.Contains(got.RecordingError, c.wantError) {
				t.Fatalf("status %q error %q; want %q containing %q (last err %v)", got.RecordingStatus, got.RecordingError, c.wantStatus, c.wantError, err2)
			}
			var cancel *rivertype.JobCancelError
			if errors.As(err2, &cancel) != c.cancelled {
				t.Fatalf("last error %v: cancelled=%v, want %v", err2, errors.As(err2, &cancel), c.cancelled)
			}
			objs := rw.objects(t)
			if c.wantStatus == "stored" {
				sum := sha256.Sum256(rw.audio)
				b, err := rw.bucket.ReadAll(context.Background(), RecordingKey(rw.w.A.ID, call))
				if err != nil || !bytes.Equal(b, rw.audio) || len(objs) != 1 || got.RecordingSize.Int64 != int64(len(rw.audio)) {
					t.Fatalf("stored object: %d bytes, err %v, objects %v, size %d", len(b), err, objs, got.RecordingSize.Int64)
				}
				var stored string
				conn, err := pgx.Connect(context.Background(), rw.db.OwnerURL)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(context.Background())
				if err := conn.QueryRow(context.Background(), "SELECT recording_sha256 FROM call_logs WHERE id = $1", call).Scan(&stored); err != nil {
					t.Fatal(err)
				}
				if stored != hex.EncodeToString(sum[:]) {
					t.Fatalf("checksum %q", stored)
				}
			} else if len(objs) != 0 {
				t.Fatalf("a failed download left objects %v", objs)
			}
		})
	}
}

func okServer(rw *recordingWorld) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { rw.ok(w) }
}

func statusServer(code int) func(*recordingWorld) http.HandlerFunc {
	return func(*recordingWorld) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", code) }
	}
}

func slowServer(rw *recordingWorld) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(rw.audio[:100])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
}

func truncatedServer(rw *recordingWorld) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Content-Length", strconv.Itoa(len(rw.audio)))
		w.Write(rw.audio[:len(rw.audio)/2])
		// The handler returns early: the server closes the connection.
	}
}

func htmlServer(*recordingWorld) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>login</html>"))
	}
}

func htmlAsAudioServer(*recordingWorld) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/wav")
		w.Write([]byte("<html><body>Sign in to continue</body></html>"))
	}
}

func hugeServer(*recordingWorld) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/wav")
		w.Write([]byte("RIFF\x00\x00\x00\x00WAVE"))
		for i := 0; i < 40; i++ { // 2.5 MiB, no Content-Length
			w.Write(bytes.Repeat([]byte{0}, 64<<10))
		}
	}
}

// Recording URLs come from outside: only allowed hosts, only public
// addresses.
func TestFetcherRefusesForbiddenTargets(t *testing.T) {
	t.Parallel()
	rw := setupRecordings(t)
	strict := NewFetcher(FetchConfig{AllowedHosts: []string{"127.0.0.1", "localhost", "storage.vapi.ai"}, MaxBytes: 1 << 20, Timeout: time.Second})
	lax := NewFetcher(FetchConfig{AllowedHosts: []string{"storage.vapi.ai"}, AllowPrivate: true, MaxBytes: 1 << 20, Timeout: time.Second})
	httpsLocal := strings.Replace(rw.server.URL, "http://", "https://", 1)
	for name, c := range map[string]struct {
		f   *Fetcher
		url string
	}{
		"plain http":                 {strict, rw.server.URL + "/a.wav"},
		"loopback address":           {strict, httpsLocal + "/a.wav"},
		"name resolving to loopback": {strict, "https://localhost:1/a.wav"},
		"host not on the allow-list": {lax, rw.server.URL + "/a.wav"},
		"credentials in the URL":     {lax, "https://user:pw@storage.vapi.ai/a.wav"},
		"cloud metadata address":     {NewFetcher(FetchConfig{AllowedHosts: []string{"169.254.169.254"}, MaxBytes: 1, Timeout: time.Second}), "https://169.254.169.254/latest/meta-data"},
		"not a URL":                  {strict, "::"},
		"a port other than 443":      {strict, "https://storage.vapi.ai:8443/a.wav"},
	} {
		_, err := c.f.Copy(context.Background(), c.url, rw.bucket, "k")
		var perm *PermanentError
		if !errors.As(err, &perm) {
			t.Errorf("%s: got %v, want a permanent refusal", name, err)
		}
	}
	if rw.hits.Load() != 0 {
		t.Errorf("the fake server was reached %d times", rw.hits.Load())
	}
	// A redirect from an allowed host to a forbidden one is refused too.
	rw.serve(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/x.wav", http.StatusFound)
	})
	redirecting := NewFetcher(FetchConfig{AllowedHosts: []string{"127.0.0.1"}, AllowPrivate: true, MaxBytes: 1 << 20, Timeout: time.Second})
	if _, err := redirecting.Copy(context.Background(), rw.server.URL+"/a.wav", rw.bucket, "k"); err == nil {
		t.Error("followed a redirect off the allow-list")
	}
}

// A worker killed mid-download leaves its job running; River rescues it,
// and the retry stores exactly one object.
func TestKilledDownloadIsRescued(t *testing.T) {
	t.Parallel()
	rw := setupRecordings(t)
	client, err := New(rw.cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	call := rw.pendingCall(t, client, rw.server.URL+"/rec.wav")
	// What a worker killed during the download leaves behind.
	if err := rw.db.Admin.Exec(context.Background(), `UPDATE river_job SET state = 'running', attempt = 1,
		attempted_at = now() - interval '1 hour', attempted_by = ARRAY['killed-worker']`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(context.Background())
	testkit.Eventually(t, 20*time.Second, func() bool { return rw.state(t, rw.w.A.ID, call).RecordingStatus == "stored" })
	if objs := rw.objects(t); len(objs) != 1 {
		t.Fatalf("objects %v, want exactly one", objs)
	}
	var attempts int
	var state string
	conn, err := pgx.Connect(context.Background(), rw.db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	testkit.Eventually(t, 10*time.Second, func() bool {
		_ = conn.QueryRow(context.Background(), "SELECT attempt, state FROM river_job WHERE kind = 'recording_download'").Scan(&attempts, &state)
		return state == "completed"
	})
	if attempts != 2 {
		t.Fatalf("job finished on attempt %d, want 2 (rescued once)", attempts)
	}
}
