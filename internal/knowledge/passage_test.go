package knowledge

import (
	"strings"
	"testing"
)

// Passages read to callers start and end at sentence boundaries: never
// "Street parking is metered until", never a sentence missing its first
// word.
func TestPassageKeepsSentencesWhole(t *testing.T) {
	t.Parallel()
	body := "Welcome to Northside Dental. Street parking is metered until 6 PM on weekdays, and free on Sundays. " +
		"The lot behind the building has 20 spaces and opens at 7:30 a.m. daily. Dr. Patel sees children on Tuesdays.\n" +
		"We accept Delta, Cigna and most other dental insurance plans! Ask us about payment plans?"
	cases := []struct{ question, starts string }{
		{"is street parking free on sundays", "Street parking is metered until 6 PM on weekdays, and free on Sundays."},
		{"when does the lot open", "The lot behind the building has 20 spaces and opens at 7:30 a.m. daily."},
		{"does the doctor see children", "Dr. Patel sees children on Tuesdays."},
		{"do you take cigna insurance", "We accept Delta, Cigna and most other dental insurance plans!"},
	}
	sentences := splitSentences(body)
	for _, c := range cases {
		got := passage(body, c.question)
		if !strings.HasPrefix(got, c.starts) {
			t.Errorf("%q: %q, want it to start %q", c.question, got, c.starts)
		}
		if !strings.ContainsAny(got[len(got)-1:], ".!?") {
			t.Errorf("%q: %q ends mid-sentence", c.question, got)
		}
		// Made of whole, consecutive sentences of the body.
		whole := false
		for i := range sentences {
			for j := i + 1; j <= len(sentences); j++ {
				if strings.Join(sentences[i:j], " ") == got {
					whole = true
				}
			}
		}
		if !whole {
			t.Errorf("%q: %q is not whole sentences of the body", c.question, got)
		}
		if len(strings.Fields(got)) > maxPassageWords {
			t.Errorf("%q: %d words", c.question, len(strings.Fields(got)))
		}
	}
	if n := len(sentences); n != 6 {
		t.Errorf("%d sentences: %q", n, sentences)
	}
	if got := passage("One long sentence without an end", "long"); got != "One long sentence without an end" {
		t.Errorf("no full stop: %q", got)
	}
}
