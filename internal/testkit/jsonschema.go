package testkit

import (
	"bytes"
	"encoding/json"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// JSONSchema compiles schema (any JSON value, or raw JSON) as a JSON
// Schema, checking it against the metaschema.
func JSONSchema(schema any) (*jsonschema.Schema, error) {
	doc, err := jsonValue(schema)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("schema.json")
}

// ValidJSON checks value against schema.
func ValidJSON(schema, value any) error {
	s, err := JSONSchema(schema)
	if err != nil {
		return err
	}
	v, err := jsonValue(value)
	if err != nil {
		return err
	}
	return s.Validate(v)
}

func jsonValue(v any) (any, error) {
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}
