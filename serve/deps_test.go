package serve

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the serving path small: serve scores through bundle and must not pull
// in training, reporting or pipeline code (DESIGN.md). Test files may import them.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", "riskflow/serve").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"riskflow/boost", "riskflow/report", "riskflow/pipeline", "riskflow/datagen", "riskflow/frameio"}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list gave %d packages", len(deps))
	}
	for _, dep := range deps {
		for _, bad := range forbidden {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("riskflow/serve depends on %s", dep)
			}
		}
	}
}
