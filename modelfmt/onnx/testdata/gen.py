#!/usr/bin/python3
"""Generate the ONNX parity fixtures of riskflow/modelfmt/onnx.

Run from this directory with Debian's python3-torch, python3-onnx and python3-sklearn, and a
riskflow binary (default: ``riskflow`` on PATH):

    /usr/bin/python3 gen.py --riskflow /path/to/riskflow

It makes synthetic orders with ``riskflow datagen``, fits features.yaml with ``riskflow
features fit`` (-> transformer.json) and transforms train and test data with ``riskflow
features transform``: the networks are trained on riskflow's own preprocessing, as a data
scientist would. It writes, committed beside this script:

  rows.csv                  the raw test orders (300), for the bundle-level test
  transformer.json          the fitted transformer
  <name>.onnx               the model
  <name>.json               {"kind", "inputs" (transformed test rows, float64), "outputs"}

For the networks the outputs are PyTorch's own float32 outputs (probability of class 1),
written exactly (repr of the float64 holding the float32). For the tree ensembles, which
no runtime in Debian evaluates, the outputs are computed below by walking the ONNX trees with
the operator's semantics (float32 input and thresholds, BRANCH_LEQ / BRANCH_LT, the
missing-value bit), summing leaf weights in float64; a check against scikit-learn's own
predict_proba is printed.
"""

import argparse
import csv
import json
import math
import os
import subprocess
import tempfile

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper
from sklearn.ensemble import GradientBoostingClassifier

HERE = os.path.dirname(os.path.abspath(__file__))


def run(*args):
    subprocess.run(list(args), check=True, stdout=subprocess.DEVNULL)


def read_matrix(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        rows = list(r)
    feats = head[2:]  # order_id, default, then the features
    X = np.array([[float(v) for v in row[2:]] for row in rows], dtype=np.float64)
    y = np.array([float(row[1]) for row in rows], dtype=np.float64)
    return feats, X, y


class MLP(torch.nn.Module):
    """F-64-32-1, ReLU, sigmoid: the benchmark shape."""

    def __init__(self, f):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(f, 64), torch.nn.ReLU(),
            torch.nn.Linear(64, 32), torch.nn.ReLU(),
            torch.nn.Linear(32, 1), torch.nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


class BNSoftmax(torch.nn.Module):
    """BatchNorm, LeakyReLU, Tanh and a 2-class softmax (probability of class 1 = column 1)."""

    def __init__(self, f):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(f, 32), torch.nn.BatchNorm1d(32), torch.nn.LeakyReLU(0.1),
            torch.nn.Linear(32, 16), torch.nn.Tanh(),
            torch.nn.Linear(16, 2), torch.nn.Softmax(dim=1))

    def forward(self, x):
        return self.net(x)


class Logit(torch.nn.Module):
    """Arithmetic on the input (x*scale - shift, as a standardization layer), a reshape and a
    flatten, a concat of two branches, and a logit output."""

    def __init__(self, f):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.linspace(0.5, 1.5, f), requires_grad=False)
        self.shift = torch.nn.Parameter(torch.linspace(-0.1, 0.1, f), requires_grad=False)
        self.a = torch.nn.Linear(f, 8)
        self.b = torch.nn.Linear(f, 8)
        self.out = torch.nn.Linear(16, 1)
        self.f = f

    def forward(self, x):
        x = (x * self.scale - self.shift) / 2.0
        x = torch.flatten(x.reshape(-1, 1, self.f), 1)
        h = torch.cat([torch.relu(self.a(x)), torch.sigmoid(self.b(x))], dim=1)
        return self.out(h)


