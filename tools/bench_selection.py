"""Selection, sorting, searching and boolean-mask indexing: NumPy against dotcompute in one
process (interleaved medians, dotcompute/_timing.py), the ratio NumPy time / ours.

    PYTHONPATH=. python tools/bench_selection.py

Cases: np.sort of 1e6 and 3e4 float64, np.unique of 1e6, np.median of 4000 x 200 along
axis 0, np.quantile(x, 0.3) of 1e6, x[m] and x[m] = v of 40000 float64 with a random mask,
np.searchsorted of 1e6 random keys into 1000 sorted values, np.nanmedian of 1e6 with 1 % NaN,
np.histogram of 1e6 into 50 bins, np.sort of (10000, 100) along axis 0.
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
cases = {"sort 1e6": (lambda: np.sort(x), lambda: np.sort(xd)),
         "sort 3e4": (lambda: np.sort(x3), lambda: np.sort(xd3)),
         "unique 1e6": (lambda: np.unique(x), lambda: np.unique(xd)),
         "median axis0": (lambda: np.median(X, axis=0), lambda: np.median(Xd, axis=0)),
         "quantile 1e6": (lambda: np.quantile(x, 0.3), lambda: np.quantile(xd, 0.3)),
         "x[m] 4e4": (lambda: Z[M], lambda: zd[md]),
         "x[m]=v 4e4": (lambda: Z.__setitem__(M, W), lambda: zd.__setitem__(md, wd)),
         "searchsorted": (lambda: np.searchsorted(s1k, x), lambda: np.searchsorted(s1kd, xd)),
         "nanmedian": (lambda: np.nanmedian(xn), lambda: np.nanmedian(xnd)),
         "histogram": (lambda: np.histogram(x, 50), lambda: np.histogram(xd, 50)),
         "sort axis 0": (lambda: np.sort(X10, axis=0), lambda: np.sort(X10d, axis=0))}
fns = {}
for k, (a, b) in cases.items():
    fns["np " + k] = a; fns["dc " + k] = b
r = interleaved_medians(fns, 7, batch_seconds=0.03)
for k in cases:
    print("%-14s NumPy %9.1f us  dc %9.1f us  %.2fx" % (k, r["np " + k] * 1e6, r["dc " + k] * 1e6, r["np " + k] / r["dc " + k]))
