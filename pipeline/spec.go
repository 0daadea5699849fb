package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"riskflow/boost"
	"riskflow/calibrate"
	"riskflow/frame"
)

// Spec is a pipeline file: the data, the features, the model, the quality gate and the
// deployment, run once per matrix value. Relative paths are relative to the file's folder.
type Spec struct {
	Name     string              `yaml:"name"`
	Matrix   map[string][]string `yaml:"matrix"`
	Data     DataSpec            `yaml:"data"`
	Label    string              `yaml:"label"`
	Features string              `yaml:"features"`
	Model    ModelSpec           `yaml:"model"`
	Gate     GateSpec            `yaml:"gate"`
	Deploy   DeploySpec          `yaml:"deploy"`
	Report   ReportSpec          `yaml:"report"`
	// Stages holds per-stage settings (retries, timeout), keyed by stage name.
	Stages map[string]StageSpec `yaml:"stages"`

	dir string // the folder relative paths are resolved against
}

// DataSpec names the training and test files and the row filter applied to both.
type DataSpec struct {
	Train  string `yaml:"train"`
	Test   string `yaml:"test"`
	Filter string `yaml:"filter"` // col == "value" [and col != "value" ...]
}

// ModelSpec says what to train.
type ModelSpec struct {
	Type      string         `yaml:"type"` // gbdt (default) | logistic
	Params    map[string]any `yaml:"params"`
	Calibrate string         `yaml:"calibrate"` // none | platt | isotonic
	Holdout   float64        `yaml:"holdout"`   // validation share of the training rows (default 0.1)
}

// GateSpec is the quality gate: deploy only a model that beats the current champion.
type GateSpec struct {
	Metric   string  `yaml:"metric"`    // auc (default) | logloss | brier | ks | average_precision
	MinDelta float64 `yaml:"min_delta"` // the improvement required (in the metric's better direction)
}

// DeploySpec says where a model that passed the gate goes.
type DeploySpec struct {
	Model string `yaml:"model"` // registry model name; may use {{matrix keys}}
	Alias string `yaml:"alias"` // champion (default) | challenger | any name
	Mode  string `yaml:"mode"`  // for a challenger: canary:N | shadow
}

// ReportSpec tunes the report stage.
type ReportSpec struct {
	Segment   string  `yaml:"segment"`
	Threshold float64 `yaml:"threshold"`
}

// StageSpec holds one stage's retry and timeout settings.
type StageSpec struct {
	Retries int           `yaml:"retries"`
	Timeout time.Duration `yaml:"timeout"`
}

// Load reads a pipeline file and applies overrides of the form key.path=value (for example
// model.params.trees=50 or data.train=other.csv).
func Load(path string, sets []string) (*Spec, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	s, err := Parse(text, sets)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %s: %w", path, err)
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	s.dir = abs
	return s, nil
}

// Parse parses a pipeline document (with overrides, as Load) and validates it. Relative paths
// resolve against the working directory.
func Parse(text []byte, sets []string) (*Spec, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, err
	}
	if doc == nil {
		doc = map[string]any{}
	}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want key=value", kv)
		}
		if err := setPath(doc, strings.Split(k, "."), v); err != nil {
			return nil, fmt.Errorf("--set %s: %w", k, err)
		}
	}
	norm, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(norm))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// setPath sets doc[path...] = value, parsing value as YAML (so numbers stay numbers).
func setPath(doc map[string]any, path []string, value string) error {
	var v any
	if err := yaml.Unmarshal([]byte(value), &v); err != nil {
		v = value
	}
	for i, k := range path {
		if i == len(path)-1 {
			doc[k] = v
			return nil
		}
		next, ok := doc[k].(map[string]any)
		if !ok {
			if doc[k] != nil {
				return fmt.Errorf("%s is not a section", strings.Join(path[:i+1], "."))
			}
			next = map[string]any{}
			doc[k] = next
		}
		doc = next
	}
	return nil
}

// Stage names, in order.
const (
	StagePreprocess = "preprocess"
	StageTrain      = "train"
	StagePredict    = "predict"
	StageReport     = "report"
	StageGate       = "gate"
	StageDeploy     = "deploy"
)

// Stages lists the stages in the order they run.
var stageOrder = []string{StagePreprocess, StageTrain, StagePredict, StageReport, StageGate, StageDeploy}

// Stages returns the stage names in the order they run.
func Stages() []string { return slices.Clone(stageOrder) }

