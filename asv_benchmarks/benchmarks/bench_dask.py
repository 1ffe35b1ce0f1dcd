"""asv benchmarks: a dask.array pipeline with dotcompute chunks against NumPy chunks, on
dask's threaded scheduler and on a distributed LocalCluster (2 processes x 1 thread).

Skipped (NotImplementedError in setup) when dask or distributed is not installed.
The pipeline is tools/dask_pipeline.py (example_pipeline): three generated arrays of N doubles,
``2*a + 3*b*b - c``, then sum, min and max. `time_pipeline` includes the generation (NumPy's
random generator in both backends); `time_expression` persists the inputs first and times
only the expression and the reductions.
"""
import os
import sys

import numpy as np

import dotcompute as dc

N = 20_000_000
CHUNK = 1_000_000


class DaskPipeline:
    params = [["dotcompute", "numpy"], ["threads", "distributed"]]
    param_names = ["chunks", "scheduler"]
    number = 1
    repeat = 3
    warmup_time = 0
    timeout = 600

    def setup(self, chunks, scheduler):
        try:
            import dask
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "..", "tools"))
            from dask_pipeline import example_pipeline, uniform
            if scheduler == "distributed":
                import distributed
        except ImportError:
            raise NotImplementedError("dask / distributed not installed")
        self.xp = dc if chunks == "dotcompute" else np
        self.threads = dc.get_num_threads()
        self.client = self.cluster = None
        self.example_pipeline = example_pipeline
        if scheduler == "distributed":
            self.cluster = distributed.LocalCluster(
                processes=True, n_workers=2, threads_per_worker=1,
                dashboard_address=None)
            self.client = distributed.Client(self.cluster)
            client = self.client
            self.compute = lambda *xs: client.gather(client.compute(list(xs)))
            inputs = client.persist([uniform(N, CHUNK, k, self.xp) for k in range(3)])
            distributed.wait(inputs)
        else:
            # one kernel thread per dask thread: the two levels do not oversubscribe
            dc.set_num_threads(1)
            self.compute = lambda *xs: dask.compute(*xs, scheduler="threads",
                                                    num_workers=2)
            inputs = dask.persist(*(uniform(N, CHUNK, k, self.xp) for k in range(3)),
                                  scheduler="threads", num_workers=2)
        self.a, self.b, self.c = inputs
        self.compute(*example_pipeline(N // 10, CHUNK, self.xp))   # warm up

    def teardown(self, chunks, scheduler):
        dc.set_num_threads(self.threads)
        if self.client is not None:
            self.client.close()
            self.cluster.close()

    def time_pipeline(self, chunks, scheduler):
        self.compute(*self.example_pipeline(N, CHUNK, self.xp))

    def time_expression(self, chunks, scheduler):
        e = 2 * self.a + 3 * self.b * self.b - self.c
        self.compute(e.sum(), e.min(), e.max())
