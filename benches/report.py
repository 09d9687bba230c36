"""Turns the JSON lines of benches/run.sh into a table and one JSON line of ratios."""

import json
import os
import platform
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {(r["case"], r["impl"]): r for r in rows}
cases = sorted({r["case"] for r in rows}, key=[r["case"] for r in rows].index)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
torch_version = next((r.get("torch") for r in rows if r.get("torch")), "?")
print(f"\nmachine: {cpu}, {os.cpu_count()} cores; PyTorch {torch_version} on 2 threads\n")
print(f"{'case':<16} {'ours':>14} {'PyTorch':>14} {'speedup':>8} {'RSS ours':>9} {'RSS torch':>9}  loss ours / torch")
summary = {}
for case in cases:
    a, b = by.get((case, "nca")), by.get((case, "pytorch"))
    if not a or not b:
        continue
    if "ms_per_step" in a:
        speed = b["ms_per_step"] / a["ms_per_step"]
        summary[f"{case}_speedup"] = round(speed, 2)
        extra = f"  {a['first_loss']:.6g} / {b['first_loss']:.6g}"
        ours, theirs = f"{a['ms_per_step']:.1f} ms/step", f"{b['ms_per_step']:.1f} ms/step"
    else:
        speed = a["ticks_per_s"] / b["ticks_per_s"]
        summary[f"{case}_speedup"] = round(speed, 2)
        summary[f"{case}_ticks_per_s"] = round(a["ticks_per_s"])
        extra = ""
        ours, theirs = f"{a['ticks_per_s']:.0f} ticks/s", f"{b['ticks_per_s']:.0f} ticks/s"
    summary[f"{case}_rss_mb"] = [round(a["peak_rss_mb"]), round(b["peak_rss_mb"])]
    print(f"{case:<16} {ours:>14} {theirs:>14} {speed:>7.2f}x {a['peak_rss_mb']:>7.0f}MB {b['peak_rss_mb']:>7.0f}MB{extra}")
print()
print(json.dumps(summary))
