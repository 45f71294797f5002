package testkit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// Every test binary's logs, at every level, kept so that, when its tests
// pass, Main can check that no secret, token, transcript or patient's
// name a test marked Sensitive was ever logged.

var logs struct {
	sync.Mutex
	buf       bytes.Buffer
	sensitive map[string]bool
}

type logSink struct{}

func (logSink) Write(p []byte) (int, error) {
	logs.Lock()
	defer logs.Unlock()
	return logs.buf.Write(p)
}

// Logger is a logger at the debug level whose lines Main checks for
// sensitive values.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(logSink{}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// LogWriter is where a process under test writes its log (a command's
// standard error), checked like Logger's.
func LogWriter() io.Writer { return logSink{} }

// Sensitive marks values that must never appear in a log: secrets,
// tokens, passwords, transcripts, patients' names. Values shorter than 8
// characters are too common to check and are ignored.
func Sensitive(values ...string) {
	logs.Lock()
	defer logs.Unlock()
	if logs.sensitive == nil {
		logs.sensitive = map[string]bool{}
	}
	for _, v := range values {
		if len(v) >= 8 {
			logs.sensitive[v] = true
		}
	}
}

// leaks lists the log lines that hold a sensitive value.
func leaks() []string {
	logs.Lock()
	defer logs.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(logs.buf.Bytes()))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		for v := range logs.sensitive {
			if strings.Contains(line, v) {
				out = append(out, fmt.Sprintf("%q in: %.300s", v, line))
			}
		}
	}
	return out
}

// checkLogs fails a passing run whose logs hold a sensitive value.
func checkLogs(code int) int {
	if code != 0 {
		return code
	}
	found := leaks()
	if len(found) == 0 {
		logs.Lock()
		n, lines := len(logs.sensitive), bytes.Count(logs.buf.Bytes(), []byte("\n"))
		logs.Unlock()
		if testingVerbose() {
			fmt.Printf("testkit: %d log lines checked for %d sensitive values: none found\n", lines, n)
		}
		return 0
	}
	fmt.Println("testkit: sensitive values were logged:")
	for i, f := range found {
		if i == 20 {
			fmt.Printf("... and %d more\n", len(found)-20)
			break
		}
		fmt.Println("  " + f)
	}
	return 1
}
