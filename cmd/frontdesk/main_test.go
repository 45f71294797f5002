package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"frontdesk"
	"frontdesk/internal/app"
	"frontdesk/internal/demo"
	"frontdesk/internal/postgres"
	"frontdesk/internal/secrets"
	"frontdesk/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

// Mistakes are one clear line on stderr and a non-zero exit.
func TestCommandErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args    []string
		want    string
		oneLine bool // false where usage follows the error
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, false},
		{[]string{"serve"}, "frontdesk serve: set FRONTDESK_DATABASE_URL", true},
		{[]string{"org", "create", "--name", "X", "--timezone", "Europe/Paris", "--migrate-database-url", "postgres://127.0.0.1:1/x"}, "frontdesk org create: connect as owner", true},
		{[]string{"token", "--user", "a@b.c", "--bogus"}, "flag provided but not defined: -bogus", false},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, nil, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want non-zero and %q", c.args, code, stderr, c.want)
		}
		if c.oneLine && strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: more than one line: %q", c.args, stderr)
		}
	}
	if code, _, stderr := runCmd(t, nil, "migrate", "--help"); code != 0 || !strings.Contains(stderr, "usage: frontdesk migrate") {
		t.Errorf("migrate --help: exit %d, %q", code, stderr)
	}
}

// frontdesk dev against a given database: migrates, loads the demo, serves,
// writes demo.json with working tokens, and stops on cancel.
func TestDevServesTheDemo(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	dir := t.TempDir()
	env := map[string]string{
		"FRONTDESK_DATABASE_URL":         d.AppURL,
		"FRONTDESK_MIGRATE_DATABASE_URL": d.OwnerURL,
		"FRONTDESK_DATA_DIR":             dir,
		"FRONTDESK_ADDR":                 "127.0.0.1:0",
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"dev"}, func(k string) string { return env[k] }, &out, &errOut) }()

	factsPath := filepath.Join(dir, "demo.json")
	var facts demo.Facts
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(factsPath); err == nil && json.Unmarshal(b, &facts) == nil {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("dev exited %d: %s", code, errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no demo.json after 30s: %s", errOut.String())
		}
	}
	if len(facts.Orgs) != 2 || facts.Orgs[0].Name != "Northside Dental" || facts.Orgs[1].Name != "Harbor Physio" {
		t.Fatalf("demo clinics: %+v", facts.Orgs)
	}
	for _, o := range facts.Orgs {
		if len(o.CallIDs) != demo.CallsPerClinic || len(o.Users) != 3 {
			t.Fatalf("%s: %d calls, %d users", o.Name, len(o.CallIDs), len(o.Users))
		}
		req, _ := http.NewRequest(http.MethodGet, facts.BaseURL+"/api/calls-dashboard/"+o.CallIDs[0].String(), nil)
		req.Header.Set("Authorization", "Bearer "+o.Users[0].Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s's token on its own call: %d", o.Name, res.StatusCode)
		}
	}
	if !strings.Contains(out.String(), "curl -s -X POST "+facts.BaseURL+"/api/auth/login") {
		t.Errorf("banner lacks the login command:\n%s", out.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("dev exited %d on cancel: %s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("dev did not stop on cancel")
	}
}

// dev says clearly when its port is taken, and refuses a secret key that
// does not open the secrets already stored; --reset starts over.
func TestDevRefusesWhatWouldFailLater(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	env := map[string]string{
		"FRONTDESK_DATABASE_URL":         d.AppURL,
		"FRONTDESK_MIGRATE_DATABASE_URL": d.OwnerURL,
		"FRONTDESK_DATA_DIR":             t.TempDir(),
		"FRONTDESK_ADDR":                 taken.Addr().String(),
	}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"dev"}, getenv, &out, &errOut); code == 0 ||
		!strings.Contains(errOut.String(), "another `make run`") || strings.Contains(errOut.String(), "worker") {
		t.Fatalf("dev on a taken port: exit %d: %s", code, errOut.String())
	}

	// The first process seals the check with its key; a process with
	// another key refuses to start, with a sentence saying why.
	key := func() []byte {
		b := make([]byte, 32)
		rand.Read(b)
		return b
	}
	first, second := key(), key()
	store, err := postgres.Open(context.Background(), d.AppURL, postgres.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	boxA, _ := secrets.NewBox(first)
	for i := range 2 {
		if err := checkSecretKey(context.Background(), store, boxA, nil); err != nil {
			t.Fatalf("start %d with the first key: %v", i, err)
		}
	}
	env["FRONTDESK_ADDR"] = "127.0.0.1:0"
	env["FRONTDESK_BLOB_URL"] = "file://" + t.TempDir()
	env["FRONTDESK_SECRET_KEY"] = base64.StdEncoding.EncodeToString(second)
	errOut.Reset()
	if code := run(context.Background(), []string{"worker"}, getenv, &out, &errOut); code == 0 ||
		!strings.Contains(errOut.String(), "FRONTDESK_SECRET_KEY does not open") {
		t.Fatalf("worker with another key: exit %d: %s", code, errOut.String())
	}
}

