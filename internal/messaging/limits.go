package messaging

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Limits on what a clinic's number texts, so that a caller cannot turn it
// into a relay: the agent texts only the caller's own number, only to the
// clinic's countries, at most perCall texts for one call and perNumberPerDay
// to one number.
const (
	perCall         = 3
	perNumberPerDay = 5
	maxNameInText   = 60
)

// refusal says why a text about booking b to b's patient must not be sent,
// or "" when it may.
func refusal(ctx context.Context, tx *postgres.Tx, b db.GetBookingRow, allowed []string) (string, error) {
	org := tx.Org
	if b.Source == "agent" {
		if b.CallID == (frontdesk.CallID{}) {
			return "booked by the agent without a call", nil
		}
		c, err := tx.GetCall(ctx, db.GetCallParams{OrgID: org.ID, ID: b.CallID})
		if err != nil {
			return "", err
		}
		caller := c.FromNumber
		if c.Direction == "outbound" {
			caller = c.ToNumber
		}
		if caller != b.PatientPhone {
			return "the agent booked for a number other than the caller's: texts go only to the caller's own number", nil
		}
		n, err := tx.TextsOnCall(ctx, db.TextsOnCallParams{OrgID: org.ID, CallID: b.CallID})
		if err != nil {
			return "", err
		}
		if n >= perCall {
			return "this call has had its texts already (at most 3 a call)", nil
		}
	}
	return numberRefusal(ctx, tx, b.PatientPhone, allowed)
}

// numberRefusal says why no text may go to the number now (its country,
// its texts of the last day), or "" when one may.
func numberRefusal(ctx context.Context, tx *postgres.Tx, to string, allowed []string) (string, error) {
	org := tx.Org
	if len(allowed) == 0 {
		allowed = []string{org.Country}
	}
	region := ""
	if num, err := phonenumbers.Parse(to, org.Country); err == nil {
		region = phonenumbers.GetRegionCodeForNumber(num)
	}
	if !contains(allowed, region) {
		return "the clinic does not text numbers in " + orUnknown(region), nil
	}
	n, err := tx.TextsToNumberSince(ctx, db.TextsToNumberSinceParams{OrgID: org.ID, ToNumber: to, Since: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		return "", err
	}
	if n >= perNumberPerDay {
		return "this number has had 5 texts in the last day", nil
	}
	return "", nil
}

// Countries validates a clinic's texting countries (ISO 3166 regions).
func Countries(in []string) ([]string, error) {
	if in == nil {
		return nil, nil
	}
	if len(in) == 0 || len(in) > 50 {
		return nil, frontdesk.Invalid("allowed_countries", "one to 50 country codes, e.g. [\"US\", \"CA\"]; leave it out for the clinic's own")
	}
	supported := phonenumbers.GetSupportedRegions()
	out := make([]string, 0, len(in))
	for _, c := range in {
		c = strings.ToUpper(strings.TrimSpace(c))
		if _, ok := supported[c]; !ok {
			return nil, frontdesk.Invalid("allowed_countries", "%q is not a country code (ISO 3166, e.g. US)", clipName(c, 8))
		}
		if !contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

var link = regexp.MustCompile(`(?i)(https?://|www\.)\S*|\S+\.(com|net|org|info|io|co|xyz|ly|me|biz|us|uk|app|link|click|top)\b\S*`)

// cleanName is a patient-given name as it may appear in a text: no links,
// no control characters, at most 60 characters.
func cleanName(s string) string {
	s = link.ReplaceAllString(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	return clipName(strings.Join(strings.Fields(s), " "), maxNameInText)
}

func clipName(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n]))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func orUnknown(region string) string {
	if region == "" {
		return "an unknown country"
	}
	return region
}
