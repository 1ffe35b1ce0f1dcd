"""dotcompute against its peers (numba, torch, numexpr) and NumPy, each backend in its own
process, interleaved.

    PYTHONPATH=. python tools/bench_peers.py [--quick] [--repeat 5] [--threads 2]
                                             [--ops add,sum] [--sizes 1e5,1e6]
                                             [--backends numba,torch] [--warmup 0.15]

Columns: `dotcompute` runs the plain expression (operators and functions, as NumPy code is
written); `dc.evaluate` runs the expression cases (add, axpy, fused) through dotcompute's
fusion API `dotcompute.evaluate` (numexpr-compatible; one blocked pass, no temporaries),
as the numexpr column runs ne.evaluate and numba's a compiled loop. dc.evaluate is not a
peer: "dotcompute vs best peer" compares the plain-expression column.

Cases: `a + b`, axpy with a NumPy scalar (`np.float64(2.5) * x + y`), exp, sin, sqrt, sum,
vdot and the fused `2*a + 3*b*b - c`; n in 1e5, 3e5, 1e6, 1e7; float32 and float64.
Every backend lives in a worker process of its own (so thread pools never compete) that
waits on a pipe; for each case the workers are asked in turn, round after round, to time
the case once (a median of batched calls, dotcompute/_timing.py), and each backend reports
the median of its rounds. Backends that are not installed are skipped and said so. Prints,
per case, NumPy time / backend time for each backend and dotcompute (and dc.evaluate) against
the best peer (best peer time / its time: > 1, dotcompute ahead).

Each turn starts on a settled machine: a backend's thread pool (numba's and torch's OpenMP
workers, OpenBLAS) keeps spinning for up to ~0.1 s after its calls, so before a turn the
parent waits until the workers' own CPU use stops growing and the machine's other cores are
idle (both bounded, see --settle), and the worker then calls the case for --warmup seconds
before timing it (every backend alike: pools awake, lazy compilation done, and dotcompute's
load sampler reads a window of this turn, not the other backends' turns before it). The
cores other processes kept busy while a case was timed are printed with it.

Same work: every backend's result of every case is checked against NumPy's once (dtype,
shape, values to a dtype-dependent tolerance); a backend that computes something else is
reported and its cell shows `differs`.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

BACKENDS = ["numpy", "dotcompute", "dc.evaluate", "numba", "torch", "numexpr"]
PEERS = ["numba", "torch", "numexpr"]
# dotcompute's fusion API (`dotcompute.evaluate`, numexpr-compatible) on the expression cases,
# as numexpr's column uses ne.evaluate and numba's a compiled loop; the `dotcompute` column
# stays the plain expression a user writes. Other cases are not timed for it (n/a).
EVALUATE_OPS = ("add", "axpy", "fused")
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

    # reductions accumulate in the array's dtype, as NumPy's (a float64 `s = 0.0` would
    # return float64 for float32 input: not the same work)
    @njit(parallel=True)
    def sum_(a):
        s = a.dtype.type(0)
        for i in prange(a.shape[0]):
            s += a[i]
        return s

    @njit(parallel=True)
    def vdot(a, b):
        s = a.dtype.type(0)
        for i in prange(a.shape[0]):
            s += a[i] * b[i]
        return s

    @njit(parallel=True)
    def fused(a, b, c):
        out = np.empty_like(a)
        for i in prange(a.shape[0]):
            out[i] = 2 * a[i] + 3 * b[i] * b[i] - c[i]
        return out

    cases = {"add": lambda s, a, b, c: add(a, b), "axpy": lambda s, a, b, c: axpy(s, a, b),
             "exp": lambda s, a, b, c: exp(a), "sin": lambda s, a, b, c: sin(a),
             "sqrt": lambda s, a, b, c: sqrt(a), "sum": lambda s, a, b, c: sum_(a),
             "vdot": lambda s, a, b, c: vdot(a, b),
             "fused": lambda s, a, b, c: fused(a, b, c)}

    def scalar_dtype(op, s, a, b, c):
        """The dtype numba computed a scalar result in (it returns float32 results as
        Python floats): the return type of the compiled signature for these arguments."""
        disp = {"sum": sum_, "vdot": vdot}.get(op)
        if disp is None:
            return None
        args = (a,) if op == "sum" else (a, b)
        types = tuple(numba.typeof(x) for x in args)
        for sig in disp.nopython_signatures:
            if tuple(sig.args) == types:
                return str(sig.return_type)
        return None

    return cases, scalar_dtype


_EXPRESSIONS = {"add": "a + b", "axpy": "s * a + b", "exp": "exp(a)", "sin": "sin(a)",
                "sqrt": "sqrt(a)", "sum": "sum(a)", "vdot": "sum(a * b)",
                "fused": "2*a + 3*b*b - c"}


def _evaluate_cases(evaluate, ops):
    """The cases `ops` as `evaluate(expression, local_dict=...)` calls (numexpr's and
    dotcompute's fusion API share the call)."""
    def ev(expr):
        return lambda s, a, b, c: evaluate(expr, local_dict={"s": s, "a": a, "b": b, "c": c})
    return {op: ev(_EXPRESSIONS[op]) for op in ops}


def _numexpr_cases(threads):
    import numexpr as ne

    ne.set_num_threads(threads)
    return _evaluate_cases(ne.evaluate, OPS)


def _torch_cases(threads):
    import torch

    torch.set_num_threads(threads)

    def axpy(s, a, b, c):
        # NumPy's result of np.float64 * float32 array is float64 (NEP 50: a NumPy scalar
        # is typed); torch takes the np.float64 as a weak Python float and stays in float32,
        # half the work. The same work in torch: the array in the scalar's dtype.
        if a.dtype != torch.float64:
            a = a.to(torch.float64)
        return s * a + b

    return {"add": lambda s, a, b, c: a + b, "axpy": axpy,
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


def _summary(result, scalar_dtype=None):
    """What the parent compares with NumPy's: dtype, shape and a few float64 values
    (the sum and some elements of an array; the value of a scalar)."""
    import numpy as np

    if hasattr(result, "detach"):                           # a torch tensor
        result = result.detach().numpy()
    r = np.asarray(result)
    dtype = str(r.dtype)
    if scalar_dtype is not None and r.ndim == 0:
        dtype = scalar_dtype
    flat = r.reshape(-1).astype(np.float64)
    picks = flat[:: max(1, flat.size // 7)][:8] if flat.size else flat
    return {"dtype": dtype, "shape": list(r.shape),
            "values": [float(flat.sum())] + [float(v) for v in picks]}


def worker(backend, threads):
    """Serve requests on stdin with one line of JSON each: {"op", "dtype", "n", "budget",
    "warmup"} is timed ({"seconds": ...} or {"error": ...}); with "check": true the
    result's summary is returned instead ({"summary": ...}). "ready" first."""
    import numpy as np

    timing = _timing()
    convert = lambda x: x  # noqa: E731
    scalar_dtype = None
    if backend == "numpy":
        cases = _array_cases(np)
    elif backend in ("dotcompute", "dc.evaluate"):
        import dotcompute as dc
        dc.set_num_threads(threads)
        cases = _array_cases(dc)
        if backend == "dc.evaluate":
            # the warm-up below calls add and sum
            cases = dict(_evaluate_cases(dc.evaluate, EVALUATE_OPS), sum=cases["sum"])
        convert = dc.array             # pool memory, as dc creation makes it
    elif backend == "numba":
        cases, scalar_dtype = _numba_cases(threads)
    elif backend == "numexpr":
        cases = _numexpr_cases(threads)
    elif backend == "torch":
        import torch
        cases = _torch_cases(threads)
        convert = torch.from_numpy
    else:
        raise SystemExit(f"unknown backend {backend!r}")
    # Every backend starts with 1.5 s of calls (add and sum of 1e6 float64): thread pools
    # created, lazy compilation done, and dotcompute's thread policy calibrated on a quiet
    # process (NumPy's OpenBLAS worker busy-yields ~0.1 s after import; a fork/join cost
    # measured then is measured again within ~1.5 s).
    x = [convert(np.full(10 ** 6, 1.5)) for _ in range(2)]
    end = time.perf_counter() + 1.5
    while time.perf_counter() < end:
        for op in ("add", "sum"):
            cases[op](np.float64(2.5), x[0], x[1], x[0])
    del x
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
        f = cases.get(req["op"])
        if f is None or (backend == "dc.evaluate" and req["op"] not in EVALUATE_OPS):
            print(json.dumps({"skip": True}), flush=True)
            continue
        s = np.float64(2.5)
        a, b, c = data
        try:
            r = f(s, a, b, c)                               # compile / warm up
            if req.get("check"):
                sd = scalar_dtype(req["op"], s, a, b, c) if scalar_dtype else None
                print(json.dumps({"summary": _summary(r, sd)}), flush=True)
                continue
            del r
            end = time.perf_counter() + req.get("warmup", 0.0)
            while time.perf_counter() < end:
                f(s, a, b, c)
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

    def _ask(self, req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def time(self, op, dtype, n, budget, warmup):
        """(seconds, error); (None, None) for a case this backend does not run."""
        reply = self._ask({"op": op, "dtype": dtype, "n": n, "budget": budget,
                           "warmup": warmup})
        return reply.get("seconds"), reply.get("error")

    def summary(self, op, dtype, n):
        """(summary, error); (None, None) for a case this backend does not run."""
        reply = self._ask({"op": op, "dtype": dtype, "n": n, "budget": 0, "check": True})
        return reply.get("summary"), reply.get("error")

    def cpu_seconds(self):
        """CPU seconds all threads of the worker ran so far (scheduler statistics, ns
        resolution; None where /proc lacks them)."""
        total = 0
        try:
            for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
                with open(f"/proc/{self.proc.pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return total * 1e-9

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _machine_busy():
    """(busy CPU seconds of the machine from /proc/stat, wall seconds, the host's steal in
    CPU seconds); None for both without /proc/stat. Busy time leaves steal out: in a VM
    steal is time a vCPU wanted to run and the host ran another guest."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        tick = os.sysconf("SC_CLK_TCK")
        busy = (v[0] + v[1] + v[2] + v[5] + v[6]) / tick
        steal = v[7] / tick
    except (OSError, ValueError):
        busy = steal = None
    return busy, time.monotonic(), steal


def _busy_cores(a, b):
    """Cores kept busy between two _machine_busy readings (None if unknown)."""
    if a[0] is None or b[0] is None:
        return None
    return max(0.0, (b[0] - a[0]) / max(b[1] - a[1], 1e-9))


def _steal_cores(a, b):
    """Cores the host's steal took between two _machine_busy readings (None if unknown)."""
    if a[2] is None or b[2] is None:
        return None
    return max(0.0, (b[2] - a[2]) / max(b[1] - a[1], 1e-9))


def settle(workers, bound, idle_bound=0.25):
    """Wait (at most `bound` seconds) until the workers' thread pools stopped spinning (their
    CPU use grew by less than 5 % of a core over 20 ms), then (at most `idle_bound` more)
    until the machine's cores are idle (less than 0.25 of a core busy over 50 ms:
    /proc/stat counts in 10 ms ticks; other processes may keep it busy for good).
    Returns the seconds waited."""
    t0 = time.monotonic()
    deadline = t0 + bound
    prev = [w.cpu_seconds() for w in workers]
    while time.monotonic() < deadline:
        time.sleep(0.02)
        cur = [w.cpu_seconds() for w in workers]
        if None in prev or None in cur or sum(c - p for c, p in zip(cur, prev)) < 0.001:
            break
        prev = cur
    deadline = time.monotonic() + idle_bound
    while time.monotonic() < deadline:
        a = _machine_busy()
        time.sleep(0.05)
        busy = _busy_cores(a, _machine_busy())
        if busy is None or busy < 0.25:
            break
    return time.monotonic() - t0


def same_work(ref, other, dtype, op):
    """None when `other` (a summary) is NumPy's result `ref` to the tolerance of the dtype
    and op, else what differs."""
    import numpy as np

    if other["dtype"] != ref["dtype"]:
        return f"result dtype {other['dtype']}, NumPy's {ref['dtype']}"
    if other["shape"] != ref["shape"]:
        return f"result shape {other['shape']}, NumPy's {ref['shape']}"
    # the dtype and the values are checked, not a peer's accuracy: a float32 reduction of
    # 1e7 elements summed in order (numexpr) is 2 % off NumPy's pairwise sum
    rtol = {"float32": 1e-3, "float64": 1e-9}[dtype]
    if op in ("sum", "vdot"):
        rtol = 5e-2 if dtype == "float32" else 1e-6
    if op in ("exp", "sin") or ref["dtype"] == "float32":
        rtol = max(rtol, 1e-5)
    if not np.allclose(other["values"], ref["values"], rtol=rtol, atol=0):
        return f"values {other['values'][:3]} ..., NumPy's {ref['values'][:3]} ..."
    return None


def available(backend):
    return (backend in ("numpy", "dotcompute", "dc.evaluate")
            or importlib.util.find_spec(backend) is not None)


def runs(backend, op):
    """Whether `backend` times case `op` (dc.evaluate: the expression cases only)."""
    return backend != "dc.evaluate" or op in EVALUATE_OPS


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
    parser.add_argument("--backends", help="comma-separated subset of "
                        f"{','.join(BACKENDS)} (numpy is always timed)")
    parser.add_argument("--warmup", type=float, default=0.15,
                        help="seconds each backend calls the case before timing it (0.15)")
    parser.add_argument("--settle", type=float, default=1.0,
                        help="longest wait for the workers' pools to stop spinning before "
                        "a turn, s (1.0; then at most 0.25 s more for idle cores)")
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

    wanted = BACKENDS if not args.backends else ["numpy"] + [
        b for b in BACKENDS if b != "numpy" and b in args.backends.split(",")]
    backends = [b for b in wanted if available(b)]
    missing = [b for b in wanted if b not in backends]
    head = machine_lines(dc) + [
        f"- threads per backend: {args.threads}; each backend in its own process",
        f"- backends: {', '.join(backends)}"
        + (f"; skipped (not installed): {', '.join(missing)}" if missing else ""),
        f"- command: python tools/bench_peers.py {' '.join(argv or sys.argv[1:])}"]
    workers = {b: Worker(b, args.threads) for b in backends}
    peers = [b for b in backends if b in PEERS]
    versus = [b for b in ("dotcompute", "dc.evaluate") if b in backends]
    lines = ["| case | dtype | n | " + " | ".join(f"{b} (x NumPy)" for b in backends[1:])
             + "".join(f" | {b} vs best peer" for b in versus)
             + " | others (cores) | host steal (cores) |",
             "|---|---|---:|" + "---:|" * (len(backends) + len(versus) + 1)]
    notes = []
    pool = list(workers.values())
    try:
        for dtype in DTYPES:
            for n in sizes:
                for op in ops:
                    samples = {b: [] for b in backends}
                    errors, differs = {}, {}
                    ref, err = workers["numpy"].summary(op, dtype, n)
                    skipped = {b for b in workers if not runs(b, op)}
                    for b, w in workers.items():
                        if b == "numpy" or err or b in skipped:
                            continue
                        got, e = w.summary(op, dtype, n)
                        why = e or same_work(ref, got, dtype, op)
                        if why:
                            differs[b] = why
                    others, steals, own = [], [], 0.0
                    for _ in range(rounds):
                        for b, w in workers.items():
                            if b in differs or b in skipped:
                                continue
                            settle(pool, args.settle)
                            c0 = sum(x.cpu_seconds() or 0.0 for x in pool)
                            m0 = _machine_busy()
                            t, e = w.time(op, dtype, n, budget, args.warmup)
                            m1 = _machine_busy()
                            c1 = sum(x.cpu_seconds() or 0.0 for x in pool)
                            cores = _busy_cores(m0, m1)
                            stolen = _steal_cores(m0, m1)
                            if stolen is not None:
                                steals.append(stolen)
                            if cores is not None:
                                others.append(max(0.0, cores - (c1 - c0)
                                                  / max(m1[1] - m0[1], 1e-9)))
                            if e:
                                errors[b] = e
                            else:
                                samples[b].append(t)
                    med = {b: sorted(s)[len(s) // 2] for b, s in samples.items() if s}
                    row = f"| `{op}` | {dtype} | {_fmt_n(n)} |"
                    for b in backends[1:]:
                        row += (" differs |" if b in differs else " - |" if b in skipped else
                                f" {med['numpy'] / med[b]:.2f} |" if b in med and "numpy" in med
                                else " n/a |")
                    times = {b: med[b] for b in peers if b in med}
                    for ours in versus:
                        if ours in skipped:
                            row += " - |"
                        elif times and ours in med:
                            best = min(times, key=times.get)
                            row += f" {times[best] / med[ours]:.2f} ({best}) |"
                        else:
                            row += " n/a |"
                    row += (f" {sum(others) / len(others):.2f} |" if others else " n/a |")
                    row += (f" {sum(steals) / len(steals):.2f} |" if steals else " n/a |")
                    lines.append(row)
                    print(row, file=sys.stderr, flush=True)
                    for b, e in errors.items():
                        print(f"  {b} failed on {op} {dtype} {n}: {e}", file=sys.stderr)
                    for b, why in differs.items():
                        notes.append(f"- {b}, `{op}` {dtype} {_fmt_n(n)}: not NumPy's result "
                                     f"({why}); not timed")
                        print("  " + notes[-1], file=sys.stderr)
    finally:
        for w in workers.values():
            w.close()
    head.append(f"- each turn: the workers' pools idle (waited at most {args.settle} s) and "
                f"the other cores idle (at most 0.25 s more), {args.warmup} s of "
                f"warm-up calls, then timed; others: cores other processes kept busy while "
                f"the case was timed (mean over turns); host steal: cores the VM's host "
                f"took from the vCPUs meanwhile (not other processes' use)")
    print("\n".join(["### Machine", ""] + head + ["", "### NumPy time / backend time", ""]
                    + lines + ([""] + notes if notes else [])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
