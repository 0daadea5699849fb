package feature

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	topKeys = []string{"id", "label", "positive", "timezone", "strict", "features"}
	defKeys = []string{"name", "type", "source", "expr", "missing", "transform", "monotone",
		"encoding", "max_categories", "unknown", "smoothing", "parts", "pii"}
)

// ParseSpec reads a YAML feature spec (one document) and validates it. Keys are checked
// strictly: an unknown or repeated key is an error naming it and its line. The error wraps
// ErrSpec.
func ParseSpec(data []byte) (*Spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &specError{msg: "empty document"}
		}
		return nil, &specError{msg: err.Error()}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &specError{line: extra.Line, msg: "more than one YAML document"}
	}
	var s Spec
	if err := s.UnmarshalYAML(&doc); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// UnmarshalYAML reads a spec from a YAML node with ParseSpec's strict key checks, so a Spec can
// be part of a larger YAML document (a pipeline). It does not call Validate.
func (s *Spec) UnmarshalYAML(value *yaml.Node) error {
	*s = Spec{}
	m, err := mapping(value, "the spec")
	if err != nil {
		return err
	}
	return eachKey(m, topKeys, "", func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "id":
			s.ID, err = yamlString(v, key, "")
		case "label":
			s.Label, err = yamlString(v, key, "")
		case "positive":
			s.Positive, err = yamlString(v, key, "")
		case "timezone":
			s.Timezone, err = yamlString(v, key, "")
		case "strict":
			s.Strict, err = yamlBool(v, key, "")
		case "features":
			v = resolve(v)
			if v.Kind != yaml.SequenceNode {
				return &specError{line: v.Line, msg: "features: want a list"}
			}
			s.Features = make([]Def, len(v.Content))
			for i, item := range v.Content {
				if err := s.Features[i].unmarshalYAML(item, i); err != nil {
					return err
				}
			}
		}
		return err
	})
}

func (d *Def) unmarshalYAML(value *yaml.Node, i int) error {
	m, err := mapping(value, fmt.Sprintf("feature #%d", i+1))
	if err != nil {
		return err
	}
	d.line = m.Line
	// The name first, so that errors about the other keys can name the feature.
	for j := 0; j+1 < len(m.Content); j += 2 {
		if k := resolve(m.Content[j]); k.Kind == yaml.ScalarNode && k.Value == "name" {
			if d.Name, err = yamlString(m.Content[j+1], "name", ""); err != nil {
				return err
			}
		}
	}
	feat := d.Name
	if feat == "" {
		feat = fmt.Sprintf("#%d", i+1)
	}
	return eachKey(m, defKeys, feat, func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "type":
			var t string
			t, err = yamlString(v, key, feat)
			d.Type = Type(t)
		case "source":
			d.Source, err = yamlString(v, key, feat)
		case "expr":
			d.Expr, err = yamlString(v, key, feat)
		case "missing":
			d.Missing, err = yamlString(v, key, feat)
		case "transform":
			d.Transform, err = yamlString(v, key, feat)
		case "monotone":
			d.Monotone, err = yamlInt(v, key, feat)
		case "encoding":
			var e string
			e, err = yamlString(v, key, feat)
			d.Encoding = Encoding(e)
		case "max_categories":
			d.MaxCategories, err = yamlInt(v, key, feat)
		case "unknown":
			d.Unknown, err = yamlString(v, key, feat)
		case "smoothing":
			d.Smoothing, err = yamlFloat(v, key, feat)
		case "parts":
			v = resolve(v)
			if v.Kind != yaml.SequenceNode {
				return &specError{feature: feat, line: v.Line, msg: "parts: want a list, e.g. [hour, dayofweek, month]"}
			}
			d.Parts = make([]string, len(v.Content))
			for j, p := range v.Content {
				if d.Parts[j], err = yamlString(p, key, feat); err != nil {
					return err
				}
			}
		case "pii":
			d.PII, err = yamlBool(v, key, feat)
		}
		return err
	})
}

// resolve follows an alias.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func mapping(n *yaml.Node, what string) (*yaml.Node, error) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) != 1 {
			return nil, &specError{line: n.Line, msg: "empty document"}
		}
		n = n.Content[0]
	}
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, &specError{line: n.Line, msg: what + ": want a mapping of keys to values"}
	}
	return n, nil
}

