// Package pgcluster runs a private PostgreSQL cluster for development and
// tests: it finds (or, as root, installs) the server binaries, initialises a
// data directory, and runs the server as a child process that listens on a
// Unix socket inside the cluster directory and on a free localhost port.
//
// PostgreSQL refuses to run as root, so when the current user is root the
// cluster runs as the "postgres" OS user, in a directory that user can reach.
package pgcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Superuser is the cluster's bootstrap superuser.
const Superuser = "postgres"

// Options tunes a cluster.
type Options struct {
	// Ephemeral trades durability for speed (fsync off): for test clusters
	// that are thrown away.
	Ephemeral bool
	// Log receives the server's output; nil means a file in the cluster dir.
	LogPath string
}

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	// Dir is the data directory.
	Dir string
	// SocketDir holds the Unix socket.
	SocketDir string
	// Port is the TCP port on 127.0.0.1 (also the socket's number).
	Port int

	cmd  *exec.Cmd
	done chan error
}

// Start initialises dir if it holds no cluster yet, then starts the server
// and waits until it accepts connections. If another process already runs
// the cluster in dir, Start returns it (and Stop leaves it running). The returned path is the data
// directory actually used: dir itself, or, when running as root and dir is
// out of the postgres user's reach, a stable directory under /var/tmp
// derived from dir.
func Start(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	runAs, err := serverUser()
	if err != nil {
		return nil, err
	}
	if runAs != nil {
		dir, err = reachableDir(dir, runAs)
		if err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}

	if c := running(dir); c != nil {
		return c, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		out, err := run(ctx, runAs, filepath.Join(bin, "initdb"), "-D", dir, "-U", Superuser,
			"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions")
		if err != nil {
			return nil, fmt.Errorf("initdb: %v: %s", err, lastLines(out, 5))
		}
	}

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	sock := dir
	// A Unix socket path is limited to 107 bytes.
	if len(filepath.Join(sock, ".s.PGSQL.00000")) > 100 {
		sock = filepath.Join(os.TempDir(), "frontdesk-pg-"+shortHash(dir))
		if err := os.MkdirAll(sock, 0o700); err != nil {
			return nil, err
		}
		if err := chown(sock, runAs); err != nil {
			return nil, err
		}
	}
	logPath := opts.LogPath
	if logPath == "" {
		logPath = filepath.Join(dir, "server.log")
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open server log: %w", err)
	}
	defer logFile.Close()

	args := []string{"-D", dir, "-k", sock, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=200", "-c", "shared_buffers=256MB"}
	if opts.Ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	asUser(cmd, runAs)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{Dir: dir, SocketDir: sock, Port: port, cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()

	if err := c.waitReady(ctx, filepath.Join(bin, "pg_isready"), runAs); err != nil {
		c.Stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w; server log: %s", err, lastLines(log, 5))
	}
	return c, nil
}

func (c *Cluster) waitReady(ctx context.Context, isready string, runAs *user.User) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-c.done:
			c.done <- err
			return fmt.Errorf("postgres exited during start: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := run(ctx, runAs, isready, "-q", "-h", c.SocketDir, "-p", strconv.Itoa(c.Port), "-U", Superuser); err == nil {
			return nil
		}
	}
	return errors.New("postgres did not accept connections within 60s")
}

// URL is a connection URL over the Unix socket for role on database db
// (local connections are trusted: only users who can reach the socket
// directory can connect).
func (c *Cluster) URL(role, db string) string {
	return fmt.Sprintf("postgres:///%s?host=%s&port=%d&user=%s&sslmode=disable", db, c.SocketDir, c.Port, role)
}

// Stop shuts the server down (fast mode: active sessions are rolled back)
// and waits for it to exit. A cluster this process did not start (see
// Start) is left running.
func (c *Cluster) Stop() {
	if c == nil || c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-c.done:
		c.done <- err
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
	}
}

// findBinaries returns the directory holding initdb and postgres: on PATH,
// else the newest /usr/lib/postgresql/*/bin, else (as root) after installing
// Debian's postgresql package.
func findBinaries() (string, error) {
	if dir, ok := lookBinaries(); ok {
		return dir, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found: install them (Debian/Ubuntu: sudo apt-get install postgresql) or set FRONTDESK_DATABASE_URL")
	}
	fmt.Fprintln(os.Stderr, "PostgreSQL server binaries not found; installing Debian's postgresql package ...")
	install := exec.Command("sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql")
	if out, err := install.CombinedOutput(); err != nil {
		return "", fmt.Errorf("installing postgresql failed (%v): %s", err, lastLines(out, 3))
	}
	if dir, ok := lookBinaries(); ok {
		return dir, nil
	}
	return "", errors.New("postgresql was installed but initdb is still not found under /usr/lib/postgresql/*/bin")
}

func lookBinaries() (string, bool) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, true
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, true
		}
	}
	return "", false
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// serverUser is the OS user the server must run as: nil for the current
// user, or the postgres user when running as root.
func serverUser() (*user.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root, PostgreSQL must run as the 'postgres' OS user, which does not exist (install Debian's postgresql package, or run as a normal user)")
	}
	return u, nil
}

// reachableDir makes dir (owned by the postgres user) and checks that user
// can reach it; if a parent folder is closed to it, it uses a stable
// directory under /var/tmp instead.
func reachableDir(dir string, u *user.User) (string, error) {
	try := func(d string) error {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if err := chown(d, u); err != nil {
			return err
		}
		_, err := run(context.Background(), u, "/bin/sh", "-c", `test -r "$0" && test -w "$0" && test -x "$0"`, d)
		return err
	}
	if try(dir) == nil {
		return dir, nil
	}
	alt := filepath.Join("/var/tmp", "frontdesk-pg-"+shortHash(dir))
	if err := try(alt); err != nil {
		return "", fmt.Errorf("no directory the postgres user can use: %s and %s are out of its reach", dir, alt)
	}
	return alt, nil
}

func chown(path string, u *user.User) error {
	if u == nil {
		return nil
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

func asUser(cmd *exec.Cmd, u *user.User) {
	if u == nil {
		return
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	cmd.Env = append(os.Environ(), "HOME="+u.HomeDir, "USER="+u.Username)
	cmd.Dir = "/"
}

func run(ctx context.Context, u *user.User, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	asUser(cmd, u)
	return cmd.CombinedOutput()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// running returns the cluster already serving dir (another frontdesk
// process started it), or nil.
func running(dir string) *Cluster {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 {
		return nil
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, err2 := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err1 != nil || err2 != nil || syscall.Kill(pid, 0) != nil {
		return nil
	}
	return &Cluster{Dir: dir, SocketDir: strings.TrimSpace(lines[4]), Port: port}
}

// Remove deletes the cluster kept for dir, and the /var/tmp directory Start
// uses instead when dir is out of the postgres user's reach. It refuses
// while a server runs in either.
func Remove(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	dirs := []string{dir, filepath.Join("/var/tmp", "frontdesk-pg-"+shortHash(dir))}
	for _, d := range dirs {
		if running(d) != nil {
			return fmt.Errorf("a PostgreSQL server is running in %s: stop `frontdesk dev` (Ctrl-C) first", d)
		}
	}
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("remove %s: %w", d, err)
		}
	}
	return nil
}
