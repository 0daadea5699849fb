package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"riskflow/feature"
	"riskflow/frame"
)

func TestV1Predict(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{}, FileModel{Name: "orders", Path: f.champ})
	ver := versionOf(f.champB)
	tests := []struct {
		name string
		recs [][]byte
		path string
	}{
		{"one", f.records[:1], "/v1/models/orders:predict"},
		{"three", f.records[1:4], "/v1/models/orders:predict"},
		{"hundred", f.records[:100], "/v1/models/orders:predict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := decodeV1(t, do(t, s, "POST", tt.path, v1Body(tt.recs...)))
			if resp.ModelName != "orders" || resp.ModelVersion != ver {
				t.Fatalf("model %q version %q, want orders %q", resp.ModelName, resp.ModelVersion, ver)
			}
			if len(resp.Predictions) != len(tt.recs) {
				t.Fatalf("%d predictions for %d instances", len(resp.Predictions), len(tt.recs))
			}
			for i, rec := range tt.recs {
				if want := score(t, f.champB, rec); !near(resp.Predictions[i], want) {
					t.Errorf("instance %d: %v, bundle.Score says %v", i, resp.Predictions[i], want)
				}
			}
		})
	}
}

func TestV1PredictEnvelope(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{}, FileModel{Name: "m", Path: f.champ})
	rec := string(f.records[0])
	want := score(t, f.champB, f.records[0])
	for _, body := range []string{
		`{"instances":[` + rec + `]}`,
		" \n{ \"other\": {\"x\": [1, 2, {\"y\": null}]}, \"instances\" : [ " + rec + " ] } \n",
		`{"\u0069nstances":[` + rec + `],"explain":0}`,
	} {
		resp := decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", body))
		if len(resp.Predictions) != 1 || !near(resp.Predictions[0], want) {
			t.Errorf("%.60s: %v, want [%v]", body, resp.Predictions, want)
		}
	}
}

