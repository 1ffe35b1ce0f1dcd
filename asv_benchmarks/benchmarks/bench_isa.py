"""Kernel builds (ISA): the same kernel in the scalar build and in every vector build this
CPU can run, one thread, n = 1e5 (in L2).

A process picks its kernel build once, at import, so the in-process timers cannot compare
builds. These are `track_` benchmarks instead: each runs `isa_probe.py` in a short
subprocess with DOTCOMPUTE_CPU_CAPABILITY (and DOTCOMPUTE_NUM_THREADS=1) set, and reports
the ns per element it measured. Builds this CPU cannot run (or that were not built) are
skipped.
"""
import os
import subprocess
import sys

import dotcompute
from dotcompute._core import _dispatch

from .common import Benchmark
from .isa_probe import CASES

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "isa_probe.py")
N = 10 ** 5


def run_probe(build, case, n=N, timeout=120):
    # The child must import the dotcompute this process runs (asv may have put it on
    # sys.path without PYTHONPATH).
    root = os.path.dirname(os.path.dirname(os.path.abspath(dotcompute.__file__)))
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, DOTCOMPUTE_CPU_CAPABILITY=build, DOTCOMPUTE_NUM_THREADS="1",
               PYTHONPATH=path)
    proc = subprocess.run([sys.executable, PROBE, build, case, str(n)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"isa_probe {build} {case!r} failed:\n{proc.stderr}")
    return float(proc.stdout.strip().splitlines()[-1])


class KernelBuild(Benchmark):
    params = [["scalar", "baseline", "avx2", "avx512"], list(CASES)]
    param_names = ["build", "case"]
    # One subprocess per sample: a few samples are enough, the probe takes its own median.
    repeat = 1
    rounds = 1

    def setup(self, build, case):
        if build not in _dispatch.builds_supported():
            raise NotImplementedError(f"the {build} build cannot run here (or was not built)")

    def track_ns_per_element(self, build, case):
        return run_probe(build, case)

    track_ns_per_element.unit = "ns/element"
