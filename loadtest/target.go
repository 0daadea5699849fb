package loadtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Target describes the requests of a load test: all go to one URL with one method and one set of
// headers; the bodies are sent in turn, cycling.
type Target struct {
	// Method is the HTTP method; "" means POST.
	Method string
	// URL is the absolute http or https URL every request goes to.
	URL string
	// Header is sent with every request. When it has no Content-Type and there are bodies,
	// "Content-Type: application/json" is added.
	Header http.Header
	// Bodies are the request bodies, sent in this order and cycling: request i carries
	// Bodies[i%len(Bodies)]. None means requests without a body. The slices are shared by
	// concurrent requests and must not be modified during a run.
	Bodies [][]byte
}

// Validate reports whether t can be used: an absolute http(s) URL with a host and a valid method.
func (t Target) Validate() error {
	u, err := url.Parse(t.URL)
	if err != nil {
		return fmt.Errorf("loadtest: url %q: %w", t.URL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("loadtest: url %q: want an absolute http:// or https:// URL", t.URL)
	}
	if t.Method != "" && !validMethod(t.Method) {
		return fmt.Errorf("loadtest: invalid method %q", t.Method)
	}
	return nil
}

// validMethod reports whether m is an HTTP token (RFC 9110 section 5.6.2).
func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		c := m[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0:
		default:
			return false
		}
	}
	return m != ""
}

// targeter returns a vegeta targeter that fills in t's method, URL and header and the next body
// in turn. It is safe for concurrent use, as vegeta's workers call it concurrently.
func (t Target) targeter() vegeta.Targeter {
	method := t.Method
	if method == "" {
		method = http.MethodPost
	}
	header := t.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	if header.Get("Content-Type") == "" && len(t.Bodies) > 0 {
		header.Set("Content-Type", "application/json")
	}
	bodies := t.Bodies
	var next atomic.Uint64
	return func(tgt *vegeta.Target) error {
		tgt.Method = method
		tgt.URL = t.URL
		tgt.Header = header // vegeta copies it into each request
		if len(bodies) > 0 {
			i := next.Add(1) - 1
			tgt.Body = bodies[i%uint64(len(bodies))]
		}
		return nil
	}
}

// ErrNotObject is the reason in a RecordError for a line that is valid JSON but not an object.
var ErrNotObject = errors.New("not a JSON object")

// ErrNoRecords is returned for a records file without any record.
var ErrNoRecords = errors.New("loadtest: no records")

// RecordError reports a line of a records file that is not a JSON object.
type RecordError struct {
	File string // the file name as given
	Line int    // 1-based line number
	Err  error  // ErrNotObject or the JSON syntax error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("loadtest: %s:%d: %v", e.File, e.Line, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// LoadRecords reads a JSONL file of records and returns one v1 predict request body per record
// (see ReadRecords).
func LoadRecords(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	defer f.Close()
	return ReadRecords(f, path)
}

// ReadRecords reads JSONL records, one JSON object per line, and returns one v1 predict request
// body per record, {"instances":[<record>]}, in file order. Blank lines are skipped and CRLF line
// ends are accepted. A line that is not a JSON object is a *RecordError naming name and the line;
// a stream without records is ErrNoRecords.
func ReadRecords(r io.Reader, name string) ([][]byte, error) {
	br := bufio.NewReader(r)
	var bodies [][]byte
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("loadtest: %s: %w", name, err)
		}
		if rec := bytes.TrimSpace(b); len(rec) > 0 {
			if !json.Valid(rec) {
				var v any
				return nil, &RecordError{File: name, Line: line, Err: json.Unmarshal(rec, &v)}
			}
			if rec[0] != '{' {
				return nil, &RecordError{File: name, Line: line, Err: ErrNotObject}
			}
			bodies = append(bodies, Instances(rec))
		}
		if err == io.EOF {
			break
		}
	}
	if len(bodies) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoRecords, name)
	}
	return bodies, nil
}

// Instances wraps one JSON record into a v1 predict request body: {"instances":[<record>]}.
// The record is copied, not checked.
func Instances(record []byte) []byte {
	const open, closing = `{"instances":[`, `]}`
	b := make([]byte, 0, len(open)+len(record)+len(closing))
	b = append(b, open...)
	b = append(b, record...)
	return append(b, closing...)
}
