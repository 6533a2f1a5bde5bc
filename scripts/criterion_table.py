#!/usr/bin/env python3
"""Tables of the criterion benches (benches/e_step.rs, benches/em_vb.rs) for docs/performance.md.

Reads target/criterion/<group>/<benchmark>/<which>/estimates.json (the mean of the last run,
or of a saved baseline with --baseline NAME) and prints milliseconds per call, the achieved
GFLOP/s of the E-step (flop count of benches/common/mod.rs::e_step_flops) and the VB / EM
ratio of one iteration.

    cargo bench --bench e_step --bench em_vb
    python3 scripts/criterion_table.py [--baseline NAME]
"""

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def e_step_flops(n, d, k, kind):
    """Same formula as benches/common/mod.rs::e_step_flops."""
    if kind == "full":
        return n * k * (2 * d * d + 9 * d + 6)
    return n * k * (10 * d + 6)


def mean_seconds(path):
    return json.loads(path.read_text())["mean"]["point_estimate"] / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="new", help="'new' (last run) or a saved baseline name")
    ap.add_argument("--criterion", default=str(ROOT / "target/criterion"))
    args = ap.parse_args()
    root = Path(args.criterion)
    times = {}
    for est in root.glob(f"*/*/{args.baseline}/estimates.json"):
        group, bench = est.parts[-4], est.parts[-3]
        times[(group, bench)] = mean_seconds(est)
    for est in root.glob(f"fit/*/*/{args.baseline}/estimates.json"):
        times[("fit", f"{est.parts[-4]}_{est.parts[-3]}")] = mean_seconds(est)
    pattern = re.compile(r"(full|diag)_N(\d+)_D(\d+)_K(\d+)$")
    rows = sorted({b for (_, b) in times if pattern.match(b)},
                  key=lambda b: (int(pattern.match(b).group(2)) * int(pattern.match(b).group(3)) ** 2, b))
    print(f"| problem | E-step ms | E-step GFLOP/s | EM iteration ms | VB iteration ms | VB / EM | "
          f"EM fit ms | VB fit ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for b in rows:
        kind, n, d, k = pattern.match(b).groups()
        n, d, k = int(n), int(d), int(k)
        e = times.get(("e_step", b))
        em = times.get(("em_iteration", b))
        vb = times.get(("vb_iteration", b))
        emf = times.get(("fit", f"em_{b}"))
        vbf = times.get(("fit", f"vb_{b}"))
        ms = lambda t: f"{t * 1e3:.2f}" if t else "-"
        gf = f"{e_step_flops(n, d, k, kind) / e / 1e9:.1f}" if e else "-"
        ratio = f"{vb / em:.2f}" if em and vb else "-"
        print(f"| {kind} ({n}, {d}, {k}) | {ms(e)} | {gf} | {ms(em)} | {ms(vb)} | {ratio} | {ms(emf)} | {ms(vbf)} |")


if __name__ == "__main__":
    main()
