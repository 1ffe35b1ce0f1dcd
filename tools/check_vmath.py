#!/usr/bin/env python3
"""Self-contained checker for dotcompute/_core/src/dc_vmath.h.

Writes a tiny C driver (exported wrappers around every dc_v* function) into a
temp dir, compiles it with gcc for 4 flag sets, loads each build with ctypes
and checks on dense grids:
  * max ULP error vs a long double reference (numpy longdouble ufuncs, i.e.
    glibc expl/sinl/...), measured in the output type (f64 and f32);
  * special values (nan, +-inf, +-0, subnormals, overflow/underflow
    thresholds, domain edges) against numpy's own float64/float32 results:
    bit-identical, any NaN == any NaN;
  * in-place operation (x == y) and n = 0;
  * vectorized yes/no from the disassembly (packed FP arithmetic on
    xmm / ymm / zmm in the wrapper).
Every build is compiled and its disassembly checked; only the builds this CPU
can run are executed (a x86-64-v4 build dies by SIGILL without AVX-512).
Exit status is non-zero on any violation.

  python tools/check_vmath.py            # accuracy + specials table
  python tools/check_vmath.py --bench    # also ns/element vs numpy (n=1e5)
  python tools/check_vmath.py --quick    # smaller grids
"""
import argparse
import ctypes
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from dotcompute._timing import min_time  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.environ.get("DC_VMATH_HEADER") or os.path.join(HERE, "..", "dotcompute", "_core",
                                                            "src", "dc_vmath.h")
ULP_BOUND = 4.0

UNARY = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos",
         "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
         "arcsinh", "arccosh", "arctanh", "cbrt"]
DTYPES = {"f64": np.float64, "f32": np.float32}
CTYPE = {"f64": "double", "f32": "float"}

BASE = ["-O3", "-fno-math-errno", "-ffp-contract=off", "-fopenmp"]
BUILDS = {
    "x86-64": BASE + ["-march=x86-64"],
    "scalar": BASE + ["-march=x86-64", "-fno-tree-vectorize", "-fno-tree-slp-vectorize"],
    "v3": BASE + ["-march=x86-64-v3"],
    "v4": BASE + ["-march=x86-64-v4"],
}
# the x86 psABI level a CPU needs to run each build (None: every x86-64 CPU)
LEVEL = {"x86-64": None, "scalar": None, "v3": "x86-64-v3", "v4": "x86-64-v4"}


def driver_source():
    out = ['#include "%s"' % os.path.abspath(HEADER)]
    for name in UNARY:
        for t, ct in CTYPE.items():
            out.append("__attribute__((noinline)) void w_%s_%s(const %s *x, %s *y, ptrdiff_t n)"
                       " { dc_v%s_%s(x, y, n, sizeof(%s), sizeof(%s)); }"
                       % (name, t, ct, ct, name, t, ct, ct))
    # called in the x86-64 build only (before any other build runs)
    for level in sorted({v for v in LEVEL.values() if v}):
        out.append('int w_cpu_%s(void) { __builtin_cpu_init(); return __builtin_cpu_supports("%s") != 0; }'
                   % (level.replace("-", "_"), level))
    return "\n".join(out) + "\n"


def runnable(lib, build):
    """True when this CPU can run `build` (lib: the x86-64 build)."""
    level = LEVEL[build]
    if level is None:
        return True
    return bool(getattr(lib, "w_cpu_" + level.replace("-", "_"))())


def build_all(tmp):
    src = os.path.join(tmp, "drv.c")
    with open(src, "w") as f:
        f.write(driver_source())
    procs = {}
    for b, flags in BUILDS.items():
        so = os.path.join(tmp, "vm_%s.so" % b)
        cmd = ["gcc", "-shared", "-fPIC", "-std=c99"] + flags + [src, "-o", so, "-lm"]
        procs[b] = (so, subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True))
    libs = {}
    for b, (so, p) in procs.items():
        _, err = p.communicate()
        if p.returncode != 0:
            print(err)
            sys.exit("compile failed for build %s" % b)
        libs[b] = so
    return libs


