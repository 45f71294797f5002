package web

import (
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/calls"
)

// A calls row written in Go escapes every value a caller or provider can
// choose, in text and in attributes.
func TestCallRowEscapesEverything(t *testing.T) {
	evil := `<script>alert(1)</script>"' onmouseover="x`
	outcome := evil
	row := string(rowOf(calls.Call{ID: frontdesk.NewCallID(), StartedAt: time.Now(), CallerName: evil, FromNumber: evil,
		Status: evil, Outcome: &outcome, RecordingStatus: evil, Booked: true, OpenCallback: true}).HTML())
	for _, bad := range []string{"<script", `" onmouseover`, `' onmouseover`} {
		if strings.Contains(row, bad) {
			t.Errorf("row holds %q unescaped:\n%s", bad, row)
		}
	}
	if strings.Count(row, "&lt;script&gt;") != 6 || !strings.Contains(row, "booking made") || !strings.Contains(row, "call back") {
		t.Errorf("row:\n%s", row)
	}
}
