package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"gocloud.dev/blob"

	"frontdesk"
	"frontdesk/internal/jobs"
	"frontdesk/internal/testkit"
)

// storeRecording gives call a stored recording, as the download job would.
func (b *bundle) storeRecording(t *testing.T, org frontdesk.OrgID, call frontdesk.CallID, audio []byte) {
	t.Helper()
	ctx := context.Background()
	key := jobs.RecordingKey(org, call)
	if err := b.bucket.WriteAll(ctx, key, audio, &blob.WriterOptions{ContentType: "audio/wav"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.owner(t).Exec(ctx, `UPDATE call_logs SET recording_status = 'stored', recording_key = $1,
		recording_size = $2 WHERE org_id = $3 AND id = $4`, key, len(audio), org, call); err != nil {
		t.Fatal(err)
	}
}

func TestRecordingStreamsWithRanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	audio := append([]byte("RIFF\x00\x00\x00\x00WAVE"), bytes.Repeat([]byte("0123456789"), 1000)...)
	call := b.w.A.Calls[0].ID
	b.storeRecording(t, b.w.A.ID, call, audio)
	tokA, tokB := b.token(t, b.w.A.Staff, frontdesk.OrgID{}), b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	path := "/api/calls-dashboard/" + call.String() + "/recording"

	get := func(token string, headers ...string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	res, body := get(tokA)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "audio/wav" || !bytes.Equal(body, audio) ||
		res.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("full: %d %q %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	res, body = get(tokA, "Range", "bytes=12-21")
	if res.StatusCode != http.StatusPartialContent || string(body) != "0123456789" ||
		res.Header.Get("Content-Range") != "bytes 12-21/10012" {
		t.Fatalf("range: %d %q %q", res.StatusCode, res.Header.Get("Content-Range"), body)
	}
	// Clinic B: the same 404 as a call that does not exist.
	_, cross := get(tokB)
	res, _ = get(tokB)
	random := b.get(t, "/api/calls-dashboard/"+frontdesk.NewCallID().String()+"/recording", tokB)
	if res.StatusCode != 404 || !bytes.Equal(cross, random.body) {
		t.Fatalf("clinic B: %d %s vs %s", res.StatusCode, cross, random.body)
	}
	// A call of its own without a recording.
	if r := b.get(t, "/api/calls-dashboard/"+b.w.A.Calls[1].ID.String()+"/recording", tokA); r.status != 404 ||
		!bytes.Contains(r.body, []byte("recording_not_stored")) {
		t.Fatalf("no recording: %d %s", r.status, r.body)
	}
	// The detail says where to play it.
	if r := b.get(t, "/api/calls-dashboard/"+call.String(), tokA); !bytes.Contains(r.body, []byte(`"url":"`+path+`"`)) {
		t.Fatalf("detail: %s", r.body)
	}
}

func TestRecordingRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	db := b.owner(t)
	failed, stored := b.w.A.Calls[0].ID, b.w.A.Calls[1].ID
	if _, err := db.Exec(context.Background(), `UPDATE call_logs SET recording_status = 'failed',
		recording_url = 'https://storage.vapi.ai/x.wav', recording_error = 'attempt 3 of 3: recording server answered 503'
		WHERE id = $1`, failed); err != nil {
		t.Fatal(err)
	}
	b.storeRecording(t, b.w.A.ID, stored, []byte("RIFF\x00\x00\x00\x00WAVE"))
	retry := func(call frontdesk.CallID, token string) response {
		return b.request(t, http.MethodPost, "/api/calls-dashboard/"+call.String()+"/recording/retry", token, nil)
	}
	staffA, ownerA, ownerB := b.token(t, b.w.A.Staff, frontdesk.OrgID{}), b.token(t, b.w.A.Owner, frontdesk.OrgID{}), b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	// The failure and its reason are visible in the call detail.
	if r := b.get(t, "/api/calls-dashboard/"+failed.String(), staffA); !bytes.Contains(r.body, []byte(`"status":"failed","error":"attempt 3 of 3`)) {
		t.Fatalf("detail: %s", r.body)
	}
	if r := retry(failed, staffA); r.status != 403 {
		t.Fatalf("staff retry: %d", r.status)
	}
	if r := retry(failed, ownerB); r.status != 404 {
		t.Fatalf("other clinic's retry: %d", r.status)
	}
	if r := retry(stored, ownerA); r.status != 409 {
		t.Fatalf("retry of a stored recording: %d", r.status)
	}
	if r := retry(failed, ownerA); r.status != 202 {
		t.Fatalf("owner retry: %d %s", r.status, r.body)
	}
	if n := count(t, db, "SELECT count(*) FROM river_job WHERE kind = 'recording_download' AND args->>'call_id' = $1", failed.String()); n != 1 {
		t.Fatalf("%d jobs after retry", n)
	}
	if r := retry(failed, ownerA); r.status != 409 {
		t.Fatalf("second retry while pending: %d", r.status)
	}
}

// From Vapi's report to a playable recording: the webhook enqueues the
// download in its transaction, a worker stores the file, staff stream it.
func TestRecordingEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t)
	secret := voiceSetup(t, b, b.w.A, numberA)
	audio := append([]byte("RIFF\x00\x00\x00\x00WAVE"), bytes.Repeat([]byte("fmt data"), 2048)...)
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(audio)
	}))
	defer provider.Close()
	worker, err := jobs.New(jobs.Config{Store: b.db.Store, Bucket: b.bucket, Log: b.log,
		Fetch: jobs.FetchConfig{AllowedHosts: []string{"127.0.0.1"}, AllowPrivate: true, MaxBytes: 1 << 20, Timeout: 5 * time.Second}}, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer worker.Stop(context.Background())

	report := bytes.ReplaceAll(fixture(t, "end-of-call-report.json"), []byte("https://storage.vapi.ai/7d1f3c2a-mono.wav"),
		[]byte(provider.URL+"/7d1f3c2a-mono.wav"))
	if res := b.deliver(t, report, secret); res.status != 200 {
		t.Fatalf("report: %d %s", res.status, res.body)
	}
	tok := b.token(t, b.w.A.Staff, frontdesk.OrgID{})
	var list struct {
		Calls []struct{ ID frontdesk.CallID }
	}
	b.get(t, "/api/calls-dashboard?q=%2B15125550123", tok).json(t, &list)
	if len(list.Calls) != 1 {
		t.Fatalf("calls %+v", list)
	}
	path := "/api/calls-dashboard/" + list.Calls[0].ID.String() + "/recording"
	var res response
	testkit.Eventually(t, 15*time.Second, func() bool { res = b.get(t, path, tok); return res.status == 200 })
	if !bytes.Equal(res.body, audio) {
		t.Fatalf("streamed %d bytes, want %d", len(res.body), len(audio))
	}
}

func TestRecordingSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ownerA, staffA, ownerB := b.token(t, b.w.A.Owner, frontdesk.OrgID{}), b.token(t, b.w.A.Staff, frontdesk.OrgID{}), b.token(t, b.w.B.Owner, frontdesk.OrgID{})
	if r := b.request(t, http.MethodPut, "/api/settings/recordings", staffA, map[string]any{"retention_days": 30}); r.status != 403 {
		t.Fatalf("staff: %d", r.status)
	}
	if r := b.request(t, http.MethodPut, "/api/settings/recordings", ownerA, map[string]any{"retention_days": 0}); r.status != 422 {
		t.Fatalf("0 days: %d", r.status)
	}
	if r := b.request(t, http.MethodPut, "/api/settings/recordings", ownerA, map[string]any{"retention_days": 90}); r.status != 200 {
		t.Fatalf("owner: %d %s", r.status, r.body)
	}
	if r := b.get(t, "/api/settings/recordings", staffA); string(r.body) != "{\"retention_days\":90}\n" {
		t.Fatalf("A reads %s", r.body)
	}
	if r := b.get(t, "/api/settings/recordings", ownerB); string(r.body) != "{\"retention_days\":null}\n" {
		t.Fatalf("B reads %s", r.body)
	}
}

// A stored object that is not audio (an HTML page stored as audio/wav
// before the bytes were checked) is not served.
func TestRecordingThatIsNotAudioIsNotServed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	call := b.w.A.Calls[0].ID
	b.storeRecording(t, b.w.A.ID, call, []byte("<html><script>alert(1)</script></html>"))
	r := b.get(t, "/api/calls-dashboard/"+call.String()+"/recording", b.token(t, b.w.A.Staff, frontdesk.OrgID{}))
	if r.status != 404 || bytes.Contains(r.body, []byte("script")) || !bytes.Contains(r.body, []byte("recording_not_stored")) {
		t.Fatalf("HTML stored as audio: %d %s", r.status, r.body)
	}
}
