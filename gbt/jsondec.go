package gbt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// This file is a hand-written decoder for the JSON form of an Ensemble (see wireEnsemble).
//
// Why not encoding/json: a bundle's payload is almost all tree nodes (a 300-tree depth-6
// model has about 30,000 nodes, 2.7 MB), and a server's cold start is mostly decoding them.
// encoding/json scans the document once to find its end and again to decode it, by
// reflection through pointer fields that allocate per key, and New then copies every node:
// 62 ms, 162,000 allocations for the 2.9 MB benchmark model on the README's 2-core machine
// (BenchmarkUnmarshalJSONReference), against 15 ms and 529 allocations for this decoder,
// which parses the bytes once straight into []Node and compiles them without a copy
// (BenchmarkUnmarshalJSON). About a third of what is left is strconv.ParseFloat.
//
// It is stricter than encoding/json, never looser: keys must be spelled exactly as
// MarshalJSON writes them (encoding/json also takes "F" for "f"), a key may not repeat, and a
// value may not be null. What MarshalJSON writes always decodes; FuzzUnmarshalJSONReference
// checks that whatever this decoder accepts, encoding/json decoding into the wire structs
// (the previous decoder) accepts too and reads the same.

// jsonDecoder parses one JSON document held in memory. Its errors carry no "gbt:" prefix:
// decodeJSON adds it once, with the place in the model.
// Sizing of the first block of nodes (see tree): about the bytes of JSON a node takes (75-85
// in the models riskflow trains), and the most nodes the first block holds.
const (
	nodeJSONBytes = 75
	maxFirstBlock = 1 << 20
)

type jsonDecoder struct {
	b     []byte
	i     int      // next byte
	cats  []uint32 // free space for category lists, so that they are not allocated one by one
	nodes []Node   // free space the trees' nodes are carved from (see tree)
	used  int      // nodes carved so far
}

// Bits of the keys seen in one node or one ensemble object (duplicates are errors).
const (
	keyF uint16 = 1 << iota
	keyT
	keyL
	keyR
	keyD
	keyC
	keyCS
	keyV
	keyG
	keyH
	nodeRequired = keyF | keyL | keyR | keyV | keyH
)

const (
	keyVersion uint8 = 1 << iota
	keyObjective
	keyBaseScore
	keyNumFeatures
	keyFeatureNames
	keyTrees
	ensembleRequired = keyVersion | keyObjective | keyBaseScore | keyNumFeatures | keyTrees
)

// decodeJSON parses the JSON form of an ensemble into the exported fields of a new Ensemble,
// checking the syntax, the keys and the types of the values (not the model: see New). An
// empty category list decodes as nil, and so do empty feature names for no features, as
// MarshalJSON omits them (so a decoded model encodes and decodes to itself).
func decodeJSON(b []byte) (*Ensemble, error) {
	d := jsonDecoder{b: b}
	e, err := d.ensemble()
	if err != nil {
		return nil, fmt.Errorf("gbt: decode ensemble: %w", err)
	}
	d.ws()
	if d.i != len(d.b) {
		return nil, fmt.Errorf("gbt: decode ensemble: data after the ensemble at offset %d", d.i)
	}
	return e, nil
}

func (d *jsonDecoder) ensemble() (*Ensemble, error) {
	e := &Ensemble{}
	var seen uint8
	err := d.object(func(key []byte) error {
		var bit uint8
		var err error
		switch string(key) {
		case "version":
			bit = keyVersion
			var v int64
			if v, err = d.integer(math.MinInt, math.MaxInt); err == nil && v != FormatVersion {
				// Reported at once: the rest of another version's document may not parse.
				return fmt.Errorf("version %d, want %d", v, FormatVersion)
			}
		case "objective":
			bit = keyObjective
			var s []byte
			s, err = d.str()
			e.Objective = Objective(s)
		case "base_score":
			bit = keyBaseScore
			e.BaseScore, err = d.float()
		case "num_features":
			bit = keyNumFeatures
			var v int64
			v, err = d.integer(math.MinInt, math.MaxInt)
			e.NumFeatures = int(v)
		case "feature_names":
			bit = keyFeatureNames
			e.FeatureNames, err = d.strings()
		case "trees":
			bit = keyTrees
			e.Trees, err = d.trees()
		default:
			return fmt.Errorf("unknown key %q", key)
		}
		return markKey(&seen, bit, key, err)
	})
	if err != nil {
		return nil, err
	}
	if e.FeatureNames != nil && len(e.FeatureNames) == 0 && e.NumFeatures == 0 {
		e.FeatureNames = nil // no names for no features, as MarshalJSON writes it
	}
	switch {
	case seen&keyVersion == 0:
		return nil, errors.New("no version")
	case seen&ensembleRequired != ensembleRequired:
		return nil, errors.New("objective, base_score, num_features and trees are required")
	}
	return e, nil
}

