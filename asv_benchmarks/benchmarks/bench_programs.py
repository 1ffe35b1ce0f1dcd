"""The program corpus (programs.py): each real program x backend (numpy, dotcompute).

Each program runs unchanged with `np` bound to NumPy or to dotcompute at its benchmark size
(5-200 ms under NumPy); inputs are made and converted with `np.asarray` in setup. The same
table in one process, with ratios: `python tools/bench_programs.py`.
"""
import dotcompute as dc
import numpy as np

from .common import Benchmark
from .programs import PROGRAMS, prepare

_MODULES = {"numpy": np, "dotcompute": dc}


class Programs(Benchmark):
    """Time of one whole program, inputs prepared."""

    params = [list(PROGRAMS), list(_MODULES)]
    param_names = ["program", "backend"]

    def setup(self, program, backend):
        prog = PROGRAMS[program]
        xp = _MODULES[backend]
        args = prepare(prog, xp, prog.full)
        self.f = lambda: prog.func(xp, *args)

    def time_program(self, program, backend):
        self.f()
