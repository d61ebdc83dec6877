#!/usr/bin/env python3
"""Prints bench outputs of several engines side by side, plus QPS interpolated at recall 0.95
and 0.99 (linear between the two ef rows around the target).
usage: compare.py TITLE ours.csv peer1.csv [peer2.csv ...]"""
import os, sys


def parse(path):
    keys, rows = {}, []
    with open(path) as f:
        lines = [l.strip() for l in f if l.strip()]
    i = 0
    while not lines[i].startswith("ef,"):
        k, v = lines[i].split(",", 1)
        keys[k] = float(v)
        i += 1
    for line in lines[i + 1:]:
        rows.append([float(x) for x in line.split(",")])
    return keys, rows


def qps_at(rows, target, col):
    prev = None
    for r in rows:
        if r[1] >= target:
            if prev is None or r[1] == prev[1]:
                return r[col]
            t = (target - prev[1]) / (r[1] - prev[1])
            return prev[col] + t * (r[col] - prev[col])
        prev = r
    return None


def main():
    title, paths = sys.argv[1], sys.argv[2:]
    names = [os.path.basename(p).rsplit("_", 1)[-1].removesuffix(".csv") for p in paths]
    data = [parse(p) for p in paths]
    print(f"\n### {title}")
    print(f"{'engine':<12} {'build_s':>9} {'build_cpu_s':>11} {'bytes/vec':>10}")
    for name, (keys, _) in zip(names, data):
        print(f"{name:<12} {keys['build_seconds']:>9.1f} {keys['build_cpu_seconds']:>11.1f} {keys['memory_bytes'] / keys['n']:>10.0f}")
    header = "ef  " + "".join(f"| {n:<11} recall    qps  qps_cpu   p50   p99 " for n in names)
    print(header)
    for i, r in enumerate(data[0][1]):
        line = f"{int(r[0]):<4}"
        for _, rows in data:
            x = rows[i]
            line += f"| {'':<11} {x[1]:.4f} {x[2]:>6.0f} {x[3]:>8.0f} {x[4]:>5.0f} {x[5]:>5.0f} "
        print(line)
    for target in (0.95, 0.99):
        parts = []
        for name, (_, rows) in zip(names, data):
            q, c = qps_at(rows, target, 2), qps_at(rows, target, 3)
            parts.append(f"{name} {q:.0f} ({c:.0f} cpu)" if q else f"{name} n/a")
        print(f"QPS at recall {target}: " + ", ".join(parts))


if __name__ == "__main__":
    main()