def train(model, X, y, epochs, logit=False, two=False):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32)
    model.train()
    for _ in range(epochs):
        for i in range(0, len(Xt), 256):
            xb, yb = Xt[i:i + 256], yt[i:i + 256]
            out = model(xb)
            if two:
                loss = torch.nn.functional.nll_loss(torch.log(out + 1e-9), yb.long())
            elif logit:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(out[:, 0], yb)
            else:
                loss = torch.nn.functional.binary_cross_entropy(out[:, 0], yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()


def export(model, f, name, X, kind, two=False):
    path = os.path.join(HERE, name + ".onnx")
    torch.onnx.export(model, torch.zeros(1, f), path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=13)
    with torch.no_grad():
        out = model(torch.tensor(X, dtype=torch.float32)).numpy()
    col = out[:, 1] if two else out[:, 0]
    write_expected(name, kind, X, [float(v) for v in col])


def write_expected(name, kind, X, outputs):
    doc = {"kind": kind, "inputs": [[float(v) for v in row] for row in X], "outputs": outputs}
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(doc, f)
        f.write("\n")


def f32(v):
    return float(np.float32(v))


def walk(trees, x):
    """Sum of the leaf weights the row reaches, with the ONNX TreeEnsemble semantics."""
    total = 0.0
    for t in trees:
        n = 0
        while t["mode"][n] != "LEAF":
            v = np.float32(x[t["feature"][n]])
            thr = np.float32(t["value"][n])
            if math.isnan(v):
                go = t["missing_true"][n] == 1
            elif t["mode"][n] == "BRANCH_LEQ":
                go = bool(v <= thr)
            else:
                go = bool(v < thr)
            n = t["true"][n] if go else t["false"][n]
        total += f32(t["weight"][n])
    return total


def seq_of_map():
    """The type of ZipMap's output: seq(map(int64, float))."""
    tp = onnx.TypeProto()
    tp.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
    tp.sequence_type.elem_type.map_type.value_type.CopyFrom(
        helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    return tp


def tree_model(name, gbc, X, mode, post, classifier, nan_rows):
    trees = []
    for i, est in enumerate(gbc.estimators_[:, 0]):
        tr = est.tree_
        nodes = tr.node_count
        t = {"mode": [], "feature": [], "value": [], "true": [], "false": [],
             "missing_true": [], "weight": []}
        for n in range(nodes):
            leaf = tr.children_left[n] == -1
            thr = f32(tr.threshold[n])
            if mode == "BRANCH_LT" and not leaf:
                thr = float(np.nextafter(np.float32(thr), np.float32(np.inf)))
            t["mode"].append("LEAF" if leaf else mode)
            t["feature"].append(0 if leaf else int(tr.feature[n]))
            t["value"].append(0.0 if leaf else thr)
            t["true"].append(0 if leaf else int(tr.children_left[n]))
            t["false"].append(0 if leaf else int(tr.children_right[n]))
            t["missing_true"].append(int(n % 2 == 0))
            t["weight"].append(f32(gbc.learning_rate * tr.value[n][0][0]) if leaf else 0.0)
        trees.append(t)
    base = f32(gbc.init_.class_prior_[1])
    base = f32(math.log(base / (1 - base)))

    attrs = dict(nodes_treeids=[], nodes_nodeids=[], nodes_featureids=[], nodes_modes=[],
                 nodes_values=[], nodes_truenodeids=[], nodes_falsenodeids=[],
                 nodes_missing_value_tracks_true=[], nodes_hitrates=[])
    leaf_t, leaf_n, leaf_w = [], [], []
    # Node ids are permuted (n -> 1000 + 7*n) so that the importer must map ids, not positions.
    ids = lambda n: 1000 + 7 * n
    for ti, t in enumerate(trees):
        for n in range(len(t["mode"])):
            attrs["nodes_treeids"].append(ti)
            attrs["nodes_nodeids"].append(ids(n))
            attrs["nodes_featureids"].append(t["feature"][n])
            attrs["nodes_modes"].append(t["mode"][n])
            attrs["nodes_values"].append(t["value"][n])
            attrs["nodes_truenodeids"].append(ids(t["true"][n]) if t["mode"][n] != "LEAF" else 0)
            attrs["nodes_falsenodeids"].append(ids(t["false"][n]) if t["mode"][n] != "LEAF" else 0)
            attrs["nodes_missing_value_tracks_true"].append(t["missing_true"][n])
            attrs["nodes_hitrates"].append(1.0)
            if t["mode"][n] == "LEAF":
                leaf_t.append(ti)
                leaf_n.append(ids(n))
                leaf_w.append(t["weight"][n])
    f = X.shape[1]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", f])
    if classifier:
        node = helper.make_node(
            "TreeEnsembleClassifier", ["x"], ["label", "probs"], domain="ai.onnx.ml",
            class_treeids=leaf_t, class_nodeids=leaf_n, class_ids=[0] * len(leaf_t),
            class_weights=leaf_w, classlabels_int64s=[0, 1], base_values=[base],
            post_transform=post, **attrs)
        zip_ = helper.make_node("ZipMap", ["probs"], ["probabilities"], domain="ai.onnx.ml",
                                classlabels_int64s=[0, 1])
        outs = [helper.make_tensor_value_info("label", TensorProto.INT64, ["n"]),
                helper.make_value_info("probabilities", seq_of_map())]
        graph = helper.make_graph([node, zip_], name, [x], outs)
    else:
        node = helper.make_node(
            "TreeEnsembleRegressor", ["x"], ["y"], domain="ai.onnx.ml", n_targets=1,
            target_treeids=leaf_t, target_nodeids=leaf_n, target_ids=[0] * len(leaf_t),
            target_weights=leaf_w, base_values=[base], post_transform=post,
            aggregate_function="SUM", **attrs)
        graph = helper.make_graph([node], name, [x],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("ai.onnx.ml", 1)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))

    Xn = X.copy()
    rng = np.random.default_rng(3)
    for r in range(nan_rows):  # missing values in the first rows, for the missing-value bit
        Xn[r, rng.choice(f, size=3, replace=False)] = np.nan
    outs = []
    for row in Xn:
        m = base + walk(trees, row)
        outs.append(1 / (1 + math.exp(-m)) if post == "LOGISTIC" else m)
    if classifier and nan_rows == 0:
        ref = gbc.predict_proba(X.astype(np.float32))[:, 1]
        print(name, "max |walk - sklearn predict_proba| =", float(np.max(np.abs(np.array(outs) - ref))))
    # JSON has no NaN: missing inputs are written as null.
    doc_inputs = [[None if math.isnan(v) else float(v) for v in row] for row in Xn]
    doc = {"kind": "probability" if post == "LOGISTIC" else "margin", "inputs": doc_inputs,
           "outputs": outs}
    with open(os.path.join(HERE, name + ".json"), "w") as fh:
        json.dump(doc, fh)
        fh.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--riskflow", default="riskflow")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tr, te = os.path.join(tmp, "train.csv"), os.path.join(HERE, "rows.csv")
        run(args.riskflow, "datagen", "--rows", "4000", "--seed", "7", "-q", "--out", tr)
        run(args.riskflow, "datagen", "--rows", "300", "--seed", "8", "-q", "--out", te)
        tj = os.path.join(HERE, "transformer.json")
        run(args.riskflow, "features", "fit", "--spec", os.path.join(HERE, "features.yaml"),
            "--data", tr, "--out", tj)
        xtr, xte = os.path.join(tmp, "xtr.csv"), os.path.join(tmp, "xte.csv")
        run(args.riskflow, "features", "transform", "--transformer", tj, "--data", tr, "--out", xtr)
        run(args.riskflow, "features", "transform", "--transformer", tj, "--data", te, "--out", xte)
        _, X, y = read_matrix(xtr)
        _, Xt, _ = read_matrix(xte)
    f = X.shape[1]

    torch.manual_seed(1)
    m = MLP(f)
    train(m, X, y, 20)
    export(m, f, "mlp", Xt, "probability")

    torch.manual_seed(2)
    m = BNSoftmax(f)
    train(m, X, y, 20, two=True)
    export(m, f, "mlp_bn_softmax", Xt, "probability", two=True)

    torch.manual_seed(3)
    m = Logit(f)
    train(m, X, y, 20, logit=True)
    export(m, f, "mlp_logit", Xt, "logit")

    gbc = GradientBoostingClassifier(n_estimators=40, max_depth=3, learning_rate=0.1,
                                     random_state=0).fit(X.astype(np.float32), y)
    tree_model("trees_classifier", gbc, Xt, "BRANCH_LEQ", "LOGISTIC", True, 0)
    tree_model("trees_classifier_missing", gbc, Xt, "BRANCH_LEQ", "LOGISTIC", True, 40)
    tree_model("trees_regressor", gbc, Xt, "BRANCH_LT", "NONE", False, 40)


if __name__ == "__main__":
    main()
