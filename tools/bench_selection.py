"""Selection, sorting, searching and boolean-mask indexing: NumPy against dotcompute in one
process (interleaved medians, dotcompute/_timing.py), the ratio NumPy time / ours. Each
case is called as a program calls it, `np.f(...)` with np bound to NumPy or to dotcompute.

    PYTHONPATH=. python tools/bench_selection.py

Cases: sort of 1e6 and 3e4 float64, argsort of 1e6 float64 (default kind, stable) and of
1e6 int64 (a permutation), unique of 1e6, unique of 1e6 ints below 1000 with the inverse,
median of 4000 x 200 along axis 0, quantile(x, 0.3) of 1e6, x[m] and x[m] = v of 40000
float64 with a random mask, searchsorted of 1e6 random keys into 1000 sorted values,
nanmedian of 1e6 with 1 % NaN, histogram of 1e6 into 50 bins, sort of (10000, 100) along
axis 0, nonzero of a (1000, 1000) half-true mask, argwhere of a 5 % true one, nonzero of a
1e6 half-true 1-d mask, isin of 1e6 float64 in 3e4, lexsort of 1e6 by (float64, int64 keys
below 100), sort and argsort of the 1000 rows of a (1000, 1000) float64 array, argsort of
(1000, 1000) int64 below 100 (equal values: NumPy's loop, on our threads), unique rows of
(250000, 3) uint8.
"""
import numpy as np, dotcompute as dc, timeit, time
from dotcompute._timing import interleaved_medians
rng = np.random.default_rng(0)
time.sleep(0.3)
x = rng.normal(size=10**6); xd = dc.asarray(x)
x3 = rng.normal(size=30000); xd3 = dc.asarray(x3)
X = rng.normal(size=(4000, 200)); Xd = dc.asarray(X)
s1k = np.sort(rng.normal(size=1000)); s1kd = dc.asarray(s1k)
xn = x.copy(); xn[::100] = np.nan; xnd = dc.asarray(xn)
X10 = rng.normal(size=(10000, 100)); X10d = dc.asarray(X10)
Z = rng.normal(size=40000); M = rng.random(40000) < 0.5; W = Z[M] * 2
zd, md, wd = dc.asarray(Z), dc.asarray(M), dc.asarray(W)
P = rng.permutation(10**6); Pd = dc.asarray(P)
B = rng.random((1000, 1000)) < 0.5; Bd = dc.asarray(B)
B5 = rng.random((1000, 1000)) < 0.05; B5d = dc.asarray(B5)
b1 = rng.random(10**6) < 0.5; b1d = dc.asarray(b1)
L = rng.integers(0, 1000, 10**6); Ld = dc.asarray(L)
L100 = L % 100; L100d = dc.asarray(L100)
R = rng.normal(size=(1000, 1000)); Rd = dc.asarray(R)
Ri = rng.integers(0, 100, (1000, 1000)); Rid = dc.asarray(Ri)
C3 = rng.integers(0, 256, (250000, 3)).astype(np.uint8); C3d = dc.asarray(C3)
cases = {"sort 1e6": (lambda: np.sort(x), lambda: dc.sort(xd)),
         "sort 3e4": (lambda: np.sort(x3), lambda: dc.sort(xd3)),
         "argsort 1e6": (lambda: np.argsort(x), lambda: dc.argsort(xd)),
         "argsort stable": (lambda: np.argsort(x, kind="stable"),
                            lambda: dc.argsort(xd, kind="stable")),
         "argsort perm": (lambda: np.argsort(P), lambda: dc.argsort(Pd)),
         "unique 1e6": (lambda: np.unique(x), lambda: dc.unique(xd)),
         "unique inverse": (lambda: np.unique(L, return_inverse=True),
                            lambda: dc.unique(Ld, return_inverse=True)),
         "median axis0": (lambda: np.median(X, axis=0), lambda: dc.median(Xd, axis=0)),
         "quantile 1e6": (lambda: np.quantile(x, 0.3), lambda: dc.quantile(xd, 0.3)),
         "x[m] 4e4": (lambda: Z[M], lambda: zd[md]),
         "x[m]=v 4e4": (lambda: Z.__setitem__(M, W), lambda: zd.__setitem__(md, wd)),
         "searchsorted": (lambda: np.searchsorted(s1k, x), lambda: dc.searchsorted(s1kd, xd)),
         "nanmedian": (lambda: np.nanmedian(xn), lambda: dc.nanmedian(xnd)),
         "histogram": (lambda: np.histogram(x, 50), lambda: dc.histogram(xd, 50)),
         "sort axis 0": (lambda: np.sort(X10, axis=0), lambda: dc.sort(X10d, axis=0)),
         "nonzero 2-d": (lambda: np.nonzero(B), lambda: dc.nonzero(Bd)),
         "argwhere 2-d": (lambda: np.argwhere(B5), lambda: dc.argwhere(B5d)),
         "nonzero 1-d": (lambda: np.nonzero(b1), lambda: dc.nonzero(b1d)),
         "isin 1e6": (lambda: np.isin(x, x3), lambda: dc.isin(xd, xd3)),
         "lexsort 2 keys": (lambda: np.lexsort((x, L100)), lambda: dc.lexsort((xd, L100d))),
         "sort rows": (lambda: np.sort(R), lambda: dc.sort(Rd)),
         "argsort rows": (lambda: np.argsort(R), lambda: dc.argsort(Rd)),
         "argsort ties": (lambda: np.argsort(Ri), lambda: dc.argsort(Rid)),
         "unique rows": (lambda: np.unique(C3, axis=0), lambda: dc.unique(C3d, axis=0))}
fns = {}
for k, (a, b) in cases.items():
    fns["np " + k] = a; fns["dc " + k] = b
r = interleaved_medians(fns, 7, batch_seconds=0.03)
for k in cases:
    print("%-14s NumPy %9.1f us  dc %9.1f us  %.2fx" % (k, r["np " + k] * 1e6, r["dc " + k] * 1e6, r["np " + k] / r["dc " + k]))