func TestV1Explain(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{}, FileModel{Name: "m", Path: f.champ})
	// A record with one field absent and one null: their values must be null.
	var row map[string]any
	json.Unmarshal(f.records[5], &row)
	delete(row, "order_amount")
	row["customer_age"] = nil
	rec, _ := json.Marshal(row)

	for _, tc := range []struct {
		name, path, body string
		k                int
	}{
		{"body", "/v1/models/m:predict", `{"explain": 4, "instances": [` + string(rec) + `]}`, 4},
		{"query", "/v1/models/m:predict?explain=2", v1Body(rec, f.records[6]), 2},
		{"explain verb", "/v1/models/m:explain", v1Body(rec), 3},
		{"all fields", "/v1/models/m:predict?explain=20", v1Body(rec), 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := decodeV1(t, do(t, s, "POST", tc.path, tc.body))
			if len(resp.Explanations) != len(resp.Predictions) {
				t.Fatalf("%d explanations for %d predictions", len(resp.Explanations), len(resp.Predictions))
			}
			b := f.champB
			r := b.NewRecord()
			r.DecodeJSON(rec)
			p, want, err := b.Explain(r, tc.k, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !near(resp.Predictions[0], p) {
				t.Errorf("prediction %v, Explain says %v", resp.Predictions[0], p)
			}
			got := resp.Explanations[0]
			if len(got) != len(want) {
				t.Fatalf("%d reasons, want %d", len(got), len(want))
			}
			for i, g := range got {
				if g.Feature != want[i].Feature || !near(g.Contribution, want[i].Contribution) {
					t.Errorf("reason %d: %s %v, want %s %v", i, g.Feature, g.Contribution, want[i].Feature, want[i].Contribution)
				}
				wantValue := "null"
				if v, ok := row[g.Feature]; ok && v != nil {
					js, _ := json.Marshal(v)
					wantValue = string(js)
				}
				if !jsonEqual(g.Value, []byte(wantValue)) {
					t.Errorf("reason %s: value %s, want %s", g.Feature, g.Value, wantValue)
				}
			}
		})
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestErrors(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{MaxBodyBytes: 64 << 10, MaxInstances: 10},
		FileModel{Name: "m", Path: f.champ}, FileModel{Name: "n", Path: f.chall})
	notReady, err := New(Options{Source: &FileSource{Files: []FileModel{{Name: "m", Path: f.champ}}}, PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer notReady.Close()
	rec := string(f.records[0])
	big := `{"instances":[` + strings.Repeat(rec+",", 200) + rec + `]}`
	eleven := v1Body(f.records[:11]...)
	tests := []struct {
		name         string
		h            http.Handler
		method, path string
		body         string
		hdr          []string
		code         int
		want         string // in the error message
	}{
		{"malformed json", s, "POST", "/v1/models/m:predict", `{"instances": [` + rec, nil, 400, "invalid JSON at offset"},
		{"malformed record", s, "POST", "/v1/models/m:predict", `{"instances": [{"order_amount": 1,}]}`, nil, 400, "instances[0]: invalid JSON at offset 34"},
		{"wrong type", s, "POST", "/v1/models/m:predict", `{"instances": [{"order_amount": "a lot"}]}`, nil, 400, `instances[0]: field "order_amount": got a string, want a number`},
		{"wrong type second", s, "POST", "/v1/models/m:predict", `{"instances": [{}, {"is_first_order": 3}]}`, nil, 400, `instances[1]: field "is_first_order"`},
		{"duplicate key", s, "POST", "/v1/models/m:predict", `{"instances": [{"order_amount": 1, "order_amount": 2}]}`, nil, 400, "duplicate key"},
		{"no instances", s, "POST", "/v1/models/m:predict", `{"inputs": []}`, nil, 400, `no "instances"`},
		{"empty instances", s, "POST", "/v1/models/m:predict", `{"instances": []}`, nil, 400, "empty"},
		{"instance not object", s, "POST", "/v1/models/m:predict", `{"instances": [[1, 2]]}`, nil, 400, "want a JSON object"},
		{"not an object", s, "POST", "/v1/models/m:predict", `[1]`, nil, 400, "invalid JSON"},
		{"trailing data", s, "POST", "/v1/models/m:predict", v1Body(f.records[0]) + "x", nil, 400, "after the top-level value"},
		{"explain negative", s, "POST", "/v1/models/m:predict", `{"explain": -1, "instances": [{}]}`, nil, 400, `"explain"`},
		{"explain too big", s, "POST", "/v1/models/m:predict?explain=99", v1Body(f.records[0]), nil, 400, "explain=99"},
		{"unknown verb", s, "POST", "/v1/models/m:frobnicate", v1Body(f.records[0]), nil, 404, "no route"},
		{"unknown model", s, "POST", "/v1/models/nope:predict", v1Body(f.records[0]), nil, 404, `model "nope" not found`},
		{"unknown model v2", s, "POST", "/v2/models/nope/infer", `{}`, nil, 404, "not found"},
		{"unknown version", s, "POST", "/v2/models/m/versions/abc/infer", `{}`, nil, 404, `no version "abc"`},
		{"unknown model describe", s, "GET", "/v1/models/nope", "", nil, 404, "not found"},
		{"too large", s, "POST", "/v1/models/m:predict", big, nil, 413, "larger than 65536 bytes"},
		{"too many instances", s, "POST", "/v1/models/m:predict", eleven, nil, 413, "more than 10 instances"},
		{"not ready", notReady, "POST", "/v1/models/m:predict", v1Body(f.records[0]), nil, 503, "not ready"},
		{"not ready v2", notReady, "POST", "/v2/models/m/infer", `{}`, nil, 503, "not ready"},
		{"ping not ready", notReady, "GET", "/ping", "", nil, 503, "not ready"},
		{"health not ready", notReady, "GET", "/v2/health/ready", "", nil, 503, ""},
		{"wrong method", s, "GET", "/v1/models/m:predict", "", nil, 404, "not found"},
		{"wrong method ping", s, "POST", "/ping", "", nil, 405, "not allowed"},
		{"no route", s, "GET", "/nowhere", "", nil, 404, "no route for GET /nowhere"},
		{"v2 no inputs", s, "POST", "/v2/models/m/infer", `{"id": "1"}`, nil, 400, `no "inputs"`},
		{"v2 shape mismatch", s, "POST", "/v2/models/m/infer", `{"inputs": [{"name": "order_amount", "shape": [2], "datatype": "FP64", "data": [1]}]}`, nil, 400, "shape [2] but 1 values"},
		{"v2 rows differ", s, "POST", "/v2/models/m/infer", `{"inputs": [{"name": "order_amount", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "basket_size", "shape": [2], "datatype": "FP64", "data": [1, 2]}]}`, nil, 400, "same number of instances"},
		{"v2 datatype mismatch", s, "POST", "/v2/models/m/infer", `{"inputs": [{"name": "order_amount", "shape": [1], "datatype": "FP64", "data": ["x"]}]}`, nil, 400, `input "order_amount": element 0: want a number (datatype FP64)`},
		{"v2 field type", s, "POST", "/v2/models/m/infer", `{"inputs": [{"name": "market", "shape": [1], "datatype": "FP64", "data": [1]}]}`, nil, 400, `field "market"`},
		{"v2 fp16", s, "POST", "/v2/models/m/infer", `{"inputs": [{"name": "order_amount", "shape": [1], "datatype": "FP16", "data": [1]}]}`, nil, 400, "not supported"},
		{"v2 bad shape", s, "POST", "/v2/models/m/infer", `{"inputs": [{"name": "order_amount", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]}]}`, nil, 400, "want [N] or [N, 1]"},
		{"v2 too many", s, "POST", "/v2/models/m/infer", `{"inputs": [{"name": "order_amount", "shape": [11], "datatype": "FP64", "data": []}]}`, nil, 413, "more than 10"},
		{"invocations content type", s, "POST", "/invocations", "x", []string{"Content-Type", "application/xml", TargetModelHeader, "m"}, 415, "not supported"},
		{"invocations which model", s, "POST", "/invocations", rec, []string{"Content-Type", "application/json"}, 400, "name one in the X-Amzn-SageMaker-Target-Model header"},
		{"invocations unknown model", s, "POST", "/invocations", rec, []string{TargetModelHeader, "zzz.bundle"}, 404, `model "zzz" not found`},
		{"csv field count", s, "POST", "/invocations", "1,2,3\n", []string{"Content-Type", "text/csv", TargetModelHeader, "m"}, 400, "row 1: 3 fields, want"},
		{"csv bad number", s, "POST", "/invocations", "order_amount\nabc\n", []string{"Content-Type", "text/csv", TargetModelHeader, "m"}, 400, `row 2: field "order_amount": not a number`},
		{"csv bad quote", s, "POST", "/invocations", "\"abc\n", []string{"Content-Type", "text/csv", TargetModelHeader, "m"}, 400, "unterminated quoted field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, tt.h, tt.method, tt.path, tt.body, tt.hdr...)
			if w.Code != tt.code {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			var e struct {
				Error string `json:"error"`
			}
			if tt.want != "" {
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
					t.Fatalf("body %q: %v", w.Body, err)
				}
				if !strings.Contains(e.Error, tt.want) {
					t.Errorf("error %q, want it to mention %q", e.Error, tt.want)
				}
			}
			if (tt.code == 429 || tt.code == 503) && w.Header().Get("Retry-After") == "" && tt.want != "" && tt.path != "/ping" {
				t.Errorf("no Retry-After")
			}
		})
	}
}

func TestNotReadyModel(t *testing.T) {
	f := fixture(t)
	dir := t.TempDir()
	good := dir + "/good.bundle"
	copyFile(t, f.champ, good)
	s, err := New(Options{Source: &FileSource{Files: []FileModel{{Name: "good", Path: good}, {Name: "bad", Path: dir + "/missing.bundle"}}}, PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), `model "bad"`) {
		t.Fatalf("Reload: %v, want an error naming model bad", err)
	}
	if s.Ready() {
		t.Error("ready with a model missing")
	}
	for path, code := range map[string]int{
		"/v1/models/good:predict": 200, "/v1/models/bad:predict": 503,
	} {
		if w := do(t, s, "POST", path, v1Body(f.records[0])); w.Code != code {
			t.Errorf("%s: %d, want %d: %s", path, w.Code, code, w.Body)
		}
	}
	if w := do(t, s, "GET", "/v2/models/bad/ready", ""); w.Code != 503 || !strings.Contains(w.Body.String(), `"ready":false`) {
		t.Errorf("bad ready: %d %s", w.Code, w.Body)
	}
	if w := do(t, s, "GET", "/ping", ""); w.Code != 503 {
		t.Errorf("ping: %d", w.Code)
	}
}

// v2Request builds an inference request from records, one tensor per field the records have.
func v2Request(t testing.TB, b interface{ NewRecord() *feature.Record }, inputs []feature.Input, rows []map[string]any) string {
	t.Helper()
	type tensor struct {
		Name     string `json:"name"`
		Shape    []int  `json:"shape"`
		Datatype string `json:"datatype"`
		Data     []any  `json:"data"`
	}
	var req struct {
		ID     string   `json:"id"`
		Inputs []tensor `json:"inputs"`
	}
	req.ID = "req-1"
	for _, in := range inputs {
		tn := tensor{Name: in.Name, Shape: []int{len(rows)}, Datatype: v2Datatype(in.Kind)}
		for _, r := range rows {
			tn.Data = append(tn.Data, r[in.Name])
		}
		req.Inputs = append(req.Inputs, tn)
	}
	// customer_id is not an input; send it as BYTES, as a client routing canaries would.
	tn := tensor{Name: "customer_id", Shape: []int{len(rows), 1}, Datatype: "BYTES"}
	for _, r := range rows {
		tn.Data = append(tn.Data, []any{r["customer_id"]})
	}
	req.Inputs = append(req.Inputs, tn)
	js, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

func TestV2(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{}, FileModel{Name: "m", Path: f.champ, Challenger: f.chall, Route: Route{Mode: ModeShadow}})
	inputs := f.champB.Transformer.Inputs()
	champV, challV := versionOf(f.champB), versionOf(f.challB)

	type out struct {
		ModelName    string `json:"model_name"`
		ModelVersion string `json:"model_version"`
		ID           string `json:"id"`
		Outputs      []struct {
			Name     string    `json:"name"`
			Datatype string    `json:"datatype"`
			Shape    []int     `json:"shape"`
			Data     []float64 `json:"data"`
		} `json:"outputs"`
	}
	for _, tc := range []struct {
		path    string
		version string
	}{
		{"/v2/models/m/infer", champV},
		{"/v2/models/m/versions/" + champV + "/infer", champV},
		{"/v2/models/m/versions/" + challV + "/infer", challV},
	} {
		t.Run(tc.path, func(t *testing.T) {
			body := v2Request(t, f.champB, inputs, f.rows[:7])
			w := do(t, s, "POST", tc.path, body)
			if w.Code != 200 {
				t.Fatalf("%d: %s", w.Code, w.Body)
			}
			var o out
			if err := json.Unmarshal(w.Body.Bytes(), &o); err != nil {
				t.Fatal(err)
			}
			if o.ModelName != "m" || o.ModelVersion != tc.version || o.ID != "req-1" || len(o.Outputs) != 1 {
				t.Fatalf("response %s", w.Body)
			}
			po := o.Outputs[0]
			if po.Name != "probability" || po.Datatype != "FP64" || len(po.Shape) != 1 || po.Shape[0] != 7 || len(po.Data) != 7 {
				t.Fatalf("output %+v", po)
			}
			b := f.champB
			if tc.version == challV {
				b = f.challB
			}
			for i := range 7 {
				if want := score(t, b, f.records[i]); !near(po.Data[i], want) {
					t.Errorf("instance %d: %v, want %v", i, po.Data[i], want)
				}
			}
		})
	}

	t.Run("metadata", func(t *testing.T) {
		w := do(t, s, "GET", "/v2/models/m", "")
		var meta v2Metadata
		if err := json.Unmarshal(w.Body.Bytes(), &meta); err != nil || w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if meta.Name != "m" || meta.Platform != "riskflow" || len(meta.Versions) != 2 || meta.Versions[0] != champV || len(meta.Inputs) != len(inputs) {
			t.Fatalf("metadata %+v", meta)
		}
		for i, in := range meta.Inputs {
			if in.Name != inputs[i].Name || in.Datatype != v2Datatype(inputs[i].Kind) || len(in.Shape) != 1 || in.Shape[0] != -1 {
				t.Errorf("input %d: %+v", i, in)
			}
		}
		if len(meta.Outputs) != 1 || meta.Outputs[0].Name != "probability" {
			t.Errorf("outputs %+v", meta.Outputs)
		}
	})
	for _, tc := range []struct{ path, want string }{
		{"/v2/models/m/ready", `{"name":"m","ready":true}`},
		{"/v2/models/m/versions/" + challV + "/ready", `{"name":"m","ready":true}`},
		{"/v2/health/live", `{"live":true}`},
		{"/v2/health/ready", `{"ready":true}`},
		{"/v2/models/m/versions/" + challV, `"versions":["` + challV + `"]`},
		{"/v2", `"name":"riskflow"`},
	} {
		w := do(t, s, "GET", tc.path, "")
		if w.Code != 200 || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want %s", tc.path, w.Code, w.Body, tc.want)
		}
	}
}

