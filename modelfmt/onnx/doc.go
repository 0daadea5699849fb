// Package onnx imports ONNX models (exported from PyTorch, TensorFlow or scikit-learn
// converters) for riskflow to serve: networks become an nn.Graph, ai.onnx.ml tree ensembles a
// gbt.Ensemble, either of which package bundle wraps with the feature transformer the model was
// trained on (DESIGN.md: modelfmt sits below bundle; cmd/riskflow's import command uses it).
//
// # Parsing
//
// The ModelProto is decoded with google.golang.org/protobuf's encoding/protowire, field by field:
// just the ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto (float_data,
// double_data, int32_data, int64_data, raw_data little-endian; dims) and ValueInfoProto fields
// import needs; other fields are skipped. A malformed file is an error, never a panic (fuzzed).
// Weights stored outside the file (external data) are refused.
//
// # What is accepted
//
// One float input of shape [N, F] with F known, and:
//
//   - a network of the operators nn supports (see package nn), with one output; Constant
//     nodes are folded into initializers. The output is a probability when the last operator
//     is Sigmoid or Softmax (a 2-column output gives the positive class, column 1), otherwise
//     a logit; Options.Output overrides the guess.
//   - a TreeEnsembleClassifier (binary) or TreeEnsembleRegressor (one target) reading the input,
//     optionally followed by ZipMap or Identity (their outputs are not needed: the ensemble's
//     positive-class score is).
//
// Anything else is refused at import, naming the operator (or attribute, or data type), so a
// model that imports never fails at request time.
//
// # Tree ensembles
//
// Each ONNX tree becomes a gbt tree. ONNX compares the float32 input with float32 thresholds;
// gbt compares float64 values with x < Threshold. Since rounding to float32 is monotone, the
// threshold is converted exactly: for BRANCH_LEQ t, float32(x) <= t exactly when x is below
// the midpoint between t and the next float32 (or at it, when the tie rounds down to t); BRANCH_LT
// is BRANCH_LEQ of the previous float32; BRANCH_GTE and BRANCH_GT swap the branches. A missing
// value (NaN) goes to the true branch when nodes_missing_value_tracks_true says so, else to the
// false branch, as ONNX Runtime's comparisons do. BRANCH_EQ, BRANCH_NEQ and BRANCH_MEMBER are
// refused.
//
// The margin is the base value plus the leaf weights, summed in float64 (ONNX Runtime sums in
// float32; the difference is far below the 1e-6 the parity tests allow). post_transform
// LOGISTIC gives the gbt Logistic objective (Predict is the sigmoid of the margin), NONE the
// identity (SquaredError). For a binary classifier whose weights all name one class (ONNX's
// "binary case", what converters of boosted trees write), those weights and the one base value
// are the positive class's score; when both classes carry weights, class 1's weights and
// base_values[1] are. Regressors may use aggregate_function SUM or AVERAGE (weights divided by
// the number of trees). ONNX stores no training cover per node, so each leaf gets cover 1 and a
// split the number of leaves below it: TreeSHAP reason codes then weigh both branches of a split
// by their leaf counts rather than by training data.
//
// # Fixtures
//
// testdata/gen.py (Debian's python3-torch, python3-onnx, python3-sklearn and a riskflow
// binary) trains the fixture models on riskflow-transformed synthetic orders and saves each
// model's inputs and the library's own outputs; the tests run on the committed files without
// Python.
package onnx
