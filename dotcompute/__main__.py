"""`python -m dotcompute`: the runtime report, then a live comparison against NumPy.

Each operation runs on the same data with NumPy and with dotcompute in this process; the
table gives the median time of each and their ratio (NumPy / dotcompute: > 1 means faster).
Ratios from one run on a shared machine are what to compare; absolute times vary.
Options: --quick (fewer sizes), --sizes 1e3,1e6 (explicit sizes).
"""
import argparse

import numpy as np

import dotcompute as dc
from dotcompute._timing import median_time as _median_time


def _cases(n, rng):
    a = rng.random(n)
    b = rng.random(n)
    c = rng.random(n)
    out = np.empty(n)
    da, db, dc_c, dout = dc.array(a), dc.array(b), dc.array(c), dc.empty(n)
    a32 = a.astype(np.float32)
    da32 = dc.array(a32)
    return [
        ("a + b", lambda: a + b, lambda: da + db),
        ("add(a, b, out=)", lambda: np.add(a, b, out=out), lambda: dc.add(da, db, out=dout)),
        ("a * 2.5", lambda: a * 2.5, lambda: da * 2.5),
        ("2*a + 3*b*b - c", lambda: 2 * a + 3 * b * b - c,
         lambda: 2 * da + 3 * db * db - dc_c),
        ("a < b", lambda: a < b, lambda: da < db),
        ("sqrt(a)", lambda: np.sqrt(a), lambda: dc.sqrt(da)),
        ("exp(a)", lambda: np.exp(a), lambda: dc.exp(da)),
        ("sin(a)", lambda: np.sin(a), lambda: dc.sin(da)),
        ("exp(a) f32", lambda: np.exp(a32), lambda: dc.exp(da32)),
        ("a.sum()", lambda: a.sum(), lambda: da.sum()),
        ("a.max()", lambda: a.max(), lambda: da.max()),
        ("dot(a, b)", lambda: np.dot(a, b), lambda: dc.dot(da, db)),
    ]


def compare(sizes, budget):
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        for name, f_np, f_dc in _cases(n, rng):
            t_np = _median_time(f_np, budget)
            t_dc = _median_time(f_dc, budget)
            rows.append((name, n, t_np, t_dc))
    return rows


def _fmt_time(t):
    if t < 1e-3:
        return f"{t * 1e6:9.2f} us"
    return f"{t * 1e3:9.2f} ms"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dotcompute", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sizes 1e3 and 1e6 only")
    parser.add_argument("--sizes", help="comma-separated sizes, e.g. 1e3,1e5,1e7")
    parser.add_argument("--no-compare", action="store_true", help="only the report")
    args = parser.parse_args(argv)

    print("dotcompute runtime")
    print("==================")
    dc.show_runtime()
    if args.no_compare:
        return 0
    if args.sizes:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
    elif args.quick:
        sizes = [1000, 1000000]
    else:
        sizes = [1000, 100000, 1000000, 10000000]
    budget = 0.05 if args.quick else 0.12
    print()
    print(f"Live comparison against NumPy {np.__version__} (float64 unless noted; "
          f"{dc.get_num_threads()} threads, {dc.get_cpu_capability()} build)")
    print(f"{'operation':<18}{'n':>10}{'numpy':>13}{'dotcompute':>13}{'speedup':>9}")
    for name, n, t_np, t_dc in compare(sizes, budget):
        print(f"{name:<18}{n:>10.0e}{_fmt_time(t_np):>13}{_fmt_time(t_dc):>13}"
              f"{t_np / t_dc:>8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
