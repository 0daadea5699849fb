package feature

import (
	"fmt"
	"math"
	"strings"

	"riskflow/frame"
)

// Infer guesses a spec from a frame: every column but the label and the id becomes a feature.
//
//   - Numeric columns: numeric, missing: keep (gradient-boosted trees route NaN themselves; for a
//     linear model, change it to median), no transform.
//   - String columns: categorical, native encoding; max_categories is written when there are more
//     than 50 levels. A column that looks like an identifier or free text (more than 1,000
//     distinct values, or more than 50 and more than half as many as rows) is left out.
//   - Bool columns: boolean. Time columns: datetime with parts [hour, dayofweek, month].
//   - Columns whose name has a personal-data word (email, phone, name, address, zip, ip, iban,
//     birth, ...) get pii: true.
//   - String columns named like identifiers (id, uuid, or ending in _id) are left out.
//   - Constant and all-missing columns are left out.
//
// Every column left out is explained in the spec's Notes, which MarshalYAML writes as comments.
// label and id may be empty; when given they must be columns of f.
func Infer(f *frame.Frame, label, id string) (*Spec, error) {
	for _, c := range []string{label, id} {
		if _, ok := f.Column(c); c != "" && !ok {
			return nil, &FieldError{Field: c, Reason: "not in the data"}
		}
	}
	if label != "" && label == id {
		return nil, fmt.Errorf("feature: infer: label and id are both %q", label)
	}
	s := &Spec{ID: id, Label: label}
	if label != "" {
		if col, _ := f.Column(label); col.Kind == frame.String {
			s.Notes = append(s.Notes, fmt.Sprintf("label %s is a string column: add positive: <level> (the level that counts as 1) to use target encoding", label))
		}
	}
	n := f.Len()
	for _, col := range f.Columns() {
		if col.Name == label || col.Name == id {
			continue
		}
		d := Def{Name: col.Name, PII: looksPersonal(col.Name)}
		if col.Kind == frame.String && looksLikeID(col.Name) {
			s.Notes = append(s.Notes, fmt.Sprintf("left out %s: an identifier (by its name)", col.Name))
			continue
		}
		distinct, present := distinctValues(col)
		switch {
		case present == 0:
			s.Notes = append(s.Notes, fmt.Sprintf("left out %s: no values", col.Name))
			continue
		case distinct == 1:
			s.Notes = append(s.Notes, fmt.Sprintf("left out %s: a single value", col.Name))
			continue
		}
		switch col.Kind {
		case frame.Numeric:
			d.Type = Numeric
		case frame.Bool:
			d.Type = Boolean
		case frame.Time:
			d.Type = Datetime
			d.Parts = append([]string(nil), defaultParts...)
		case frame.String:
			if distinct > 1000 || distinct > DefaultMaxCategories && 2*distinct > n {
				s.Notes = append(s.Notes, fmt.Sprintf("left out %s: %d distinct values in %d rows (an identifier or free text?)", col.Name, distinct, n))
				continue
			}
			d.Type = Categorical
			d.Encoding = Native
			if distinct > DefaultMaxCategories {
				d.MaxCategories = DefaultMaxCategories
			}
		default:
			continue
		}
		s.Features = append(s.Features, d)
	}
	if len(s.Features) == 0 {
		return nil, fmt.Errorf("feature: infer: no column is usable as a feature")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// distinctValues returns the number of distinct present values (capped at 2 for non-string
// columns, which only need "constant or not") and the number of present values.
func distinctValues(col *frame.Column) (distinct, present int) {
	switch col.Kind {
	case frame.String:
		used := make([]bool, len(col.Dict))
		seen := make(map[string]bool)
		for _, c := range col.Codes {
			if c >= 0 && int(c) < len(used) {
				present++
				if !used[c] {
					used[c] = true
					seen[col.Dict[c]] = true
				}
			}
		}
		return len(seen), present
	case frame.Numeric:
		first := math.NaN()
		for _, v := range col.Num {
			if v == v {
				present++
				if first != first {
					first, distinct = v, 1
				} else if v != first {
					distinct = 2
				}
			}
		}
	case frame.Bool:
		var has [2]bool
		for _, b := range col.Bools {
			if b < 2 {
				present++
				has[b] = true
			}
		}
		for _, h := range has {
			if h {
				distinct++
			}
		}
	case frame.Time:
		first := frame.TimeMissing
		for _, v := range col.Times {
			if v != frame.TimeMissing {
				present++
				if first == frame.TimeMissing {
					first, distinct = v, 1
				} else if v != first {
					distinct = 2
				}
			}
		}
	}
	return distinct, present
}

var personalWords = map[string]bool{
	"email": true, "mail": true, "phone": true, "mobile": true, "name": true, "firstname": true,
	"lastname": true, "surname": true, "address": true, "street": true, "zip": true, "zipcode": true,
	"postcode": true, "postal": true, "ip": true, "iban": true, "ssn": true, "birth": true,
	"birthday": true, "dob": true, "birthdate": true, "passport": true,
}

// looksPersonal reports whether a column name has a word that suggests personal data.
func looksPersonal(name string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return r == '_' || r == '-' || r == '.' || r == ' '
	}) {
		if personalWords[w] {
			return true
		}
	}
	return false
}

// looksLikeID reports whether a column name says it holds identifiers.
func looksLikeID(name string) bool {
	n := strings.ToLower(name)
	return n == "id" || n == "uuid" || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "-id") || strings.HasSuffix(n, "_uuid")
}
