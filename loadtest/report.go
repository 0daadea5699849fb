package loadtest

import (
	"encoding/json"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Mode says how a Report's load was generated.
type Mode string

const (
	// ModeRate is the open model of Run: requests start at a constant rate, whatever the
	// responses.
	ModeRate Mode = "rate"
	// ModeMax is the closed loop of RunMax: a fixed number of connections each send the next
	// request as soon as the previous one is answered.
	ModeMax Mode = "max"
)

// Report is the outcome of one measurement (one rate, or one RunMax). Warmup requests are not
// in it. In JSON, durations are integer nanoseconds (fields ending in _ns) and Success is a
// ratio in [0, 1].
type Report struct {
	Mode Mode `json:"mode"`
	// Rate is the target rate in requests per second; 0 in ModeMax.
	Rate float64 `json:"rate"`
	// Connections is the connection limit (0: unlimited in ModeRate).
	Connections int `json:"connections"`
	// Requests is the number of requests sent and answered (or failed).
	Requests int `json:"requests"`
	// Success is the fraction of requests answered with a 2xx status.
	Success float64 `json:"success"`
	// Throughput is the number of 2xx responses per second of Duration.
	Throughput float64 `json:"throughput"`
	// RequestRate is the achieved rate at which requests were sent, per second: in ModeRate it
	// falls below Rate only when the generator or the connection limit cannot keep up; in
	// ModeMax it is the measured capacity.
	RequestRate float64 `json:"request_rate"`
	// Duration is the wall time from the first request sent to the last response received; in
	// ModeRate at least the schedule's n/Rate.
	Duration time.Duration `json:"duration_ns"`
	// Latencies summarises the time from sending each request to reading its whole response,
	// over all requests, failed ones included.
	Latencies Latencies `json:"latencies"`
	// StatusCodes counts the responses by HTTP status; 0 counts requests without a response
	// (connection errors and timeouts).
	StatusCodes map[int]int `json:"status_codes"`
	// Errors counts the failures by message: "429 Too Many Requests: <error from the body>" for
	// non-2xx responses, the transport error (or "timeout after 5s") for requests without a
	// response. At most maxErrorKinds distinct messages are kept; the rest count under
	// "other errors".
	Errors map[string]int `json:"errors"`
	// Canceled is true when the context was canceled before the end: the report covers the
	// requests answered until then.
	Canceled bool `json:"canceled,omitempty"`
}

// Latencies are latency percentiles, from an HDR histogram (1µs to 60s, 3 significant digits,
// so within 0.1%), and the exact mean and maximum.
type Latencies struct {
	Mean time.Duration `json:"mean_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P95  time.Duration `json:"p95_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"` // the 99.9th percentile
	Max  time.Duration `json:"max_ns"`
}

// Histogram range, in microseconds: 1µs to 60s.
const (
	histMin     = 1
	histMax     = 60_000_000
	histSigFigs = 3
)

// maxErrorKinds bounds the number of distinct messages in Report.Errors, so a server that puts
// a request id in every error message cannot make the report grow without bound.
const maxErrorKinds = 100

// otherErrors is the Report.Errors key counting failures beyond maxErrorKinds messages.
const otherErrors = "other errors"

// collector accumulates results into a Report. It is used by one goroutine.
type collector struct {
	url       string
	timeout   time.Duration
	interval  time.Duration // between scheduled requests; 0 in a closed loop
	hist      *hdrhistogram.Histogram
	requests  int
	ok        int
	sum, max  time.Duration
	codes     map[int]int
	errs      map[string]int
	firstSent time.Time
	lastSent  time.Time
	lastEnd   time.Time
}

func newCollector(url string, timeout, interval time.Duration) *collector {
	return &collector{
		url:      url,
		timeout:  timeout,
		interval: interval,
		hist:     hdrhistogram.New(histMin, histMax, histSigFigs),
		codes:    map[int]int{},
		errs:     map[string]int{},
	}
}

// add counts one result.
func (c *collector) add(r *vegeta.Result) {
	c.requests++
	code := int(r.Code)
	c.codes[code]++
	if code >= 200 && code < 300 {
		c.ok++
	} else {
		c.addError(c.message(r))
	}
	lat := max(r.Latency, 0)
	c.sum += lat
	c.max = max(c.max, lat)
	us := min(max(lat.Microseconds(), histMin), histMax)
	_ = c.hist.RecordValue(us) // cannot fail: us is within the histogram's range
	if c.firstSent.IsZero() || r.Timestamp.Before(c.firstSent) {
		c.firstSent = r.Timestamp
	}
	if r.Timestamp.After(c.lastSent) {
		c.lastSent = r.Timestamp
	}
	if end := r.End(); end.After(c.lastEnd) {
		c.lastEnd = end
	}
}

func (c *collector) addError(msg string) {
	if _, ok := c.errs[msg]; !ok && len(c.errs) >= maxErrorKinds {
		msg = otherErrors
	}
	c.errs[msg]++
}

// message describes a failed result: the status and the error the body gives, or the
// transport error without the "Method "URL": " prefix net/http puts in front of it.
func (c *collector) message(r *vegeta.Result) string {
	if r.Code == 0 {
		msg := r.Error
		// net/http's *url.Error reads `Post "URL": err`.
		if i := strings.Index(msg, ` "`+c.url+`": `); i > 0 && !strings.Contains(msg[:i], " ") {
			msg = msg[i+len(c.url)+len(` "": `):]
		}
		if strings.HasSuffix(msg, "context deadline exceeded") {
			return "timeout after " + c.timeout.String()
		}
		return msg
	}
	msg := strconv.Itoa(int(r.Code))
	if text := http.StatusText(int(r.Code)); text != "" {
		msg += " " + text
	}
	if detail := bodyError(r.Headers.Get("Content-Type"), r.Body); detail != "" {
		msg += ": " + detail
	}
	return msg
}

// maxDetail bounds the length of the body detail in an error message.
const maxDetail = 120

// bodyError extracts a short error description from an error response body: the "error" field
// of a JSON object, or the first line of a text/plain body.
func bodyError(contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	var s string
	switch mt {
	case "application/json", "application/problem+json":
		var v struct {
			Error  any    `json:"error"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		switch e := v.Error.(type) {
		case string:
			s = e
		case map[string]any: // {"error": {"message": "..."}}
			s, _ = e["message"].(string)
		}
		if s == "" {
			s = v.Detail
		}
	case "text/plain":
		s, _, _ = strings.Cut(string(body), "\n")
	}
	s = strings.TrimSpace(s)
	if len(s) > maxDetail {
		s = strings.ToValidUTF8(s[:maxDetail], "") + "…"
	}
	return s
}

