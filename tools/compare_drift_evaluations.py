#!/usr/bin/python3
"""Compares two drift evaluations point by point: PCMKIT_RESULTS_JSON (pcmkit evaluate's
results.json) against REFERENCE_RESULTS_JSON (tools/reference_drift_evaluation.py).

For every (time, compensation) it prints both means ± std (over programming realisations), the
difference d = mean1 - mean2, its Monte-Carlo standard error se = sqrt(s1^2/n1 + s2^2/n2) and
z = d/se; |z| > 3 is flagged. With few repeats z follows roughly a t distribution (Welch dof shown).
Usage: tools/compare_drift_evaluations.py PCMKIT_RESULTS_JSON REFERENCE_RESULTS_JSON
"""
import json
import math
import sys


def points(path):
    with open(path) as f:
        d = json.load(f)
    out = {}
    for p in d["points"]:
        out[(round(float(p["t_s"]), 3), p["compensation"])] = [float(a) for a in p["accuracy_percent"]]
    return d, out


def mean_var(v):
    m = sum(v) / len(v)
    s2 = sum((a - m) ** 2 for a in v) / (len(v) - 1) if len(v) > 1 else float("nan")
    return m, s2


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    d1, p1 = points(sys.argv[1])
    d2, p2 = points(sys.argv[2])
    print(f"fp32: {d1.get('fp32_accuracy_percent')}% vs {d2.get('fp32_accuracy_percent')}% "
          f"on {d1.get('num_test_images')} vs {d2.get('num_test_images')} test images")
    print(f"{'time_s':>11} {'comp':>6} {'pcmkit mean±std (n)':>22} {'reference mean±std (n)':>24}"
          f" {'diff':>7} {'se':>6} {'z':>6} {'dof':>5}")
    worst = 0.0
    for key in sorted(set(p1) & set(p2), key=lambda k: (k[0], ["none", "gdc", "adabs"].index(k[1])
                                                         if k[1] in ("none", "gdc", "adabs") else 9)):
        a, b = p1[key], p2[key]
        m1, v1 = mean_var(a)
        m2, v2 = mean_var(b)
        se = math.sqrt(v1 / len(a) + v2 / len(b))
        z = (m1 - m2) / se if se > 0 else float("nan")
        dof = se ** 4 / ((v1 / len(a)) ** 2 / (len(a) - 1) + (v2 / len(b)) ** 2 / (len(b) - 1)) \
            if se > 0 else float("nan")
        worst = max(worst, abs(z)) if z == z else worst
        flag = "  <-- |z|>3" if abs(z) > 3 else ""
        print(f"{key[0]:>11.6g} {key[1]:>6} {m1:8.2f} ± {math.sqrt(v1):5.2f} ({len(a):2d})"
              f"    {m2:8.2f} ± {math.sqrt(v2):5.2f} ({len(b):2d}) {m1 - m2:7.2f} {se:6.2f}"
              f" {z:6.2f} {dof:5.1f}{flag}")
    only = set(p1) ^ set(p2)
    if only:
        print(f"points in only one file: {sorted(only)}")
    print(f"max |z| = {worst:.2f}")


if __name__ == "__main__":
    main()
