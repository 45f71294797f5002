package contacts

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/runes"
	"frontdesk/internal/tel"
)

// The CSV import: a header row names the columns, in any common spelling;
// each row is read, checked and (unless a dry run) applied a batch at a
// time, so a file of any length is never held in memory. Importing the
// same file again changes nothing.

// columns are the header spellings of each field, normalized (lower
// case, letters and digits only).
var columns = map[string][]string{
	"name":         {"name", "fullname", "patient", "patientname", "contact", "contactname"},
	"first":        {"firstname", "first", "givenname", "forename"},
	"last":         {"lastname", "last", "surname", "familyname"},
	"phone":        {"phone", "phonenumber", "mobile", "mobilenumber", "mobilephone", "cell", "cellphone", "telephone", "tel", "number"},
	"email":        {"email", "emailaddress", "mail"},
	"tags":         {"tags", "tag", "groups", "group", "labels", "label"},
	"call_consent": {"consent", "callconsent", "maycall", "okaytocall", "oktocall", "consenttocall"},
	"text_consent": {"textconsent", "smsconsent", "maytext", "oktotext", "consenttotext"},
	"do_not_call":  {"donotcall", "dnc", "nocalls"},
}

// Outcome is what a row does (or, in a dry run, would do).
type Outcome string

const (
	New           Outcome = "new"
	Updated       Outcome = "updated"   // already a contact; the row adds to it
	Unchanged     Outcome = "unchanged" // already a contact with all the row says
	Invalid       Outcome = "invalid"
	Duplicate     Outcome = "duplicate" // the same number earlier in the file
	OnDoNotCall   Outcome = "on do-not-call"
	AddedToNoCall Outcome = "added to do-not-call"
)

// Row is one row's outcome: its number in the file (the header is row
// 1), the phone as given, and why, when it was not imported.
type Row struct {
	Row     int     `json:"row"`
	Phone   string  `json:"phone"`
	Outcome Outcome `json:"outcome"`
	Why     string  `json:"why,omitempty"`
}

// Summary counts a file's rows by outcome.
type Summary struct {
	Rows     int             `json:"rows"`
	Outcomes map[Outcome]int `json:"outcomes"`
	DryRun   bool            `json:"dry_run"`
}

// batchRows is how many rows one transaction applies.
const batchRows = 500

type pending struct {
	row                  Row
	name, email          string
	tags                 []string
	callConsent, textYes bool
	dnc                  bool
}

// Import reads a CSV of contacts into the clinic (apply false: a dry run
// that says what would happen), calling each with every row's outcome,
// and returns the counts. A file without a phone column is refused.
func (s *Service) Import(ctx context.Context, org frontdesk.OrgID, r io.Reader, apply bool, each func(Row)) (Summary, error) {
	sum := Summary{Outcomes: map[Outcome]int{}, DryRun: !apply}
	country, err := s.country(ctx, org)
	if err != nil {
		return sum, err
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord, cr.ReuseRecord, cr.LazyQuotes = -1, true, true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return sum, frontdesk.Invalid("file", "is empty: the first row must name the columns")
	}
	if err != nil {
		return sum, frontdesk.Invalid("file", "is not CSV: %v", err)
	}
	at := map[string]int{}
	for i, h := range header {
		key := normal(h)
		for field, names := range columns {
			for _, n := range names {
				if key == n {
					if _, dup := at[field]; !dup {
						at[field] = i
					}
				}
			}
		}
	}
	if _, ok := at["phone"]; !ok {
		return sum, frontdesk.Invalid("file", "has no phone column (the first row must name one: phone, mobile, cell...)")
	}
	get := func(rec []string, field string) string {
		if i, ok := at[field]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	seen := map[string]int{} // phone → the row it was first on
	var batch []pending
	report := func(row Row) {
		sum.Outcomes[row.Outcome]++
		if each != nil {
			each(row)
		}
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.applyBatch(ctx, org, batch, apply, report)
		batch = batch[:0]
		return err
	}
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				sum.Rows++
				report(Row{Row: n, Outcome: Invalid, Why: "not a CSV row: " + pe.Err.Error()})
				continue
			}
			return sum, err
		}
		sum.Rows++
		given := get(rec, "phone")
		p := pending{row: Row{Row: n, Phone: runes.Clip(given, 200)}, email: runes.Clip(get(rec, "email"), 200), tags: tags(get(rec, "tags")),
			callConsent: yes(get(rec, "call_consent")), textYes: yes(get(rec, "text_consent")), dnc: yes(get(rec, "do_not_call"))}
		p.name = get(rec, "name")
		if p.name == "" {
			p.name = strings.TrimSpace(get(rec, "first") + " " + get(rec, "last"))
		}
		p.name = runes.Clip(p.name, 200)
		phone, err := tel.Valid(given, country)
		switch {
		case given == "":
			p.row.Outcome, p.row.Why = Invalid, "no phone number"
		case err != nil:
			p.row.Outcome, p.row.Why = Invalid, err.Error()
		case seen[phone] != 0:
			p.row.Outcome, p.row.Why = Duplicate, fmt.Sprintf("the same number as row %d", seen[phone])
		case p.email != "" && !strings.Contains(p.email, "@"):
			p.row.Outcome, p.row.Why = Invalid, fmt.Sprintf("%q is not an email address", p.email)
		}
		if p.row.Outcome != "" {
			report(p.row)
			continue
		}
		seen[phone] = n
		p.row.Phone = phone
		batch = append(batch, p)
		if len(batch) == batchRows {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	return sum, flush()
}

