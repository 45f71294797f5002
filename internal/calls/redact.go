package calls

import (
	"regexp"
	"strings"
)

// Redaction of identifiers a caller may say that the clinic does not want
// kept: payment card numbers (13 to 19 digits, spaced or not, that pass
// the Luhn check) and US social security numbers (3-2-4 digits, or nine
// digits said right after "social" or "SSN"). Each becomes a marker.

var (
	cardRun   = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)
	ssnGroups = regexp.MustCompile(`\b(\d{3})[- ](\d{2})[- ](\d{4})\b`)
	ssnSaid   = regexp.MustCompile(`(?i)\b(?:social(?: security)?(?: number)?|ssn)\b[^0-9]{0,20}(\d{9})\b`)
)

// Redact returns text with card numbers and social security numbers
// replaced, and how many it replaced.
func Redact(text string) (string, int) {
	n := 0
	text = cardRun.ReplaceAllStringFunc(text, func(run string) string {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, run)
		if len(digits) < 13 || len(digits) > 19 || !luhn(digits) {
			return run
		}
		n++
		return "[card number]"
	})
	text = ssnGroups.ReplaceAllStringFunc(text, func(s string) string {
		m := ssnGroups.FindStringSubmatch(s)
		if !ssn(m[1], m[2], m[3]) {
			return s
		}
		n++
		return "[SSN]"
	})
	text = ssnSaid.ReplaceAllStringFunc(text, func(s string) string {
		m := ssnSaid.FindStringSubmatch(s)
		d := m[1]
		if !ssn(d[:3], d[3:5], d[5:]) {
			return s
		}
		n++
		return strings.TrimSuffix(s, d) + "[SSN]"
	})
	return text, n
}

// luhn reports whether digits pass the Luhn check.
func luhn(digits string) bool {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// ssn reports whether the groups can be a social security number: no
// area 000, 666 or 9xx, no group 00, no serial 0000.
func ssn(area, group, serial string) bool {
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}