PACKED = re.compile(r"\s(v?(?:add|sub|mul|div|sqrt|max|min|and|or|xor|vfn?m(?:add|sub)\d*)p[sd])\s+(.*)")


def vector_report(so):
    """function symbol -> widest packed FP arithmetic register class used."""
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", so],
                         capture_output=True, text=True).stdout
    res = {}
    cur = None
    counts = None
    for line in dis.splitlines():
        m = re.match(r"^[0-9a-f]+ <((?:w_|dc_v)\w+?)(?:\.[\w.]+)?>:", line)
        if m:
            cur = m.group(1)
            counts = res.setdefault(cur, {"xmm": 0, "ymm": 0, "zmm": 0})
            continue
        if re.match(r"^[0-9a-f]+ <", line):
            cur = None
            continue
        if cur is None:
            continue
        m = PACKED.search(line)
        if m and not m.group(1).startswith(("vand", "vor", "vxor", "and", "or", "xor")):
            ops = m.group(2)
            for reg in ("zmm", "ymm", "xmm"):
                if reg in ops:
                    counts[reg] += 1
                    break
    return res


def vec_counts(rep, name, t):
    tot = {"xmm": 0, "ymm": 0, "zmm": 0}
    for sym in ("w_%s_%s" % (name, t), "dc_v%s_%s" % (name, t)):
        for k, v in rep.get(sym, {}).items():
            tot[k] += v
    return tot


def vec_flag(counts, build):
    want = {"x86-64": "xmm", "scalar": "xmm", "v3": "ymm", "v4": "ymm"}[build]
    if build == "v4" and counts["zmm"] >= 3:
        return "yes(zmm)"
    if build == "v4" and counts["ymm"] >= 3:
        return "yes(ymm)"
    if counts[want] >= 3:
        return "yes(%s)" % want
    return "no"


# ------------------------------------------------------------------ grids
def logspace_signed(lo, hi, n, rng, signs=(1, -1)):
    e = rng.uniform(np.log2(lo), np.log2(hi), n)
    v = np.exp2(e)
    s = rng.choice(signs, n)
    return v * s


def neighbours(vals, dt, k=3):
    vals = np.asarray(vals, dtype=dt)
    out = [vals]
    up = vals.copy(); dn = vals.copy()
    for _ in range(k):
        up = np.nextafter(up, dt(np.inf)); dn = np.nextafter(dn, dt(-np.inf))
        out += [up.copy(), dn.copy()]
    return np.concatenate(out)


