"""Run as a script by bench_isa.py: time one kernel in a fresh process whose kernel build
was chosen by DOTCOMPUTE_CPU_CAPABILITY, and print ns per element.

    python isa_probe.py BUILD CASE N

The build is fixed when dotcompute is imported, so each build needs its own process. The
call writes into a preallocated output (no allocation is timed); the printed value is the
median over repeats of batches of calls. Exits non-zero if the process did not get BUILD.
"""
import sys

CASES = {
    # name -> (function, dtype)
    "sqrt float32": ("sqrt", "float32"),
    "exp float32": ("exp", "float32"),
    "exp float64": ("exp", "float64"),
    "sin float64": ("sin", "float64"),
    "add float64": ("add", "float64"),
}


def ns_per_element(case, n, repeat=15, batch_seconds=0.002):
    import numpy as np

    import dotcompute as dc
    from dotcompute._timing import batch_median, batch_size

    func, dtype = CASES[case]
    rng = np.random.default_rng(7)
    a = dc.array(rng.uniform(0.5, 2.0, n).astype(dtype))
    b = dc.array(rng.uniform(0.5, 2.0, n).astype(dtype))
    out = dc.empty(n, dtype=dtype)
    fn = getattr(dc, func)
    f = (lambda: fn(a, b, out=out)) if func == "add" else (lambda: fn(a, out=out))
    return batch_median(f, batch_size(f, batch_seconds), repeat) / n * 1e9


def main(argv):
    build, case, n = argv[0], argv[1], int(float(argv[2]))
    import dotcompute as dc

    if dc.get_cpu_capability() != build:
        sys.exit(f"isa_probe: asked for the {build!r} build, got {dc.get_cpu_capability()!r}")
    print(repr(ns_per_element(case, n)))


if __name__ == "__main__":
    main(sys.argv[1:])