// The operator's team commands: a user created without a password gets a
// one-time one (never an account that cannot sign in), passwords are set,
// users, clinics and members are listed and removed; command groups answer
// --help.
func TestTeamCommands(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	env := map[string]string{"FRONTDESK_DATABASE_URL": d.AppURL, "FRONTDESK_MIGRATE_DATABASE_URL": d.OwnerURL}
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	out := must("user", "create", "--email", "Temp@Clinic.test", "--name", "Temp")
	if !strings.Contains(out, "one-time password") {
		t.Fatalf("user create without --password: %q", out)
	}
	if out := must("user", "list"); !strings.Contains(out, "temp@clinic.test") || !strings.Contains(out, "one-time") ||
		!strings.Contains(out, "Alpha Dental (owner)") {
		t.Fatalf("user list: %s", out)
	}
	if out := must("user", "set-password", "--email", "temp@clinic.test", "--password", "a-long-password"); !strings.Contains(out, "password set") {
		t.Fatalf("user set-password: %q", out)
	}
	if code, _, errOut := runCmd(t, env, "user", "set-password", "--email", "nobody@x.test"); code == 0 || !strings.Contains(errOut, "no user") {
		t.Fatalf("set-password for nobody: %d %s", code, errOut)
	}
	if out := must("org", "list"); !strings.Contains(out, "Alpha Dental") || !strings.Contains(out, "Bravo Physio") {
		t.Fatalf("org list: %s", out)
	}
	if out := must("member", "list", "--org", w.A.ID.String()); !strings.Contains(out, w.A.Staff.Email) || strings.Contains(out, w.B.Staff.Email) {
		t.Fatalf("member list: %s", out)
	}
	must("member", "remove", "--org", w.A.ID.String(), "--user", w.A.Staff.Email)
	if out := must("member", "list", "--org", w.A.ID.String()); strings.Contains(out, w.A.Staff.Email) {
		t.Fatalf("after member remove: %s", out)
	}
	for _, group := range []string{"org", "user", "member", "login"} {
		if code, _, errOut := runCmd(t, env, group, "--help"); code != 0 || !strings.Contains(errOut, "frontdesk "+group+" <command>") {
			t.Errorf("%s --help: exit %d: %s", group, code, errOut)
		}
	}
}

// The operator's custody commands: an export of one patient, the access
// log naming the command, an erasure that a second run finds done.
func TestCustodyCommands(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	key := make([]byte, 32)
	rand.Read(key)
	dir := t.TempDir()
	env := map[string]string{"FRONTDESK_DATABASE_URL": d.AppURL, "FRONTDESK_MIGRATE_DATABASE_URL": d.OwnerURL,
		"FRONTDESK_SECRET_KEY": base64.StdEncoding.EncodeToString(key), "FRONTDESK_BLOB_URL": "file://" + filepath.Join(dir, "blobs")}
	os.MkdirAll(filepath.Join(dir, "blobs"), 0o700)
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	call := w.A.Calls[0]
	org := w.A.ID.String()
	zipPath := filepath.Join(dir, "patient.zip")
	must("patient", "export", "--org", org, "--phone", call.FromNumber, "--out", zipPath)
	body, err := os.ReadFile(zipPath)
	if err != nil || !bytes.HasPrefix(body, []byte("PK")) {
		t.Fatalf("the export: %v", err)
	}
	if code, _, errOut := runCmd(t, env, "patient", "export", "--org", org, "--phone", call.FromNumber, "--out", zipPath); code == 0 ||
		!strings.Contains(errOut, "exists") {
		t.Errorf("an export over an existing file: %d %s", code, errOut)
	}
	if out := must("access-log", "--org", org); !strings.Contains(out, "operator: frontdesk patient export") || !strings.Contains(out, "export") {
		t.Errorf("access-log: %s", out)
	}
	if code, _, errOut := runCmd(t, env, "patient", "erase", "--org", org, "--phone", call.FromNumber, "--confirm", "+15550001111"); code == 0 ||
		!strings.Contains(errOut, "confirm") {
		t.Errorf("an unconfirmed erasure: %d %s", code, errOut)
	}
	if out := must("patient", "erase", "--org", org, "--phone", call.FromNumber, "--confirm", call.FromNumber); !strings.Contains(out, "erased p:") ||
		!strings.Contains(out, "1 calls") {
		t.Errorf("erase: %s", out)
	}
	if out := must("patient", "erase", "--org", org, "--phone", call.FromNumber, "--confirm", call.FromNumber); !strings.Contains(out, "already erased") {
		t.Errorf("erase again: %s", out)
	}
}

