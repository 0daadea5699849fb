#!/usr/bin/env python3
"""Generate calibrate/testdata/sklearn.json: scores, labels and what scikit-learn fits on them.

For each dataset:
  - isotonic: IsotonicRegression(out_of_bounds="clip") as CalibratedClassifierCV(method="isotonic")
    builds it: its knots (X_thresholds_, y_thresholds_) and its predictions on probe points;
  - platt: sklearn.calibration._sigmoid_calibration on logit(score) (what
    CalibratedClassifierCV(method="sigmoid") runs; BFGS with gtol 1e-5), and the exact maximum
    likelihood solution of the same objective from a tight Newton iteration in numpy.

The Go tests in package calibrate read the JSON; they never run Python.
Run from the repository root:  python3 calibrate/testdata/gen_sklearn.py
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy.special import expit, logit
from sklearn.calibration import _sigmoid_calibration
from sklearn.isotonic import IsotonicRegression

EPS = 1e-15  # riskflow's calibrate clips scores to [EPS, 1-EPS] before the logit


def platt_exact(f, y):
    """Newton's method on Platt's objective with smoothed targets, to machine precision."""
    npos = float(np.sum(y > 0))
    nneg = float(len(y) - npos)
    t = np.where(y > 0, (npos + 1) / (npos + 2), 1 / (nneg + 2))
    a, b = 0.0, np.log((nneg + 1) / (npos + 1))

    def obj(a, b):
        z = a * f + b
        return np.sum(np.logaddexp(0, z) - (1 - t) * z)

    for _ in range(200):
        z = a * f + b
        s = expit(z)  # 1 - p
        g = np.array([np.dot(s - (1 - t), f), np.sum(s - (1 - t))])
        w = s * (1 - s)
        h = np.array([[np.dot(w, f * f), np.dot(w, f)], [np.dot(w, f), np.sum(w)]])
        d = -np.linalg.solve(h + 1e-12 * np.eye(2), g)
        step, f0 = 1.0, obj(a, b)
        while step > 1e-12 and obj(a + step * d[0], b + step * d[1]) > f0 + 1e-4 * step * g.dot(d):
            step /= 2
        a, b = a + step * d[0], b + step * d[1]
        if np.max(np.abs(g)) < 1e-13 * len(y) or step <= 1e-12:
            break
    return a, b


def dataset(name, s, y, probes):
    s = np.asarray(s, dtype=float)
    y = np.asarray(y, dtype=float)
    probes = np.asarray(probes, dtype=float)
    iso = IsotonicRegression(out_of_bounds="clip").fit(s, y)
    f = logit(np.clip(s, EPS, 1 - EPS))
    a, b = _sigmoid_calibration(f, y)
    ea, eb = platt_exact(f, y)
    return {
        "name": name,
        "scores": s.tolist(),
        "y": y.tolist(),
        "probes": probes.tolist(),
        "isotonic": {
            "x": iso.X_thresholds_.tolist(),
            "y": iso.y_thresholds_.tolist(),
            "predict": iso.predict(probes).tolist(),
        },
        "platt": {"a": float(a), "b": float(b), "a_exact": float(ea), "b_exact": float(eb)},
    }


def main():
    rng = np.random.default_rng(7)
    out = []
    probes = np.concatenate([[0.0, 1e-9, 0.999999, 1.0], np.linspace(0.001, 0.999, 41)])

    # Over-confident scores: the true log-odds is half the score's.
    n = 800
    true = rng.normal(scale=1.5, size=n) - 1.0
    y = (rng.random(n) < expit(true)).astype(float)
    s = expit(2 * true + 0.3)
    out.append(dataset("overconfident", s, y, probes))

    # Under-confident and shifted, heavy ties (scores rounded to two decimals).
    n = 600
    true = rng.normal(scale=2.0, size=n) - 0.5
    y = (rng.random(n) < expit(true)).astype(float)
    s = np.round(expit(0.4 * true - 0.7), 2)
    out.append(dataset("underconfident_ties", s, y, probes))

    # Imbalanced (about 5 % positives).
    n = 1500
    true = rng.normal(size=n) - 3.2
    y = (rng.random(n) < expit(true)).astype(float)
    s = expit(1.3 * true + 1.0)
    out.append(dataset("imbalanced", s, y, probes))

    # Small, with exact 0 and 1 scores.
    s = [0.0, 0.1, 0.1, 0.2, 0.35, 0.4, 0.4, 0.6, 0.8, 1.0, 0.9, 0.3]
    y = [0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1]
    out.append(dataset("small", s, y, probes))

    doc = {
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
        "eps": EPS,
        "datasets": out,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn.json")
    with open(path, "w") as fh:
        json.dump(doc, fh, allow_nan=False)
        fh.write("\n")


if __name__ == "__main__":
    main()