// eachKey calls fn for each key of mapping m, rejecting unknown and repeated keys.
func eachKey(m *yaml.Node, known []string, feat string, fn func(key string, v *yaml.Node) error) error {
	seen := make(map[string]bool)
	for j := 0; j+1 < len(m.Content); j += 2 {
		k := resolve(m.Content[j])
		if k.Kind != yaml.ScalarNode {
			return &specError{feature: feat, line: k.Line, msg: "keys must be plain strings"}
		}
		key := k.Value
		if !contains(known, key) {
			msg := fmt.Sprintf("unknown key %q", key)
			if s := suggest(key, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return &specError{feature: feat, line: k.Line, msg: msg}
		}
		if seen[key] {
			return &specError{feature: feat, line: k.Line, msg: fmt.Sprintf("key %q given twice", key)}
		}
		seen[key] = true
		if err := fn(key, m.Content[j+1]); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the known key closest to key, if it is at most two edits away.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func scalar(n *yaml.Node, key, feat, want string) (*yaml.Node, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		return nil, &specError{feature: feat, line: n.Line, msg: fmt.Sprintf("%s: want %s", key, want)}
	}
	return n, nil
}

func yamlString(n *yaml.Node, key, feat string) (string, error) {
	n, err := scalar(n, key, feat, "a string")
	if err != nil {
		return "", err
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

func yamlInt(n *yaml.Node, key, feat string) (int, error) {
	n, err := scalar(n, key, feat, "an integer")
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		return 0, &specError{feature: feat, line: n.Line, msg: fmt.Sprintf("%s: want an integer, got %q", key, n.Value)}
	}
	return v, nil
}

func yamlFloat(n *yaml.Node, key, feat string) (float64, error) {
	n, err := scalar(n, key, feat, "a number")
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, &specError{feature: feat, line: n.Line, msg: fmt.Sprintf("%s: want a finite number, got %q", key, n.Value)}
	}
	return v, nil
}

func yamlBool(n *yaml.Node, key, feat string) (bool, error) {
	n, err := scalar(n, key, feat, "true or false")
	if err != nil {
		return false, err
	}
	switch n.Value {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, &specError{feature: feat, line: n.Line, msg: fmt.Sprintf("%s: want true or false, got %q", key, n.Value)}
}

// MarshalYAML implements yaml.Marshaler: the spec as ParseSpec reads it, keys in a fixed order,
// defaults left out, Notes as comments at the top.
func (s *Spec) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	if len(s.Notes) > 0 {
		m.HeadComment = strings.Join(s.Notes, "\n")
	}
	addStr := func(m *yaml.Node, key, v string) {
		if v != "" {
			m.Content = append(m.Content, yamlStr(key), yamlStr(v))
		}
	}
	addStr(m, "id", s.ID)
	addStr(m, "label", s.Label)
	addStr(m, "positive", s.Positive)
	addStr(m, "timezone", s.Timezone)
	if s.Strict {
		m.Content = append(m.Content, yamlStr("strict"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	feats := &yaml.Node{Kind: yaml.SequenceNode}
	if len(s.Features) == 0 {
		feats.Style = yaml.FlowStyle
	}
	for i := range s.Features {
		d := &s.Features[i]
		f := &yaml.Node{Kind: yaml.MappingNode}
		f.Content = append(f.Content, yamlStr("name"), yamlStr(d.Name))
		addStr(f, "type", string(d.Type))
		addStr(f, "source", d.Source)
		addStr(f, "expr", d.Expr)
		addStr(f, "missing", d.Missing)
		addStr(f, "transform", d.Transform)
		if d.Monotone != 0 {
			v := strconv.Itoa(d.Monotone)
			if d.Monotone > 0 {
				v = "+" + v
			}
			f.Content = append(f.Content, yamlStr("monotone"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: v})
		}
		addStr(f, "encoding", string(d.Encoding))
		if d.MaxCategories != 0 {
			f.Content = append(f.Content, yamlStr("max_categories"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(d.MaxCategories)})
		}
		addStr(f, "unknown", d.Unknown)
		if d.Smoothing != 0 {
			v, tag := strconv.FormatFloat(d.Smoothing, 'g', -1, 64), "!!float"
			if !strings.ContainsAny(v, ".eEn") {
				tag = "!!int"
			}
			f.Content = append(f.Content, yamlStr("smoothing"), &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v})
		}
		if len(d.Parts) > 0 {
			seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, p := range d.Parts {
				seq.Content = append(seq.Content, yamlStr(p))
			}
			f.Content = append(f.Content, yamlStr("parts"), seq)
		}
		if d.PII {
			f.Content = append(f.Content, yamlStr("pii"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		}
		feats.Content = append(feats.Content, f)
	}
	m.Content = append(m.Content, yamlStr("features"), feats)
	return m, nil
}

func yamlStr(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

// YAML returns the spec as a YAML document (two-space indent) that ParseSpec reads back.
func (s *Spec) YAML() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("feature: spec to YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("feature: spec to YAML: %w", err)
	}
	return b.Bytes(), nil
}
