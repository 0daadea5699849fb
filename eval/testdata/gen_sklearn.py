#!/usr/bin/env python3
"""Generate eval/testdata/sklearn.json: datasets and the metrics scikit-learn, scipy and
numpy compute on them. The Go tests in package eval read the JSON; they never run Python.

Run from the repository root:  python3 eval/testdata/gen_sklearn.py
Versions used are recorded in the output ("versions").
"""
import json
import os

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)


def midrank(x):
    """Mid-ranks (1-based; ties get the mean of the ranks they span)."""
    order = np.argsort(x, kind="mergesort")
    z = x[order]
    n = len(x)
    t = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and z[j] == z[i]:
            j += 1
        t[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = t
    return out


def fast_delong(scores, y):
    """Sun & Xu (2014) DeLong covariance of the AUCs of the rows of scores (k x n)."""
    pos = y == 1
    x = scores[:, pos]
    yy = scores[:, ~pos]
    m, n = x.shape[1], yy.shape[1]
    k = scores.shape[0]
    tx = np.array([midrank(x[r]) for r in range(k)])
    ty = np.array([midrank(yy[r]) for r in range(k)])
    tz = np.array([midrank(np.concatenate([x[r], yy[r]])) for r in range(k)])
    aucs = tz[:, :m].sum(axis=1) / (m * n) - (m + 1.0) / (2.0 * n)
    v10 = (tz[:, :m] - tx) / n
    v01 = 1.0 - (tz[:, m:] - ty) / m
    s10 = np.atleast_2d(np.cov(v10))
    s01 = np.atleast_2d(np.cov(v01))
    return aucs, s10 / m + s01 / n


def finite(a):
    """List of floats with +-inf replaced by None (JSON has no infinity)."""
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float)]


def dataset(name, y, p, p2, w):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    p2 = np.asarray(p2, dtype=float)
    w = np.asarray(w, dtype=float)
    d = {"name": name, "y": y.tolist(), "p": p.tolist(), "p2": p2.tolist(), "w": w.tolist()}
    d["auc"] = roc_auc_score(y, p)
    d["auc2"] = roc_auc_score(y, p2)
    d["auc_weighted"] = roc_auc_score(y, p, sample_weight=w)
    d["log_loss"] = log_loss(y, p, eps=1e-15, labels=[0, 1])
    d["log_loss_weighted"] = log_loss(y, p, eps=1e-15, labels=[0, 1], sample_weight=w)
    d["brier"] = brier_score_loss(y, p)
    d["brier_weighted"] = brier_score_loss(y, p, sample_weight=w)
    d["average_precision"] = average_precision_score(y, p)
    d["average_precision_weighted"] = average_precision_score(y, p, sample_weight=w)
    fpr, tpr, thr = roc_curve(y, p, drop_intermediate=False)
    d["roc"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": finite(thr[1:])}
    fpr, tpr, thr = roc_curve(y, p, drop_intermediate=True)
    d["roc_dropped"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": finite(thr[1:])}
    prec, rec, thr = precision_recall_curve(y, p)
    d["pr"] = {"precision": prec.tolist(), "recall": rec.tolist(), "thresholds": thr.tolist()}
    d["ks"] = scipy.stats.ks_2samp(p[y == 1], p[y == 0]).statistic
    d["calibration"] = {}
    for bins in (5, 10, 15):
        if p.min() >= 0 and p.max() <= 1:
            pt, pp = calibration_curve(y, p, n_bins=bins, strategy="uniform")
            d["calibration"][str(bins)] = {"prob_true": pt.tolist(), "prob_pred": pp.tolist()}
    aucs, cov = fast_delong(np.vstack([p, p2]), y)
    diff = aucs[0] - aucs[1]
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    if var > 0:
        z = diff / np.sqrt(var)
    elif diff == 0:
        z = 0.0
    else:  # a difference with zero variance: infinitely significant
        z = np.copysign(np.inf, diff)
    d["delong"] = {
        "auc": aucs.tolist(),
        "cov": cov.tolist(),
        "z": float(z) if np.isfinite(z) else None,
        "p_value": float(2 * scipy.stats.norm.sf(abs(z))),
    }
    return d


def main():
    rng = np.random.default_rng(20240611)
    out = []

    # Small hand-made set with ties across classes and within a class.
    y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
    p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.05, 0.9, 0.4, 0.2]
    p2 = [0.2, 0.3, 0.3, 0.7, 0.6, 0.5, 0.1, 0.6, 0.3, 0.2]
    w = [1, 2, 1, 0.5, 1, 3, 1, 1, 2, 1]
    out.append(dataset("small_ties", y, p, p2, w))

    # Minimal: two of each class.
    out.append(dataset("tiny", [1, 0, 1, 0], [0.7, 0.3, 0.2, 0.6], [0.9, 0.1, 0.4, 0.5], [1, 1, 1, 1]))

    # Heavy ties: scores rounded to two decimals.
    n = 600
    y = (rng.random(n) < 0.3).astype(float)
    s = rng.normal(size=n) + 1.2 * y
    p = np.round(1 / (1 + np.exp(-s)), 2)
    p2 = np.round(1 / (1 + np.exp(-(0.5 * s + rng.normal(size=n)))), 1)
    w = rng.uniform(0.5, 2.0, size=n)
    out.append(dataset("rounded_ties", y, p, p2, w))

    # Imbalanced (about 3 % positives), continuous scores.
    n = 2000
    y = (rng.random(n) < 0.03).astype(float)
    s = rng.normal(size=n) + 1.5 * y - 2.5
    p = 1 / (1 + np.exp(-s))
    p2 = 1 / (1 + np.exp(-(s + rng.normal(scale=0.8, size=n))))
    w = rng.uniform(0.5, 2.0, size=n)
    out.append(dataset("imbalanced", y, p, p2, w))

    # Extreme probabilities: exact 0 and 1, including confident mistakes.
    n = 60
    y = (rng.random(n) < 0.5).astype(float)
    p = rng.random(n)
    p[:6] = [0.0, 1.0, 0.0, 1.0, 1e-17, 1 - 1e-16]
    y[:6] = [0, 1, 1, 0, 1, 0]
    p2 = rng.random(n)
    w = np.ones(n)
    out.append(dataset("extreme", y, p, p2, w))

    # Perfect separation and a constant score.
    out.append(dataset("perfect", [0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9],
                       [0.1, 0.9, 0.3, 0.8, 0.2], [1, 1, 1, 1, 1]))
    out.append(dataset("constant", [0, 1, 0, 1, 1, 0], [0.5] * 6,
                       [0.1, 0.6, 0.2, 0.5, 0.7, 0.3], [1] * 6))

    doc = {
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__},
        "datasets": out,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn.json")
    with open(path, "w") as f:
        json.dump(doc, f, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
