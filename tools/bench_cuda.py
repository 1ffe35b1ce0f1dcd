"""GPU benchmark of dotcompute.cuda against CuPy and torch, in one process (issue 15's targets).

    python tools/bench_cuda.py [--n 1e8] [--quick] [--no-compile]

Data stays on the GPU.  Kernel times are medians of batches (`dotcompute._timing.median_time`)
of back-to-back launches closed by one device synchronize, so launch gaps are included and
the synchronize is amortized over the batch.  Bandwidth counts bytes read + written.
`--no-compile` skips torch.compile (its first call compiles for tens of seconds).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dotcompute._timing import median_time  # noqa: E402
import dotcompute.cuda as dcuda  # noqa: E402


def gpu_time(fn, reps, sync):
    """Median seconds per call over batches of `reps` calls closed by one synchronize."""
    def batch():
        for _ in range(reps):
            fn()
        sync()
    batch()
    return median_time(batch, budget=0.5, min_repeat=5, max_repeat=15) / reps


def _set_fma(on):
    """Compile later kernels with (or without) FMA contraction."""
    from dotcompute.cuda import _compile, _elementwise
    flag = b"--fmad=true" if on else b"--fmad=false"
    if flag not in _compile.OPTIONS:
        _compile.OPTIONS[-1] = flag
        _compile.clear_memory_cache()
        _elementwise._kernels.clear()


def fused_variants(n, reps, sync, cp, torch, no_compile):
    """The fused f8 expression several ways in one process, three rounds interleaved."""
    import dotcompute.cuda as dcuda
    from dotcompute.cuda import _elementwise as ew
    from dotcompute.cuda._codegen import Elementwise
    from dotcompute.cuda._transfer import from_host
    rng = np.random.default_rng(1)
    a, b, c = (from_host(rng.uniform(-3, 3, n)) for _ in range(3))
    f8 = np.dtype("f8")
    hand = Elementwise(["f8"] * 3, [False] * 3, ["f8"] * 3, "2*a + 3*b*b - c", "f8")
    env = {"a": a, "b": b, "c": c}
    cases = {"evaluate": lambda: dcuda.evaluate("2*a + 3*b*b - c", env),
             "hand-written Elementwise": lambda: ew.run(hand, [a, b, c], (False,) * 3, f8,
                                                        f8)}
    for bps in (4, 8, 16):
        def f(bps=bps):
            old = ew.BLOCKS_PER_SM
            ew.BLOCKS_PER_SM = bps
            try:
                return dcuda.evaluate("2*a + 3*b*b - c", env)
            finally:
                ew.BLOCKS_PER_SM = old
        cases[f"evaluate, {bps} blocks/SM"] = f
    from dotcompute.cuda import _codegen, _compile

    def variant(vec_bytes, threads, stcs):
        def f():
            old = (_codegen.VEC_BYTES, ew.THREADS, _codegen.STREAMING_STORES)
            _codegen.VEC_BYTES, ew.THREADS, _codegen.STREAMING_STORES = (vec_bytes, threads,
                                                                         stcs)
            ew._kernels.clear()
            try:
                return ew.run(hand, [a, b, c], (False,) * 3, f8, f8)
            finally:
                _codegen.VEC_BYTES, ew.THREADS, _codegen.STREAMING_STORES = old
                ew._kernels.clear()
        return f
    for vb in (8, 16, 32):
        for th in (128, 256):
            cases[f"Elementwise, {vb}-byte accesses, {th} threads"] = variant(vb, th, False)
    cases["Elementwise, 16-byte accesses, 256 threads, __stcs stores"] = variant(16, 256, True)
    out = ew.empty((n,), f8)
    cases["evaluate into out="] = lambda: dcuda.evaluate("2*a + 3*b*b - c", env, out=out)
    if cp is not None:
        ca, cb, cc = (cp.asarray(x) for x in (a, b, c))
        kern = cp.ElementwiseKernel("T a, T b, T c", "T z", "z = 2*a + 3*b*b - c", "fz")
        cases["CuPy ElementwiseKernel"] = lambda: kern(ca, cb, cc)
        if torch is not None and not no_compile:
            ta, tb, tc = (torch.from_dlpack(x) for x in (ca, cb, cc))
            fz = torch.compile(lambda x, y, z: 2 * x + 3 * y * y - z)
            fz(ta, tb, tc)
            cases["torch.compile"] = lambda: fz(ta, tb, tc)
    res = {k: [] for k in cases}
    for _ in range(3):
        for name, fn in cases.items():
            res[name].append(gpu_time(fn, reps, sync))
    print("| fused 2*a + 3*b*b - c, float64, n = %.0e | best of 3 rounds, us |" % n)
    print("|---|---|")
    for k, v in res.items():
        print(f"| {k} | {min(v) * 1e6:.1f} (rounds: {', '.join(f'{x * 1e6:.0f}' for x in v)}) |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=float, default=1e8)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--json", default=None)
    ap.add_argument("--fused-variants", action="store_true",
                    help="only the fused float64 expression: evaluate, the hand-written "
                         "Elementwise, grid sizes, CuPy and torch.compile, interleaved")
    args = ap.parse_args()
    n = int(args.n)
    if not dcuda.is_available():
        sys.exit(f"CUDA unavailable: {dcuda.unavailable_reason()}")
    from dotcompute.cuda import _compile, _driver, _elementwise as ew
    from dotcompute.cuda._codegen import Elementwise
    from dotcompute.cuda._reduction import reduce
    from dotcompute.cuda._transfer import from_host, to_host
    try:
        import cupy as cp
    except ImportError:
        cp = None
    try:
        import torch
    except ImportError:
        torch = None

    def sync():
        _driver.synchronize()

    info = dcuda.runtime_info()
    dev = info["devices"][0]
    print(f"# {dev['name']}, {dev['multiprocessors']} SMs, driver CUDA "
          f"{info['driver_cuda_version']}, NVRTC {info['nvrtc_version']}, n = {n:.0e}")
    results = {}
    rows = []
    reps = 10 if not args.quick else 3

    if args.fused_variants:
        return fused_variants(n, reps, sync, cp, torch, args.no_compile)

    # --- copy bandwidth --------------------------------------------------------------
    src = dcuda_empty = ew.empty((n,), np.float64)
    dst = ew.empty((n,), np.float64)
    _driver.memset_d8(src.data_ptr, 1, src.nbytes)
    t_copy = gpu_time(lambda: _driver.memcpy_dtod(dst.data_ptr, src.data_ptr, src.nbytes),
                      reps, sync)
    bw_copy = 2 * src.nbytes / t_copy
    results["d2d_copy_TBps"] = bw_copy / 1e12
    rows.append(("D2D copy f8 (cuMemcpyDtoD)", t_copy, None, None, bw_copy))
    del src, dcuda_empty, dst

    rng = np.random.default_rng(0)

    def make(dtype, lo=-3, hi=3):
        h = rng.uniform(lo, hi, n).astype(dtype)
        return from_host(h)

    def views(x):
        c = cp.asarray(x) if cp is not None else None
        t = torch.from_dlpack(c) if (torch is not None and c is not None) else None
        return c, t

    for variant in ([0, 8, 16, 32] if not args.quick else [0]):
        ew.BLOCKS_PER_SM = variant
        a32 = make(np.float32)
        b32 = make(np.float32)
        t = gpu_time(lambda: ew.ufunc_call(np.add, (a32, b32)), reps, sync)
        print(f"  add f4 blocks/SM={variant or 'unbounded'}: {t * 1e6:8.1f} us "
              f"({3 * a32.nbytes / t / 1e12:.2f} TB/s)")
        results[f"add_f4_blocks{variant}"] = t
    # the default stays (one vector per thread, unbounded grid): a capped grid was slower
    # for the fused float64 expression (--fused-variants), though equal for add
    ew.BLOCKS_PER_SM = 0

    for dtype, tag in ((np.float32, "f4"), (np.float64, "f8")):
        a = make(dtype, 0.1, 3)
        b = make(dtype)
        c = make(dtype)
        ca, ta = views(a)
        cb, tb = views(b)
        cc, tc = views(c)
        item = np.dtype(dtype).itemsize
        cases = [
            ("add", 3, lambda: ew.ufunc_call(np.add, (a, b)),
             (lambda: ca + cb) if cp else None, (lambda: ta + tb) if torch else None),
            ("exp", 2, lambda: ew.ufunc_call(np.exp, (a,)),
             (lambda: cp.exp(ca)) if cp else None, (lambda: torch.exp(ta)) if torch else None),
            ("sin", 2, lambda: ew.ufunc_call(np.sin, (a,)),
             (lambda: cp.sin(ca)) if cp else None, (lambda: torch.sin(ta)) if torch else None),
            ("sum", 1, lambda: reduce("sum", a),
             (lambda: ca.sum()) if cp else None, (lambda: ta.sum()) if torch else None),
        ]

        def ours_fused():
            return dcuda.evaluate("2*a + 3*b*b - c", {"a": a, "b": b, "c": c})

        cp_fused = None
        if cp is not None:
            k = cp.ElementwiseKernel("T a, T b, T c", "T z", "z = 2*a + 3*b*b - c", "fz")
            cp_fused = (lambda: k(ca, cb, cc))
        th_fused = None
        if torch is not None and not args.no_compile:
            fz = torch.compile(lambda x, y, z: 2 * x + 3 * y * y - z)
            fz(ta, tb, tc)
            th_fused = (lambda: fz(ta, tb, tc))
        cases.append(("evaluate('2*a + 3*b*b - c')", 4, ours_fused, cp_fused,
                      th_fused))
        def unfused():
            mul, add, sub = np.multiply, np.add, np.subtract
            t1 = ew.ufunc_call(mul, (a, 2))
            t2 = ew.ufunc_call(mul, (ew.ufunc_call(mul, (b, 3)), b))
            return ew.ufunc_call(sub, (ew.ufunc_call(add, (t1, t2)), c))

        def ours_fused_fma():
            return dcuda.evaluate("2*a + 3*b*b - c", {"a": a, "b": b, "c": c})

        cases.append(("unfused 2*a+3*b*b-c (5 ufunc calls)", 4, unfused, None, None))
        cases.append(("evaluate, FMA contraction on (DOTCOMPUTE_CUDA_FMA=1)", 4,
                      ours_fused_fma, None, None))
        # the general path compiles through _function (the fast path keeps its kernel)
        cases.append(("exp, FMA contraction on (DOTCOMPUTE_CUDA_FMA=1)", 2,
                      lambda: ew._ufunc_general(np.exp, [a], None), None, None))
        for name, nbuf, ours, cpf, thf in cases:
            if "FMA" in name:
                _set_fma(True)
            t_ours = gpu_time(ours, reps, sync)
            _set_fma(False)
            t_cp = gpu_time(cpf, reps, sync) if cpf else None
            t_th = gpu_time(thf, reps, sync) if thf else None
            bw = nbuf * n * item / t_ours
            print(f"  {name} {tag}: ours {t_ours * 1e6:.1f} us ({bw / 1e12:.2f} TB/s), CuPy "
                  f"{t_cp and t_cp * 1e6}, torch {t_th and t_th * 1e6}", flush=True)
            rows.append((f"{name} {tag}", t_ours, t_cp, t_th, bw))
            results[f"{name} {tag}"] = {"ours_us": t_ours * 1e6,
                                        "cupy_us": t_cp and t_cp * 1e6,
                                        "torch_us": t_th and t_th * 1e6,
                                        "TBps": bw / 1e12}
        # correctness spot check against NumPy at full size
        got = ours_fused().get()
        ha, hb, hc = a.get(), b.get(), c.get()
        want = 2 * ha + 3 * hb * hb - hc
        assert np.allclose(got, want, rtol=1e-5 if tag == "f4" else 1e-12), "fused mismatch"
        del a, b, c, ca, cb, cc, ta, tb, tc

    def sections():
        # --- per-call cost at n = 1e3 ------------------------------------------------------
        small_a = from_host(np.ones(1000))
        small_b = from_host(np.ones(1000))
        calls = 10_000

        def per_call(f):
            f()
            sync()
            best_t = None
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(calls):
                    f()
                sync()
                dt = (time.perf_counter() - t0) / calls
                best_t = dt if best_t is None else min(best_t, dt)
            return best_t

        pc = {"dotcompute ufunc_call(np.add)": per_call(
            lambda: ew.ufunc_call(np.add, (small_a, small_b)))}
        fn = ew._function(ew._plans[("add", np.dtype("f8"), np.dtype("f8"))].desc, 0, 1, 0)
        out_small = ew.empty((1000,), np.float64)
        argt = (small_a.data_ptr, small_b.data_ptr, out_small.data_ptr, 1000)
        pc["dotcompute raw launch1d"] = per_call(lambda: _driver.launch1d(fn, 1, 256, argt))
        with dcuda.Stream.null():
            pc["dotcompute ufunc_call(np.add), legacy default stream"] = per_call(
                lambda: ew.ufunc_call(np.add, (small_a, small_b)))
            pc["dotcompute raw launch1d, legacy default stream"] = per_call(
                lambda: _driver.launch1d(fn, 1, 256, argt))
        try:
            import dotcompute as dc
            xa = dc.asarray(np.ones(1000), device="cuda")
            xb = dc.asarray(np.ones(1000), device="cuda")
            pc["dotcompute ndarray a + b (device='cuda')"] = per_call(lambda: xa + xb)
            pc["dotcompute ndarray np.add(a, b)"] = per_call(lambda: np.add(xa, xb))
            pc["dotcompute ndarray a * 2.5"] = per_call(lambda: xa * 2.5)
            pc["dotcompute ndarray -a"] = per_call(lambda: -xa)
        except (TypeError, ValueError, RuntimeError) as e:   # no device seam here
            print(f"  (ndarray on cuda not measured: {e})")
        if cp is not None:
            sa, sb = cp.ones(1000), cp.ones(1000)
            pc["CuPy a + b"] = per_call(lambda: sa + sb)
            pc["CuPy a * 2.5"] = per_call(lambda: sa * 2.5)
        if torch is not None:
            ua, ub = torch.ones(1000, device="cuda", dtype=torch.float64), torch.ones(
                1000, device="cuda", dtype=torch.float64)
            pc["torch a + b"] = per_call(lambda: ua + ub)
        results["per_call_us"] = {k: v * 1e6 for k, v in pc.items()}

        # --- transfers ---------------------------------------------------------------------
        import dotcompute as dc
        nbytes = 256 << 20
        blk = dc.get_default_memory_pool().malloc(nbytes)
        host = np.frombuffer(blk, np.uint8)
        host[:] = 3
        t0 = time.perf_counter()
        g = from_host(host)
        first = time.perf_counter() - t0
        steady = median_time(lambda: from_host(host), budget=0.5, min_repeat=5, max_repeat=20)
        out = to_host(g)
        d2h = median_time(lambda: to_host(g, out=out), budget=0.5, min_repeat=5, max_repeat=20)
        page = rng.integers(0, 255, nbytes, dtype=np.uint8)
        page_h2d = median_time(lambda: from_host(page), budget=0.5, min_repeat=3, max_repeat=10)
        fresh_d2h = median_time(lambda: np.asarray(to_host(g, out=np.empty(nbytes, np.uint8))),
                                budget=0.5, min_repeat=3, max_repeat=10)
        tr = {"h2d host-pool first call (registers) GB/s": nbytes / first / 1e9,
              "h2d host-pool steady GB/s": nbytes / steady / 1e9,
              "d2h into staging pool GB/s": nbytes / d2h / 1e9,
              "h2d pageable NumPy GB/s": nbytes / page_h2d / 1e9,
              "d2h into fresh NumPy array GB/s": nbytes / fresh_d2h / 1e9}
        results["transfers"] = tr
        del g, out

        # --- NVRTC ---------------------------------------------------------------------------
        base = Elementwise(["f8"] * 2, [False] * 2, ["f8"] * 2, "a * b + 1", "f8")
        times = []
        for i in range(5):
            src = base.contiguous_source("k") + f"\n// unique {time.time_ns()} {i}\n"
            t0 = time.perf_counter()
            _compile.compile_cubin(src, _compile.arch(0))
            times.append(time.perf_counter() - t0)
        new_prog = sorted(times)[2]
        src = base.contiguous_source("k")
        _compile.get_function(src, "k")
        cached = median_time(lambda: _compile.get_function(src, "k"))
        with tempfile.TemporaryDirectory() as d:
            code = ("import time, json; from dotcompute.cuda import _compile;"
                    "from dotcompute.cuda._codegen import Elementwise;"
                    "s = Elementwise(['f8'] * 2, [False] * 2, ['f8'] * 2, 'a * b + 2', 'f8')"
                    ".contiguous_source('k');"
                    "from dotcompute.cuda import _driver; _driver.synchronize();"
                "t = time.perf_counter(); _compile.get_function(s, 'k');"
                    "print(json.dumps([time.perf_counter() - t, _compile.cache_info()]))")
            env = dict(os.environ, DOTCOMPUTE_CUDA_CACHE=d)
            r1 = json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                           capture_output=True, text=True).stdout)
            r2 = json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                           capture_output=True, text=True).stdout)
        nv = {"new program compile ms": new_prog * 1e3,
              "cached program lookup us": cached * 1e6,
              "new process, cold cache ms (compiled)": r1[0] * 1e3,
              "new process, disk cache ms": r2[0] * 1e3,
              "new process disk hits / compiles": f"{r2[1]['disk_hits']} / {r2[1]['compiled']}"}
        results["nvrtc"] = nv

        # --- pool ------------------------------------------------------------------------------
        pool = dcuda.get_default_memory_pool()
        pool.reset_accumulated_memory_stats()
        t_alloc = median_time(lambda: _driver.alloc(1 << 20))
        t_alloc_small = median_time(lambda: _driver.alloc(4096))
        st = pool.memory_stats()
        hit = st["pool_hits"] / max(1, st["pool_hits"] + st["pool_misses"])
        results["pool"] = {"malloc+free 1 MiB us": t_alloc * 1e6,
                           "malloc+free 4 KiB us": t_alloc_small * 1e6, "hit rate": hit}
        if cp is not None:
            cpool = cp.get_default_memory_pool()
            results["pool"]["CuPy malloc+free 1 MiB us"] = median_time(
                lambda: cpool.malloc(1 << 20)) * 1e6


    import traceback
    try:
        sections()
    except Exception:                     # report what was measured before the failure
        traceback.print_exc()
    # --- table ---------------------------------------------------------------------------
    print()
    print("| case | dotcompute us | CuPy us | torch us | dotcompute TB/s | % of copy BW "
          "| vs CuPy (speed) | vs torch (speed) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, t, tcp, tth, bw in rows:
        def f(x):
            return f"{x * 1e6:.1f}" if x else "n/a"
        print(f"| {name} | {f(t)} | {f(tcp)} | {f(tth)} | {bw / 1e12:.2f} | "
              f"{100 * bw / bw_copy:.0f} % | {tcp / t if tcp else float('nan'):.2f}x | "
              f"{tth / t if tth else float('nan'):.2f}x |")
    print()
    print("| per-call cost, n = 1e3, 10,000 calls + 1 synchronize | us/call |")
    print("|---|---|")
    for k, v in results.get("per_call_us", {}).items():
        print(f"| {k} | {v:.2f} |")
    print()
    for title, d in (("transfers, 256 MiB", results.get("transfers", {})),
                     ("NVRTC", results.get("nvrtc", {})), ("GPU pool", results.get("pool", {}))):
        print(f"| {title} | |")
        print("|---|---|")
        for k, v in d.items():
            print(f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |")
        print()
    if args.json:
        with open(args.json, "w") as fjs:
            json.dump(results, fjs, indent=1, default=str)


if __name__ == "__main__":
    main()
