"""Headline benchmarks of dotcompute against NumPy, in one process, as a Markdown table.

    PYTHONPATH=. python tools/bench_headline.py [--repeat 15] [--quick]

Each row times NumPy and dotcompute (2 threads, and 1 thread) on the same data. The
variants of a row are timed in interleaved batches (numpy, dc 2 threads, dc 1 thread,
numpy, ...) and each reports the median batch, so load changes on a shared machine hit
all of them alike; ratios are NumPy time / dotcompute time (> 1: dotcompute is faster).
The ISA table compares the scalar kernel build with the best build this CPU runs: a build
is chosen at import, so each is timed in a subprocess of this script with
DOTCOMPUTE_CPU_CAPABILITY set and one thread.
Prints the machine (CPU model, cores, NumPy, dotcompute build) and the date first.
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys

import numpy as np

from dotcompute._timing import interleaved_medians


def headline_cases(dc):
    """(label, n, numpy function, dotcompute function, bytes moved per element or None)."""
    rng = np.random.default_rng(2024)
    cache = {}

    def data(n):
        if n not in cache:
            a, b, c = (rng.random(n) for _ in range(3))
            cache[n] = (a, b, c, np.empty(n), dc.array(a), dc.array(b), dc.array(c),
                        dc.empty(n))
        return cache[n]

    cases = []
    n = 10 ** 7
    a, b, c, out, da, db, dcc, dout = data(n)
    # default arguments bind each case to its own arrays (the names are reassigned below)
    cases.append(("add(a, b, out=c)", n, lambda a=a, b=b, out=out: np.add(a, b, out=out),
                  lambda da=da, db=db, dout=dout: dc.add(da, db, out=dout), 24))
    for n in (10 ** 3, 10 ** 6, 10 ** 7):
        a, b, c, out, da, db, dcc, dout = data(n)
        cases.append(("a + b (new result)", n, lambda a=a, b=b: a + b,
                      lambda da=da, db=db: da + db, None))
    n = 10 ** 6
    a, b, c, out, da, db, dcc, dout = data(n)
    cases.append(("exp(a) float64", n, lambda a=a: np.exp(a), lambda da=da: dc.exp(da), None))
    cases.append(("sin(a) float64", n, lambda a=a: np.sin(a), lambda da=da: dc.sin(da), None))
    cases.append(("a.sum()", n, lambda a=a: a.sum(), lambda da=da: da.sum(), None))
    n = 10 ** 7
    cases.append(("empty(n).fill(1.0)", n, lambda: np.empty(n).fill(1.0),
                  lambda: dc.empty(n).fill(1.0), None))
    for n in (10 ** 6, 10 ** 7):
        a, b, c, out, da, db, dcc, dout = data(n)
        cases.append(("2*a + 3*b*b - c", n, lambda a=a, b=b, c=c: 2 * a + 3 * b * b - c,
                      lambda da=da, db=db, dcc=dcc: 2 * da + 3 * db * db - dcc, None))
    return cases


def _fmt_time(t):
    if t < 1e-3:
        return f"{t * 1e6:.2f} us"
    return f"{t * 1e3:.2f} ms"


def _fmt_n(n):
    return f"1e{len(str(n)) - 1}" if str(n).strip("0") == "1" else str(n)


def headline_table(dc, repeat, threads):
    lines = []
    head = "| operation | n | numpy | dotcompute, %d threads | speedup |" % threads[0]
    sep = "|---|---:|---:|---:|---:|"
    if len(threads) > 1:
        head += " dotcompute, 1 thread | speedup |"
        sep += "---:|---:|"
    lines += [head + " notes |", sep + "---|"]
    for label, n, f_np, f_dc, nbytes in headline_cases(dc):
        fns = {"numpy": f_np}
        setup = {}
        for t in threads:
            fns[t] = f_dc
            setup[t] = (lambda t=t: dc.set_num_threads(t))
        med = interleaved_medians(fns, repeat, setup=setup)
        dc.set_num_threads(threads[0])
        row = f"| `{label}` | {_fmt_n(n)} | {_fmt_time(med['numpy'])} |"
        for t in threads:
            row += f" {_fmt_time(med[t])} | {med['numpy'] / med[t]:.2f}x |"
        note = ""
        if nbytes:
            rates = [f"numpy {nbytes * n / med['numpy'] / 1e9:.1f}"]
            rates += [f"dc {t}T {nbytes * n / med[t] / 1e9:.1f}" for t in threads]
            note = "GB/s (%d B/element): " % nbytes + ", ".join(rates)
        lines.append(row + f" {note} |")
    return lines


# --- ISA comparison: one subprocess per build -------------------------------------------

ISA_CASES = {"sqrt(a) float32": ("sqrt", "float32"), "exp(a) float32": ("exp", "float32")}
ISA_N = 10 ** 5


def isa_child(build, case, n, repeat):
    """In a subprocess: ns per element of `case` (into a preallocated out) in this build."""
    import dotcompute as dc

    if dc.get_cpu_capability() != build:
        sys.exit(f"asked for the {build!r} build, got {dc.get_cpu_capability()!r}")
    func, dtype = ISA_CASES[case]
    a = dc.array(np.random.default_rng(5).uniform(0.5, 2.0, n).astype(dtype))
    out = dc.empty(n, dtype=dtype)
    fn = getattr(dc, func)
    med = interleaved_medians({"f": lambda: fn(a, out=out)}, repeat, batch_seconds=0.002)
    print(repr(med["f"] / n * 1e9))


def run_isa_child(build, case, n, repeat):
    import dotcompute as dc

    root = os.path.dirname(os.path.dirname(os.path.abspath(dc.__file__)))
    env = dict(os.environ, DOTCOMPUTE_CPU_CAPABILITY=build, DOTCOMPUTE_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--isa-child", build,
                           case, str(n), "--repeat", str(repeat)],
                          env=env, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"ISA child {build} {case!r} failed:\n{proc.stderr}")
    return float(proc.stdout.strip().splitlines()[-1])


def isa_table(dc, repeat):
    from dotcompute._core import _dispatch

    builds = _dispatch.builds_supported()
    best = builds[-1]
    lines = [f"| kernel, n = {_fmt_n(ISA_N)}, 1 thread | numpy | scalar build | "
             f"{best} build | {best} / scalar speedup | numpy / {best} |",
             "|---|---:|---:|---:|---:|---:|"]
    for case, (func, dtype) in ISA_CASES.items():
        a = np.random.default_rng(5).uniform(0.5, 2.0, ISA_N).astype(dtype)
        out = np.empty_like(a)
        fn = getattr(np, func)
        t_np = interleaved_medians({"f": lambda: fn(a, out=out)}, repeat,
                                   batch_seconds=0.002)["f"] / ISA_N * 1e9
        # Alternate the builds' subprocesses so both see the same load; keep the median.
        runs = {"scalar": [], best: []}
        for _ in range(3):
            for b in runs:
                runs[b].append(run_isa_child(b, case, ISA_N, repeat))
        t = {b: sorted(v)[1] for b, v in runs.items()}
        lines.append(f"| `{case}` | {t_np:.3f} ns/el | {t['scalar']:.3f} ns/el | "
                     f"{t[best]:.3f} ns/el | {t['scalar'] / t[best]:.2f}x | "
                     f"{t_np / t[best]:.2f}x |")
    return lines


def machine_lines(dc):
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model")):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = dc.runtime_info()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=os.path.dirname(os.path.abspath(dc.__file__)),
                                timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    missing = [f for f in ("avx2", "fma", "avx512f") if f in info["cpu_features_missing"]]
    try:
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = "unknown"
    return [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {model}, {os.cpu_count()} logical CPUs ({info['available_cpus']} available), "
        f"{platform.machine()}" + (f"; lacks {', '.join(missing)}" if missing else "")
        + f"; load average at start {load} (other processes share the machine)",
        f"- Python {info['python']}, NumPy {info['numpy']}",
        f"- dotcompute {info['dotcompute']}" + (f" (commit {commit})" if commit else "")
        + f", {info['build']} build (builds supported: {' '.join(info['builds_supported'])}),"
        f" OpenMP {os.path.basename(info['openmp_runtime'])}",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="batches per variant (median)")
    parser.add_argument("--quick", action="store_true", help="5 batches per variant")
    parser.add_argument("--no-isa", action="store_true", help="skip the ISA subprocesses")
    parser.add_argument("--isa-child", nargs=3, metavar=("BUILD", "CASE", "N"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeat = 5 if args.quick else args.repeat
    if args.isa_child:
        build, case, n = args.isa_child
        isa_child(build, case, int(n), repeat)
        return 0

    import dotcompute as dc

    cpus = dc.runtime_info()["available_cpus"]
    threads = [2, 1] if cpus >= 2 else [1]
    saved = dc.get_num_threads()
    try:
        lines = ["### Machine", ""] + machine_lines(dc) + ["", "### NumPy vs dotcompute", ""]
        lines += headline_table(dc, repeat, threads)
    finally:
        dc.set_num_threads(saved)
    if not args.no_isa:
        lines += ["", "### Kernel builds (ISA)", ""] + isa_table(dc, repeat)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
