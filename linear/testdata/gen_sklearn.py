#!/usr/bin/env python3
"""Generate linear/testdata/sklearn.json: datasets and scikit-learn's L2 logistic regression.

riskflow's linear.Train minimises  sum_i logloss_i + L2/2 * ||w||^2  (intercept not penalised),
which is scikit-learn's LogisticRegression(C=1/L2). With Standardize the penalty applies to the
weights of the standardised features: StandardScaler (population std) then
LogisticRegression, with the coefficients mapped back to raw features here.

For each dataset the JSON holds, on the raw feature scale:
  - "sklearn": LogisticRegression(C=1/L2, tol=1e-12) fitted with solver "lbfgs" (the default;
    it stops on a relative change of the objective, so on badly scaled data its gradient is
    not small: grad_norm records it) and with "newton-cg" (converges tightly);
  - "exact": the newton-cg solution polished with Newton's method on the exact objective to
    machine precision (grad_norm ~ 1e-12), with its predicted probabilities for all rows.
The Go tests in package linear read the JSON; they never run Python.
Run from the repository root:  python3 linear/testdata/gen_sklearn.py
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def penalised_design(X, standardize):
    """The design matrix (with a column of ones) in the coordinates the penalty applies to."""
    if standardize:
        sc = StandardScaler().fit(X)
        Xp = sc.transform(X)
    else:
        sc, Xp = None, X
    return sc, np.column_stack([Xp, np.ones(len(X))])


def to_raw(theta, sc):
    if sc is None:
        return theta[:-1], theta[-1]
    w = theta[:-1] / sc.scale_
    return w, theta[-1] - np.dot(w, sc.mean_)


def fit(name, X, y, l2, standardize, names):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    sc, A = penalised_design(X, standardize)
    pen = np.full(A.shape[1], l2)
    pen[-1] = 0.0

    def grad(t):
        return A.T @ (expit(A @ t) - y) + pen * t

    d = {
        "name": name,
        "rows": X.shape[0],
        "cols": X.shape[1],
        "x": X.ravel().tolist(),
        "y": y.tolist(),
        "feature_names": names,
        "l2": l2,
        "standardize": standardize,
        "sklearn": {},
    }
    theta = None
    for solver in ("lbfgs", "newton-cg"):
        lr = LogisticRegression(C=1.0 / l2, solver=solver, tol=1e-12, max_iter=100000)
        lr.fit(A[:, :-1], y)
        theta = np.concatenate([lr.coef_[0], lr.intercept_])
        w, b = to_raw(theta, sc)
        d["sklearn"][solver] = {
            "weights": w.tolist(),
            "intercept": float(b),
            "grad_norm": float(np.max(np.abs(grad(theta)))),
            "proba": expit(X @ w + b).tolist(),
        }
    # Polish the newton-cg solution with Newton's method to machine precision.
    for _ in range(50):
        p = expit(A @ theta)
        H = A.T @ (A * (p * (1 - p))[:, None]) + np.diag(pen)
        step = np.linalg.solve(H, grad(theta))
        theta = theta - step
        if np.max(np.abs(step)) < 1e-15 * (1 + np.max(np.abs(theta))):
            break
    w, b = to_raw(theta, sc)
    d["exact"] = {
        "weights": w.tolist(),
        "intercept": float(b),
        "grad_norm": float(np.max(np.abs(grad(theta)))),
        "proba": expit(X @ w + b).tolist(),
    }
    return d


def main():
    rng = np.random.default_rng(99)
    out = []

    # Mixed scales: an amount in hundreds, a rate, a count, a flag, noise.
    n = 500
    amount = rng.gamma(2.0, 150.0, size=n)
    rate = rng.uniform(0, 1, size=n)
    count = rng.poisson(3, size=n).astype(float)
    flag = (rng.random(n) < 0.3).astype(float)
    noise = rng.normal(size=n)
    X = np.column_stack([amount, rate, count, flag, noise])
    logit = -2 + 0.004 * amount + 1.5 * rate - 0.3 * count + 0.8 * flag
    y = (rng.random(n) < expit(logit)).astype(float)
    names = ["amount", "rate", "count", "flag", "noise"]
    out.append(fit("mixed_l2_1", X, y, 1.0, False, names))
    out.append(fit("mixed_l2_100", X, y, 100.0, False, names))
    out.append(fit("mixed_standardized_l2_10", X, y, 10.0, True, names))

    # Imbalanced, with a constant column, weak penalty.
    n = 800
    X = rng.normal(size=(n, 4))
    X[:, 2] = 5.0
    logit = -3.5 + X[:, 0] - 0.7 * X[:, 1] + 0.2 * X[:, 3]
    y = (rng.random(n) < expit(logit)).astype(float)
    out.append(fit("imbalanced_constant_col", X, y, 0.01, False, None))
    out.append(fit("imbalanced_constant_col_std", X, y, 0.5, True, None))

    # Small and nearly separable: the penalty keeps the weights finite.
    X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 0.0], [3.0, 1.5], [4.0, 0.2], [5.0, 1.0]])
    y = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    out.append(fit("separable_small", X, y, 0.1, False, ["a", "b"]))

    doc = {
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
        "datasets": out,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn.json")
    with open(path, "w") as fh:
        json.dump(doc, fh, allow_nan=False)
        fh.write("\n")


if __name__ == "__main__":
    main()
