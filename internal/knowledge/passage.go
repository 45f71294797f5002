package knowledge

import (
	"strings"
	"unicode"
)

// maxPassageWords is about what a receptionist reads out in one breath.
const maxPassageWords = 40

// Passage is what to read to a caller from body for question: whole
// sentences, starting with the one that shares the most words with the
// question, followed by the next ones while they fit in about 40 words. It
// never starts or ends mid-sentence (a single sentence longer than that is
// kept whole).
func passage(body, question string) string {
	sentences := splitSentences(body)
	if len(sentences) == 0 {
		return ""
	}
	terms := words(question)
	best, bestScore := 0, -1
	for i, s := range sentences {
		// The sentence that shares the most of the question's words.
		score := 0
		ws := words(s)
		for _, t := range terms {
			for _, w := range ws {
				if stemEqual(w, t) {
					score++
					break
				}
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	out := sentences[best]
	n := len(strings.Fields(out))
	for _, s := range sentences[best+1:] {
		m := len(strings.Fields(s))
		if n+m > maxPassageWords {
			break
		}
		out += " " + s
		n += m
	}
	return out
}

// splitSentences cuts text after ".", "!" or "?" followed by a space (or
// the end), and at line breaks; "Dr. Smith" and "8 a.m. daily" stay whole
// when the next word starts in lower case or is a title's name.
func splitSentences(text string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.Join(strings.Fields(cur.String()), " "); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	rs := []rune(text)
	for i, r := range rs {
		if r == '\n' {
			flush()
			continue
		}
		cur.WriteRune(r)
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		// An end of sentence: followed by space (or the end), then an
		// upper-case letter or a digit, and not a short abbreviation.
		j := i + 1
		for j < len(rs) && (rs[j] == '"' || rs[j] == '\'' || rs[j] == ')') {
			j++
		}
		if j < len(rs) && !unicode.IsSpace(rs[j]) {
			continue
		}
		k := j
		for k < len(rs) && unicode.IsSpace(rs[k]) {
			k++
		}
		if k < len(rs) && unicode.IsLower(rs[k]) {
			continue
		}
		if r == '.' && abbreviation(cur.String()) {
			continue
		}
		flush()
	}
	flush()
	return out
}

func abbreviation(s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 {
		return false
	}
	switch strings.ToLower(strings.TrimSuffix(f[len(f)-1], ".")) {
	case "dr", "mr", "mrs", "ms", "st", "ave", "rd", "no", "vs", "etc", "e.g", "i.e", "approx", "prof":
		return true
	}
	return false
}

// words are a text's lower-case words of three letters or more, without
// the ones every question has.
func words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len([]rune(w)) >= 3 && !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the and are you your yours does did what when where which who whom how can could would should
		for with this that these those have has had from our ours about there their any please tell know want
		will was were been being into onto out not but all also just its it's than then them they she his her
		him may might must shall some such very too here why use used do`) {
		stopWords[w] = true
	}
}

// stemEqual matches words that share their first five letters (or are
// equal): "parking" and "park", "insurance" and "insured".
func stemEqual(a, b string) bool {
	if a == b {
		return true
	}
	n := 5
	if len(a) < n || len(b) < n {
		n = min(len(a), len(b))
		if n < 4 {
			return false
		}
	}
	return a[:n] == b[:n]
}
