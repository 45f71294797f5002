package web_test

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The stylesheet's text colours read at WCAG AA (4.5:1) on the
// backgrounds they are used on, and focus is always visible.
func TestStylesheetContrastAndFocus(t *testing.T) {
	t.Parallel()
	css, err := os.ReadFile("ui/static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	colours := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		colours[m[1]] = m[2]
	}
	for _, pair := range [][2]string{
		{"ink", "paper"}, {"ink", "wash"}, {"muted", "paper"}, {"muted", "wash"}, {"accent", "paper"}, {"accent", "wash"},
		{"accent-ink", "accent"}, {"bad", "bad-wash"}, {"good", "good-wash"}, {"bad", "paper"},
	} {
		fg, bg := colours[pair[0]], colours[pair[1]]
		if fg == "" || bg == "" {
			t.Errorf("the stylesheet defines no --%s or --%s", pair[0], pair[1])
			continue
		}
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("--%s on --%s: %.2f:1, below 4.5:1", pair[0], pair[1], r)
		}
	}
	if !strings.Contains(string(css), ":focus-visible") || !strings.Contains(string(css), "outline: 3px solid var(--focus)") {
		t.Error("no visible focus style")
	}
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var ch [3]float64
	for i := range ch {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			ch[i] = c / 12.92
		} else {
			ch[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}