def unary_grid(name, t, n, rng):
    dt = DTYPES[t]
    f64 = t == "f64"
    big = 1.7e308 if f64 else 3.4e38
    tiny = 5e-324 if f64 else 1.5e-45
    ovf = 709.79 if f64 else 88.73
    unf = -745.2 if f64 else -103.98
    parts = []
    U = lambda a, b, m=n: rng.uniform(a, b, m)
    L = lambda a, b, m=n, signs=(1, -1): logspace_signed(a, b, m, rng, signs)
    if name == "exp":
        parts += [U(unf, ovf), L(tiny, 1), U(-1, 1), neighbours([ovf, unf, -708.4, -87.33, 709.78, 88.72, -103.97, -745.1332191019411, 709.782712893384, 88.72283935546875], dt, 50)]
    elif name == "exp2":
        e2o, e2u = (1024.0, -1075.0) if f64 else (128.0, -150.0)
        parts += [U(e2u, e2o), L(tiny, 1), U(-1, 1), neighbours([e2o, e2u, e2u + 1, -1022, -126, 1023, 127], dt, 50)]
    elif name == "expm1":
        parts += [U(-60, ovf), L(tiny, 1), U(-1, 1), U(-0.4, 0.4), neighbours([ovf, 709.782712893384, 88.72283935546875, 0.3465, -0.3466, 1.0397, 0.6931], dt, 50)]
    elif name in ("log", "log2", "log10"):
        parts += [L(tiny, big, n, (1,)), U(0.5, 2.0), 1 + L(1e-16, 1e-3, n), U(0, 1e4),
                  neighbours([1.0, 2.0, 0.5, 10.0, 100.0, 1000.0, 1e-308, 2.2250738585072014e-308, 1.17549435e-38], dt, 50)]
    elif name == "log1p":
        parts += [L(tiny, big, n, (1,)), L(tiny, 1, n, (-1,)), U(-1, 1), -1 + L(1e-16, 0.5, n, (1,)),
                  L(1e-20, 1e-3, n), neighbours([-0.5, 1.0, 2.0, -1.0], dt, 50)]
    elif name in ("sin", "cos", "tan"):
        k = rng.integers(1, 660000, n // 2)
        kk = np.concatenate([np.arange(1, 2000), k])
        nearpi = np.concatenate([neighbours(kk * (np.pi / 2), dt, 2), -kk * (np.pi / 2)])
        parts += [U(-10, 10), U(-2 ** 20, 2 ** 20), L(tiny, 1), nearpi, L(1, big, n // 4),
                  neighbours([2 ** 20, np.pi / 4, 1e22, 1e300], dt, 5)]
    elif name in ("arcsin", "arccos"):
        parts += [U(-1, 1), 1 - L(1e-17, 0.6, n, (1,)), -1 + L(1e-17, 0.6, n, (1,)), L(tiny, 1),
                  neighbours([0.5, -0.5, 1.0, -1.0], dt, 50)]
    elif name == "arctan":
        parts += [L(tiny, big), U(-5, 5), neighbours([7 / 16, 11 / 16, 19 / 16, 39 / 16, 1.0], dt, 50), -neighbours([7 / 16, 11 / 16, 19 / 16, 39 / 16, 1.0], dt, 50)]
    elif name in ("sinh", "cosh"):
        so = 710.4758600739439 if f64 else 89.41599
        parts += [U(-so - 1, so + 1), L(tiny, 30), U(-25, 25), neighbours([so, -so, 22.0, -22.0, 709.78, 88.72], dt, 50)]
    elif name == "tanh":
        parts += [U(-25, 25), L(tiny, 40), neighbours([22.0, -22.0, 0.55, -0.55], dt, 50)]
    elif name == "arcsinh":
        parts += [L(tiny, big), U(-4, 4), neighbours([2.0, -2.0, 2 ** 28, -2 ** 28], dt, 50)]
    elif name == "arccosh":
        parts += [1 + L(1e-17, 1, n, (1,)), L(1, big, n, (1,)), U(1, 5), neighbours([1.0, 2.0, 2 ** 28], dt, 50)]
    elif name == "arctanh":
        parts += [U(-1, 1), L(tiny, 1), 1 - L(1e-17, 0.6, n, (1,)), -1 + L(1e-17, 0.6, n, (1,)), neighbours([0.5, -0.5, 1.0, -1.0], dt, 50)]
    elif name == "cbrt":
        parts += [L(tiny, big), U(-10, 10), neighbours([1.0, 8.0, 27.0, 2.0, 4.0, 0.125, 2.2250738585072014e-308], dt, 20)]
    x = np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])
    with np.errstate(all="ignore"):
        x = x.astype(dt)
    x = x[np.isfinite(x)]
    return x


def specials(t):
    dt = DTYPES[t]
    f = np.finfo(dt)
    v = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0,
         float(f.max), -float(f.max), float(f.tiny), -float(f.tiny), float(f.smallest_subnormal),
         -float(f.smallest_subnormal), 3 * float(f.smallest_subnormal), float(f.tiny) / 3]
    if t == "f64":
        v += [709.782712893384, 709.7827128933841, -745.1332191019411, -745.1332191019412,
              -745.13321910194122, -708.3964185322641, -708.39641853226412, 710.4758600739439,
              710.475860073944, 1024.0, -1074.0, -1075.0, -1076.0, 1e300, -1e300]
    else:
        v += [88.72283935546875, 88.72284698486328, -103.97207641601562, -103.97208404541016,
              -87.33654022216797, 89.41598510742188, 89.41599, 128.0, -149.0, -150.0, -151.0, 1e30, -1e30]
    return np.array(v, dtype=dt)