// report computes the Report.
func (c *collector) report() *Report {
	rep := &Report{
		Requests:    c.requests,
		StatusCodes: c.codes,
		Errors:      c.errs,
	}
	if c.requests == 0 {
		return rep
	}
	rep.Success = float64(c.ok) / float64(c.requests)
	// On a schedule, n requests take n intervals, even when the last answer comes sooner.
	end := c.lastEnd
	if c.interval > 0 {
		end = later(end, c.lastSent.Add(c.interval))
	}
	rep.Duration = end.Sub(c.firstSent)
	if s := rep.Duration.Seconds(); s > 0 {
		rep.Throughput = float64(c.ok) / s
	}
	// Requests go out at the start of each interval: n requests span n-1 intervals.
	if s := c.lastSent.Sub(c.firstSent).Seconds(); c.requests > 1 && s > 0 {
		rep.RequestRate = float64(c.requests-1) / s
	}
	q := func(p float64) time.Duration {
		return min(time.Duration(c.hist.ValueAtQuantile(p))*time.Microsecond, c.max)
	}
	rep.Latencies = Latencies{
		Mean: time.Duration(math.Round(float64(c.sum) / float64(c.requests))),
		P50:  q(50),
		P90:  q(90),
		P95:  q(95),
		P99:  q(99),
		P999: q(99.9),
		Max:  c.max,
	}
	return rep
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
