package serve

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The request decoders must never panic, must answer 200 only for valid JSON, and must answer
// with one of the statuses a bad request can get.

var fuzzSrv struct {
	once sync.Once
	s    *Server
}

func fuzzServer(t testing.TB) *Server {
	f := fixture(t)
	fuzzSrv.once.Do(func() {
		s, err := New(Options{
			Source:       &FileSource{Files: []FileModel{{Name: "m", Path: f.champ, Challenger: f.chall, Route: Route{Mode: ModeCanary, Percent: 50}}}},
			PollInterval: -1, MaxInstances: 50, MaxBodyBytes: 64 << 10, ShadowWorkers: 1,
		})
		if err != nil {
			panic(err)
		}
		if err := s.Reload(context.Background()); err != nil {
			panic(err)
		}
		fuzzSrv.s = s
	})
	return fuzzSrv.s
}

func checkFuzzResponse(t *testing.T, code int, body []byte, resp string, wantJSON bool) {
	switch code {
	case http.StatusOK:
		if wantJSON && !json.Valid(body) {
			t.Fatalf("200 for invalid JSON %q", body)
		}
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		var e struct{ Error string }
		if err := json.Unmarshal([]byte(resp), &e); err != nil || e.Error == "" {
			t.Fatalf("error body %q", resp)
		}
	default:
		t.Fatalf("status %d for %q: %s", code, body, resp)
	}
}

func FuzzV1Predict(f *testing.F) {
	fx := fixture(f)
	for _, seed := range []string{
		v1Body(fx.records[0]),
		v1Body(fx.records[:3]...),
		`{"explain": 2, "instances": [{"order_amount": 12.5, "market": "de", "customer_id": "c1"}]}`,
		`{"instances": [{"order_ts": "2024-01-02T03:04:05Z", "is_first_order": true}], "x": [1, {"y": null}]}`,
		`{"instances": [{"order_amount": "12"}]}`,
		`{"instances": []}`, `{}`, `[]`, `{"instances": [{"a": "\ud800"}]}`,
	} {
		f.Add([]byte(seed))
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := do(t, s, "POST", "/v1/models/m:predict", string(body))
		checkFuzzResponse(t, w.Code, body, w.Body.String(), true)
		if w.Code == 200 {
			var resp v1Response
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatalf("response %s: %v", w.Body, err)
			}
			var req struct{ Instances []json.RawMessage }
			if err := json.Unmarshal(body, &req); err == nil && len(req.Instances) != len(resp.Predictions) {
				t.Fatalf("%d predictions for %d instances", len(resp.Predictions), len(req.Instances))
			}
		}
	})
}

func FuzzV2Infer(f *testing.F) {
	fx := fixture(f)
	f.Add([]byte(v2Request(f, fx.champB, fx.champB.Transformer.Inputs(), fx.rows[:2])))
	for _, seed := range []string{
		`{"id": "x", "inputs": [{"name": "order_amount", "shape": [2], "datatype": "FP64", "data": [1.5, null]}]}`,
		`{"inputs": [{"name": "market", "shape": [1, 1], "datatype": "BYTES", "data": [["d\u0065"]]}, {"name": "is_first_order", "shape": [1], "datatype": "BOOL", "data": [true]}]}`,
		`{"inputs": [{"data": [1], "datatype": "INT64", "shape": [1], "name": "basket_size", "parameters": {}}], "outputs": [{"name": "probability"}]}`,
		`{"inputs": [{"name": "order_ts", "shape": [1], "datatype": "BYTES", "data": ["2024-02-30"]}]}`,
	} {
		f.Add([]byte(seed))
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := do(t, s, "POST", "/v2/models/m/infer", string(body))
		checkFuzzResponse(t, w.Code, body, w.Body.String(), true)
	})
}

func FuzzInvocations(f *testing.F) {
	fx := fixture(f)
	var names []string
	for _, in := range fx.champB.Transformer.Inputs() {
		names = append(names, in.Name)
	}
	f.Add([]byte(strings.Join(names, ",")+"\n"+strings.Repeat("1,", len(names)-1)+"1\n"), "text/csv")
	f.Add([]byte("order_amount,market\n12,\"d\"\"e\"\n"), "text/csv")
	f.Add([]byte(fx.records[0]), "application/json")
	f.Add([]byte(v1Body(fx.records[1])), "application/json")
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		w := do(t, s, "POST", "/invocations", string(body), "Content-Type", ctype)
		if w.Code == http.StatusUnsupportedMediaType {
			return
		}
		checkFuzzResponse(t, w.Code, body, w.Body.String(), mediaType(ctype) != "text/csv")
	})
}

// FuzzCSV checks csvScan against encoding/csv on inputs without carriage returns (where the
// two agree by design: encoding/csv turns \r\n inside quoted fields into \n, csvScan keeps
// them, and csvScan ends a record at a lone \r).
func FuzzCSV(f *testing.F) {
	for _, seed := range []string{
		"a,b,c\n1,2,3\n", `"a ""quoted"" cell",x` + "\n", "\n\na\n\n", `"multi` + "\n" + `line",2`, "a,\"b", "a\"b,c", `"a"b`, ",,\n,", `""`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ours [][]string
		var oursErr error
		var scratch []byte
		for pos := 0; pos < len(data); {
			if data[pos] == '\n' || data[pos] == '\r' {
				pos++
				continue
			}
			var rec []string
			next, n, err := csvScan(data, pos, &scratch, func(_ int, cell []byte) error {
				rec = append(rec, string(cell))
				return nil
			})
			if err != nil {
				oursErr = err
				break
			}
			if n != len(rec) || next <= pos {
				t.Fatalf("csvScan returned %d cells (%d seen), next %d at %d", n, len(rec), next, pos)
			}
			ours = append(ours, rec)
			pos = next
		}
		if slices.Contains(data, '\r') {
			return
		}
		r := csv.NewReader(strings.NewReader(string(data)))
		r.FieldsPerRecord = -1
		var std [][]string
		var stdErr error
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				stdErr = err
				break
			}
			std = append(std, rec)
		}
		if (oursErr == nil) != (stdErr == nil) {
			t.Fatalf("%q: csvScan error %v, encoding/csv error %v", data, oursErr, stdErr)
		}
		if oursErr == nil && !slices.EqualFunc(ours, std, slices.Equal[[]string]) {
			t.Fatalf("%q: csvScan %q, encoding/csv %q", data, ours, std)
		}
	})
}

// FuzzScanner checks the envelope scanner against encoding/json: skip accepts exactly the
// valid JSON values (up to its depth limit).
func FuzzScanner(f *testing.F) {
	for _, seed := range []string{`{"a": [1, 2.5e3, -0, "x\n"], "b": {"c": null}}`, `[`, `"\u12"`, `01`, `{"a" 1}`, ` true `, `-`, `1.`, `"\ud800"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := scanner{data: data}
		err := s.skip(0)
		if err == nil {
			err = s.end()
		}
		if (err == nil) != json.Valid(data) && strings.Count(string(data), "[")+strings.Count(string(data), "{") < maxDepth {
			t.Fatalf("%q: scanner says %v, encoding/json valid=%v", data, err, json.Valid(data))
		}
	})
}