# ------------------------------------------------------------------ error
def ulp_err(y, ref, t):
    """|y - ref| in ulps of the output type at ref (ref: longdouble)."""
    dt = DTYPES[t]
    fi = np.finfo(dt)
    p = fi.nmant + 1
    emin = fi.minexp
    emax = fi.maxexp - 1
    lim = np.longdouble(2.0) ** (emax + 1)
    r = np.clip(ref, -lim, lim)
    yl = y.astype(np.longdouble)
    yl = np.where(np.isinf(yl), np.sign(yl) * lim, yl)
    _, e = np.frexp(np.where(r == 0, np.longdouble(1), r))
    e = np.clip(e.astype(np.int64) - 1, emin, emax)
    ulp = np.ldexp(np.longdouble(1), e - (p - 1))
    err = np.abs(yl - r) / ulp
    bothnan = np.isnan(y) & np.isnan(ref)
    err = np.where(bothnan, 0, err)
    err = np.where(np.isnan(y) ^ np.isnan(ref), np.inf, err)
    return err.astype(np.float64)


def bits_equal(a, b):
    a = np.asarray(a); b = np.asarray(b)
    nan = np.isnan(a) & np.isnan(b)
    it = np.uint64 if a.dtype == np.float64 else np.uint32
    return nan | (a.view(it) == b.view(it))


def special_mismatch(inputs, ours, npres, ref, t):
    """Bit-identical results (any NaN == any NaN) are required whenever an
    input is nan/inf/+-0 or either result is nan/inf/+-0 (this covers the
    overflow / underflow thresholds: finite-vs-inf, subnormal-vs-0 and signs
    of zero).  For other special inputs (subnormals, values next to the
    thresholds) giving ordinary finite results numpy itself is not always
    correctly rounded (e.g. float32 arctan2 is 2 ulp off at some points), so
    there we require the ULP bound against the exact reference instead."""
    exc = np.zeros(ours.shape, bool)
    for v in inputs:
        exc |= ~np.isfinite(v) | (v == 0)
    for r in (ours, npres):
        exc |= ~np.isfinite(r) | (r == 0)
    eq = bits_equal(ours, npres)
    with np.errstate(all="ignore"):
        near = ulp_err(ours, ref, t) <= ULP_BOUND
    return np.where(exc, ~eq, ~near)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    rng = np.random.default_rng(12345)
    N = 20000 if args.quick else 60000
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="check_vmath_")
    libs = build_all(tmp)
    print("built %d variants in %.1fs (%s)" % (len(libs), time.time() - t0, tmp))
    vrep = {b: vector_report(so) for b, so in libs.items()}
    base = ctypes.CDLL(libs["x86-64"])
    run_builds = [b for b in BUILDS if runnable(base, b)]
    for b in BUILDS:
        if b not in run_builds:
            print("%s: compiled, not run (this CPU lacks %s); vectorized: %s" % (
                b, LEVEL[b], " ".join("%s/%s:%s" % (name, t, vec_flag(vec_counts(vrep[b], name, t), b))
                                      for name in UNARY for t in ("f64", "f32"))))
    L = {b: ctypes.CDLL(libs[b]) for b in run_builds}

    def call(b, name, t, *arrs):
        fn = getattr(L[b], "w_%s_%s" % (name, t))
        arrs = [np.ascontiguousarray(a) for a in arrs]
        y = np.empty_like(arrs[0])
        ptrs = [a.ctypes.data_as(ctypes.c_void_p) for a in arrs]
        fn(*ptrs, y.ctypes.data_as(ctypes.c_void_p), ctypes.c_ssize_t(y.size))
        return y

    names = list(UNARY)
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    bad = []
    rows = []
    for name in names:
        npf = getattr(np, name)
        for t in ("f64", "f32"):
            dt = DTYPES[t]
            with np.errstate(all="ignore"):
                x = unary_grid(name, t, N, rng)
                ref = npf(x.astype(np.longdouble))
                sx = specials(t)
                spref = npf(sx)
                spexact = npf(sx.astype(np.longdouble))
                inputs, spin = (x,), (sx,)
            for bname in run_builds:
                with np.errstate(all="ignore"):
                    y = call(bname, name, t, *inputs)
                    err = ulp_err(y, ref, t)
                    ys = call(bname, name, t, *spin)
                mx = float(np.max(err)) if err.size else 0.0
                imax = int(np.argmax(err)) if err.size else 0
                spm = special_mismatch(spin, ys, spref, spexact, t)
                nsp = int(np.count_nonzero(spm))
                # in place + n == 0
                inpl_ok = True
                xi = [np.array(v[:4099], copy=True) for v in inputs]
                with np.errstate(all="ignore"):
                    yref = call(bname, name, t, *xi)
                    fn = getattr(L[bname], "w_%s_%s" % (name, t))
                    ptrs = [v.ctypes.data_as(ctypes.c_void_p) for v in xi]
                    fn(*ptrs, ptrs[0], ctypes.c_ssize_t(xi[0].size))
                    fn(*ptrs, ptrs[0], ctypes.c_ssize_t(0))
                if not np.all(bits_equal(xi[0], yref)):
                    inpl_ok = False
                vf = vec_flag(vec_counts(vrep[bname], name, t), bname)
                viol = mx > ULP_BOUND or nsp > 0 or not inpl_ok
                rows.append((name, t, bname, mx, nsp, vf, inpl_ok))
                flag = " <-- VIOLATION" if viol else ""
                print("%-8s %-3s %-6s maxulp %8.3f  special-mismatch %3d  inplace %-3s vec %-9s%s"
                      % (name, t, bname, mx, nsp, "ok" if inpl_ok else "BAD", vf, flag))
                if viol:
                    det = []
                    if mx > ULP_BOUND:
                        det.append("worst x=%r y=%r ref=%r" % (tuple(float(v[imax]) for v in inputs),
                                                               float(y[imax]), float(ref[imax])))
                    if nsp:
                        idx = np.nonzero(spm)[0][:6]
                        det.append("specials: " + ", ".join("%s->%r (numpy %r)" % (
                            tuple(float(v[i]) for v in spin), float(ys[i]), float(spref[i])) for i in idx))
                    print("    " + "; ".join(det))
                    bad.append((name, t, bname))
    print("\nchecked in %.1fs" % (time.time() - t0))

    if args.bench:
        bench(L, names, run_builds[-1])
    if bad:
        print("VIOLATIONS: %d" % len(bad))
        sys.exit(1)
    print("all OK (max ULP <= %g, specials identical to numpy)" % ULP_BOUND)