func TestV2Datatypes(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{}, FileModel{Name: "m", Path: f.champ})
	row := f.rows[3]
	want := score(t, f.champB, f.records[3])
	// The same record with numbers as INT64/FP32 where whole, nested data and escaped strings.
	var inputs []string
	for _, in := range f.champB.Transformer.Inputs() {
		v := row[in.Name]
		js, _ := json.Marshal(v)
		dt := v2Datatype(in.Kind)
		if x, ok := v.(float64); ok && x == float64(int64(x)) {
			dt = "INT64"
		}
		if s, ok := v.(string); ok && in.Kind == frame.String {
			js = []byte(strconv.QuoteToASCII(s)) // \u escapes for non-ASCII
			js = bytes.ReplaceAll(js, []byte("a"), []byte(`\u0061`))
		}
		inputs = append(inputs, fmt.Sprintf(`{"name":%q,"datatype":%q,"shape":[1,1],"parameters":{"x":1},"data":[[%s]]}`, in.Name, dt, js))
	}
	body := `{"parameters": {"a": [1]}, "inputs": [` + strings.Join(inputs, ",") + `], "outputs": [{"name": "probability"}]}`
	w := do(t, s, "POST", "/v2/models/m/infer", body)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var o struct {
		Outputs []struct{ Data []float64 } `json:"outputs"`
	}
	json.Unmarshal(w.Body.Bytes(), &o)
	if got := o.Outputs[0].Data[0]; !near(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

func TestSageMaker(t *testing.T) {
	f := fixture(t)
	one := newServer(t, Options{}, FileModel{Name: "only", Path: f.champ})
	two := newServer(t, Options{}, FileModel{Name: "a", Path: f.champ}, FileModel{Name: "b", Path: f.chall})
	inputs := f.champB.Transformer.Inputs()
	csvRow := func(row map[string]any, names []string) string {
		cells := make([]string, len(names))
		for j, n := range names {
			switch v := row[n].(type) {
			case nil:
				cells[j] = ""
			case string:
				cells[j] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
			case float64:
				cells[j] = strconv.FormatFloat(v, 'g', -1, 64)
			default:
				cells[j] = fmt.Sprint(v)
			}
		}
		return strings.Join(cells, ",")
	}
	var names []string
	for _, in := range inputs {
		names = append(names, in.Name)
	}
	// A header in another order, with a column the model does not read.
	header := append([]string{"order_id"}, names...)
	for i, j := 1, len(header)-1; i < j; i, j = i+1, j-1 {
		header[i], header[j] = header[j], header[i]
	}
	noHeader := csvRow(f.rows[0], names) + "\r\n" + csvRow(f.rows[1], names) + "\n\n" + csvRow(f.rows[2], names)
	withHeader := "\xEF\xBB\xBF" + strings.Join(header, ",") + "\n" + csvRow(f.rows[0], header) + "\n" + csvRow(f.rows[1], header) + "\n" + csvRow(f.rows[2], header) + "\n"
	want := []float64{score(t, f.champB, f.records[0]), score(t, f.champB, f.records[1]), score(t, f.champB, f.records[2])}
	wantB := score(t, f.challB, f.records[0])

	for _, tc := range []struct {
		name string
		h    http.Handler
		body string
		hdr  []string
		want []float64
		csv  bool
	}{
		{"bare record", one, string(f.records[0]), []string{"Content-Type", "application/json"}, want[:1], false},
		{"no content type", one, string(f.records[0]), nil, want[:1], false},
		{"v1 body", one, v1Body(f.records[:3]...), []string{"Content-Type", "application/json; charset=utf-8"}, want, false},
		{"csv", one, noHeader, []string{"Content-Type", "text/csv"}, want, false},
		{"csv header", one, withHeader, []string{"Content-Type", "text/csv"}, want, false},
		{"csv to csv", one, noHeader, []string{"Content-Type", "text/csv", "Accept", "text/csv"}, want, true},
		{"target", two, string(f.records[0]), []string{TargetModelHeader, "b"}, []float64{wantB}, false},
		{"target bundle", two, string(f.records[0]), []string{TargetModelHeader, "b.bundle"}, []float64{wantB}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, tc.h, "POST", "/invocations", tc.body, tc.hdr...)
			if w.Code != 200 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			var got []float64
			if tc.csv {
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
					t.Errorf("content type %q", ct)
				}
				for _, line := range strings.Fields(w.Body.String()) {
					v, err := strconv.ParseFloat(line, 64)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, v)
				}
			} else {
				got = decodeV1(t, w).Predictions
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%v, want %v", got, tc.want)
			}
			for i := range got {
				if !near(got[i], tc.want[i]) {
					t.Errorf("row %d: %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if w := do(t, one, "GET", "/ping", ""); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("ping: %d %q", w.Code, w.Body)
	}
	// Explanations of a CSV row carry the cell values, typed by the field's kind.
	w := do(t, one, "POST", "/invocations?explain=20", withHeader, "Content-Type", "text/csv")
	resp := decodeV1(t, w)
	for _, r := range resp.Explanations[1] {
		wantJS, _ := json.Marshal(f.rows[1][r.Feature])
		if !jsonEqual(r.Value, wantJS) {
			t.Errorf("%s: value %s, want %s", r.Feature, r.Value, wantJS)
		}
	}
}

func TestListAndDescribe(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{}, FileModel{Name: "b", Path: f.chall}, FileModel{Name: "a", Path: f.champ, Challenger: f.chall, Route: Route{Mode: ModeCanary, Percent: 5}})
	w := do(t, s, "GET", "/v1/models", "")
	var list struct{ Models []ModelStatus }
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list.Models) != 2 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	a := list.Models[0]
	if a.Name != "a" || !a.Ready || a.Version != versionOf(f.champB) || a.Challenger == nil ||
		a.Challenger.Mode != "canary" || a.Challenger.Percent != 5 || a.Challenger.Key != "customer_id" || a.Inputs != nil {
		t.Errorf("list: %+v", a)
	}
	w = do(t, s, "GET", "/v1/models/a", "")
	var st ModelStatus
	json.Unmarshal(w.Body.Bytes(), &st)
	if len(st.Inputs) != len(f.champB.Transformer.Inputs()) || st.ModelType != "gbdt" || st.Platform != "riskflow" {
		t.Errorf("describe: %s", w.Body)
	}
}

