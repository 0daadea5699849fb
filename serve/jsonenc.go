package serve

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"riskflow/internal/jsontext"
)

// Response bodies on the prediction paths are appended by hand into a reused buffer (the hot
// path); metadata and listings use encoding/json.

// Header values shared by every response. net/http only reads them; they are never modified.
var (
	hdrJSON = []string{"application/json"}
	hdrCSV  = []string{"text/csv; charset=utf-8"}
)

// appendFloat appends f as a JSON number in its shortest round-trip form; NaN and ±Inf, which
// JSON cannot hold, become null.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

// writeBody writes a complete response body with its content type and status.
func writeBody(w http.ResponseWriter, code int, ctype []string, body []byte) {
	h := w.Header()
	h["Content-Type"] = ctype
	if len(body) > 2000 {
		// net/http sets the length of smaller bodies itself; larger ones would be chunked.
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(code)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}

// writeJSON writes v (a metadata document, not the hot path) as JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, &httpError{code: http.StatusInternalServerError, msg: "encoding the response: " + err.Error()})
		return
	}
	writeBody(w, code, hdrJSON, append(body, '\n'))
}

// writeError writes {"error": msg} with the error's status, and Retry-After for 429 and 503.
func writeError(w http.ResponseWriter, e *httpError) {
	b := make([]byte, 0, len(e.msg)+16)
	b = append(b, `{"error":`...)
	b = jsontext.AppendString(b, e.msg)
	b = append(b, "}\n"...)
	if e.code == http.StatusTooManyRequests || e.code == http.StatusServiceUnavailable {
		w.Header()["Retry-After"] = []string{"1"}
	}
	writeBody(w, e.code, hdrJSON, b)
}
