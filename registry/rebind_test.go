package registry

import "testing"

func TestRebind(t *testing.T) {
	tests := []struct {
		d       dialect
		in, out string
	}{
		{dialectSQLite, "SELECT ? FROM t WHERE a = ?", "SELECT ? FROM t WHERE a = ?"},
		{dialectPostgres, "SELECT ? FROM t WHERE a = ?", "SELECT $1 FROM t WHERE a = $2"},
		{dialectPostgres, "SELECT 1", "SELECT 1"},
	}
	for _, tt := range tests {
		r := &Registry{dialect: tt.d}
		if got := r.rebind(tt.in); got != tt.out {
			t.Errorf("rebind(%d, %q) = %q, want %q", tt.d, tt.in, got, tt.out)
		}
	}
}

func TestTimeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "2026-01-02T03:04:05.000000006Z"} {
		tm, err := parseTime(s)
		if err != nil || fmtTime(tm) != s {
			t.Errorf("%q → %v → %q (%v)", s, tm, fmtTime(tm), err)
		}
	}
	if _, err := parseTime("yesterday"); err == nil {
		t.Error("parseTime(yesterday) succeeded")
	}
}
