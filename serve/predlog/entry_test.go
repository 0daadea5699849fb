package predlog

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"riskflow/internal/jsontext"
)

func hmacHex(key []byte, text string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(text))
	return hashPrefix + hex.EncodeToString(m.Sum(nil))[:hashHexLen]
}

func TestAppendEntry(t *testing.T) {
	at := time.Date(2026, 11, 25, 11, 15, 0, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		e    Entry
		want string
	}{
		{
			name: "champion only",
			e: Entry{
				RequestID: "r-42", Time: at, Model: "orders", Version: "7",
				Inputs: []Field{
					{Name: "amount", Value: 129.9},
					{Name: "email", Value: "alice@example.com", PII: true},
					{Name: "country", Value: "DE"},
					{Name: "age", Value: nil},
					{Name: "age_pii", Value: nil, PII: true},
				},
				Probability: 0.0213, LatencyMicros: 812,
			},
			want: `{"request_id":"r-42","time":"2026-11-25T10:15:00.123456789Z","model":"orders","version":"7",` +
				`"inputs":{"amount":129.9,"email":"` + hmacHex(testKey, "alice@example.com") + `","country":"DE","age":null,"age_pii":null},` +
				`"probability":0.0213,"latency_us":812}` + "\n",
		},
		{
			name: "shadow and canary",
			e: Entry{
				RequestID: "r-43", Time: at, Model: "orders", Version: "8",
				Probability: 0.5, Shadow: &Score{Version: "9", Probability: math.NaN()}, Canary: true, LatencyMicros: 0,
			},
			want: `{"request_id":"r-43","time":"2026-11-25T10:15:00.123456789Z","model":"orders","version":"8",` +
				`"inputs":{},"probability":0.5,"shadow":{"version":"9","probability":null},"canary":true,"latency_us":0}` + "\n",
		},
		{
			name: "escaped names",
			e: Entry{
				RequestID: "a\"b", Time: at.Truncate(time.Second), Model: "m\n", Version: "",
				Inputs:      []Field{{Name: `we"ird`, Value: "x\\y"}},
				Probability: math.Inf(1), LatencyMicros: -1,
			},
			want: `{"request_id":"a\"b","time":"2026-11-25T10:15:00Z","model":"m\n","version":"",` +
				`"inputs":{"we\"ird":"x\\y"},"probability":null,"latency_us":-1}` + "\n",
		},
	}
	enc := newEncoder(testKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(enc.appendEntry(nil, &tt.e))
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("invalid JSON: %s", got)
			}
		})
	}
}

type stringer struct{ A int }

func TestAppendValue(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, "null"},
		{"float", 0.1, "0.1"},
		{"float integral", 42.0, "42"},
		{"negative", -3.25, "-3.25"},
		{"tiny", 1e-7, "1e-7"},
		{"small", 0.000001, "0.000001"},
		{"huge", 1e21, "1e+21"},
		{"big", 1e20, "100000000000000000000"},
		{"nan", math.NaN(), "null"},
		{"inf", math.Inf(-1), "null"},
		{"float32", float32(0.1), "0.1"},
		{"float32 nan", float32(math.NaN()), "null"},
		{"int", 7, "7"},
		{"int64", int64(-9), "-9"},
		{"int32", int32(5), "5"},
		{"uint", uint(3), "3"},
		{"uint32", uint32(4), "4"},
		{"uint64", uint64(1 << 63), "9223372036854775808"},
		{"string", "DE", `"DE"`},
		{"bool", true, "true"},
		{"time", time.Date(2024, 3, 1, 9, 0, 0, 500, time.FixedZone("CET", 3600)), `"2024-03-01T08:00:00.0000005Z"`},
		{"struct via encoding/json", stringer{A: 1}, `{"A":1}`},
		{"unencodable", make(chan int), "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendValue(nil, tt.v)); got != tt.want {
				t.Errorf("appendValue(%v) = %s, want %s", tt.v, got, tt.want)
			}
		})
	}
}

func TestAppendFloatRoundTrips(t *testing.T) {
	for _, f := range []float64{0, -0.0, 1, 0.1, 1.0 / 3, 0.0213, 1e-300, 5e-324, math.MaxFloat64, 123456789.123, 1e21 - 1e5, 9.999999e-7} {
		s := string(appendFloat(nil, f))
		got, err := strconv.ParseFloat(s, 64)
		if err != nil || got != f {
			t.Errorf("appendFloat(%v) = %s, parses as %v, %v", f, s, got, err)
		}
		if want := strconv.FormatFloat(f, 'g', -1, 64); len(strings.TrimLeft(s, "-0.")) > len(want) {
			t.Errorf("appendFloat(%v) = %s, longer than %s", f, s, want)
		}
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", `""`},
		{"plain", `"plain"`},
		{`q"b\`, `"q\"b\\"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"grüße €", `"grüße €"`},
		{"bad\xffbyte", `"bad\ufffdbyte"`},
		{"\xe2\x82", `"\ufffd\ufffd"`},
	}
	for _, tt := range tests {
		if got := string(jsontext.AppendString(nil, tt.in)); got != tt.want {
			t.Errorf("jsontext.AppendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00\n", "grüße", "\xff\xfe", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := jsontext.AppendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("jsontext.AppendString(%q) = %s: %v", s, b, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); utf8.ValidString(s) && got != want {
			t.Fatalf("jsontext.AppendString(%q) decodes to %q", s, got)
		}
	})
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 0.5, 1e-7, 1e21, -2.5e-300} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		b := appendFloat(nil, v)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if string(b) != "null" {
				t.Fatalf("appendFloat(%v) = %s", v, b)
			}
			return
		}
		var got float64
		if err := json.Unmarshal(b, &got); err != nil || got != v {
			t.Fatalf("appendFloat(%v) = %s, decodes to %v, %v", v, b, got, err)
		}
	})
}

func TestHashedValues(t *testing.T) {
	otherKey := []byte("fedcba9876543210fedcba9876543210")
	tests := []struct {
		name string
		v    any
		text string // what is hashed
	}{
		{"string", "alice@example.com", "alice@example.com"},
		{"string with quotes", `a"b`, `a"b`},
		{"number", 4711.5, "4711.5"},
		{"bool", true, "true"},
		{"time", time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC), "1990-05-17T00:00:00Z"},
	}
	enc, other := newEncoder(testKey), newEncoder(otherKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(enc.appendHash(nil, tt.v))
			if want := `"` + hmacHex(testKey, tt.text) + `"`; got != want {
				t.Errorf("hash = %s, want %s", got, want)
			}
			if again := string(enc.appendHash(nil, tt.v)); again != got {
				t.Errorf("same value, same key: %s then %s", got, again)
			}
			if o := string(other.appendHash(nil, tt.v)); o == got {
				t.Errorf("different keys give the same hash %s", o)
			}
		})
	}
}

func TestEncodeAllocs(t *testing.T) {
	enc := newEncoder(testKey)
	e := wideEntry("r-1")
	buf := enc.appendEntry(nil, &e)
	if n := testing.AllocsPerRun(100, func() { buf = enc.appendEntry(buf[:0], &e) }); n != 0 {
		t.Errorf("appendEntry allocates %v times per entry, want 0", n)
	}
}
