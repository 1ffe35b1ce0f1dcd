"""dotcompute against its peers (numba, torch, numexpr) and NumPy, each backend in its own
process, interleaved.

    PYTHONPATH=. python tools/bench_peers.py [--quick] [--repeat 5] [--threads 2]
                                             [--ops add,sum] [--sizes 1e5,1e6]

Cases: `a + b`, axpy with a NumPy scalar (`np.float64(2.5) * x + y`), exp, sin, sqrt, sum,
vdot and the fused `2*a + 3*b*b - c`; n in 1e5, 3e5, 1e6, 1e7; float32 and float64.
Every backend lives in a worker process of its own (so thread pools never compete) that
waits on a pipe; for each case the workers are asked in turn, round after round, to time
the case once (a median of batched calls, dotcompute/_timing.py), and each backend reports
the median of its rounds. Backends that are not installed are skipped and said so. Prints,
per case, NumPy time / backend time for each backend and dotcompute against the best peer
(best peer time / dotcompute time: > 1, dotcompute ahead).
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys

BACKENDS = ["numpy", "dotcompute", "numba", "torch", "numexpr"]
PEERS = ["numba", "torch", "numexpr"]
OPS = ["add", "axpy", "exp", "sin", "sqrt", "sum", "vdot", "fused"]
SIZES = [10 ** 5, 3 * 10 ** 5, 10 ** 6, 10 ** 7]
DTYPES = ["float32", "float64"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)


def _timing():
    """dotcompute/_timing.py loaded by path: a peer's worker must not import dotcompute
    (its import sets the OpenMP environment and loads libgomp)."""
    spec = importlib.util.spec_from_file_location(
        "_dc_timing", os.path.join(_ROOT, "dotcompute", "_timing.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------- worker side

def _numba_cases(threads):
    import numba
    import numpy as np
    from numba import njit, prange

    numba.set_num_threads(threads)

    @njit(parallel=True, cache=False)
    def add(a, b):
        out = np.empty_like(a)
        for i in prange(a.shape[0]):
            out[i] = a[i] + b[i]
        return out

    @njit(parallel=True)
    def axpy(s, x, y):
        return s * x + y

    @njit(parallel=True)
    def exp(a):
        return np.exp(a)

    @njit(parallel=True)
    def sin(a):
        return np.sin(a)

    @njit(parallel=True)
    def sqrt(a):
        return np.sqrt(a)

    @njit(parallel=True)
    def sum_(a):
        s = 0.0
        for i in prange(a.shape[0]):
            s += a[i]
        return s

    @njit(parallel=True)
    def vdot(a, b):
        s = 0.0
        for i in prange(a.shape[0]):
            s += a[i] * b[i]
        return s

    @njit(parallel=True)
    def fused(a, b, c):
        out = np.empty_like(a)
        for i in prange(a.shape[0]):
            out[i] = 2 * a[i] + 3 * b[i] * b[i] - c[i]
        return out

    return {"add": lambda s, a, b, c: add(a, b), "axpy": lambda s, a, b, c: axpy(s, a, b),
            "exp": lambda s, a, b, c: exp(a), "sin": lambda s, a, b, c: sin(a),
            "sqrt": lambda s, a, b, c: sqrt(a), "sum": lambda s, a, b, c: sum_(a),
            "vdot": lambda s, a, b, c: vdot(a, b), "fused": lambda s, a, b, c: fused(a, b, c)}


def _numexpr_cases(threads):
    import numexpr as ne

    ne.set_num_threads(threads)

    def ev(expr):
        return lambda s, a, b, c: ne.evaluate(expr, local_dict={"s": s, "a": a, "b": b,
                                                                 "c": c})
    return {"add": ev("a + b"), "axpy": ev("s * a + b"), "exp": ev("exp(a)"),
            "sin": ev("sin(a)"), "sqrt": ev("sqrt(a)"), "sum": ev("sum(a)"),
            "vdot": ev("sum(a * b)"), "fused": ev("2*a + 3*b*b - c")}


def _torch_cases(threads):
    import torch

    torch.set_num_threads(threads)
    return {"add": lambda s, a, b, c: a + b, "axpy": lambda s, a, b, c: s * a + b,
            "exp": lambda s, a, b, c: torch.exp(a), "sin": lambda s, a, b, c: torch.sin(a),
            "sqrt": lambda s, a, b, c: torch.sqrt(a), "sum": lambda s, a, b, c: a.sum(),
            "vdot": lambda s, a, b, c: torch.dot(a, b),
            "fused": lambda s, a, b, c: 2 * a + 3 * b * b - c}


def _array_cases(xp):
    return {"add": lambda s, a, b, c: a + b, "axpy": lambda s, a, b, c: s * a + b,
            "exp": lambda s, a, b, c: xp.exp(a), "sin": lambda s, a, b, c: xp.sin(a),
            "sqrt": lambda s, a, b, c: xp.sqrt(a), "sum": lambda s, a, b, c: a.sum(),
            "vdot": lambda s, a, b, c: xp.vdot(a, b),
            "fused": lambda s, a, b, c: 2 * a + 3 * b * b - c}


def worker(backend, threads):
    """Serve timing requests on stdin ({"op", "dtype", "n", "budget"} per line) with one
    line of JSON each ({"seconds": ...} or {"error": ...}); "ready" first."""
    import numpy as np

    timing = _timing()
    convert = lambda x: x  # noqa: E731
    if backend == "numpy":
        cases = _array_cases(np)
    elif backend == "dotcompute":
        import dotcompute as dc
        dc.set_num_threads(threads)
        cases = _array_cases(dc)
        convert = dc.asarray
    elif backend == "numba":
        cases = _numba_cases(threads)
    elif backend == "numexpr":
        cases = _numexpr_cases(threads)
    elif backend == "torch":
        import torch
        cases = _torch_cases(threads)
        convert = torch.from_numpy
    else:
        raise SystemExit(f"unknown backend {backend!r}")
    print(json.dumps("ready"), flush=True)
    data_key, data = None, None
    for line in sys.stdin:
        req = json.loads(line)
        key = (req["dtype"], req["n"])
        if key != data_key:
            data = None
            rng = np.random.default_rng(2027)
            data = [convert(rng.uniform(0.5, 2.0, req["n"]).astype(req["dtype"]))
                    for _ in range(3)]
            data_key = key
        f = cases[req["op"]]
        s = np.float64(2.5)
        a, b, c = data
        try:
            f(s, a, b, c)                                   # compile / warm up
            t = timing.median_time(lambda: f(s, a, b, c), budget=req["budget"])
            print(json.dumps({"seconds": t}), flush=True)
        except Exception as exc:                            # a peer that cannot run it
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)


# --------------------------------------------------------------------- parent side

class Worker:
    def __init__(self, backend, threads):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p))
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", backend,
             "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        ready = self.proc.stdout.readline()
        if json.loads(ready or "null") != "ready":
            raise RuntimeError(f"{backend} worker did not start")

    def time(self, op, dtype, n, budget):
        self.proc.stdin.write(json.dumps({"op": op, "dtype": dtype, "n": n,
                                          "budget": budget}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        return reply.get("seconds"), reply.get("error")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def available(backend):
    return backend in ("numpy", "dotcompute") or importlib.util.find_spec(backend) is not None


def _fmt_n(n):
    return f"{n:.0e}".replace("e+0", "e")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="rounds per case (median)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, shorter budgets")
    parser.add_argument("--ops", help=f"comma-separated subset of {','.join(OPS)}")
    parser.add_argument("--sizes", help="comma-separated subset of n, e.g. 1e5,1e6")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.threads)
        return 0
    ops = args.ops.split(",") if args.ops else OPS
    sizes = [int(float(s)) for s in args.sizes.split(",")] if args.sizes else SIZES
    rounds, budget = (3, 0.05) if args.quick else (args.repeat, 0.1)

    sys.path.insert(0, _HERE)
    import dotcompute as dc
    from bench_headline import machine_lines

    backends = [b for b in BACKENDS if available(b)]
    missing = [b for b in BACKENDS if b not in backends]
    head = machine_lines(dc) + [
        f"- threads per backend: {args.threads}; each backend in its own process",
        f"- backends: {', '.join(backends)}"
        + (f"; skipped (not installed): {', '.join(missing)}" if missing else ""),
        f"- command: python tools/bench_peers.py {' '.join(argv or sys.argv[1:])}"]
    workers = {b: Worker(b, args.threads) for b in backends}
    peers = [b for b in backends if b in PEERS]
    lines = ["| case | dtype | n | " + " | ".join(f"{b} (x NumPy)" for b in backends[1:])
             + " | dotcompute vs best peer |", "|---|---|---:|" + "---:|" * len(backends)]
    try:
        for dtype in DTYPES:
            for n in sizes:
                for op in ops:
                    samples = {b: [] for b in backends}
                    errors = {}
                    for _ in range(rounds):
                        for b, w in workers.items():
                            t, err = w.time(op, dtype, n, budget)
                            if err:
                                errors[b] = err
                            else:
                                samples[b].append(t)
                    med = {b: sorted(s)[len(s) // 2] for b, s in samples.items() if s}
                    row = f"| `{op}` | {dtype} | {_fmt_n(n)} |"
                    for b in backends[1:]:
                        row += f" {med['numpy'] / med[b]:.2f} |" if b in med else " n/a |"
                    times = {b: med[b] for b in peers if b in med}
                    if times and "dotcompute" in med:
                        best = min(times, key=times.get)
                        row += f" {times[best] / med['dotcompute']:.2f} ({best}) |"
                    else:
                        row += " n/a |"
                    lines.append(row)
                    print(row, file=sys.stderr, flush=True)
                    for b, err in errors.items():
                        print(f"  {b} failed on {op} {dtype} {n}: {err}", file=sys.stderr)
    finally:
        for w in workers.values():
            w.close()
    print("\n".join(["### Machine", ""] + head + ["", "### NumPy time / backend time", ""]
                    + lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