func (d *jsonDecoder) trees() ([]Tree, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	trees := []Tree{}
	if d.consume(']') {
		return trees, nil
	}
	for {
		// The previous tree's size is a good guess for the next one's.
		hint := 0
		if len(trees) > 0 {
			hint = len(trees[len(trees)-1].Nodes)
		}
		nodes, err := d.tree(hint)
		if err != nil {
			return nil, fmt.Errorf("tree %d: %w", len(trees), err)
		}
		trees = append(trees, Tree{Nodes: nodes})
		if d.consume(',') {
			continue
		}
		if d.consume(']') {
			return trees, nil
		}
		return nil, d.syntax("',' or ']' after a tree")
	}
}

// tree parses {"nodes": [node, ...]}.
func (d *jsonDecoder) tree(hint int) ([]Node, error) {
	var nodes []Node
	seen := false
	err := d.object(func(key []byte) error {
		if string(key) != "nodes" {
			return fmt.Errorf("unknown key %q", key)
		}
		if seen {
			return errors.New(`key "nodes" given twice`)
		}
		seen = true
		if err := d.expect('['); err != nil {
			return fmt.Errorf("nodes: %w", err)
		}
		// Trees are carved out of shared blocks rather than allocated one by one: fewer,
		// larger allocations measured 474 -> 402 ms of server CPU for a 10-bundle cold start
		// (17.5k -> 13.3k page faults). A tree that outgrows the block's free space moves
		// to its own array by append, and the free space stays for the next tree.
		if len(d.nodes) < max(hint, 1) {
			n := max(4096, hint, d.used/2)
			if d.used == 0 {
				// The first block is sized from the bytes left, so that a whole model
				// usually fits in it.
				n = max(n, min((len(d.b)-d.i)/nodeJSONBytes, maxFirstBlock))
			}
			d.nodes = make([]Node, n)
		}

		nodes = d.nodes[:0]
		if d.consume(']') {
			return nil
		}
		for {
			nodes = append(nodes, Node{})
			if err := d.node(&nodes[len(nodes)-1]); err != nil {
				return fmt.Errorf("node %d: %w", len(nodes)-1, err)
			}
			if d.consume(',') {
				continue
			}
			if d.consume(']') {
				return nil
			}
			return d.syntax("',' or ']' after a node")
		}
	})
	if err != nil {
		return nil, err
	}
	if !seen {
		return nil, errors.New("no nodes")
	}
	n := len(nodes)
	if n > 0 && len(d.nodes) >= n && &d.nodes[0] == &nodes[0] {
		d.nodes = d.nodes[n:] // carved from the block
	}
	d.used += n
	return nodes[:n:n], nil
}

// markKey ends the parse of an object member: it names the key in err, or refuses a key seen
// before, or marks bit in seen.
func markKey[T uint8 | uint16](seen *T, bit T, key []byte, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", key, err)
	case *seen&bit != 0:
		return fmt.Errorf("key %q given twice", key)
	}
	*seen |= bit
	return nil
}

