#!/usr/bin/env python3
"""Side-by-side table of one fsbaseline.sh results folder: kDFS's FUSE mounts against native
ext4 and GlusterFS, measured in the same run, and the issue's goals met or not.

    compare.py RESULTS_DIR [--doc docs/BENCHMARKS.md --command 'bench/fs/run 2']

Reads RESULTS_DIR/summary.tsv (summarize.py writes it). Ratios are speed ratios on the mean of
the runs (rate / rate, or time^-1 / time^-1): 0.20x = five times slower.
"""
import os
import sys
from collections import defaultdict

R = sys.argv[1]
args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
vals = defaultdict(list)  # (fs, metric) -> [value per run]
units = {}
order = []
for line in open(os.path.join(R, "summary.tsv")).read().splitlines()[1:]:
    fs, run, metric, value, unit, *_ = line.split("\t")
    vals[(fs, metric)].append(float(value))
    units[metric] = unit
    if metric not in order:
        order.append(metric)
fss = [f for f in ("native", "ext4j", "gluster", "kdfs1", "kdfs1c", "kdfs3") if any(k[0] == f for k in vals)]
runs = max(len(v) for v in vals.values())


def mean(fs, m):
    v = vals.get((fs, m))
    return sum(v) / len(v) if v else None


def ratio(fs, ref, m):
    a, b = mean(fs, m), mean(ref, m)
    if not a or not b:
        return None
    return a / b if units[m] != "s" else b / a


def fmt(v):
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}" if v >= 0.1 else f"{v:.3f}"


def x(v):
    return "–" if v is None else f"{fmt(v)}×"


KEEP = ("md ", "fio seq write 1M (end_fsync): MB/s", "fio seq read 1M, cold: MB/s",
        "fio seq read 1M, cached: MB/s", "fio rand read 4k, cached: IOPS", "fio rand read 4k, O_DIRECT: IOPS",
        "fio rand write 4k (end_fsync): IOPS", "small files")
metrics = sorted((m for m in order if m.startswith(KEEP)),
                 key=lambda m: (next(i for i, k in enumerate(KEEP) if m.startswith(k)), order.index(m)))
ratios = [(k, r) for k, r in (("kdfs1", "native"), ("kdfs1", "gluster"), ("kdfs3", "gluster"), ("kdfs1c", "kdfs1"))
          if k in fss and r in fss]
out = []
head = "| metric | unit | " + " | ".join(fss) + " | " + " | ".join(f"{k} / {r}" for k, r in ratios) + " |"
out.append(head)
out.append("|" + "---|" * (head.count("|") - 1))
for m in metrics:
    cells = [fmt(mean(f, m)) for f in fss]
    out.append(f"| {m} | {units[m]} | " + " | ".join(cells) + " | "
               + " | ".join(x(ratio(k, r, m)) for k, r in ratios) + " |")

# The goals, on kdfs1 (one node: the FUSE path and kDFS, no network) and kdfs3.
GOALS = [
    ("metadata create, stat, unlink ≥ 5× GlusterFS", "gluster", 5.0,
     ["md 1 dir: create", "md 1 dir: stat", "md 1 dir: unlink"]),
    ("metadata create, stat, unlink ≥ 30 % of native", "native", 0.30,
     ["md 1 dir: create", "md 1 dir: stat", "md 1 dir: unlink"]),
    ("tar xzf of /usr/include within 3× native", "native", 1 / 3, ["small files: tar xzf"]),
    ("sequential write + fsync ≥ 50 % of native", "native", 0.50, ["fio seq write 1M (end_fsync): MB/s"]),
    ("cached reads ≥ 80 % of native", "native", 0.80, ["fio seq read 1M, cached: MB/s"]),
]
goals = ["", "| goal | target | measured (kdfs1) | measured (kdfs3) | met |", "|---|---|---|---|---|"]
for text, ref, want, ms in GOALS:
    if ref not in fss:
        continue
    got = {k: [ratio(k, ref, m) for m in ms] for k in ("kdfs1", "kdfs3") if k in fss}
    cell = {k: ", ".join(f"{m.split(': ')[-1]} {x(v)}" for m, v in zip(ms, got[k])) for k in got}
    met = all(v is not None and v >= want for v in got.get("kdfs1", [None]))
    goals.append(f"| {text} | {x(want)} vs {ref} | {cell.get('kdfs1', '–')} | {cell.get('kdfs3', '–')} | "
                 f"{'yes' if met else '**no**'} |")

env = open(os.path.join(R, "env.txt")).read().strip() if os.path.exists(os.path.join(R, "env.txt")) else ""
text = "\n".join(out + goals)
print(text)
if "--doc" in args:
    doc = args["--doc"]
    body = (f"## kDFS's FUSE mount vs GlusterFS vs native ext4 (issue 13)\n\n"
            f"`{args.get('--command', 'bench/fs/run')}`, {runs} run(s), every step on every target before the "
            f"next step (the team's fsbaseline harness, `bench/fs/fsbaseline.sh`). kdfs1: one node, its own "
            f"partition; kdfs1c: the same with `mount.cache=kernel` (1 s attribute and name cache, page cache: not "
            f"coherent across nodes; what the coherent default costs); kdfs3: the mount of diskless node 3 of "
            f"three, files stored on nodes 1 and 2. "
            f"Means of the runs; ratios are speed ratios (0.20× = five times slower). Raw results: "
            f"`{R}`.\n\n```\n{env}\n```\n\n{text}\n")
    begin, end = "<!-- bench:fuse begin -->", "<!-- bench:fuse end -->"
    d = open(doc).read()
    if begin in d:
        d = d[:d.index(begin)] + begin + "\n" + body + end + d[d.index(end) + len(end):]
    else:
        d = d.rstrip("\n") + f"\n\n{begin}\n{body}{end}\n"
    open(doc, "w").write(d)
