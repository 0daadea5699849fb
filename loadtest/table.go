package loadtest

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// topErrors is the number of error messages WriteTable lists per report.
const topErrors = 5

// tableHeader names WriteTable's columns.
var tableHeader = []string{"rate/s", "requests", "success", "throughput/s", "p50", "p90", "p99", "p99.9", "max"}

// WriteTable writes reports as a table with aligned columns, one row per report:
//
//	rate/s  requests  success  throughput/s  p50     p90     p99     p99.9   max
//	200     6000      100.00%  200.0         0.41ms  0.62ms  1.10ms  2.31ms  4.02ms
//
// For a ModeMax report the rate column holds the achieved request rate. Below the table, each
// report with failures gets its status code counts and its most frequent error messages.
func WriteTable(w io.Writer, reports []*Report) error {
	rows := [][]string{tableHeader}
	var maxConns []int
	canceled := false
	for _, r := range reports {
		rate := formatRate(r.Rate)
		if r.Mode == ModeMax {
			rate = strconv.FormatFloat(r.RequestRate, 'f', 1, 64)
			maxConns = append(maxConns, r.Connections)
		}
		if r.Canceled {
			rate += "*"
			canceled = true
		}
		row := []string{rate, strconv.Itoa(r.Requests), "-", "-", "-", "-", "-", "-", "-"}
		if r.Requests > 0 {
			l := r.Latencies
			row = append(row[:2],
				strconv.FormatFloat(100*r.Success, 'f', 2, 64)+"%",
				strconv.FormatFloat(r.Throughput, 'f', 1, 64),
				formatLatency(l.P50), formatLatency(l.P90), formatLatency(l.P99),
				formatLatency(l.P999), formatLatency(l.Max))
		}
		rows = append(rows, row)
	}
	var b strings.Builder
	writeAligned(&b, rows)
	var behind []string
	for _, r := range reports {
		if r.Mode == ModeRate && r.Requests > 1 && r.RequestRate < 0.95*r.Rate {
			behind = append(behind, fmt.Sprintf("%s/s: requests went out at %.1f/s only: the generator or the connection limit could not keep up\n",
				formatRate(r.Rate), r.RequestRate))
		}
	}
	if len(maxConns) > 0 || canceled || len(behind) > 0 {
		b.WriteByte('\n')
	}
	for _, s := range behind {
		b.WriteString(s)
	}
	if len(maxConns) > 0 {
		b.WriteString("max: closed loop with " + joinInts(slices.Compact(maxConns)) +
			" connections; rate/s is the achieved request rate\n")
	}
	if canceled {
		b.WriteString("*: interrupted; partial results\n")
	}
	for _, r := range reports {
		writeFailures(&b, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAligned writes rows with columns separated by at least two spaces, without trailing
// blanks.
func writeAligned(b *strings.Builder, rows [][]string) {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, row := range rows {
		for i, c := range row {
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-len([]rune(c))+2))
			}
		}
		b.WriteByte('\n')
	}
}

// writeFailures writes the status codes and the most frequent errors of a report with
// failures, e.g.
//
//	400/s: status 200: 11877, 429: 120, no response: 3
//	  120× 429 Too Many Requests: model queue is full
//	    3× timeout after 5s
func writeFailures(b *strings.Builder, r *Report) {
	if len(r.Errors) == 0 {
		return
	}
	label := formatRate(r.Rate) + "/s"
	if r.Mode == ModeMax {
		label = fmt.Sprintf("max %d connections", r.Connections)
	}
	fmt.Fprintf(b, "\n%s: status %s\n", label, FormatStatusCodes(r.StatusCodes))
	type kind struct {
		msg string
		n   int
	}
	kinds := make([]kind, 0, len(r.Errors))
	for msg, n := range r.Errors {
		kinds = append(kinds, kind{msg, n})
	}
	slices.SortFunc(kinds, func(a, b kind) int {
		return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.msg, b.msg))
	})
	width := len(strconv.Itoa(kinds[0].n))
	for _, k := range kinds[:min(len(kinds), topErrors)] {
		fmt.Fprintf(b, "  %*d× %s\n", width, k.n, k.msg)
	}
	if more := len(kinds) - topErrors; more > 0 {
		fmt.Fprintf(b, "  and %d more kinds of errors\n", more)
	}
}

// FormatStatusCodes formats status code counts in code order, e.g. "200: 5880, 429: 120";
// code 0 (no response) reads "no response".
func FormatStatusCodes(codes map[int]int) string {
	keys := make([]int, 0, len(codes))
	for c := range codes {
		keys = append(keys, c)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, c := range keys {
		name := strconv.Itoa(c)
		if c == 0 {
			name = "no response"
		}
		parts[i] = name + ": " + strconv.Itoa(codes[c])
	}
	return strings.Join(parts, ", ")
}

// formatRate formats a rate without needless decimals: 200, 0.5.
func formatRate(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) }

// formatLatency formats d in milliseconds with two decimals, or in seconds from 1s on.
func formatLatency(d time.Duration) string {
	if d >= time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}