// node parses one node into n (zero on entry).
func (d *jsonDecoder) node(n *Node) error {
	var seen uint16
	err := d.object(func(key []byte) error {
		var bit uint16
		var err error
		var v int64
		switch string(key) {
		case "f":
			bit = keyF
			v, err = d.integer(math.MinInt32, math.MaxInt32)
			n.Feature = int32(v)
		case "t":
			bit = keyT
			n.Threshold, err = d.float()
		case "l":
			bit = keyL
			v, err = d.integer(math.MinInt32, math.MaxInt32)
			n.Left = int32(v)
		case "r":
			bit = keyR
			v, err = d.integer(math.MinInt32, math.MaxInt32)
			n.Right = int32(v)
		case "d":
			bit = keyD
			n.DefaultLeft, err = d.boolean()
		case "c":
			bit = keyC
			n.Categorical, err = d.boolean()
		case "cs":
			bit = keyCS
			n.Categories, err = d.categories()
		case "v":
			bit = keyV
			n.Value, err = d.float()
		case "g":
			bit = keyG
			n.Gain, err = d.float()
		case "h":
			bit = keyH
			n.Cover, err = d.float()
		default:
			return fmt.Errorf("unknown key %q", key)
		}
		return markKey(&seen, bit, key, err)
	})
	if err != nil {
		return err
	}
	if seen&nodeRequired != nodeRequired {
		return errors.New("keys f, l, r, v and h are required")
	}
	return nil
}

// categories parses an array of category codes (uint32). The list is carved from d.cats.
func (d *jsonDecoder) categories() ([]uint32, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	if d.consume(']') {
		return nil, nil
	}
	start := len(d.cats)
	for {
		v, err := d.integer(0, math.MaxUint32)
		if err != nil {
			return nil, err
		}
		if len(d.cats) == cap(d.cats) {
			// A new chunk; the list so far moves with it, the lists before stay in the old one.
			grown := make([]uint32, len(d.cats)-start, max(1024, 2*(len(d.cats)-start)))
			copy(grown, d.cats[start:])
			d.cats, start = grown, 0
		}
		d.cats = append(d.cats, uint32(v))
		if d.consume(',') {
			continue
		}
		if d.consume(']') {
			end := len(d.cats)
			return d.cats[start:end:end], nil
		}
		return nil, d.syntax("',' or ']' in a list of categories")
	}
}

// strings parses an array of strings; an empty array is an empty slice, not nil.
func (d *jsonDecoder) strings() ([]string, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	out := []string{}
	if d.consume(']') {
		return out, nil
	}
	for {
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		out = append(out, string(s))
		if d.consume(',') {
			continue
		}
		if d.consume(']') {
			return out, nil
		}
		return nil, d.syntax("',' or ']' in a list of strings")
	}
}

// object parses an object, calling member for each key with the decoder at the key's value.
func (d *jsonDecoder) object(member func(key []byte) error) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	if d.consume('}') {
		return nil
	}
	for {
		key, err := d.str()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return nil
		}
		return d.syntax("',' or '}'")
	}
}