// applyBatch checks a batch of rows against the do-not-call list and
// then, in a dry run, against the contacts the clinic has, or, applying,
// writes them and learns from the write which were new, which added to a
// contact and which changed nothing; all in one transaction.
func (s *Service) applyBatch(ctx context.Context, org frontdesk.OrgID, batch []pending, apply bool, report func(Row)) error {
	phones := make([]string, len(batch))
	for i, p := range batch {
		phones[i] = p.row.Phone
	}
	var results []Row
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		results = results[:0]
		blocked, err := tx.DoNotCallPhones(ctx, db.DoNotCallPhonesParams{OrgID: org, Phones: phones})
		if err != nil {
			return err
		}
		dnc := map[string]bool{}
		for _, p := range blocked {
			dnc[p] = true
		}
		outcome := map[string]Outcome{} // by phone
		if !apply {
			existing, err := tx.ContactsByPhone(ctx, db.ContactsByPhoneParams{OrgID: org, Phones: phones})
			if err != nil {
				return err
			}
			known := map[string]db.ContactsByPhoneRow{}
			for _, c := range existing {
				known[c.Phone] = c
			}
			for _, p := range batch {
				c, isKnown := known[p.row.Phone]
				switch {
				case !isKnown:
					outcome[p.row.Phone] = New
				case adds(c, p):
					outcome[p.row.Phone] = Updated
				}
			}
		} else {
			type upsert struct {
				Phone   string `json:"phone"`
				Name    string `json:"name"`
				Email   string `json:"email"`
				Tags    string `json:"tags"`
				MayCall bool   `json:"may_call"`
				MayText bool   `json:"may_text"`
			}
			ups := make([]upsert, len(batch))
			var blockNow []string
			for i, p := range batch {
				ups[i] = upsert{p.row.Phone, p.name, p.email, strings.Join(p.tags, ","), p.callConsent, p.textYes}
				if p.dnc && !dnc[p.row.Phone] {
					blockNow = append(blockNow, p.row.Phone)
				}
			}
			if len(blockNow) > 0 {
				if err := tx.AddDoNotCalls(ctx, db.AddDoNotCallsParams{OrgID: org, Phones: blockNow}); err != nil {
					return err
				}
			}
			rows, err := json.Marshal(ups)
			if err != nil {
				return err
			}
			changed, err := tx.UpsertContacts(ctx, db.UpsertContactsParams{OrgID: org, Rows: rows})
			if err != nil {
				return err
			}
			for _, c := range changed {
				outcome[c.Phone] = map[bool]Outcome{true: New, false: Updated}[c.Inserted]
			}
		}
		for _, p := range batch {
			row := p.row
			row.Outcome = outcome[row.Phone]
			if row.Outcome == "" {
				row.Outcome = Unchanged
			}
			switch {
			case p.dnc && !dnc[row.Phone]:
				row.Outcome, row.Why = AddedToNoCall, "marked do-not-call in the file"
			case dnc[row.Phone] && row.Outcome != Unchanged:
				row.Outcome, row.Why = OnDoNotCall, "on the do-not-call list: kept as a contact, never called or texted"
			}
			results = append(results, row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range results {
		report(r)
	}
	return nil
}

// adds says whether a row adds anything to an existing contact.
func adds(c db.ContactsByPhoneRow, p pending) bool {
	if (c.Name == "" && p.name != "") || (c.Email == "" && p.email != "") {
		return true
	}
	if (c.CallConsentAt == nil && p.callConsent) || (c.TextConsentAt == nil && p.textYes) {
		return true
	}
	have := map[string]bool{}
	for _, t := range c.Tags {
		have[t] = true
	}
	for _, t := range p.tags {
		if !have[t] {
			return true
		}
	}
	return false
}

// normal is a header as letters and digits in lower case.
func normal(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// tags reads "recall; kids, 2024" as sorted, distinct, lower-case tags.
func tags(s string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && len(t) <= 50 && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// yes reads a consent cell: yes, y, true, 1, x.
func yes(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "1", "x", "✓":
		return true
	}
	return false
}
