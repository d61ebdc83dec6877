#!/usr/bin/env python3
"""Times hnswlib and faiss IndexHNSWFlat with the same contract as `pulse-vector bench`.

QPS is from a batch call on one thread (no Python per-query overhead), fastest of >= 3 passes;
qps_cpu from the process CPU time of that pass. p50/p99 come from a separate pass of single-query
calls, so they include Python call overhead (a few microseconds).
usage: peers.py {hnswlib|faiss} --base B --query Q --gt G --m 16 --ef-construction 200
                --ef-search 10,20 --k 10 [--threads 1] [--seed 100]
"""
import argparse, os, time
import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].copy().view(dtype)


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["hnswlib", "faiss"])
    ap.add_argument("--base"); ap.add_argument("--query"); ap.add_argument("--gt")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--ef-search", default="10,20,40,80,160,320")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--passes", type=int, default=3)
    a = ap.parse_args()
    base = read_vecs(a.base, np.float32)
    queries = read_vecs(a.query, np.float32)
    gt = read_vecs(a.gt, np.int32)[:, :a.k]
    n, dim = base.shape
    # Both engines get unit vectors and inner product: the same cosine problem we solve.
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    before = rss()
    if a.engine == "hnswlib":
        import hnswlib
        index = hnswlib.Index(space="ip", dim=dim)
        index.init_index(max_elements=n, M=a.m, ef_construction=a.ef_construction, random_seed=a.seed)
        w0, c0 = time.perf_counter(), time.process_time()
        index.add_items(base, np.arange(n), num_threads=a.threads)
        build, build_cpu = time.perf_counter() - w0, time.process_time() - c0

        def set_ef(ef): index.set_ef(ef)
        def batch(q): return index.knn_query(q, k=a.k, num_threads=1)[0]
    else:
        import faiss
        faiss.omp_set_num_threads(a.threads)
        index = faiss.IndexHNSWFlat(dim, a.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = a.ef_construction
        w0, c0 = time.perf_counter(), time.process_time()
        index.add(base)
        build, build_cpu = time.perf_counter() - w0, time.process_time() - c0
        faiss.omp_set_num_threads(1)

        def set_ef(ef): index.hnsw.efSearch = ef
        def batch(q): return index.search(q, a.k)[1]
    memory = rss() - before

    print(f"build_seconds,{build:.3f}")
    print(f"build_cpu_seconds,{build_cpu:.3f}")
    print(f"memory_bytes,{memory}")
    print(f"n,{n}")
    print(f"dim,{dim}")
    print("ef,recall,qps,qps_cpu,p50_us,p99_us")
    nq = len(queries)
    for ef in [int(x) for x in a.ef_search.split(",")]:
        set_ef(ef)
        best, best_cpu, ids = float("inf"), float("inf"), None
        for _ in range(max(a.passes, 1)):
            w0, c0 = time.perf_counter(), time.process_time()
            ids = batch(queries)
            best = min(best, time.perf_counter() - w0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        hits = sum(len(set(ids[i].tolist()) & set(gt[i].tolist())) for i in range(nq))
        lat = []
        for i in range(nq):
            t0 = time.perf_counter()
            batch(queries[i:i + 1])
            lat.append(time.perf_counter() - t0)
        lat.sort()
        p50, p99 = lat[nq // 2] * 1e6, lat[min(nq - 1, int(nq * 0.99))] * 1e6
        print(f"{ef},{hits / (nq * a.k):.4f},{nq / best:.1f},{nq / best_cpu:.1f},{p50:.1f},{p99:.1f}")


if __name__ == "__main__":
    main()
