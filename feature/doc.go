// Package feature holds riskflow's preprocessing: the feature spec, its fitting, and the
// transformer that turns raw data into model inputs, written once and used identically in
// training, batch prediction and online serving.
//
// In the training flow, Fit (or FitTransform) learns a Transformer from a frame and Transform
// produces the matrix boost trains on; the bundle stores the Transformer's JSON document. In
// the serving flow, a request is decoded into a Record (Record.DecodeJSON, or the setters for
// other protocols) and Transformer.Vector computes the model input.
//
// # One code path
//
// Training/serving skew is impossible by construction: there is one function, encode, that
// computes every output from a Record. Vector calls it for one request. Transform fills a Record
// from each frame row, with the same setters a request goes through, and calls the same encode,
// in parallel over blocks of rows. A String column's dictionary is mapped to the fitted
// vocabulary once per column by the same lookup the JSON decoder uses per value. Fit computes
// its statistics from the same Record filling and the same raw-value function. A test checks
// that 100,000 generated rows through Transform and through JSON → DecodeJSON → Vector give
// bit-identical vectors, and that a transformer read back from its JSON document does too.
//
// # The spec
//
// A spec is YAML, written by hand or by Infer (riskflow features infer):
//
//	id: order_id           # passed through, never a feature
//	label: default         # never a feature; target encoding learns from it
//	positive: bad          # for a string label: the level that counts as 1
//	timezone: Europe/Berlin  # datetime parts are computed here; default UTC
//	strict: true           # online records may not have unknown fields (default false)
//	features:
//	  - name: order_amount
//	    type: numeric        # numeric | categorical | boolean | datetime
//	    source: order_amount # the raw field; default the name (lets features share a field)
//	    missing: median      # see "Missing values"
//	    transform: log1p     # none | log1p | standardize | clip(pLO,pHI)
//	    monotone: +1         # -1 | 0 | +1, for tree training (numeric and boolean)
//	  - name: market
//	    type: categorical
//	    encoding: native     # native | onehot | frequency | target
//	    max_categories: 50   # levels kept, most frequent first
//	    unknown: unknown     # unseen levels: unknown (→ __unknown__) | other (→ __other__) | error
//	    smoothing: 10        # target encoding only: m
//	    pii: true            # the raw field is personal data: never log it in clear
//	  - name: order_ts
//	    type: datetime
//	    parts: [hour, dayofweek, month]
//	  - name: amount_per_item
//	    type: numeric
//	    expr: order_amount / basket_size
//
// ParseSpec is strict: an unknown or repeated key is an error naming it and its line (with a
// suggestion for a near miss). Validate checks the rest and reports every problem, each naming
// its feature: types, encodings, transforms, missing policies against the type, monotone only on
// numeric and boolean features, expression syntax and the fields expressions read (numeric or
// boolean fields, never the id or label), duplicate feature and output names, one type per raw
// field, the timezone. Spec.YAML (and yaml.Marshal, through MarshalYAML) writes a spec that
// ParseSpec reads back unchanged.
//
// # Order of operations
//
// For a numeric feature: the raw value (the field, or the expression over fields), then missing
// imputation, then the transform. Expressions therefore see raw values: a missing operand makes
// the expression missing, and the feature's own missing policy then applies to the result.
// Fitting follows the same order: imputation statistics are learned from the raw values,
// transform statistics from the imputed ones.
//
// # Missing values
//
// A missing value is NaN in a frame's numeric column, a missing code, a JSON null, an absent JSON
// key, or (SetText) an empty, NA, N/A, NaN, null or NULL field. The `missing` policies:
//
//   - keep (the default for every type): numeric, boolean, native, frequency and target
//     outputs are NaN, which gradient-boosted trees route on their own; one-hot columns are all
//     zero; datetime parts are NaN.
//   - error: the record (or the frame row) is rejected with a *FieldError.
//   - median, mean: the training median or mean of the present values (numeric and boolean;
//     for a boolean the mean is the share of true).
//   - zero: 0 (numeric and boolean).
//   - constant:<v>: a number (numeric), true or false (boolean), or a level (categorical; the
//     level takes part in fitting like any other, so constant:__missing__ makes missingness a
//     category of its own).
//   - mode: the most frequent training level (categorical; ties by name).
//
// Datetime features accept keep and error only. Missing outputs are always the canonical NaN
// (math.NaN()).
//
// # Numeric features
//
//   - log1p is sign-preserving: sign(x)·log(1+|x|), so negative amounts stay ordered.
//   - standardize is (x−mean)/std with the population standard deviation of the training values
//     after imputation; a std of 0 is taken as 1.
//   - clip(pLO,pHI) clips to the LO-th and HI-th training percentiles (any numbers in [0, 100],
//     e.g. clip(p01,p99) or clip(p2.5,p97.5)), interpolated linearly between closest ranks (numpy's
//     default).
//   - Every transform is non-decreasing, so a monotone constraint on the raw value holds for the
//     output too.
//   - A non-finite number in the input is an error (*FieldError); JSON cannot carry one anyway.
//
// # Expressions
//
// An expression feature computes a number from raw numeric and boolean (1/0) fields: + - * / and
// parentheses, unary minus, numbers (1, 2.5, 1e-3) and the functions log (natural), log1p, sqrt,
// abs, min and max (two or more arguments). A field name is [A-Za-z_][A-Za-z0-9_.]* or any text
// in backquotes. The result is missing when an operand is missing, on division by zero, on log,
// log1p or sqrt outside their domains, and when the result is not finite.
//
// # Categorical features
//
// Fit collects every level the training data has (the input's vocabulary) and keeps the
// max_categories (default 50) most frequent ones for the feature, ties broken by name; the rest
// fold into __other__. A feature's codes are 0..K−1 for its kept levels in that order, K for
// __other__ and K+1 for __unknown__, a level never seen in training (with unknown: other, such
// levels take K; with unknown: error, they are rejected with a *FieldError).
//
//   - native: the code as a number; the output is Categorical with NumCategories K+2, and a
//     missing value is NaN, so trees learn its direction.
//   - onehot: one 0/1 column per kept level, named feature=level, plus feature=__other__ when
//     some training level was folded; an unknown level or a kept missing value is all zeros.
//   - frequency: the level's share of the training rows with a value (after imputation);
//     __other__ pools its levels; an unknown level is 0.
//   - target: the smoothed mean label (n·mean + m·prior)/(n + m), with n the level's labelled
//     training rows, prior the mean label of all labelled rows and m the smoothing (default 10);
//     __other__ pools its levels; an unknown level is the prior. Transform and Vector use the
//     full training data. FitTransform's training matrix instead uses out-of-fold values: the
//     rows are shuffled into FitOptions.Folds folds (default 5, seeded, deterministic) and each
//     row is encoded with the statistics, prior included, of the other folds, so a row's own
//     label never reaches its features.
//
// A numeric label is used as is, a boolean one as 1/0, a string label needs positive: (the level
// that counts as 1); rows without a label are left out of target statistics.
//
// # Boolean and datetime features
//
// A boolean is 1 for true and 0 for false. A datetime feature emits one column per part, named
// feature_part: hour, minute, dayofweek (Monday = 0), day, month, year, dayofyear, unix (whole
// seconds since 1970, rounded down). Parts are computed in UTC, or in the spec's timezone (an
// IANA name, loaded when the spec is validated; daylight saving time applies).
//
// # Online records
//
// Request decoding is a measured hot path, so DecodeJSON is a small hand-written scanner (no
// map[string]any, no reflection) that fills a reusable, schema-indexed Record and allocates
// nothing for typical requests; Vector allocates nothing either. The rules:
//
//   - The input is one JSON object; fields absent from it are missing; null is missing.
//   - Numeric fields take JSON numbers only (a numeric string is a type error); boolean fields
//     take true and false; categorical fields take strings; datetime fields take RFC 3339
//     strings (also YYYY-MM-DD, midnight UTC). A value of another type is a *FieldError naming
//     the field, as is a number beyond float64's range.
//   - A key given twice is an error (*FieldError): a request whose meaning depends on which
//     parser reads it is rejected rather than guessed at. Repeated keys that are not inputs are
//     not checked.
//   - Keys that are not inputs are skipped, with their values however nested, unless the spec is
//     strict; the spec's id and label keys are always allowed.
//   - String escapes are decoded (an invalid surrogate becomes U+FFFD); keys are matched after
//     decoding.
//   - Malformed JSON is a *SyntaxError with the byte offset.
//
// Other protocols (Open Inference Protocol tensors, CSV bodies) fill a Record with SetFloat,
// SetString, SetBool, SetTime, SetMissing and SetText, found by Transformer.InputIndex and
// described by Transformer.Inputs. The JSON decoder calls the same setters, and Transform uses
// them for frame values, so every path validates alike.
//
// # Errors
//
// Problems with one field of a record or frame are *FieldError values naming the field (in
// Transform, with the row number appended); malformed JSON is a *SyntaxError; an invalid spec
// wraps ErrSpec; an invalid transformer document wraps ErrFormat.
//
// # The transformer document
//
// Transformer.MarshalJSON writes a self-describing document: "format": "riskflow.transformer",
// "version": 1, the spec, the number of training rows, the input schema (name, kind, pii, and for
// string inputs every training level), each feature's fitted state (imputation values, means and
// standard deviations, clip bounds, kept levels and their counts, target sums, counts and prior)
// and the outputs. ParseTransformer reads it strictly: another format or version, unknown keys,
// and state that does not fit the spec are errors. Derived values (frequencies, target
// encodings) are recomputed from the stored counts by the same code Fit uses, so a loaded
// transformer is bit-identical to the fitted one.
//
// # Inference
//
// Infer proposes a spec from data: numeric columns as numeric with missing: keep (trees handle
// NaN; choose median for a linear model), string columns as native categoricals, boolean columns
// as booleans, time columns as datetimes with parts [hour, dayofweek, month]. It leaves out the
// id and label, identifier-like and free-text columns, and constant columns, and says why in
// Spec.Notes, which MarshalYAML writes as comments.
package feature
