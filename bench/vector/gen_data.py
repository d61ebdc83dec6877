#!/usr/bin/env python3
"""Seeded synthetic embedding-like data sets and exact cosine ground truth (fvecs/ivecs).

Embedding-like: points live near a low-dimensional latent space (clustered), mapped into d
dimensions by a fixed random projection, plus a little isotropic noise. Queries come from the
same distribution but are not in the base set.
usage: gen_data.py OUT_DIR NAME N DIM NQ SEED
"""
import sys, os
import numpy as np


def write_vecs(path, rows, dtype):
    rows = np.ascontiguousarray(rows, dtype=dtype)
    n, d = rows.shape
    out = np.empty((n, d + 1), dtype=np.int32)
    out[:, 0] = d
    out[:, 1:] = rows.view(np.int32)
    out.tofile(path)


def make(n, dim, rng, centers, projection, latent):
    labels = rng.integers(0, len(centers), size=n)
    z = centers[labels] + 0.35 * rng.standard_normal((n, latent), dtype=np.float32)
    x = z @ projection
    x += 0.08 * np.sqrt(latent / dim) * rng.standard_normal((n, dim), dtype=np.float32) * np.abs(x).mean()
    return x.astype(np.float32)


def ground_truth(base, queries, k=100, chunk=50_000):
    bn = base / np.linalg.norm(base, axis=1, keepdims=True)
    qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    best_s = np.full((len(qn), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(qn), 0), dtype=np.int64)
    for start in range(0, len(bn), chunk):
        s = qn @ bn[start:start + chunk].T
        kk = min(k, s.shape[1])
        part = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, part, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, part + start], axis=1)
        order = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
        best_s = np.take_along_axis(cand_s, order, axis=1)
        best_i = np.take_along_axis(cand_i, order, axis=1)
    return best_i.astype(np.int32)


def main():
    out, name, n, dim, nq, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    latent = 48
    centers = rng.standard_normal((max(32, n // 200), latent), dtype=np.float32)
    projection = rng.standard_normal((latent, dim), dtype=np.float32) / np.sqrt(latent)
    base = make(n, dim, rng, centers, projection, latent)
    queries = make(nq, dim, rng, centers, projection, latent)
    gt = ground_truth(base, queries, k=min(100, n))
    write_vecs(f"{out}/{name}_base.fvecs", base, np.float32)
    write_vecs(f"{out}/{name}_query.fvecs", queries, np.float32)
    write_vecs(f"{out}/{name}_gt.ivecs", gt, np.int32)
    print(f"{name}: n={n} dim={dim} queries={nq} -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
