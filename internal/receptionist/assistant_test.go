package receptionist_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/demo"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/receptionist"
	"frontdesk/internal/secrets"
	"frontdesk/internal/testkit"
	"frontdesk/internal/voice"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// vapiAssistant is the part of Vapi's documented assistant
// (CreateAssistantDTO) Frontdesk fills; decoding rejects any other field,
// so an answer Vapi does not document fails here.
type vapiAssistant struct {
	Name             string `json:"name"`
	FirstMessage     string `json:"firstMessage"`
	FirstMessageMode string `json:"firstMessageMode"`
	Model            struct {
		Provider    string  `json:"provider"`
		Model       string  `json:"model"`
		Temperature float64 `json:"temperature"`
		Messages    []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
		Tools []struct {
			Type     string      `json:"type"`
			Server   *vapiServer `json:"server"`
			Function struct {
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Parameters  json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
	} `json:"model"`
	Voice struct {
		Provider string `json:"provider"`
		VoiceID  string `json:"voiceId"`
	} `json:"voice"`
	Transcriber struct {
		Provider string `json:"provider"`
		Model    string `json:"model"`
		Language string `json:"language"`
	} `json:"transcriber"`
	ServerMessages     []string   `json:"serverMessages"`
	Server             vapiServer `json:"server"`
	MaxDurationSeconds int        `json:"maxDurationSeconds"`
	ArtifactPlan       struct {
		RecordingEnabled bool `json:"recordingEnabled"`
	} `json:"artifactPlan"`
	AnalysisPlan struct {
		StructuredDataPlan struct {
			Enabled bool            `json:"enabled"`
			Schema  json.RawMessage `json:"schema"`
		} `json:"structuredDataPlan"`
	} `json:"analysisPlan"`
	Metadata map[string]string `json:"metadata"`
}

type vapiServer struct {
	URL            string            `json:"url"`
	TimeoutSeconds int               `json:"timeoutSeconds"`
	Headers        map[string]string `json:"headers"`
}

// The assistant each demo clinic serves: Vapi's documented shape, tools
// whose schemas are JSON Schema pointing at Frontdesk with the clinic's
// own secret, only the clinic's own facts, and a golden file per clinic.
func TestDemoClinicsAssistants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testkit.NewDB(t)
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC) // a Monday: 10 AM in New York, 3 PM in London
	if _, err := demo.Seed(ctx, d.Admin, now); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	vs := voice.NewService(d.Store, box, calls.NewService(d.Store, nil, nil, nil), vapi.NewAPI(""), false)
	svc := receptionist.NewService(d.Store, box, "https://frontdesk.example")
	orgs, err := d.Admin.ListOrgs(ctx)
	if err != nil || len(orgs) != 2 {
		t.Fatalf("demo clinics: %v %v", orgs, err)
	}
	type clinic struct {
		id           frontdesk.OrgID
		name, secret string
		answer       []byte
		facts        []string // what only this clinic's answer may carry
	}
	var cs []*clinic
	for _, o := range orgs {
		r, err := vs.RotateSecret(ctx, o.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The demo's own profile passes the rules an admin's edit would.
		p, err := svc.Profile(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetProfile(ctx, o.ID, p); err != nil {
			t.Fatalf("%s's demo profile: %v", o.Name, err)
		}
		a, err := svc.Assistant(ctx, o.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.MarshalIndent(map[string]any{"assistant": a}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		c := &clinic{id: o.ID, name: o.Name, secret: r.Secret, answer: raw, facts: []string{o.Name, o.ID.String(), r.Secret, p.Address}}
		// Each clinic's own services, clinicians and zone are in its prompt.
		own := map[string][]string{"Northside Dental": {"Filling consultation", "Dr. Amy Chen", "America/New_York"},
			"Harbor Physio": {"Sports massage", "Priya Shah", "Europe/London"}}[o.Name]
		if own == nil {
			t.Fatalf("unknown demo clinic %s", o.Name)
		}
		c.facts = append(c.facts, own...)
		cs = append(cs, c)
	}

	for i, c := range cs {
		other := cs[1-i]
		for _, f := range c.facts {
			if !bytes.Contains(c.answer, []byte(f)) {
				t.Errorf("%s's assistant lacks its own %q", c.name, f)
			}
		}
		for _, f := range other.facts {
			if bytes.Contains(c.answer, []byte(f)) {
				t.Errorf("%s's assistant carries %s's %q", c.name, other.name, f)
			}
		}

		var env struct{ Assistant vapiAssistant }
		dec := json.NewDecoder(bytes.NewReader(c.answer))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&env); err != nil {
			t.Fatalf("%s: not Vapi's assistant shape: %v", c.name, err)
		}
		a := env.Assistant
		if len([]rune(a.Name)) > 40 || a.MaxDurationSeconds < 10 || a.MaxDurationSeconds > 43200 || a.Model.Messages[0].Role != "system" {
			t.Errorf("%s: name %q, max %d s, first message role %q", c.name, a.Name, a.MaxDurationSeconds, a.Model.Messages[0].Role)
		}
		for _, m := range []string{"status-update", "end-of-call-report", "hang", "tool-calls", "transfer-destination-request"} {
			if !strings.Contains(strings.Join(a.ServerMessages, " "), m) {
				t.Errorf("%s: serverMessages lack %s", c.name, m)
			}
		}
		schemas := map[string]json.RawMessage{"analysisPlan": a.AnalysisPlan.StructuredDataPlan.Schema}
		servers := []*vapiServer{&a.Server}
		for _, tool := range a.Model.Tools {
			servers = append(servers, tool.Server)
			if tool.Type == "function" {
				schemas[tool.Function.Name] = tool.Function.Parameters
			}
		}
		for _, s := range servers {
			if s == nil || s.URL != "https://frontdesk.example/api/webhooks/vapi" || s.Headers["Authorization"] != "Bearer "+c.secret {
				t.Errorf("%s: a server is not Frontdesk's with the clinic's secret: %+v", c.name, s)
			}
		}
		for name, raw := range schemas {
			if _, err := testkit.JSONSchema(raw); err != nil {
				t.Errorf("%s: %s is not a JSON Schema: %v", c.name, name, err)
			}
		}

		// The golden file: the answer with its random parts named.
		golden := bytes.ReplaceAll(bytes.ReplaceAll(c.answer, []byte(c.secret), []byte("<server secret>")), []byte(c.id.String()), []byte("<org id>"))
		path := filepath.Join("testdata", "assistant-"+strings.ToLower(strings.ReplaceAll(c.name, " ", "-"))+".json")
		if *update {
			if err := os.WriteFile(path, append(golden, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/receptionist -update)", err)
		}
		if !bytes.Equal(bytes.TrimSpace(want), golden) {
			t.Errorf("%s's assistant differs from %s (run go test ./internal/receptionist -update and review the diff)", c.name, path)
		}
	}
}
