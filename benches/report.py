"""Turns the JSON lines of benches/run.sh (one file per round) into a table and one JSON line
of ratios: per case the median of the rounds' ratios, the round shown being the median one."""

import json
import os
import platform
import statistics
import sys

rounds = []
for path in sys.argv[1:]:
    rows = [json.loads(line) for line in open(path) if line.strip()]
    rounds.append({(r["case"], r["impl"]): r for r in rows})
order = []
for rnd in rounds:
    for case, _ in rnd:
        if case not in order:
            order.append(case)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
torch_version = next((r.get("torch") for rnd in rounds for r in rnd.values() if r.get("torch")), "?")
print(f"\nmachine: {cpu}, {os.cpu_count()} cores; PyTorch {torch_version} on 2 threads; {len(rounds)} round(s)\n")
print(f"{'case':<16} {'ours':>14} {'PyTorch':>14} {'speedup':>8} {'rounds':>22} {'RSS ours':>9} {'RSS torch':>9}  loss ours / torch")


def ratio(a, b):
    if "ms_per_step" in a:
        return b["ms_per_step"] / a["ms_per_step"]
    return a["ticks_per_s"] / b["ticks_per_s"]


summary = {}
for case in order:
    pairs = [(r[(case, "nca")], r[(case, "pytorch")]) for r in rounds if (case, "nca") in r and (case, "pytorch") in r]
    if not pairs:
        continue
    ratios = [ratio(a, b) for a, b in pairs]
    med = statistics.median(ratios)
    # The round whose ratio is the median (the lower middle one for an even count).
    a, b = sorted(zip(ratios, pairs), key=lambda t: t[0])[(len(pairs) - 1) // 2][1]
    summary[f"{case}_speedup"] = round(med, 2)
    summary[f"{case}_rounds"] = [round(x, 2) for x in ratios]
    if "ms_per_step" in a:
        extra = f"  {a['first_loss']:.6g} / {b['first_loss']:.6g}"
        ours, theirs = f"{a['ms_per_step']:.1f} ms/step", f"{b['ms_per_step']:.1f} ms/step"
    else:
        summary[f"{case}_ticks_per_s"] = round(a["ticks_per_s"])
        extra = ""
        ours, theirs = f"{a['ticks_per_s']:.0f} ticks/s", f"{b['ticks_per_s']:.0f} ticks/s"
    summary[f"{case}_rss_mb"] = [round(a["peak_rss_mb"]), round(b["peak_rss_mb"])]
    listed = " ".join(f"{x:.1f}" for x in ratios)
    print(f"{case:<16} {ours:>14} {theirs:>14} {med:>7.2f}x {listed:>22} {a['peak_rss_mb']:>7.0f}MB {b['peak_rss_mb']:>7.0f}MB{extra}")
print()
print(json.dumps(summary))
