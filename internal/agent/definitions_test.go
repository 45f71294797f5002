package agent

import (
	"encoding/json"
	"testing"
)

// Every tool answered has a definition the assistant is given, and every
// definition is answered: the two cannot drift apart.
func TestDefinitionsMatchTheTools(t *testing.T) {
	t.Parallel()
	defined := map[string]bool{}
	for _, d := range Definitions {
		defined[d.Name] = true
		if _, ok := tools[d.Name]; !ok {
			t.Errorf("%s is defined but not answered", d.Name)
		}
		raw, err := json.Marshal(d.Parameters)
		var schema struct {
			Type       string
			Properties map[string]struct{ Type string }
			Required   []string
		}
		if err != nil || json.Unmarshal(raw, &schema) != nil || schema.Type != "object" || len(schema.Properties) == 0 {
			t.Errorf("%s: parameters are not a JSON Schema object: %s", d.Name, raw)
		}
		for _, r := range schema.Required {
			if _, ok := schema.Properties[r]; !ok {
				t.Errorf("%s requires %s, which it does not describe", d.Name, r)
			}
		}
		if d.Needs != "book" && d.Needs != "change" && d.Needs != "answer" && d.Needs != "messages" && d.Needs != "always" {
			t.Errorf("%s needs %q", d.Name, d.Needs)
		}
	}
	for name := range tools {
		if !defined[name] {
			t.Errorf("%s is answered but not defined", name)
		}
	}
}
