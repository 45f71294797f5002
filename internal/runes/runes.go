// Package runes cuts text by characters, as the packages that store it do.
package runes

// Clip is s cut to at most n characters (runes, never bytes: a cut never
// splits a character).
func Clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
