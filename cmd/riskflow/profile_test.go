package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCPUProfile(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu.out")
	code, _, stderr := runCLI(t, "--cpuprofile", prof, "datagen", "--rows", "2000", "--out", filepath.Join(dir, "d.csv"), "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	st, err := os.Stat(prof)
	if err != nil || st.Size() == 0 {
		t.Fatalf("profile: %v, %v", st, err)
	}
	// A profile file that cannot be created is a clear error.
	code, _, stderr = runCLI(t, "--cpuprofile", filepath.Join(dir, "missing", "cpu.out"), "version")
	if code == 0 || !strings.Contains(stderr, "cpuprofile") {
		t.Errorf("unwritable profile: exit %d, %q", code, stderr)
	}
}