// ws skips white space.
func (d *jsonDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, reporting whether c was next.
func (d *jsonDecoder) consume(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *jsonDecoder) expect(c byte) error {
	if !d.consume(c) {
		return d.syntax(strconv.QuoteRune(rune(c)))
	}
	return nil
}

// syntax describes what is at the decoder's position when want was expected there.
func (d *jsonDecoder) syntax(want string) error {
	if d.i >= len(d.b) {
		return fmt.Errorf("unexpected end of input, want %s", want)
	}
	return fmt.Errorf("offset %d: unexpected %q, want %s", d.i, d.b[d.i], want)
}

// str parses a string and returns its value, which may alias d.b. A string with an escape,
// a control character or a non-ASCII byte is unquoted by encoding/json, so that every string
// reads exactly as encoding/json reads it (invalid UTF-8 becomes U+FFFD).
func (d *jsonDecoder) str() ([]byte, error) {
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, d.syntax("a string")
	}
	start := d.i
	j := start + 1
	for ; j < len(d.b); j++ {
		c := d.b[j]
		if c == '"' {
			d.i = j + 1
			return d.b[start+1 : j], nil
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
	}
	for j < len(d.b) && d.b[j] != '"' {
		if d.b[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(d.b) {
		d.i = len(d.b)
		return nil, d.syntax("the end of the string")
	}
	var s string
	if err := json.Unmarshal(d.b[start:j+1], &s); err != nil {
		return nil, fmt.Errorf("offset %d: string: %w", start, err)
	}
	d.i = j + 1
	return []byte(s), nil
}

// number scans a number and returns its text and whether it is an integer literal (no
// fraction, no exponent), as JSON's grammar has it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *jsonDecoder) number() (text []byte, integer bool, err error) {
	d.ws()
	b, i := d.b, d.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		d.i = i
		return nil, false, d.syntax("a number")
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		integer = false
		if i++; i >= len(b) || !isDigit(b[i]) {
			d.i = i
			return nil, false, d.syntax("a digit")
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			d.i = i
			return nil, false, d.syntax("a digit")
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	text, d.i = b[d.i:i], i
	return text, integer, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// float parses a number as a float64; one beyond the float64 range is an error.
func (d *jsonDecoder) float() (float64, error) {
	t, _, err := d.number()
	if err != nil {
		return 0, err
	}
	if v, ok := exactFloat(t); ok {
		return v, nil
	}
	v, err := strconv.ParseFloat(string(t), 64)
	if err != nil {
		return 0, fmt.Errorf("%s is out of the float64 range", t)
	}
	return v, nil
}

// exactPow10 holds the powers of ten a float64 holds exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactFloat parses JSON number literal t (valid: see number) when its value is m·10^e with an
// integer m < 2^53 and |e| ≤ 22: m and 10^|e| are then exact float64s, and one IEEE
// multiplication or division rounds their product or quotient correctly, as ParseFloat would
// (Clinger's fast path). It reports false for any other literal, which ParseFloat then reads.
//
// Hand-written because measured: float parsing was 37% of reading a 300-tree bundle
// (BenchmarkFileRead's profile), most of it strconv scanning again the digits number had
// scanned; about half of such a bundle's floats have 16 digits and fit this path.
func exactFloat(t []byte) (float64, bool) {
	i, neg := 0, false
	if t[0] == '-' {
		neg, i = true, 1
	}
	var m uint64
	digits, exp := 0, 0
	for ; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
		if m == 0 && t[i] == '0' {
			continue // leading zeros are not significant
		}
		m = 10*m + uint64(t[i]-'0')
		digits++
	}
	if i < len(t) && t[i] == '.' {
		for i++; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
			exp--
			if m == 0 && t[i] == '0' {
				continue
			}
			m = 10*m + uint64(t[i]-'0')
			digits++
		}
	}
	if digits > 16 { // 10^16 > 2^53: beyond the fast path (and before uint64 overflow)
		return 0, false
	}
	if i < len(t) { // an exponent: [eE][+-]?digits
		i++
		eneg := false
		switch t[i] {
		case '-':
			eneg = true
			i++
		case '+':
			i++
		}
		e := 0
		for ; i < len(t); i++ {
			if e > 1000 {
				return 0, false // far beyond the fast path; no overflow of e
			}
			e = 10*e + int(t[i]-'0')
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if m >= 1<<53 || exp < -22 || exp > 22 {
		return 0, false
	}
	v := float64(m)
	if exp >= 0 {
		v *= exactPow10[exp]
	} else {
		v /= exactPow10[-exp]
	}
	if neg {
		v = -v
	}
	return v, true
}

// integer parses an integer literal in [lo, hi]. With lo >= 0 a minus sign is an error, even
// in -0, as encoding/json has it for unsigned types.
func (d *jsonDecoder) integer(lo, hi int64) (int64, error) {
	t, integer, err := d.number()
	if err != nil {
		return 0, err
	}
	if !integer {
		return 0, fmt.Errorf("%s is not an integer", t)
	}
	var v int64
	if len(t) <= 18 && t[0] != '-' {
		// At most 18 digits: no overflow, and ParseInt's generality is not needed.
		for _, c := range t {
			v = 10*v + int64(c-'0')
		}
	} else if v, err = strconv.ParseInt(string(t), 10, 64); err != nil {
		return 0, fmt.Errorf("%s is out of range [%d, %d]", t, lo, hi)
	}
	if v < lo || v > hi || lo >= 0 && t[0] == '-' {
		return 0, fmt.Errorf("%s is out of range [%d, %d]", t, lo, hi)
	}
	return v, nil
}

// boolean parses true or false.
func (d *jsonDecoder) boolean() (bool, error) {
	d.ws()
	rest := d.b[d.i:]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		d.i += 4
		return true, nil
	case bytes.HasPrefix(rest, []byte("false")):
		d.i += 5
		return false, nil
	}
	return false, d.syntax("true or false")
}