// nameRE is compiled on first use, not at every start of the binary.
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`) })

// Validate checks the spec and fills in defaults.
func (s *Spec) Validate() error {
	if s.Name == "" {
		return errors.New("name: required")
	}
	if s.Data.Train == "" || s.Data.Test == "" {
		return errors.New("data: train and test files are required")
	}
	if s.Label == "" {
		return errors.New("label: required")
	}
	if s.Model.Type == "" {
		s.Model.Type = "gbdt"
	}
	if s.Model.Type != "gbdt" && s.Model.Type != "logistic" {
		return fmt.Errorf("model.type %q: want gbdt or logistic", s.Model.Type)
	}
	if s.Model.Calibrate == "" {
		s.Model.Calibrate = "none"
	}
	if _, err := calibrate.ParseMethod(s.Model.Calibrate); err != nil {
		return fmt.Errorf("model.calibrate: %w", err)
	}
	if s.Model.Holdout == 0 {
		s.Model.Holdout = 0.1
	}
	if s.Model.Holdout < 0 || s.Model.Holdout >= 1 {
		return fmt.Errorf("model.holdout %v: want a share in (0, 1)", s.Model.Holdout)
	}
	if _, err := s.TreeParams(); err != nil {
		return err
	}
	if s.Gate.Metric == "" {
		s.Gate.Metric = "auc"
	}
	if _, ok := gateMetrics[s.Gate.Metric]; !ok {
		return fmt.Errorf("gate.metric %q: want one of auc, logloss, brier, ks, average_precision", s.Gate.Metric)
	}
	if s.Gate.MinDelta < 0 {
		return fmt.Errorf("gate.min_delta %v: want ≥ 0", s.Gate.MinDelta)
	}
	if s.Deploy.Model == "" {
		return errors.New("deploy.model: required")
	}
	if s.Deploy.Alias == "" {
		s.Deploy.Alias = "champion"
	}
	if s.Deploy.Mode != "" {
		if s.Deploy.Alias == "champion" {
			return errors.New("deploy.mode: only a non-champion alias (challenger) takes a traffic mode")
		}
		if err := checkMode(s.Deploy.Mode); err != nil {
			return fmt.Errorf("deploy.mode: %w", err)
		}
	}
	for k, vals := range s.Matrix {
		if len(vals) == 0 {
			return fmt.Errorf("matrix.%s: no values", k)
		}
		for _, v := range vals {
			if !nameRE().MatchString(v) {
				return fmt.Errorf("matrix.%s: value %q: use letters, digits, '_', '-' and '.'", k, v)
			}
		}
	}
	for _, job := range s.Jobs() {
		name := job.Expand(s.Deploy.Model)
		if !nameRE().MatchString(name) {
			return fmt.Errorf("deploy.model %q: %q is not a valid model name", s.Deploy.Model, name)
		}
		if _, err := parseFilter(job.Expand(s.Data.Filter)); err != nil {
			return fmt.Errorf("data.filter: %w", err)
		}
	}
	for name, st := range s.Stages {
		if !slices.Contains(stageOrder, name) {
			return fmt.Errorf("stages.%s: no such stage (stages: %s)", name, strings.Join(stageOrder, ", "))
		}
		if st.Retries < 0 || st.Timeout < 0 {
			return fmt.Errorf("stages.%s: retries and timeout must be ≥ 0", name)
		}
	}
	return nil
}

func checkMode(m string) error {
	if m == "shadow" {
		return nil
	}
	if pct, ok := strings.CutPrefix(m, "canary:"); ok {
		n, err := strconv.ParseFloat(pct, 64)
		if err == nil && n > 0 && n <= 100 {
			return nil
		}
	}
	return fmt.Errorf("%q: want shadow or canary:P with 0 < P ≤ 100", m)
}

// Path resolves a path of the spec against the pipeline file's folder.
func (s *Spec) Path(p string) string {
	if p == "" || filepath.IsAbs(p) || s.dir == "" {
		return p
	}
	return filepath.Join(s.dir, p)
}

// TreeParams returns the model's tree parameters: boost's defaults overridden by
// model.params (XGBoost names: trees, learning_rate or eta, max_depth, max_leaves,
// min_child_weight, lambda, alpha, gamma, subsample, colsample_bytree, scale_pos_weight,
// max_bin, seed, early_stopping, eval_metric) and, for logistic regression, l2.
func (s *Spec) TreeParams() (boost.Params, error) {
	p := boost.DefaultParams()
	p.Trees, p.LearningRate = 300, 0.1
	for k, v := range s.Model.Params {
		num := func() (float64, error) {
			switch x := v.(type) {
			case int:
				return float64(x), nil
			case float64:
				return x, nil
			}
			return 0, fmt.Errorf("model.params.%s: %v is not a number", k, v)
		}
		f, err := num()
		if err != nil && k != "eval_metric" {
			return p, err
		}
		switch k {
		case "trees", "n_estimators", "num_boost_round":
			p.Trees = int(f)
		case "learning_rate", "eta":
			p.LearningRate = f
		case "max_depth":
			p.MaxDepth = int(f)
		case "max_leaves":
			p.MaxLeaves = int(f)
		case "min_child_weight":
			p.MinChildWeight = f
		case "lambda", "reg_lambda":
			p.Lambda = f
		case "alpha", "reg_alpha":
			p.Alpha = f
		case "gamma":
			p.Gamma = f
		case "subsample":
			p.Subsample = f
		case "colsample_bytree", "colsample":
			p.ColsampleByTree = f
		case "scale_pos_weight":
			p.ScalePosWeight = f
		case "max_bin":
			p.MaxBin = int(f)
		case "seed":
			p.Seed = uint64(f)
		case "early_stopping":
			p.EarlyStopping = int(f)
		case "eval_metric":
			m, ok := v.(string)
			if !ok {
				return p, fmt.Errorf("model.params.eval_metric: %v is not a name", v)
			}
			p.EvalMetric = m
		case "l2":
			if s.Model.Type != "logistic" {
				return p, errors.New("model.params.l2: only for type logistic")
			}
		default:
			return p, fmt.Errorf("model.params.%s: unknown parameter", k)
		}
	}
	if s.Model.Type == "gbdt" {
		if err := p.Validate(); err != nil {
			return p, fmt.Errorf("model.params: %w", err)
		}
	}
	return p, nil
}

// L2 returns logistic regression's penalty (model.params.l2, default 1).
func (s *Spec) L2() float64 {
	switch x := s.Model.Params["l2"].(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return 1
}

// Job is one value of the matrix: one model's run of the stages.
type Job struct {
	// Values maps each matrix key to this job's value.
	Values map[string]string
}

// Name is the job's label in output and folder names: the values joined by '-', or "all".
func (j Job) Name() string {
	if len(j.Values) == 0 {
		return "all"
	}
	keys := make([]string, 0, len(j.Values))
	for k := range j.Values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = j.Values[k]
	}
	return strings.Join(parts, "-")
}

// Expand replaces {{key}} with the job's values.
func (j Job) Expand(s string) string {
	for k, v := range j.Values {
		s = strings.ReplaceAll(s, "{{"+k+"}}", v)
	}
	return s
}

// Jobs returns the matrix's cartesian product, in a stable order.
func (s *Spec) Jobs() []Job {
	keys := make([]string, 0, len(s.Matrix))
	for k := range s.Matrix {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	jobs := []Job{{Values: map[string]string{}}}
	for _, k := range keys {
		var next []Job
		for _, j := range jobs {
			for _, v := range s.Matrix[k] {
				vals := make(map[string]string, len(j.Values)+1)
				for kk, vv := range j.Values {
					vals[kk] = vv
				}
				vals[k] = v
				next = append(next, Job{Values: vals})
			}
		}
		jobs = next
	}
	return jobs
}

// filter is a conjunction of column comparisons with string or number literals.
type filter []cond

type cond struct {
	col string
	neg bool
	val string
}

var condRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))\s*$`)
})

// parseFilter parses `col == "v" and col2 != "w"`; "" is no filter.
func parseFilter(s string) (filter, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var f filter
	for _, part := range regexp.MustCompile(`\s+and\s+`).Split(s, -1) {
		m := condRE().FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("%q: want col == \"value\" (or !=), joined by and", part)
		}
		f = append(f, cond{col: m[1], neg: m[2] == "!=", val: m[3] + m[4] + m[5]})
	}
	return f, nil
}

// apply returns the rows of fr that pass the filter.
func (f filter) apply(fr *frame.Frame) (*frame.Frame, error) {
	if len(f) == 0 {
		return fr, nil
	}
	keep := make([]bool, fr.Len())
	for i := range keep {
		keep[i] = true
	}
	for _, c := range f {
		col, ok := fr.Column(c.col)
		if !ok {
			return nil, fmt.Errorf("filter: no column %q", c.col)
		}
		for i := range keep {
			if keep[i] && (col.Format(i) == c.val) == c.neg {
				keep[i] = false
			}
		}
	}
	var rows []int
	for i, k := range keep {
		if k {
			rows = append(rows, i)
		}
	}
	return fr.Take(rows), nil
}