def bench(L, names, build):
    n = 100000
    rng = np.random.default_rng(1)
    dom = {"log": (0.01, 100), "log2": (0.01, 100), "log10": (0.01, 100), "log1p": (-0.9, 100),
           "arcsin": (-1, 1), "arccos": (-1, 1), "arctanh": (-0.99, 0.99), "arccosh": (1, 100),
           "exp": (-50, 50), "exp2": (-50, 50), "expm1": (-5, 5)}
    print("\nbench (%s build, n=%d, 1 thread): ns/element ours vs numpy" % (build, n))
    print("%-8s %-3s %9s %9s %7s" % ("func", "dt", "ours", "numpy", "speedup"))
    for name in names:
        npf = getattr(np, name)
        for t in ("f64", "f32"):
            dt = DTYPES[t]
            lo, hi = dom.get(name, (-10, 10))
            args = [rng.uniform(lo, hi, n).astype(dt)]
            y = np.empty(n, dt)
            fn = getattr(L[build], "w_%s_%s" % (name, t))
            ptrs = [a.ctypes.data_as(ctypes.c_void_p) for a in args] + [y.ctypes.data_as(ctypes.c_void_p), ctypes.c_ssize_t(n)]

            def tm(f, reps=30):
                f()
                return min_time(f, reps) * 1e9 / n
            ours = tm(lambda: fn(*ptrs))
            with np.errstate(all="ignore"):
                theirs = tm(lambda: npf(*args, out=y))
            print("%-8s %-3s %9.3f %9.3f %6.2fx" % (name, t, ours, theirs, theirs / ours))


if __name__ == "__main__":
    main()
