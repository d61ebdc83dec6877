#!/usr/bin/env python3
"""Real sentence-embedding data set: seeded sentences (gen_sentences.py) embedded with the local
all-MiniLM-L6-v2 model through `pulse-embed`, split into base and queries, with exact cosine
ground truth. Files are cached: delete them to regenerate.

usage: embed_sentences.py PULSE_EMBED OUT_DIR NAME N NQ SEED
"""
import os, subprocess, sys
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_data import ground_truth, write_vecs  # noqa: E402
import gen_sentences  # noqa: E402


def embed(tool, texts, chunk=500):
    rows = []
    for start in range(0, len(texts), chunk):
        out = subprocess.run([tool, "vector", "--", *texts[start:start + chunk]], check=True,
                             capture_output=True, text=True).stdout
        part = np.array([[float(x) for x in line.split()] for line in out.splitlines() if line.strip()],
                        dtype=np.float32)
        assert part.shape == (min(chunk, len(texts) - start), 384), part.shape
        rows.append(part)
        print(f"  embedded {start + len(part)}/{len(texts)}", file=sys.stderr, flush=True)
    return np.concatenate(rows)


def main():
    tool, out, name, n, nq, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    os.makedirs(out, exist_ok=True)
    texts = gen_sentences.generate(n + nq, seed)
    with open(f"{out}/{name}.txt", "w") as f:
        f.write("\n".join(texts) + "\n")
    vectors = embed(tool, texts)
    base, queries = vectors[:n], vectors[n:]
    write_vecs(f"{out}/{name}_base.fvecs", base, np.float32)
    write_vecs(f"{out}/{name}_query.fvecs", queries, np.float32)
    write_vecs(f"{out}/{name}_gt.ivecs", ground_truth(base, queries, k=min(100, n)), np.int32)
    print(f"{name}: n={n} dim=384 queries={nq} (all-MiniLM-L6-v2 via pulse-embed) -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
