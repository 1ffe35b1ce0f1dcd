"""asv benchmarks of fused expressions (dotcompute.evaluate) against NumPy's unfused form."""
import numpy as np

import dotcompute as dc

EXPRESSIONS = {
    "poly": ("2*a + 3*b*b - c", lambda a, b, c: 2*a + 3*b*b - c),
    "where": ("where(a > b, a - c, b * c)", lambda a, b, c: np.where(a > b, a - c, b * c)),
    "transcendental": ("sin(a) * exp(b)", lambda a, b, c: np.sin(a) * np.exp(b)),
    "reduction": ("sum(a * b + c)", lambda a, b, c: np.sum(a * b + c)),
}


class Evaluate:
    """One fused pass (dc.evaluate, variables from a dict) vs NumPy with temporaries."""

    params = [list(EXPRESSIONS), [1_000, 100_000, 1_000_000, 10_000_000]]
    param_names = ["expression", "n"]

    def setup(self, name, n):
        rng = np.random.default_rng(0)
        self.env = {k: rng.random(n) for k in "abc"}
        self.text, self.numpy = EXPRESSIONS[name]
        dc.evaluate(self.text, local_dict=self.env)        # compile once

    def time_dotcompute(self, name, n):
        dc.evaluate(self.text, local_dict=self.env)

    def time_numpy(self, name, n):
        self.numpy(self.env["a"], self.env["b"], self.env["c"])


class Overhead:
    """Per-call cost of a cached fused expression on 1,000 elements."""

    def setup(self):
        self.a = np.ones(1000)
        self.k = dc.ElementwiseKernel("T x", "T z", "z = 2 * x + 1", "affine")
        dc.evaluate("2 * a + 1", local_dict={"a": self.a})

    def time_evaluate(self):
        dc.evaluate("2 * a + 1", local_dict={"a": self.a})

    def time_elementwise_kernel(self):
        self.k(self.a)
