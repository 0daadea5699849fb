package feature

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestParseSpecFixtures(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, s *Spec)
	}{
		{"example.yaml", func(t *testing.T, s *Spec) {
			if s.ID != "order_id" || s.Label != "default" || len(s.Features) != 5 {
				t.Fatalf("got id %q label %q, %d features", s.ID, s.Label, len(s.Features))
			}
			want := Def{Name: "order_amount", Type: Numeric, Missing: "median", Transform: "log1p", line: 5}
			if !reflect.DeepEqual(s.Features[0], want) {
				t.Errorf("feature 0 = %+v, want %+v", s.Features[0], want)
			}
			if d := s.Features[2]; !reflect.DeepEqual(d.Parts, []string{"hour", "dayofweek", "month"}) {
				t.Errorf("parts %v", d.Parts)
			}
			if d := s.Features[3]; d.Expr != "order_amount / basket_size" {
				t.Errorf("expr %q", d.Expr)
			}
			if !s.Features[4].PII || s.Features[1].MaxCategories != 50 || s.Features[1].Encoding != Native {
				t.Errorf("features %+v", s.Features)
			}
		}},
		{"extended.yaml", func(t *testing.T, s *Spec) {
			if s.Positive != "bad" || s.Timezone != "Europe/Berlin" || !s.Strict {
				t.Fatalf("top level %+v", s)
			}
			f := s.Features
			if f[0].Monotone != 1 || f[0].Transform != "clip(p2.5,p97.5)" || f[0].Missing != "constant:0.5" {
				t.Errorf("feature 0 %+v", f[0])
			}
			if f[1].Smoothing != 2.5 || f[1].Unknown != "other" || f[1].Missing != "mode" || f[1].MaxCategories != 10 {
				t.Errorf("feature 1 %+v", f[1])
			}
			if f[2].Source != "market" || f[3].Monotone != -1 || f[3].Missing != "constant:true" {
				t.Errorf("features 2, 3: %+v %+v", f[2], f[3])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := ParseSpec(readFile(t, filepath.Join("testdata", "spec", tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestParseSpecErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"empty", "", []string{"empty document"}},
		{"two documents", "features: []\n---\nid: x\n", []string{"line 2", "more than one YAML document"}},
		{"not a mapping", "- a\n- b\n", []string{"want a mapping"}},
		{"syntax", "features: [\n", []string{"feature: spec", "yaml"}},
		{"unknown top key", "id: x\nlable: y\nfeatures: []\n", []string{"line 2", `unknown key "lable"`, `did you mean "label"`}},
		{"unknown feature key", "features:\n  - name: a\n    type: numeric\n    encodng: native\n", []string{"line 4", `feature "a"`, `unknown key "encodng"`, `"encoding"`}},
		{"unknown key before name", "features:\n  - color: red\n    name: a\n", []string{"line 2", `feature "a"`, `unknown key "color"`}},
		{"repeated key", "features:\n  - name: a\n    type: numeric\n    type: boolean\n", []string{"line 4", `key "type" given twice`}},
		{"features not a list", "features: {a: 1}\n", []string{"features: want a list"}},
		{"bad monotone", "features:\n  - {name: a, type: numeric, monotone: up}\n", []string{`monotone: want an integer, got "up"`}},
		{"bad strict", "strict: maybe\nfeatures: []\n", []string{"strict: want true or false"}},
		{"parts not a list", "features:\n  - {name: t, type: datetime, parts: hour}\n", []string{"parts: want a list"}},
		{"no features", "id: x\nfeatures: []\n", []string{"no features"}},
		{"no type", "features:\n  - name: a\n", []string{`feature "a"`, "type is missing"}},
		{"bad type", "features:\n  - {name: a, type: float}\n", []string{`type "float"`}},
		{"no name", "features:\n  - {type: numeric}\n", []string{`feature "#1"`, "name is empty"}},
		{"duplicate name", "features:\n  - {name: a, type: numeric}\n  - {name: a, type: numeric}\n", []string{"line 3", "duplicate feature name"}},
		{"label as feature", "label: y\nfeatures:\n  - {name: y, type: numeric}\n", []string{`field "y" is the label column`}},
		{"id as source", "id: o\nfeatures:\n  - {name: a, source: o, type: categorical}\n", []string{`field "o" is the id column`}},
		{"id is label", "id: y\nlabel: y\nfeatures:\n  - {name: a, type: numeric}\n", []string{"id and label are both"}},
		{"positive without label", "positive: bad\nfeatures:\n  - {name: a, type: numeric}\n", []string{"needs a label"}},
		{"bad timezone", "timezone: Mars/Olympus\nfeatures:\n  - {name: a, type: numeric}\n", []string{`timezone "Mars/Olympus"`}},
		{"bad encoding", "features:\n  - {name: a, type: categorical, encoding: hot}\n", []string{`encoding "hot"`}},
		{"encoding on numeric", "features:\n  - {name: a, type: numeric, encoding: onehot}\n", []string{"encoding applies to categorical"}},
		{"target without label", "features:\n  - {name: a, type: categorical, encoding: target}\n", []string{"needs the spec's label"}},
		{"smoothing on native", "features:\n  - {name: a, type: categorical, smoothing: 3}\n", []string{"smoothing applies to target"}},
		{"negative smoothing", "label: y\nfeatures:\n  - {name: a, type: categorical, encoding: target, smoothing: -1}\n", []string{"smoothing -1"}},
		{"max_categories on numeric", "features:\n  - {name: a, type: numeric, max_categories: 3}\n", []string{"max_categories applies"}},
		{"negative max_categories", "features:\n  - {name: a, type: categorical, max_categories: -3}\n", []string{"max_categories -3"}},
		{"bad unknown", "features:\n  - {name: a, type: categorical, unknown: ignore}\n", []string{`unknown "ignore"`}},
		{"unknown on numeric", "features:\n  - {name: a, type: numeric, unknown: error}\n", []string{"unknown applies to categorical"}},
		{"bad missing", "features:\n  - {name: a, type: numeric, missing: drop}\n", []string{`missing "drop"`}},
		{"median of categorical", "features:\n  - {name: a, type: categorical, missing: median}\n", []string{`missing "median" does not apply to a categorical`}},
		{"mode of numeric", "features:\n  - {name: a, type: numeric, missing: mode}\n", []string{`missing "mode" does not apply to a numeric`}},
		{"constant not a number", "features:\n  - {name: a, type: numeric, missing: 'constant:abc'}\n", []string{"finite number"}},
		{"constant not a bool", "features:\n  - {name: a, type: boolean, missing: 'constant:maybe'}\n", []string{"true or false"}},
		{"constant of datetime", "features:\n  - {name: a, type: datetime, missing: 'constant:2020-01-01'}\n", []string{"only keep or reject"}},
		{"mean of datetime", "features:\n  - {name: a, type: datetime, missing: mean}\n", []string{"does not apply to a datetime"}},
		{"bad transform", "features:\n  - {name: a, type: numeric, transform: sqrt}\n", []string{`transform "sqrt"`}},
		{"bad clip", "features:\n  - {name: a, type: numeric, transform: 'clip(p99,p01)'}\n", []string{"clip(pLO,pHI)"}},
		{"clip beyond 100", "features:\n  - {name: a, type: numeric, transform: 'clip(p1,p101)'}\n", []string{"clip(pLO,pHI)"}},
		{"transform on boolean", "features:\n  - {name: a, type: boolean, transform: log1p}\n", []string{"numeric features only"}},
		{"monotone on categorical", "features:\n  - {name: a, type: categorical, monotone: 1}\n", []string{"monotone applies to numeric and boolean"}},
		{"monotone 2", "features:\n  - {name: a, type: numeric, monotone: 2}\n", []string{"monotone 2"}},
		{"parts on numeric", "features:\n  - {name: a, type: numeric, parts: [hour]}\n", []string{"parts apply to datetime"}},
		{"bad part", "features:\n  - {name: a, type: datetime, parts: [hour, week]}\n", []string{`part "week"`}},
		{"part twice", "features:\n  - {name: a, type: datetime, parts: [hour, hour]}\n", []string{`part "hour" listed twice`}},
		{"expr on categorical", "features:\n  - {name: a, type: categorical, expr: b}\n", []string{"expr needs type numeric"}},
		{"expr and source", "features:\n  - {name: a, type: numeric, expr: b, source: c}\n", []string{"exclusive"}},
		{"expr syntax", "features:\n  - {name: a, type: numeric, expr: 'b +'}\n", []string{`feature "a"`, "want a number, a field or ("}},
		{"expr function", "features:\n  - {name: a, type: numeric, expr: 'exp(b)'}\n", []string{`unknown function "exp"`}},
		{"expr no fields", "features:\n  - {name: a, type: numeric, expr: '1 + 2'}\n", []string{"reads no fields"}},
		{"expr reads categorical", "features:\n  - {name: m, type: categorical}\n  - {name: a, type: numeric, expr: 'm * 2'}\n", []string{`expr reads field "m", which is categorical`}},
		{"expr reads label", "label: y\nfeatures:\n  - {name: a, type: numeric, expr: 'y * 2'}\n", []string{`expr field "y" is the label`}},
		{"field read two ways", "features:\n  - {name: a, type: numeric}\n  - {name: b, source: a, type: categorical}\n", []string{`field "a" is read as categorical here and as numeric`}},
		{"output collision", "features:\n  - {name: t, type: datetime, parts: [hour]}\n  - {name: t_hour, type: numeric}\n", []string{`output "t_hour" is also an output of feature "t"`}},
		{"control character", "features:\n  - {name: \"a\\tb\", type: numeric}\n", []string{"control character"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrSpec) {
				t.Errorf("error does not wrap ErrSpec: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "feature: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	s := &Spec{Features: []Def{
		{Name: "a", Type: Numeric, Monotone: 5},
		{Name: "b", Type: Categorical, Encoding: "hot"},
		{Name: "a", Type: Boolean},
	}}
	err := s.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{`feature "a": monotone 5`, `feature "b": encoding "hot"`, "duplicate feature name"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// clearLines zeroes the YAML line numbers so that specs can be compared.
func clearLines(s *Spec) *Spec {
	c := *s
	c.Features = append([]Def(nil), s.Features...)
	for i := range c.Features {
		c.Features[i].line = 0
	}
	c.Notes = nil
	return &c
}

func TestSpecYAMLRoundTrip(t *testing.T) {
	for _, src := range []string{
		orderSpecYAML,
		string(readFile(t, "testdata/spec/example.yaml")),
		string(readFile(t, "testdata/spec/extended.yaml")),
		"features:\n  - {name: 'true', type: numeric, expr: '`null` + `a b`'}\n  - {name: '+1', type: categorical, missing: 'constant: x: y'}\n  - {name: \"# not: a comment\", type: boolean}\n",
	} {
		s := mustSpec(t, src)
		out, err := s.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseSpec(out)
		if err != nil {
			t.Fatalf("ParseSpec(YAML()): %v\n%s", err, out)
		}
		if !reflect.DeepEqual(clearLines(s), clearLines(back)) {
			t.Fatalf("round trip changed the spec:\n%+v\n%+v\n%s", s, back, out)
		}
		// yaml.Marshal uses the same MarshalYAML.
		viaLib, err := yaml.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if back2, err := ParseSpec(viaLib); err != nil || !reflect.DeepEqual(clearLines(s), clearLines(back2)) {
			t.Fatalf("yaml.Marshal round trip: %v\n%s", err, viaLib)
		}
	}
}

func TestSpecUnmarshalYAMLEmbedded(t *testing.T) {
	var cfg struct {
		Stage    string `yaml:"stage"`
		Features Spec   `yaml:"features"`
	}
	src := "stage: fit\nfeatures:\n  label: y\n  features:\n    - {name: a, type: numeric}\n"
	if err := yaml.Unmarshal([]byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Features.Label != "y" || len(cfg.Features.Features) != 1 || cfg.Features.Validate() != nil {
		t.Fatalf("embedded spec %+v", cfg.Features)
	}
	bad := "features:\n  labl: y\n"
	if err := yaml.Unmarshal([]byte(bad), &cfg); err == nil || !strings.Contains(err.Error(), `unknown key "labl"`) {
		t.Fatalf("embedded unknown key: %v", err)
	}
}

func TestSpecYAMLGolden(t *testing.T) {
	s := mustSpec(t, string(readFile(t, "testdata/spec/example.yaml")))
	s.Notes = []string{"a note", "another note"}
	got, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/spec/example.golden.yaml", got)
}

// golden compares got with the named file, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFile(t, name)
	if string(got) != string(want) {
		t.Errorf("%s differs (rerun with -update if the change is intended):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
