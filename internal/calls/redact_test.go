package calls

import "testing"

func TestRedact(t *testing.T) {
	for _, c := range []struct {
		in, want string
		n        int
	}{
		{"my card is 4111 1111 1111 1111 expiring", "my card is [card number] expiring", 1},
		{"card 4111-1111-1111-1111 and 5500005555555559", "card [card number] and [card number]", 2},
		{"order 4111 1111 1111 1112 please", "order 4111 1111 1111 1112 please", 0}, // fails Luhn
		{"social is 123-45-6789 ok", "social is [SSN] ok", 1},
		{"it's 123 45 6789", "it's [SSN]", 1},
		{"my social security number is 123456789.", "my social security number is [SSN].", 1},
		{"ssn: 078051120", "ssn: [SSN]", 1},
		{"call me at 512 555 0123", "call me at 512 555 0123", 0},
		{"room 666-12-3456 and 900-12-3456", "room 666-12-3456 and 900-12-3456", 0}, // not SSNs
		{"booking 123456789 confirmed", "booking 123456789 confirmed", 0},           // nine digits, not said as a social
		{"+15125550123", "+15125550123", 0},
	} {
		got, n := Redact(c.in)
		if got != c.want || n != c.n {
			t.Errorf("Redact(%q) = %q, %d; want %q, %d", c.in, got, n, c.want, c.n)
		}
	}
}