func TestPredictionLog(t *testing.T) {
	f := fixture(t)
	log := &memLog{}
	s := newServer(t, Options{PredictionLog: log}, FileModel{Name: "m", Path: f.champ})
	w := do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[:2]...), "X-Request-Id", "abc-1")
	resp := decodeV1(t, w)
	if id := w.Header().Get("X-Request-Id"); id != "abc-1" {
		t.Errorf("X-Request-Id %q", id)
	}
	got := log.snapshot()
	if len(got) != 2 {
		t.Fatalf("%d entries, want 2", len(got))
	}
	for i, e := range got {
		if e.RequestID != "abc-1" || e.Model != "m" || e.Version != resp.ModelVersion || e.Probability != resp.Predictions[i] || e.Shadow != nil || e.Canary {
			t.Errorf("entry %d: %+v", i, e)
		}
		var haveID bool
		for _, fl := range e.Inputs {
			if fl.Name == "order_id" {
				haveID = fl.Value == f.rows[i]["order_id"]
			}
			if want := f.rows[i][fl.Name]; fl.Value != want {
				t.Errorf("entry %d: %s = %v, want %v", i, fl.Name, fl.Value, want)
			}
		}
		if !haveID || len(e.Inputs) != len(f.champB.Transformer.Inputs())+1 {
			t.Errorf("entry %d: inputs %v", i, e.Inputs)
		}
	}
	// Without X-Request-Id the server makes one and returns it.
	w = do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0]))
	if id := w.Header().Get("X-Request-Id"); id == "" || log.snapshot()[2].RequestID != id {
		t.Errorf("generated id %q, logged %q", id, log.snapshot()[2].RequestID)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	f := fixture(t)
	s := newServer(t, Options{}, FileModel{Name: "m", Path: f.champ})
	decodeV1(t, do(t, s, "POST", "/v1/models/m:predict", v1Body(f.records[0])))
	do(t, s, "POST", "/v1/models/m:predict", `{`)
	do(t, s, "POST", "/v1/models/zz:predict", `{}`)
	w := do(t, s, "GET", "/metrics", "")
	body := w.Body.String()
	ver := versionOf(f.champB)
	for _, want := range []string{
		`riskflow_serve_requests_total{code="200",model="m",version="` + ver + `"} 1`,
		`riskflow_serve_requests_total{code="400",model="m",version="` + ver + `"} 1`,
		`riskflow_serve_requests_total{code="404",model="",version=""} 1`,
		`riskflow_serve_request_duration_seconds_bucket{model="m",version="` + ver + `",le="5e-05"}`,
		`riskflow_serve_score_count{model="m",role="champion",version="` + ver + `"} 1`,
		`riskflow_serve_in_flight_requests{model="m",version="` + ver + `"} 0`,
		`riskflow_serve_queue_depth{model="m"} 0`,
		`riskflow_serve_model_load_duration_seconds_count{model="m"} 1`,
		`riskflow_serve_model_info{model="m",role="champion",version="` + ver + `"} 1`,
		`riskflow_build_info{commit=`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	src := &FileSource{Dir: "x"}
	for _, o := range []Options{
		{},
		{Source: src, MaxBodyBytes: -1},
		{Source: src, MaxInstances: -1},
		{Source: src, Workers: -1},
		{Source: src, QueueSize: -1},
		{Source: src, QueueTimeout: -1},
		{Source: src, ShadowQueue: -1},
		{Source: src, ReadTimeout: -1},
	} {
		if err := o.Validate(); err == nil || !strings.HasPrefix(err.Error(), "serve: ") {
			t.Errorf("%+v: %v", o, err)
		}
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	if err := (Options{Source: src}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Route
		ok   bool
	}{
		{"shadow", Route{Mode: ModeShadow}, true},
		{"canary:10", Route{Mode: ModeCanary, Percent: 10}, true},
		{"canary:2.5", Route{Mode: ModeCanary, Percent: 2.5}, true},
		{"canary:0", Route{Mode: ModeCanary}, true},
		{"canary:100", Route{Mode: ModeCanary, Percent: 100}, true},
		{"canary:101", Route{}, false},
		{"canary:-1", Route{}, false},
		{"canary:NaN", Route{}, false},
		{"canary", Route{}, false},
		{"mirror", Route{}, false},
	} {
		got, err := ParseRoute(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRoute(%q) = %+v, %v", tc.in, got, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("%q round-trips to %q", tc.in, got.String())
		}
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }

func TestFileSource(t *testing.T) {
	f := fixture(t)
	dir := t.TempDir()
	copyFile(t, f.champ, dir+"/orders.bundle")
	copyFile(t, f.chall, dir+"/returns.bundle")
	if err := writeFile(dir+"/notes.txt", "x"); err != nil {
		t.Fatal(err)
	}
	src := &FileSource{Dir: dir}
	specs, err := src.Models(context.Background())
	if err != nil || len(specs) != 2 || specs[0].Name != "orders" || specs[1].Name != "returns" {
		t.Fatalf("%+v %v", specs, err)
	}
	key := specs[0].Champion.Key
	time.Sleep(10 * time.Millisecond)
	copyFile(t, f.chall, dir+"/orders.bundle")
	specs, _ = src.Models(context.Background())
	if specs[0].Champion.Key == key {
		t.Error("key unchanged after the file was replaced")
	}
	for _, bad := range []*FileSource{
		{},
		{Files: []FileModel{{Name: "a/b", Path: "x"}}},
		{Files: []FileModel{{Name: "a", Path: "x"}, {Name: "a", Path: "y"}}},
		{Files: []FileModel{{Name: "a"}}},
		{Dir: t.TempDir()},
		{Dir: dir + "/nope"},
	} {
		if _, err := bad.Models(context.Background()); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	for name, ok := range map[string]bool{"orders": true, "a.b-c_1": true, "": false, "-x": false, "a:b": false, "a/b": false, strings.Repeat("x", 129): false} {
		if ValidName(name) != ok {
			t.Errorf("ValidName(%q) = %v", name, !ok)
		}
	}
}