// Retention: a dry run counts what is older than each clinic keeps, a run
// removes it (the access log never under six years), and the clinic
// without settings keeps everything.
func TestRetentionCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	key := make([]byte, 32)
	rand.Read(key)
	dir := t.TempDir()
	env := map[string]string{"FRONTDESK_DATABASE_URL": d.AppURL, "FRONTDESK_MIGRATE_DATABASE_URL": d.OwnerURL,
		"FRONTDESK_SECRET_KEY": base64.StdEncoding.EncodeToString(key), "FRONTDESK_BLOB_URL": "file://" + dir}
	owner, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := owner.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec("UPDATE organizations SET transcript_retention_days = 30, text_retention_days = 30 WHERE id = $1", w.A.ID)
	for _, org := range []frontdesk.OrgID{w.A.ID, w.B.ID} {
		exec(`INSERT INTO call_logs (org_id, direction, status, from_number, started_at, transcript, summary)
			VALUES ($1, 'inbound', 'ended', '+12125550177', now() - interval '60 days', 'User: an old story', 'old')`, org)
		exec(`INSERT INTO sms_inbound (org_id, message_sid, from_number, body, action, received_at)
			VALUES ($1::uuid, 'SM-old-' || $1::text, '+12125550177', 'an old text', 'message', now() - interval '60 days')`, org)
		exec(`INSERT INTO access_log (org_id, at, operator, via, what) VALUES ($1, now() - interval '7 years', 'test', 'cli', 'patient'),
			($1, now() - interval '1 year', 'test', 'cli', 'patient')`, org)
	}
	run := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	line := func(out string, org frontdesk.OrgID) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, org.String()) {
				return strings.TrimPrefix(l, org.String()+" ")
			}
		}
		return ""
	}
	var old int // the fixture's own calls older than 30 days, and ours
	owner.QueryRow(ctx, "SELECT count(*) FROM call_logs WHERE org_id = $1 AND started_at < now() - interval '30 days'", w.A.ID).Scan(&old)
	dry := run("retention", "--dry-run")
	if got := line(dry, w.A.ID); got != fmt.Sprintf("would remove 0 recordings, %d transcripts and summaries, 1 text bodies, 1 access-log rows", old) {
		t.Fatalf("dry run for A: %q", got)
	}
	if got := line(dry, w.B.ID); got != "would remove 0 recordings, 0 transcripts and summaries, 0 text bodies, 1 access-log rows" {
		t.Fatalf("dry run for B: %q", got)
	}
	if got := line(run("retention", "--org", w.A.ID.String()), w.A.ID); !strings.HasPrefix(got, fmt.Sprintf("removed 0 recordings, %d transcripts", old)) {
		t.Fatalf("run for A: %q", got)
	}
	var transcripts, texts, logRows int
	owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM call_logs WHERE org_id = $1 AND transcript LIKE '%old story%'),
		(SELECT count(*) FROM sms_inbound WHERE org_id = $1 AND body = 'an old text'), (SELECT count(*) FROM access_log WHERE org_id = $1)`,
		w.A.ID).Scan(&transcripts, &texts, &logRows)
	if transcripts != 0 || texts != 0 || logRows != 1 {
		t.Fatalf("after the sweep, A keeps %d old transcripts, %d old texts, %d access-log rows", transcripts, texts, logRows)
	}
	owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM call_logs WHERE org_id = $1 AND transcript LIKE '%old story%'), (SELECT count(*) FROM access_log WHERE org_id = $1)`,
		w.B.ID).Scan(&transcripts, &logRows)
	if transcripts != 1 || logRows != 2 {
		t.Fatalf("B was swept with A: %d transcripts, %d access-log rows", transcripts, logRows)
	}
	if got := line(run("retention", "--dry-run", "--org", w.A.ID.String()), w.A.ID); got != "would remove 0 recordings, 0 transcripts and summaries, 0 text bodies, 0 access-log rows" {
		t.Fatalf("a second dry run: %q", got)
	}
}

