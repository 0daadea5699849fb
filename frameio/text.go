package frameio

import (
	"math"
	"strconv"
	"time"
)

// This file holds the cell-level text parsers shared by the CSV and JSONL readers (and by
// forced-kind conversions of Parquet values). They work on byte slices and never allocate:
// they run once per cell, which makes them the innermost hot path of reading.

// isMissingToken reports whether b is one of the tokens that mean "missing":
// "", NA, N/A, NaN, nan, null, NULL, None. The match is exact (case-sensitive).
func isMissingToken(b []byte) bool {
	switch len(b) {
	case 0:
		return true
	case 2:
		return b[0] == 'N' && b[1] == 'A'
	case 3:
		s := string(b) // the comparison does not allocate
		return s == "NaN" || s == "nan" || s == "N/A"
	case 4:
		s := string(b)
		return s == "null" || s == "NULL" || s == "None"
	}
	return false
}

// isMissingString is isMissingToken for strings (used by writers to decide quoting).
func isMissingString(s string) bool {
	switch s {
	case "", "NA", "N/A", "NaN", "nan", "null", "NULL", "None":
		return true
	}
	return false
}

// pow10 holds the powers of ten that are exactly representable as float64.
var pow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// parseNumber parses b with strconv.ParseFloat semantics and reports whether it is a finite
// number. Non-finite values (inf, NaN spelled in ways that are not missing tokens, overflow to
// ±Inf) are rejected: riskflow treats them as invalid input.
//
// Measured hot path: strconv.ParseFloat costs 70-90 ns per cell on the project machine, so plain
// decimals ("-123.45", at most 15 significant digits, no exponent) take a fast path: the digits
// form an exact integer m < 2^53 and the result is m / 10^k with 10^k exact, and IEEE division is
// correctly rounded, so the result has the same bits as ParseFloat's (this is the classic exact
// case of decimal conversion; FuzzParseNumber checks it against strconv bit for bit).
func parseNumber(b []byte) (float64, bool) {
	i, n := 0, len(b)
	neg := false
	if n > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var m uint64
	digits, frac := 0, -1
	for ; i < n; i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			m = m*10 + uint64(c-'0')
			digits++
			if digits > 15 {
				return parseNumberSlow(b)
			}
			continue
		}
		if c == '.' && frac < 0 {
			frac = i
			continue
		}
		return parseNumberSlow(b)
	}
	if digits == 0 {
		return parseNumberSlow(b)
	}
	v := float64(m)
	if frac >= 0 {
		v /= pow10[n-frac-1] // at most 15 fraction digits, all exact powers
	}
	if neg {
		v = -v
	}
	return v, true
}

func parseNumberSlow(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(string(b), 64) // no allocation: strconv copies on error only
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// parseBool parses true/false in any letter case and returns 1 or 0.
func parseBool(b []byte) (uint8, bool) {
	switch len(b) {
	case 4:
		if b[0]|0x20 == 't' && b[1]|0x20 == 'r' && b[2]|0x20 == 'u' && b[3]|0x20 == 'e' {
			return 1, true
		}
	case 5:
		if b[0]|0x20 == 'f' && b[1]|0x20 == 'a' && b[2]|0x20 == 'l' && b[3]|0x20 == 's' && b[4]|0x20 == 'e' {
			return 0, true
		}
	}
	return 0, false
}

// Range of Unix seconds whose nanosecond count fits in an int64 (and is not frame.TimeMissing);
// at maxUnixSec only fractions up to maxNanoFrac fit.
const (
	minUnixSec  int64 = math.MinInt64 / 1_000_000_000 // -9223372036: ×1e9 is still > MinInt64
	maxUnixSec  int64 = math.MaxInt64 / 1_000_000_000
	maxNanoFrac int64 = math.MaxInt64 % 1_000_000_000
)

// parseTime parses an RFC 3339 timestamp and returns UTC nanoseconds since the epoch. Accepted:
//
//	2006-01-02                            (midnight UTC)
//	2006-01-02T15:04:05                   (no offset: taken as UTC)
//	2006-01-02T15:04:05.999999999Z        (1 to 9 fraction digits)
//	2006-01-02T15:04:05+07:00
//
// The date/time separator may be 'T', 't' or a space; 'Z' may be lower case. Times whose
// nanosecond count does not fit an int64 (before 1678 or after 2262) are rejected.
//
// Measured hot path: time.Parse costs several hundred ns per cell; this costs ~15.
func parseTime(b []byte) (int64, bool) {
	n := len(b)
	if n < 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return 0, false
	}
	sec := daysFromCivil(year, month, day) * 86400
	var nsec int64
	if n > 10 {
		if n < 19 || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
			return 0, false
		}
		hh, ok1 := digits(b[11:13])
		mm, ok2 := digits(b[14:16])
		ss, ok3 := digits(b[17:19])
		if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 59 {
			return 0, false
		}
		sec += hh*3600 + mm*60 + ss
		i := 19
		if i < n && b[i] == '.' {
			i++
			j := i
			for i < n && b[i] >= '0' && b[i] <= '9' {
				nsec = nsec*10 + int64(b[i]-'0')
				i++
			}
			k := i - j
			if k == 0 || k > 9 {
				return 0, false
			}
			for ; k < 9; k++ {
				nsec *= 10
			}
		}
		switch {
		case i == n:
		case (b[i] == 'Z' || b[i] == 'z') && i+1 == n:
		case (b[i] == '+' || b[i] == '-') && i+6 == n && b[i+3] == ':':
			oh, ok1 := digits(b[i+1 : i+3])
			om, ok2 := digits(b[i+4 : i+6])
			if !ok1 || !ok2 || oh > 23 || om > 59 {
				return 0, false
			}
			off := oh*3600 + om*60
			if b[i] == '+' {
				off = -off
			}
			sec += off
		default:
			return 0, false
		}
	}
	if sec < minUnixSec || sec > maxUnixSec || (sec == maxUnixSec && nsec > maxNanoFrac) {
		return 0, false
	}
	return sec*1e9 + nsec, true
}

// digits parses a short run of ASCII digits.
func digits(b []byte) (int64, bool) {
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(month, year int64) int64 {
	switch month {
	case 2:
		if isLeap(year) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given proleptic Gregorian
// date (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// appendTime appends t (UTC nanoseconds) in RFC 3339 with the shortest exact fraction.
func appendTime(dst []byte, ns int64) []byte {
	return time.Unix(0, ns).UTC().AppendFormat(dst, time.RFC3339Nano)
}

// appendNumber appends v in the shortest form that reads back to the same bits.
func appendNumber(dst []byte, v float64) []byte {
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}
