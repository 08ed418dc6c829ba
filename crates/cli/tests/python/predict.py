"""Recomputes a layerwise model's class probabilities with NumPy alone, and compares them
with the ones `layerwise predict` wrote.

    python3 predict.py MODEL.safetensors FEATURES.csv PREDICTIONS.csv

FEATURES.csv holds the raw (unscaled) features, one row per line, comma-separated, no
header and no label. PREDICTIONS.csv is `layerwise predict`'s output for the same rows.
The script reads the tensors and the metadata with the `safetensors` package, checks the
tensors' CRC-32 (`tensor_crc32`), applies the saved scaling (x' = (x - offset) / scale),
runs the sigmoid layers and the softmax layer, and exits with status 1 when a probability differs by more than 1e-5 or a label differs.
"""

import csv
import json
import sys
import zlib

import numpy as np
from safetensors import safe_open


def load(path):
    with safe_open(path, framework="np") as f:
        meta = f.metadata()
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    return meta, tensors


def checksum(tensors):
    """CRC-32 of each tensor's name, byte length (8 bytes, little-endian) and little-endian
    bytes, in name order, as 8 hex digits: the `tensor_crc32` key."""
    crc = 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name]).astype(tensors[name].dtype.newbyteorder("<"))
        raw = data.tobytes()
        crc = zlib.crc32(name.encode(), crc)
        crc = zlib.crc32(len(raw).to_bytes(8, "little"), crc)
        crc = zlib.crc32(raw, crc)
    return f"{crc:08x}"


def scale(x, scaling):
    method = scaling["method"]
    if method == "none":
        return x
    if method == "divide":
        return x / scaling["divisor"]
    return (x - np.asarray(scaling["offset"])) / np.asarray(scaling["scale"])


def probabilities(meta, tensors, raw):
    dtype = np.float32 if meta["dtype"] == "f32" else np.float64
    arch = json.loads(meta["architecture"])
    h = scale(raw.astype(dtype).astype(np.float64), json.loads(meta["scaling"]))
    h = h.astype(dtype)
    for layer in range(len(arch["hidden"])):
        w = tensors[f"layers.{layer}.weight"].astype(np.float64)
        b = tensors[f"layers.{layer}.hidden_bias"].astype(np.float64)
        h = 1.0 / (1.0 + np.exp(-(h @ w.T + b)))
    z = h @ tensors["logistic.weight"].T.astype(np.float64) + tensors["logistic.bias"]
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def main(model_path, features_path, predictions_path):
    meta, tensors = load(model_path)
    if meta.get("format") != "layerwise" or meta.get("format_version") != "2":
        sys.exit(f"{model_path}: not a layerwise model of format version 2")
    if checksum(tensors) != meta.get("tensor_crc32"):
        sys.exit(f"{model_path}: tensor_crc32 {meta.get('tensor_crc32')} is not {checksum(tensors)}")
    classes = json.loads(meta["classes"])
    raw = np.loadtxt(features_path, delimiter=",", ndmin=2)
    ours = probabilities(meta, tensors, raw)

    with open(predictions_path, newline="") as f:
        rows = list(csv.reader(f))
    if rows[0] != ["label"] + classes:
        sys.exit(f"header {rows[0]} is not label + {classes}")
    labels = [r[0] for r in rows[1:]]
    theirs = np.array([[float(v) for v in r[1:]] for r in rows[1:]])

    worst = float(np.abs(ours - theirs).max())
    predicted = [classes[i] for i in ours.argmax(axis=1)]
    # a tie within the tolerance may break either way
    margin = np.sort(ours, axis=1)[:, -1] - np.sort(ours, axis=1)[:, -2]
    wrong = [i for i, (a, b) in enumerate(zip(predicted, labels)) if a != b and margin[i] > 1e-5]
    print(f"{len(labels)} rows, {len(classes)} classes, {meta['kind']} {meta['dtype']}: "
          f"largest probability difference {worst:.3g}, {len(wrong)} labels differ")
    if worst > 1e-5 or wrong:
        sys.exit(1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