// Key rotation: with a new key added, the server still starts and opens
// everything; without the old key before rotation it refuses, naming the
// version; `keys rotate` re-seals every secret (in small batches) and
// says the old key can go; then the new key alone opens every secret,
// and the hashing key is the same as before.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	key := func() []byte {
		b := make([]byte, 32)
		rand.Read(b)
		return b
	}
	k1, k2 := key(), key()
	b64 := base64.StdEncoding.EncodeToString
	store, err := postgres.Open(ctx, d.AppURL, postgres.PoolConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	old, _ := secrets.NewBox(k1)
	if err := checkSecretKey(ctx, store, old, nil); err != nil {
		t.Fatal(err)
	}
	hashKey := old.MACKey()
	services := app.New(app.Config{Store: store, Secrets: old, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	var plain []string
	for _, c := range []testkit.Clinic{w.A, w.B, w.A} {
		rot, err := services.Voice.RotateSecret(ctx, c.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		plain = append(plain, rot.Secret)
	}
	onlyNew, _ := secrets.NewKeyring(map[byte][]byte{2: k2})
	if err := checkSecretKey(ctx, store, onlyNew, nil); err == nil || !strings.Contains(err.Error(), "key version 1") {
		t.Fatalf("starting without the old key before rotation: %v", err)
	}
	both, _ := secrets.NewKeyring(map[byte][]byte{1: k1, 2: k2})
	if err := checkSecretKey(ctx, store, both, nil); err != nil {
		t.Fatalf("starting with both keys: %v", err)
	}

	env := map[string]string{"FRONTDESK_DATABASE_URL": d.AppURL, "FRONTDESK_MIGRATE_DATABASE_URL": d.OwnerURL,
		"FRONTDESK_SECRET_KEYS": "2:" + b64(k2) + "\n1:" + b64(k1)}
	code, out, errOut := runCmd(t, env, "keys", "rotate", "--batch", "1")
	if code != 0 || !strings.Contains(out, "before: version 1: 5") || !strings.Contains(out, "after: version 2: 5") ||
		!strings.Contains(out, "voice secrets: 3 re-sealed") || !strings.Contains(out, "version [1] any more: it can be dropped") {
		t.Fatalf("keys rotate: %d\n%s%s", code, out, errOut)
	}
	onlyNew, _ = secrets.NewKeyring(map[byte][]byte{2: k2})
	if err := checkSecretKey(ctx, store, onlyNew, nil); err != nil {
		t.Fatalf("starting with the new key alone after rotation: %v", err)
	}
	if !bytes.Equal(onlyNew.MACKey(), hashKey) {
		t.Fatal("the hashing key changed with the rotation")
	}
	owner, err := pgx.Connect(ctx, d.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	rows, _ := owner.Query(ctx, "SELECT org_id, ciphertext FROM voice_secrets")
	opened := map[string]bool{}
	for rows.Next() {
		var org frontdesk.OrgID
		var sealed []byte
		rows.Scan(&org, &sealed)
		got, err := onlyNew.Open(sealed, org[:])
		if err != nil || secrets.Version(sealed) != 2 {
			t.Fatalf("a secret after rotation: version %d, %v", secrets.Version(sealed), err)
		}
		opened[string(got)] = true
	}
	rows.Close()
	for _, p := range plain {
		if !opened[p] {
			t.Errorf("secret %q did not survive the rotation", p[:6])
		}
	}
}

// The contacts commands: a dry run lists the rows it would refuse and
// changes nothing; the import; the export.
func TestContactsCommands(t *testing.T) {
	t.Parallel()
	d := testkit.NewDB(t)
	w := testkit.TwoClinics(t, d)
	key := make([]byte, 32)
	rand.Read(key)
	dir := t.TempDir()
	env := map[string]string{"FRONTDESK_DATABASE_URL": d.AppURL, "FRONTDESK_MIGRATE_DATABASE_URL": d.OwnerURL,
		"FRONTDESK_SECRET_KEY": base64.StdEncoding.EncodeToString(key), "FRONTDESK_BLOB_URL": "file://" + dir}
	file := filepath.Join(dir, "contacts.csv")
	os.WriteFile(file, []byte("First name,Last name,Phone\nAna,Ruiz,2125550131\nBo,Chan,12\n"), 0o600)
	org := w.A.ID.String()
	must := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	if out := must("contacts", "import", "--org", org, "--file", file, "--dry-run"); !strings.Contains(out, "row 3\tinvalid\t12") ||
		!strings.Contains(out, "2 rows (dry run, nothing changed): 1 invalid; 1 new;") {
		t.Fatalf("dry run: %s", out)
	}
	if out := must("contacts", "import", "--org", org, "--file", file); !strings.Contains(out, "2 rows (imported): 1 invalid; 1 new;") {
		t.Fatalf("import: %s", out)
	}
	out := filepath.Join(dir, "out.csv")
	must("contacts", "export", "--org", org, "--out", out)
	if body, _ := os.ReadFile(out); !bytes.Contains(body, []byte("+12125550131,Ana Ruiz")) {
		t.Fatalf("export: %s", body)
	}
}
