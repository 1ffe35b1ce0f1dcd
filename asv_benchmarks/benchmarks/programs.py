"""A corpus of small real programs in plain NumPy style, for `np` bound to NumPy or dotcompute.

Each program is a function `f(np, *inputs)` that returns its result (an array, a scalar or a
tuple of them). Its inputs come from `make(size)`: NumPy arrays and scalars from a seeded
generator, the same on every run; `prepare(prog, np, size)` converts the arrays with
`np.asarray`, as a user would, before the program runs. `prog.full` is the size benchmarked
(5-200 ms under NumPy on a 2-core EPYC), `prog.small` the size the correctness tests run.

The programs are written for this corpus, after the kinds of code that lose speed on a
drop-in array (issue 13): Python loops over small arrays and their scalars, stencils on
sliced N-d views, row/column loops of dense linear algebra on slices, broadcasting outer
operations, mixed int/float/complex arithmetic, complex signal processing, image masks,
axis statistics, Monte Carlo with `where`, polynomials, normalisation, and a few large
vectorised computations. This module imports NumPy only to make inputs: the programs use the
`np` they are given.
"""
import math
from dataclasses import dataclass
from typing import Callable

import numpy

SEED = 20261201


@dataclass(frozen=True)
class Program:
    name: str
    kind: str
    func: Callable
    make: Callable
    full: int
    small: int
    rtol: float = 1e-7
    atol: float = 1e-9


PROGRAMS = {}


def program(kind, make, full, small, rtol=1e-7, atol=1e-9):
    """Register the decorated function as a program of the corpus."""
    def register(func):
        PROGRAMS[func.__name__] = Program(func.__name__, kind, func, make, full, small,
                                          rtol, atol)
        return func
    return register


def prepare(prog, np, size):
    """The inputs of `prog` at `size`, arrays converted with `np.asarray`."""
    return tuple(np.asarray(x) if isinstance(x, numpy.ndarray) else x
                 for x in prog.make(size))


def run(prog, np, size):
    """Run `prog` once with module `np` at `size` (inputs included) and return its result."""
    return prog.func(np, *prepare(prog, np, size))


def _rng(k):
    return numpy.random.default_rng(SEED + k)


# ---------------------------------------------------------------- loops over small arrays

def _walk(n):
    return (numpy.cumsum(_rng(1).normal(size=(n, 2)), axis=0),)


@program("loop: rows of an (N, 2) array, dx, dy = p[i] - p[i-1]", _walk, 12_000, 300)
def path_length(np, p):
    total = 0.0
    longest = 0.0
    for i in range(1, len(p)):
        dx, dy = p[i] - p[i - 1]
        step = math.sqrt(dx * dx + dy * dy)
        total += step
        if step > longest:
            longest = step
    return total, longest


@program("loop: iterate rows, np.array([x, y]) of scalars", _walk, 8_000, 300)
def rotate_points(np, p):
    out = np.empty_like(p)
    c, s = math.cos(0.3), math.sin(0.3)
    for i, row in enumerate(p):
        x, y = row
        q = np.array([c * x - s * y, s * x + c * y])
        out[i] = q + 1.0
    return out


def _qam(n):
    rng = _rng(2)
    levels = numpy.array([-7, -5, -3, -1, 1, 3, 5, 7], dtype=float)
    symbols = (levels[:, None] + 1j * levels[None, ::2]).ravel()      # 32 complex points
    sent = symbols[rng.integers(0, 32, n)]
    noise = rng.normal(scale=0.6, size=n) + 1j * rng.normal(scale=0.6, size=n)
    return sent + noise, symbols


@program("loop: np.argmin(abs(E[i] - symbols)**2) over 32 complex values", _qam, 5_000, 200)
def qam_demodulate(np, E, symbols):
    decided = np.zeros(len(E), dtype=np.int64)
    for i in range(len(E)):
        decided[i] = np.argmin(abs(E[i] - symbols) ** 2)
    return decided


def _masks(n):
    rng = _rng(3)
    rows = rng.integers(0, 256, size=(n, 12)).astype(numpy.uint8)
    mask = numpy.array([1, 3, 0, 4, 8, 0, 2, 1, 0, 16, 5, 0], dtype=numpy.uint8)
    rows[::3] |= mask                  # a third of the rows contain the mask
    return rows, mask


@program("loop: (mask == np.bitwise_and(mask, row)).all() per row", _masks, 8_000, 300)
def bitmask_rows(np, rows, mask):
    hits = []
    for i, row in enumerate(rows):
        if (mask == np.bitwise_and(mask, row)).all():
            hits.append(i)
    return np.array(hits, dtype=np.int64)


def _series(n):
    return (_rng(4).normal(size=n).cumsum(),)


@program("loop: scalar indexing and a[i] = v (exponential smoothing, peaks)", _series,
         20_000, 500)
def smooth_series(np, x):
    y = np.empty_like(x)
    y[0] = x[0]
    alpha = 0.1
    peaks = 0
    for i in range(1, len(x)):
        y[i] = alpha * x[i] + (1 - alpha) * y[i - 1]
        if x[i] > y[i] and x[i - 1] <= y[i - 1]:
            peaks += 1
    return y, peaks


def _bodies(n):
    rng = _rng(5)
    return rng.normal(size=(24, 3)), rng.uniform(0.5, 2.0, 24), n


@program("physics: N-body steps, per-particle loops over a (24, 3) array", _bodies, 25, 2)
def nbody(np, pos, mass, steps):
    pos = pos.copy()
    vel = np.zeros_like(pos)
    dt, eps = 0.01, 0.05
    for _ in range(steps):
        acc = np.zeros_like(pos)
        for i in range(len(pos)):
            d = pos - pos[i]
            r2 = (d * d).sum(axis=1) + eps
            acc[i] = (d * (mass / r2 ** 1.5)[:, None]).sum(axis=0)
        vel += dt * acc
        pos += dt * vel
    return pos, vel


def _balls(n):
    rng = _rng(6)
    return rng.uniform(0, 1, size=(8, 2)), rng.normal(scale=0.5, size=(8, 2)), n


@program("physics: bouncing particles, 2-element arrays and scalar tests", _balls, 600, 20)
def bouncing_balls(np, pos, vel, steps):
    pos, vel = pos.copy(), vel.copy()
    g = np.array([0.0, -9.81])
    dt = 0.002
    bounces = 0
    for _ in range(steps):
        for k in range(len(pos)):
            p = pos[k]
            v = vel[k] + g * dt
            p = p + v * dt
            for axis in range(2):
                if p[axis] < 0.0 or p[axis] > 1.0:
                    v[axis] = -0.9 * v[axis]
                    p[axis] = min(max(p[axis], 0.0), 1.0)
                    bounces += 1
            pos[k] = p
            vel[k] = v
    return pos, vel, bounces


def _chain(n):
    return _rng(7).normal(scale=0.1, size=64), n


@program("physics: spring chain, stencil on a 64-element array per step", _chain, 2_500, 50)
def spring_chain(np, x0, steps):
    x = x0.copy()
    v = np.zeros_like(x)
    k, damping, dt = 40.0, 0.02, 0.01
    energy = []
    for _ in range(steps):
        f = np.zeros_like(x)
        f[1:-1] = k * (x[2:] - 2 * x[1:-1] + x[:-2])
        v = (1 - damping) * v + dt * f
        x = x + dt * v
        energy.append(0.5 * (v ** 2).sum())
    return x, np.array(energy)


# ---------------------------------------------------------------- stencils on N-d views

def _rgb(n):
    return (_rng(8).uniform(0, 1, size=(n, n, 3)),)


@program("stencil: abs(4*img[1:-1,1:-1] - img[:-2,1:-1] - ...) on (n, n, 3)", _rgb, 500, 40)
def laplace_edges(np, img):
    lap = abs(4 * img[1:-1, 1:-1] - img[:-2, 1:-1] - img[2:, 1:-1]
              - img[1:-1, :-2] - img[1:-1, 2:])
    edges = lap.sum(axis=2)
    return edges, (edges > 1.5).sum()


def _grid(n):
    g = numpy.zeros((n, n))
    g[0, :] = 1.0
    return (g,)


@program("stencil: Jacobi relaxation on 2-D slices", _grid, 200, 30)
def jacobi(np, g):
    u = g.copy()
    for _ in range(60):
        u[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
    return u


# ---------------------------------------------------------------- dense linear algebra loops

def _syrk(n):
    rng = _rng(9)
    return rng.normal(size=(n, 3 * n // 4)), rng.normal(size=(n, n))


@program("linalg loop: C[i, :i+1] += alpha * A[:i+1, k] * A[i, k]", _syrk, 110, 12)
def syrk_rows(np, A, C):
    C = C.copy()
    alpha, beta = 1.5, 1.2
    for i in range(A.shape[0]):
        C[i, :i + 1] *= beta
        for k in range(A.shape[1]):
            C[i, :i + 1] += alpha * A[:i + 1, k] * A[i, k]
    return C


def _lower(n):
    rng = _rng(10)
    L = numpy.tril(rng.uniform(-1, 1, size=(n, n))) + n * numpy.eye(n)
    return L, rng.normal(size=(n, 4))


@program("linalg loop: x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]", _lower, 1_000, 40)
def triangular_solve(np, L, B):
    n = L.shape[0]
    X = np.zeros_like(B)
    for j in range(B.shape[1]):
        b = B[:, j]
        x = np.zeros(n)
        for i in range(n):
            x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]
        X[:, j] = x
    return X


def _spd(n):
    a = _rng(11).normal(size=(n, n))
    return (a @ a.T + n * numpy.eye(n),)


@program("linalg loop: column Cholesky on slices", _spd, 300, 20)
def cholesky_columns(np, A):
    n = A.shape[0]
    L = np.zeros_like(A)
    for j in range(n):
        L[j, j] = np.sqrt(A[j, j] - L[j, :j] @ L[j, :j])
        L[j + 1:, j] = (A[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return L


def _square(n):
    return (_rng(12).uniform(-1, 1, size=(n, n)) + n * numpy.eye(n),)


@program("linalg loop: LU elimination with outer-product updates", _square, 220, 15)
def lu_outer(np, A):
    A = A.copy()
    n = A.shape[0]
    for k in range(n - 1):
        A[k + 1:, k] /= A[k, k]
        A[k + 1:, k + 1:] -= np.outer(A[k + 1:, k], A[k, k + 1:])
    return A


# ---------------------------------------------------------------- broadcasting, mixed dtypes

def _cloud(n):
    return (_rng(13).uniform(0, 10, size=(n, 3)),)


@program("broadcast: distance matrix X[:, None, :] - X[None, :, :], nearest neighbour",
         _cloud, 500, 40)
def distance_matrix(np, X):
    d = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1))
    d2 = d + np.eye(len(X)) * 1e9
    return d, np.argmin(d2, axis=1), d2.min(axis=1).mean()


def _kde(n):
    rng = _rng(14)
    return rng.normal(size=n), numpy.linspace(-4, 4, n // 2)


@program("broadcast: kernel density, x[:, None] - y[None, :]", _kde, 2_000, 100)
def kernel_density(np, samples, grid):
    h = 0.3
    u = (grid[:, None] - samples[None, :]) / h
    dens = np.exp(-0.5 * u ** 2).sum(axis=1) / (len(samples) * h * math.sqrt(2 * math.pi))
    return dens


def _ints(n):
    return (numpy.arange(n, dtype=numpy.int64),)


@program("mixed: int/float/complex arithmetic, complex abs", _ints, 300_000, 1_000)
def mixed_arithmetic(np, k):
    t = k * 0.001                              # int64 * float -> float64
    z = t + 1j * (k % 7)                       # float + complex
    w = z * z - 2 * z + (k // 3)               # complex with int
    mag = abs(w)                               # complex abs -> float64
    f32 = mag.astype(np.float32) + np.float32(1.5)
    return mag, f32, (k % 5 == 0).sum() + mag.mean()


def _params(n):
    return (n,)


@program("vector: exp(-a*i - b*i**2) at n = 1e5 for 12 parameter pairs", _params, 100_000, 500)
def gaussian_profiles(np, n):
    i = np.arange(n, dtype=np.float64)
    total = np.zeros(n)
    for j in range(12):
        a = 1e-5 * (j + 1)
        b = 1e-10 * (j + 2)
        total += np.exp(-a * i - b * i ** 2)
    return total


# ---------------------------------------------------------------- complex signal processing

def _chirp(n):
    rng = _rng(15)
    return rng.normal(scale=0.5, size=n) + 1j * rng.normal(scale=0.5, size=n), n // 8


@program("signal: complex chirp, matched filter by FFT, magnitude, peak", _chirp, 2 ** 18,
         2 ** 10)
def matched_filter(np, noise, m):
    n = len(noise)
    t = np.arange(m) / m
    chirp = np.exp(1j * np.pi * 200.0 * t ** 2)
    sig = noise.copy()
    sig[n // 3:n // 3 + m] += chirp
    spec = np.fft.fft(sig) * np.conj(np.fft.fft(chirp, n))
    corr = abs(np.fft.ifft(spec))
    return corr, np.argmax(corr)


def _iq(n):
    t = numpy.arange(n) / 1e4
    phase = 2 * numpy.pi * 1_000.0 * t + 0.8 * numpy.sin(2 * numpy.pi * 3.0 * t)
    return numpy.cos(phase) + 0.05 * _rng(16).normal(size=n), t


@program("signal: I/Q mixing exp(-2j*pi*f*t), moving average, phase", _iq, 300_000, 2_000)
def iq_demodulate(np, x, t):
    lo = np.exp(-2j * np.pi * 1_000.0 * t)
    bb = x * lo
    c = np.cumsum(bb)
    w = 32
    avg = (c[w:] - c[:-w]) / w
    phase = np.angle(avg)
    power = (avg.real ** 2 + avg.imag ** 2)
    return phase, power.mean()


@program("complex: Mandelbrot escape counts with masks", lambda n: (n,), 200, 30,
         rtol=0, atol=0)
def mandelbrot(np, n):
    re = np.linspace(-2.0, 0.6, n)
    im = np.linspace(-1.2, 1.2, n)
    c = re[None, :] + 1j * im[:, None]
    z = np.zeros_like(c)
    counts = np.zeros(c.shape, dtype=np.int32)
    for _ in range(30):
        alive = abs(z) <= 2.0
        z[alive] = z[alive] ** 2 + c[alive]
        counts += alive
    return counts


# ---------------------------------------------------------------- images with masks

@program("image: threshold masks, where, boolean assignment, masked mean", _rgb, 600, 40)
def image_masks(np, img):
    gray = img.mean(axis=2)
    bright = gray > 0.6
    dark = gray < 0.2
    out = np.where(bright, gray * 1.2, gray * 0.8)
    out[dark] = 0.0
    out = np.clip(out, 0.0, 1.0)
    return out, gray[bright].mean(), dark.sum()


def _rgb8(n):
    return (_rng(17).integers(0, 256, size=(n, n, 3)).astype(numpy.uint8),)


@program("image: uint8 -> float, gamma, luminance, back to uint8", _rgb8, 500, 40,
         rtol=0, atol=1)
def gamma_luminance(np, img):
    f = img.astype(np.float64) / 255.0
    lin = f ** 2.2
    lum = lin @ np.array([0.2126, 0.7152, 0.0722])
    out = (np.clip(lum, 0.0, 1.0) ** (1 / 2.2) * 255.0 + 0.5).astype(np.uint8)
    return out


# ---------------------------------------------------------------- statistics, Monte Carlo

def _table(n):
    return (_rng(18).normal(loc=3.0, scale=2.0, size=(n, 200)),)


@program("statistics: axis reductions, z-scores, correlation", _table, 4_000, 50)
def column_stats(np, X):
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    Z = (X - mu) / sd
    corr = Z.T @ Z / len(X)
    return (mu, sd, X.min(axis=0), X.max(axis=1), np.argmax(X, axis=1),
            corr, np.median(X, axis=0))


def _prices(n):
    rng = _rng(25)
    return (100.0 * numpy.exp(numpy.cumsum(rng.normal(scale=0.01, size=(n, 24)), axis=0)),)


@program("statistics: running means and z-scores by cumsum along axis 0, drawdown",
         _prices, 20_000, 200)
def running_stats(np, prices):
    w = 20
    logret = np.log(prices[1:] / prices[:-1])
    c = np.cumsum(logret, axis=0)
    c2 = np.cumsum(logret ** 2, axis=0)
    mean = (c[w:] - c[:-w]) / w
    var = (c2[w:] - c2[:-w]) / w - mean ** 2
    z = (logret[w:] - mean) / np.sqrt(np.maximum(var, 1e-12))
    wealth = np.cumprod(1.0 + logret, axis=0)
    peak = np.maximum.accumulate(wealth, axis=0)
    drawdown = (wealth / peak - 1.0).min(axis=0)
    return z, drawdown, np.cumsum(prices[:, 0])[-1]


def _scores(n):
    rng = _rng(28)
    return rng.normal(size=n), numpy.round(rng.gamma(2.0, 10.0, size=n), 1)


@program("statistics: ranks by argsort, quantile bins by searchsorted, histogram, sort",
         _scores, 400_000, 2_000)
def rank_bins(np, x, amounts):
    order = np.argsort(x)
    ranks = np.empty_like(order)
    ranks[order] = np.arange(len(x))
    edges = np.quantile(x, [0.1, 0.25, 0.5, 0.75, 0.9])
    bins = np.searchsorted(edges, x)
    counts, bin_edges = np.histogram(x, bins=40)
    return ranks, bins, counts, bin_edges, np.sort(amounts)[::1000], order[-10:]


def _events(n):
    rng = _rng(29)
    return rng.integers(0, 5000, size=n) * 7919 % 100_003, rng.exponential(size=n)


@program("statistics: group by key, unique with inverse and counts, bincount sums",
         _events, 500_000, 2_000)
def group_means(np, keys, values):
    uniq, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=values)
    means = sums / counts
    first = np.unique(keys, return_index=True)[1]
    return uniq, means, counts, first, uniq[counts > counts.mean()], np.argsort(means)[:20]


def _gaps(n):
    rng = _rng(40)
    x = rng.normal(20.0, 5.0, size=(n, 200))
    x[rng.random((n, 200)) < 0.05] = numpy.nan          # sensor dropouts
    x[: max(n // 50, 1), 7] = numpy.nan                  # a channel dead for a while
    return (x,)


@program("statistics with missing data: NaN-aware means and sums, valid counts per "
         "channel, rows with gaps, outliers by channel", _gaps, 5_000, 20)
def sensor_gaps(np, x):
    col_mean = np.nanmean(x, axis=0)
    valid = (~np.isnan(x)).sum(axis=0)
    gappy = np.isnan(x).any(axis=1)
    total = np.nansum(x)
    overall = np.nanmean(x)
    row_sum = np.nansum(x, axis=1)
    hot = (x > col_mean + 10).any(axis=0)
    return col_mean, valid, gappy.sum(), total, overall, row_sum, hot, np.argmax(valid)


def _walk_steps(n):
    return (_rng(26).integers(0, 2, size=(n, 500)).astype(numpy.int8) * 2 - 1,)


@program("Monte Carlo: integer random walks, cumsum along rows, integer means",
         _walk_steps, 2_000, 50)
def random_walks(np, steps):
    pos = np.cumsum(steps, axis=1)
    final = pos[:, -1]
    returns = (pos == 0).sum(axis=1)
    far = np.abs(pos).max(axis=1)
    return final.mean(), returns.mean(), np.mean(far), (final % 4 == 0).mean(), pos[:, ::50]


def _labels(n):
    return _rng(27).integers(0, 7, size=n * n).astype(numpy.int32), n


@program("integer arithmetic: flat index -> (row, col) by // and %, tiles, parities",
         _labels, 800, 30)
def tile_indices(np, labels, w):
    idx = np.arange(len(labels))
    rows, cols = idx // w, idx % w
    tile = (rows // 16) * ((w + 15) // 16) + cols // 16
    parity = (rows + cols) % 2
    dark = labels[parity == 0].mean()
    light = labels[parity == 1].mean()
    counts = np.bincount(tile, weights=labels)
    return tile % 7, dark, light, counts


def _normals(n):
    return _rng(19).normal(size=n), _rng(20).uniform(size=(2, n))


@program("Monte Carlo: option payoff and pi with where", _normals, 1_000_000, 2_000)
def monte_carlo(np, z, uv):
    s0, k, r, sigma, T = 100.0, 105.0, 0.02, 0.25, 1.0
    s = s0 * np.exp((r - 0.5 * sigma ** 2) * T + sigma * math.sqrt(T) * z)
    payoff = np.where(s > k, s - k, 0.0)
    price = math.exp(-r * T) * payoff.mean()
    u, v = uv[0], uv[1]
    inside = np.where(u * u + v * v <= 1.0, 1.0, 0.0)
    return price, 4.0 * inside.mean(), payoff.std()


def _xs(n):
    return (_rng(21).uniform(-1, 1, size=n),)


@program("polynomial: Horner loop and polyval", _xs, 1_000_000, 1_000)
def polynomial(np, x):
    coeffs = [0.3, -1.2, 0.5, 2.0, -0.7, 0.1, 1.0]
    y = np.zeros_like(x)
    for c in coeffs:
        y = y * x + c
    return y, np.polyval(np.array(coeffs), x)


def _features(n):
    return (_rng(22).uniform(-3, 5, size=(n, 16)),)


@program("normalisation: row L2 norms, min-max per column", _features, 100_000, 100)
def normalise(np, X):
    rows = X / np.sqrt((X ** 2).sum(axis=1))[:, None]
    lo, hi = X.min(axis=0), X.max(axis=0)
    scaled = (X - lo) / (hi - lo)
    return rows, scaled


def _logits(n):
    return (_rng(23).normal(scale=3.0, size=(n, 500)).astype(numpy.float32),)


@program("vector: float32 softmax over rows", _logits, 4_000, 20, rtol=1e-5, atol=1e-7)
def softmax(np, logits):
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    return e / e.sum(axis=1, keepdims=True)


def _big(n):
    rng = _rng(24)
    return rng.uniform(0.1, 1, size=n), rng.uniform(0.1, 1, size=n)


@program("vector: large arrays, axpy, hypot-like norm, sum, log", _big, 4_000_000, 4_000)
def large_vector(np, x, y):
    y = np.float64(2.5) * x + y
    r = np.sqrt(x * x + y * y)
    return r.sum(), np.log(r).max(), (r > 1.5).sum()


@program("vector: large float32 transcendental pipeline", _big, 3_000_000, 3_000,
         rtol=1e-5, atol=1e-6)
def large_float32(np, x, y):
    a = x.astype(np.float32)
    b = y.astype(np.float32)
    s = np.sin(a) * np.tanh(b) + np.exp(-a)
    return s, s.sum(dtype=np.float64)


# ------------------------------------------------ session 26: more kinds of programs
# Cellular automata by np.roll, PDE stencils on slices, k-means, logistic regression,
# a sieve by strided assignment, image histograms, dynamic programming, moving windows,
# particle deposits, cross-entropy.

def _grid(n):
    return ((_rng(60).random((n, n)) < 0.3).astype(numpy.int8),)


@program("cellular automaton: Game of Life by np.roll neighbour sums", _grid, 200, 20)
def game_of_life(np, g):
    for _ in range(20):
        nb = sum(np.roll(np.roll(g, i, 0), j, 1)
                 for i in (-1, 0, 1) for j in (-1, 0, 1) if (i, j) != (0, 0))
        g = ((nb == 3) | ((g == 1) & (nb == 2))).astype(np.int8)
    return g, g.sum()


def _rod(n):
    return (numpy.sin(numpy.linspace(0, numpy.pi, n)) + _rng(41).random(n) * 0.1,)


@program("PDE: explicit 1-D heat equation on slices, 1000 steps", _rod, 2000, 50)
def heat_1d(np, u):
    u = u.copy()
    r = 0.4
    for _ in range(1000):
        u[1:-1] = u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2])
    return u, u.max(), np.argmax(u)


def _pts(n):
    centres = numpy.repeat(_rng(43).normal(size=(5, 2)) * 4, n // 5, axis=0)
    return (_rng(42).normal(size=(n, 2)) + centres,)


@program("clustering: k-means by broadcasting, argmin, masked means", _pts, 5000, 100)
def kmeans(np, X):
    k = 5
    cent = X[:k * (len(X) // k):len(X) // k][:k].copy()
    for _ in range(10):
        d = ((X[:, None, :] - cent[None, :, :]) ** 2).sum(axis=2)
        lab = np.argmin(d, axis=1)
        new = np.array([X[lab == j].mean(axis=0) for j in range(k)])
        if np.allclose(new, cent):
            break
        cent = new
    return cent, lab


def _logit(n):
    X = _rng(44).normal(size=(n, 20)); w = _rng(45).normal(size=20)
    y = (X @ w + _rng(46).normal(size=n) > 0).astype(numpy.float64)
    return X, y


@program("ML: logistic regression by gradient descent, sigmoid, log loss", _logit, 20000, 200)
def logistic(np, X, y):
    w = np.zeros(X.shape[1])
    for _ in range(30):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        g = X.T @ (p - y) / len(y)
        w -= 0.5 * g
    p = np.clip(p, 1e-12, 1 - 1e-12)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return w, loss


@program("number theory: sieve of Eratosthenes by strided slice assignment",
         lambda n: (n,), 2_000_000, 1000)
def sieve(np, n):
    s = np.ones(n + 1, dtype=bool)
    s[:2] = False
    for i in range(2, int(n ** 0.5) + 1):
        if s[i]:
            s[i * i::i] = False
    pr = np.nonzero(s)[0]
    return pr.size, pr[-10:], np.diff(pr).max()


def _img(n):
    return (((_rng(47).random((n, n)) ** 2) * 255).astype(numpy.uint8),)


@program("image: histogram equalisation, 3x3 box blur, gradient magnitude", _img, 600, 30,
         rtol=1e-5, atol=1e-5)
def equalise(np, img):
    hist = np.bincount(img.ravel(), minlength=256)
    cdf = np.cumsum(hist).astype(np.float64)
    cdf = (cdf - cdf.min()) / (cdf.max() - cdf.min()) * 255
    eq = cdf[img].astype(np.uint8)
    f = eq.astype(np.float32)
    blur = (f[:-2, :-2] + f[:-2, 1:-1] + f[:-2, 2:] + f[1:-1, :-2] + f[1:-1, 1:-1]
            + f[1:-1, 2:] + f[2:, :-2] + f[2:, 1:-1] + f[2:, 2:]) / 9
    gx, gy = np.gradient(blur)
    mag = np.hypot(gx, gy)
    return eq, mag.mean(), (mag > 20).sum()


def _seq(n):
    return (_rng(49).integers(0, 4, n).astype(numpy.int64),
            _rng(50).integers(0, 4, n).astype(numpy.int64))


@program("dynamic programming: edit distance row by row with np.minimum", _seq, 600, 30)
def edit_distance(np, a, b):
    prev = np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        cur = np.empty_like(prev)
        cur[0] = i
        sub = prev[:-1] + (a[i - 1] != b)
        cur[1:] = np.minimum(sub, prev[1:] + 1)
        for j in range(1, len(b) + 1):   # insertion chain
            if cur[j - 1] + 1 < cur[j]:
                cur[j] = cur[j - 1] + 1
        prev = cur
    return prev[-1]


def _sig(n):
    return (numpy.cumsum(_rng(51).normal(size=n)),)


@program("signal: moving averages by convolve, local extrema, z-score windows", _sig, 200_000, 500)
def moving_window(np, x):
    k = 25
    ma = np.convolve(x, np.ones(k) / k, mode="valid")
    c = np.cumsum(np.insert(x, 0, 0.0))
    ma2 = (c[k:] - c[:-k]) / k
    up = (x[1:-1] > x[:-2]) & (x[1:-1] > x[2:])
    peaks = np.flatnonzero(up) + 1
    z = (x - x.mean()) / x.std()
    return ma, ma2, peaks.size, np.percentile(z, [5, 50, 95])


def _dep(n):
    return _rng(52).random(n) * 100, _rng(53).random(n)


@program("particles: deposit on a grid by floor, astype, bincount and add.at", _dep, 1_000_000, 500)
def deposit(np, x, q):
    cell = np.floor(x).astype(np.int64)
    rho = np.bincount(cell, weights=q, minlength=100)
    rho2 = np.zeros(100)
    np.add.at(rho2, cell, q)
    frac = x - cell
    left = np.bincount(cell, weights=q * (1 - frac), minlength=101)
    return rho, rho2, left, np.abs(rho - rho2).max()


def _ohe(n):
    return _rng(54).normal(size=(n, 10)).astype(numpy.float32), _rng(55).integers(0, 10, n)


@program("ML: logsumexp, one-hot labels, cross-entropy, accuracy", _ohe, 50_000, 100,
         rtol=1e-5, atol=1e-6)
def cross_entropy(np, z, lab):
    m = z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    onehot = np.zeros_like(z)
    onehot[np.arange(len(lab)), lab] = 1
    ce = (lse - (z * onehot).sum(axis=1)).mean()
    acc = (np.argmax(z, axis=1) == lab).mean()
    top2 = np.argsort(z, axis=1)[:, -2:]
    return ce, acc, top2


# Small-vector physics (3x3 rotations, cross products), piecewise functions, rankings,
# a 2-D wave equation in float32, polynomial fits, small linear systems, run-length
# encoding, phase tracking of a complex signal, 2-D histograms.

def _bodies(n):
    return _rng(70).normal(size=(n, 3)), _rng(71).normal(size=(n, 3))


@program("rigid bodies: 3x3 rotations, cross products and norms per body in a loop",
         _bodies, 2000, 50)
def rigid_bodies(np, pos, vel):
    out = 0.0
    th = 0.01
    R = np.array([[np.cos(th), -np.sin(th), 0.0], [np.sin(th), np.cos(th), 0.0], [0.0, 0.0, 1.0]])
    for i in range(len(pos)):
        p = R @ pos[i]
        L = np.cross(p, vel[i])
        out += np.linalg.norm(L) + np.dot(p, vel[i])
    return out


def _piece(n):
    return (_rng(72).normal(size=n) * 3,)


@program("piecewise: np.select, np.piecewise, nested where, clip", _piece, 500_000, 500)
def piecewise(np, x):
    a = np.select([x < -1, x < 1, x >= 1],
                  [-1 - (x + 1) ** 2, x, 1 + np.log(np.maximum(x, 1.0))], default=0.0)
    b = np.piecewise(x, [x < 0, x >= 0], [lambda v: v * v, lambda v: np.sqrt(v)])
    c = np.where(x > 2, 2.0, np.where(x < -2, -2.0, x))
    return a, b, c, np.clip(x, -1.5, 1.5).sum()


def _scores(n):
    return (_rng(73).normal(size=(n, 40)),)


@program("ranking: argsort along rows, take_along_axis, top-k, count_nonzero", _scores, 20000, 50)
def topk(np, s):
    order = np.argsort(s, axis=1)
    top = np.take_along_axis(s, order[:, -5:], axis=1)
    ranks = np.argsort(order, axis=1)
    hits = np.count_nonzero(s > 1.5, axis=1)
    best = np.argmax(s, axis=1)
    return top, ranks[:, 0], hits, np.bincount(best, minlength=40)


def _wave(n):
    x = numpy.linspace(-1, 1, n)
    return (numpy.exp(-50 * (x[:, None] ** 2 + x[None, :] ** 2)).astype(numpy.float32),)


@program("PDE: 2-D wave equation on float32 slices, 60 steps", _wave, 256, 16, rtol=1e-4,
         atol=1e-5)
def wave_2d(np, u0):
    u = u0.copy(); up = u0.copy()
    c = np.float32(0.2)
    for _ in range(60):
        lap = np.zeros_like(u)
        lap[1:-1, 1:-1] = (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2]
                           - 4 * u[1:-1, 1:-1])
        un = 2 * u - up + c * lap
        up, u = u, un
    return u, np.abs(u).max()


def _pts2(n):
    x = _rng(74).random(n) * 10
    return x, 3 * x ** 2 - 2 * x + 1 + _rng(75).normal(size=n)


@program("fitting: polyfit, polyval, vander least squares, residuals", _pts2, 200_000, 100,
         rtol=1e-6)
def polyfit(np, x, y):
    c = np.polyfit(x, y, 2)
    r = y - np.polyval(c, x)
    V = np.vander(x[:2000], 4)
    sol = np.linalg.lstsq(V, y[:2000], rcond=None)[0]
    return c, r.std(), sol, np.sqrt(np.mean(r ** 2))


def _sys(n):
    return _rng(76).normal(size=(n, 4, 4)) + numpy.eye(4) * 4, _rng(77).normal(size=(n, 4))


@program("small systems: np.linalg.solve of 4x4 systems in a loop and batched", _sys, 2000, 20)
def small_solve(np, A, b):
    xs = np.empty_like(b)
    for i in range(len(A)):
        xs[i] = np.linalg.solve(A[i], b[i])
    xb = np.linalg.solve(A, b[..., None])[..., 0]
    return xs, np.abs(xs - xb).max(), np.linalg.det(A[:10])


def _runs(n):
    return (numpy.repeat(_rng(78).integers(0, 5, n // 10), _rng(79).integers(1, 20, n // 10))[:n],)


@program("run-length encoding: diff, flatnonzero, concatenate, repeat back", _runs, 1_000_000, 1000)
def rle(np, x):
    change = np.flatnonzero(np.diff(x)) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [len(x)])))
    values = x[starts]
    back = np.repeat(values, lengths)
    return values, lengths, np.array_equal(back, x), lengths.max()


def _phase(n):
    t = numpy.linspace(0, 40, n)
    return (numpy.exp(1j * (t ** 1.5)) * (1 + 0.1 * _rng(80).normal(size=n)),)


@program("complex: angle, unwrap, instantaneous frequency, magnitude in dB", _phase, 300_000, 300)
def phase_track(np, z):
    ph = np.unwrap(np.angle(z))
    f = np.diff(ph) / (2 * np.pi)
    db = 20 * np.log10(np.abs(z) + 1e-12)
    return ph[-1], f.mean(), db.max(), np.conj(z[:100]) * z[:100]


def _grid2(n):
    return _rng(81).random(n), _rng(82).random(n)


@program("2-D histograms and digitize: histogram2d, digitize, outer add", _grid2, 500_000, 500)
def hist2d(np, x, y):
    H, xe, ye = np.histogram2d(x, y, bins=32)
    ix = np.digitize(x, xe[1:-1])
    tab = np.add.outer(np.arange(8.0), np.arange(8.0))
    return H, np.bincount(ix, minlength=32), tab.sum(), np.outer(xe, ye).max()


# Morphology on a padded image, drawdowns, point in polygon, an Ising model, spectra of
# windowed frames, segment reductions.

def _img2(n):
    return ((_rng(90).random((n, n)) > 0.4).astype(numpy.uint8),)


@program("morphology: erosion and dilation by shifted slices of a padded image", _img2, 1500, 20)
def morphology(np, img):
    p = np.pad(img, 1)
    er = p[1:-1, 1:-1].copy()
    di = p[1:-1, 1:-1].copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            s = p[1 + dy:p.shape[0] - 1 + dy, 1 + dx:p.shape[1] - 1 + dx]
            er = np.minimum(er, s)
            di = np.maximum(di, s)
    edge = di - er
    return er.sum(), di.sum(), np.count_nonzero(edge), edge


def _prices(n):
    return (numpy.exp(numpy.cumsum(_rng(91).normal(0, 0.01, size=(n, 8)), axis=0)) * 100,)


@program("finance: returns, cumprod, drawdown by maximum.accumulate, rolling volatility",
         _prices, 50_000, 100)
def drawdown(np, px):
    r = px[1:] / px[:-1] - 1
    growth = np.cumprod(1 + r, axis=0)
    peak = np.maximum.accumulate(growth, axis=0)
    dd = growth / peak - 1
    w = np.lib.stride_tricks.sliding_window_view(r[:, 0], 20)
    vol = w.std(axis=1)
    return dd.min(axis=0), growth[-1], vol.max(), np.argmin(dd, axis=0)


def _poly(n):
    t = numpy.linspace(0, 2 * numpy.pi, 40, endpoint=False)
    rad = 1 + 0.3 * numpy.sin(5 * t)
    poly = numpy.stack([numpy.cos(t) * rad, numpy.sin(t) * rad], axis=1)
    return poly, _rng(92).uniform(-1.5, 1.5, size=(n, 2))


@program("geometry: point in polygon by broadcast crossing tests", _poly, 20_000, 50)
def point_in_polygon(np, poly, pts):
    x, y = pts[:, 0:1], pts[:, 1:2]
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    cond = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = (x1 - x0) * (y - y0) / (y1 - y0) + x0
    inside = (cond & (x < xint)).sum(axis=1) % 2 == 1
    return inside, inside.mean()


def _spins(n):
    return (numpy.where(_rng(93).random((n, n)) < 0.5, -1, 1).astype(numpy.int8),
            _rng(94).random((30, n, n)))


@program("simulation: Ising model, checkerboard Metropolis sweeps with roll and where",
         _spins, 128, 8)
def ising(np, s, u):
    beta = 0.44
    i, j = np.indices(s.shape)
    board = (i + j) % 2 == 0
    for step in range(30):
        for colour in (board, ~board):
            nb = np.roll(s, 1, 0) + np.roll(s, -1, 0) + np.roll(s, 1, 1) + np.roll(s, -1, 1)
            dE = 2 * s * nb
            flip = colour & ((dE <= 0) | (u[step] < np.exp(-beta * dE)))
            s = np.where(flip, -s, s)
    return s.mean(), s


def _wins(n):
    t = numpy.arange(n) / 1000.0
    tone = numpy.sin(2 * numpy.pi * 50 * t) + 0.5 * numpy.sin(2 * numpy.pi * 120 * t)
    return (tone + _rng(95).normal(size=n),)


@program("spectra: Hann windows, rfft per frame, power, peak bins", _wins, 2_560_000, 1024,
         rtol=1e-6)
def spectra(np, x):
    frame = 256
    k = len(x) // frame
    fr = x[:k * frame].reshape(k, frame) * np.hanning(frame)
    P = np.abs(np.fft.rfft(fr, axis=1)) ** 2
    peaks = np.argmax(P[:, 1:], axis=1) + 1
    return P.mean(axis=0), np.bincount(peaks, minlength=frame // 2 + 1), 10 * np.log10(P.max())


def _segs(n):
    return _rng(96).random(n), numpy.sort(_rng(97).integers(0, n, n // 100))


@program("segments: add.reduceat, searchsorted bins, einsum row dots", _segs, 1_000_000, 1000)
def segments(np, x, cuts):
    cuts = np.unique(cuts)
    sums = np.add.reduceat(x, cuts)
    maxs = np.maximum.reduceat(x, cuts)
    idx = np.searchsorted(cuts, np.arange(0, len(x), 97), side="right")
    X = x[: (len(x) // 4) * 4].reshape(-1, 4)
    rd = np.einsum("ij,ij->i", X, X)
    return sums, maxs, idx, rd.sum()


# Python loops over small arrays again: growing arrays by np.append, nearest neighbours by
# linalg.norm, per-row allclose / isclose, 2x2 transfer matrices, sliding slices, random
# steps.

def _samples(n):
    return (_rng(100).normal(size=n),)


@program("loop: growing arrays by np.append, running mean and std of a window", _samples,
         3000, 100)
def append_loop(np, x):
    acc = np.array([])
    means = []
    for i in range(len(x)):
        acc = np.append(acc, x[i])
        if len(acc) > 50:
            acc = acc[1:]
        means.append((np.mean(acc), np.std(acc)))
    return np.array(means)


def _nn(n):
    return _rng(101).normal(size=(n, 4)), _rng(102).normal(size=(40, 4))


@program("loop: brute-force nearest neighbour with linalg.norm of small differences", _nn,
         300, 20)
def nearest_loop(np, pts, cent):
    best = []
    for p in pts:
        d = [np.linalg.norm(p - c) for c in cent]
        best.append(int(np.argmin(d)))
    return np.array(best)


def _rows(n):
    return (_rng(103).normal(size=(n, 8)),)


@program("loop: stack rows into a list, vstack, per-row isclose / allclose tests", _rows,
         4000, 50)
def row_tests(np, X):
    keep = []
    ref = X[0]
    for row in X:
        if not np.allclose(row, ref, atol=0.5) and (row > 0).any():
            keep.append(row * 2)
        near = np.isclose(row, 0.0, atol=0.1).sum()
        if near > 2:
            keep.append(row)
    return np.vstack(keep), len(keep)


def _layers(n):
    return (_rng(104).uniform(1, 2, size=n), _rng(105).uniform(0.1, 1, size=n))


@program("loop: 2x2 transfer matrices multiplied in a Python loop (optics)", _layers,
         5000, 50)
def transfer_matrix(np, nidx, d):
    M = np.eye(2, dtype=complex)
    k = 2 * np.pi / 0.5
    for ni, di in zip(nidx, d):
        ph = k * ni * di
        L = np.array([[np.cos(ph), 1j * np.sin(ph) / ni],
                      [1j * ni * np.sin(ph), np.cos(ph)]])
        M = M @ L
        M /= np.abs(M).max()
    return M, np.abs(M[0, 0]) ** 2


def _series(n):
    return (numpy.cumsum(_rng(106).normal(size=n)),)


@program("loop: sliding sums and extrema over slices in a Python loop", _series, 20000,
         100)
def sliding_loop(np, x):
    w = 32
    out = np.empty(len(x) - w)
    hi = np.empty(len(x) - w)
    for i in range(len(x) - w):
        s = x[i:i + w]
        out[i] = s.sum()
        hi[i] = s.max() - s.min()
    return out, hi


def _rand(n):
    return (n,)


@program("Monte Carlo: random walkers stepped with np.random in a Python loop", _rand,
         2000, 20)
def random_loop(np, n):
    rng = np.random.default_rng(7)
    pos = np.zeros((64, 2))
    for _ in range(n):
        step = rng.normal(size=(64, 2))
        pos += step * 0.1
        out = np.linalg.norm(pos, axis=1) > 3
        pos[out] *= 0.5
    return pos


# Covariance and eigen-decomposition, functions on a meshgrid, integer hashing, float32
# colour conversion, quaternions.

def _ts(n):
    return (_rng(110).normal(size=(n, 12)).cumsum(axis=0),)


@program("statistics: covariance, corrcoef, standardisation, eigen-decomposition", _ts,
         100_000, 100)
def pca(np, X):
    Xc = X - X.mean(axis=0)
    C = np.cov(Xc, rowvar=False)
    R = np.corrcoef(X, rowvar=False)
    w, V = np.linalg.eigh(C)
    proj = Xc @ V[:, -3:]
    return w, np.abs(R).mean(), proj.std(axis=0)


def _grid3(n):
    return (n,)


@program("meshgrid: evaluate a 2-D function on a grid, gradient, contour masks", _grid3,
         1000, 20)
def meshgrid_eval(np, n):
    x = np.linspace(-3, 3, n)
    X, Y = np.meshgrid(x, x)
    Z = np.exp(-(X ** 2 + Y ** 2)) * np.cos(3 * X) + 0.1 * X * Y
    gy, gx = np.gradient(Z, x, x)
    level = (Z > 0.2) & (np.hypot(gx, gy) < 1.0)
    return Z.max(), np.argmax(Z), level.sum(), np.trapezoid(np.trapezoid(Z, x), x)


def _ints(n):
    return (_rng(111).integers(0, 2 ** 31, size=n, dtype=numpy.int64),)


@program("hashing: integer mixing by shifts, xor and multiply, bucket counts", _ints,
         1_000_000, 1000)
def int_hash(np, k):
    h = k.astype(np.uint64)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xff51afd7ed558ccd)
    h ^= h >> np.uint64(33)
    b = (h % np.uint64(1024)).astype(np.int64)
    counts = np.bincount(b, minlength=1024)
    return counts.max(), counts.min(), (h & np.uint64(0xffff)).sum()


def _f32img(n):
    return (_rng(112).random((n, n, 3)).astype(numpy.float32),)


@program("image: float32 colour conversion, per-channel normalisation, gamma, clipping",
         _f32img, 700, 16, rtol=1e-5, atol=1e-6)
def colour(np, img):
    M = np.array([[0.299, 0.587, 0.114], [-0.169, -0.331, 0.5], [0.5, -0.419, -0.081]],
                 dtype=np.float32)
    yuv = img @ M.T
    mean = yuv.mean(axis=(0, 1))
    std = yuv.std(axis=(0, 1))
    norm = (yuv - mean) / std
    g = np.clip(img, 0, 1) ** np.float32(1 / 2.2)
    return norm.max(), g.mean(axis=2), np.percentile(yuv[..., 0], 90)


def _q(n):
    return (_rng(113).normal(size=(n, 4)),)


@program("quaternions: normalise, multiply and rotate vectors with broadcasting", _q,
         200_000, 100)
def quaternions(np, q):
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    w1, x1, y1, z1 = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    r = q[::-1]
    w2, x2, y2, z2 = r[:, 0], r[:, 1], r[:, 2], r[:, 3]
    prod = np.stack([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
                     w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                     w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2], axis=1)
    v = np.array([1.0, 0.0, 0.0])
    t = 2 * np.cross(q[:, 1:], v)
    rot = v + q[:, :1] * t + np.cross(q[:, 1:], t)
    return prod, rot.sum(axis=0), np.abs(np.linalg.norm(prod, axis=1) - 1).max()


# ---- 26 programs written in session 27 (a Kalman filter, bisection on scalars, ODEs, ...)


def _lorenz(n):
    return (numpy.array([1.0, 1.0, 1.0]), n)


@program("ODE: RK4 on the Lorenz system, 3-vectors in a Python loop", _lorenz, 3000, 50)
def rk4_lorenz(np, y0, n):
    def f(y):
        return np.array([10.0 * (y[1] - y[0]), y[0] * (28.0 - y[2]) - y[1],
                         y[0] * y[1] - 8.0 / 3.0 * y[2]])
    h = 0.005
    y = y0.copy()
    out = np.empty((n, 3))
    for i in range(n):
        k1 = f(y)
        k2 = f(y + 0.5 * h * k1)
        k3 = f(y + 0.5 * h * k2)
        k4 = f(y + h * k3)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        out[i] = y
    return out, out.max(axis=0)


def _noisy(n):
    t = numpy.linspace(0, 20, n)
    return (numpy.sin(t) + 0.3 * _rng(200).normal(size=n),)


@program("signal: Savitzky-Golay coefficients by pinv(vander), convolve, derivative", _noisy,
         500_000, 400)
def savgol(np, y):
    out = []
    for w in (11, 21, 31):
        half = w // 2
        x = np.arange(-half, half + 1, dtype=float)
        A = np.vander(x, 4, increasing=True)
        coef = np.linalg.pinv(A)
        smooth = np.convolve(y, coef[0][::-1], mode="same")
        deriv = np.convolve(y, coef[1][::-1], mode="same")
        out.append((smooth[half:-half].std(), np.abs(deriv).max()))
    return np.array(out)


def _curve(n):
    x = numpy.sort(_rng(201).uniform(0, 10, n))
    return x, numpy.exp(-0.3 * x) * numpy.cos(2 * x)


@program("integration: cumulative trapezoid by diff/cumsum, interp at query points", _curve,
         1_000_000, 500)
def cumtrapz(np, x, y):
    dx = np.diff(x)
    area = np.concatenate(([0.0], np.cumsum(0.5 * dx * (y[1:] + y[:-1]))))
    q = np.linspace(x[0], x[-1], 1000)
    aq = np.interp(q, x, area)
    mid = 0.5 * (x[1:] + x[:-1])
    simpson_like = np.sum(dx * (y[:-1] + 4 * np.interp(mid, x, y) + y[1:]) / 6)
    return area[-1], aq, simpson_like, np.trapezoid(y, x)


def _ls(n):
    X = _rng(202).normal(size=(n, 6))
    w = numpy.array([1.0, -2.0, 0.5, 0.0, 3.0, -1.0])
    return X, X @ w + 0.1 * _rng(203).normal(size=n)


@program("optimisation: gradient descent with momentum on least squares, 300 steps", _ls,
         5000, 50)
def gd_lstsq(np, X, y):
    n, d = X.shape
    w = np.zeros(d)
    v = np.zeros(d)
    lr = 0.1
    losses = []
    for it in range(300):
        r = X @ w - y
        g = X.T @ r / n
        v = 0.9 * v - lr * g
        w = w + v
        if it % 10 == 0:
            losses.append(float(r @ r) / n)
        if np.linalg.norm(g) < 1e-10:
            break
    return w, np.array(losses)


def _newton(n):
    return (n,)


@program("complex: Newton fractal for z**3 - 1, vectorised iteration with masks", _newton,
         300, 20, rtol=1e-6, atol=1e-8)
def newton_fractal(np, n):
    x = np.linspace(-1.5, 1.5, n)
    z = x[None, :] + 1j * x[:, None]
    z = z + 1e-9
    roots = np.exp(2j * np.pi * np.arange(3) / 3)
    for _ in range(25):
        dz = (z ** 3 - 1) / (3 * z ** 2)
        z = z - dz
    which = np.argmin(np.abs(z[..., None] - roots), axis=-1)
    conv = np.min(np.abs(z[..., None] - roots), axis=-1) < 1e-6
    return np.bincount(which.ravel(), minlength=3), conv.mean()


def _bil(n):
    return _rng(204).random((300, 400)), _rng(205).uniform(-5, 405, size=(n, 2))


@program("interpolation: bilinear lookup on a grid with floor, clip and fancy indexing", _bil,
         500_000, 300)
def bilinear(np, img, pts):
    h, w = img.shape
    x = np.clip(pts[:, 0], 0, w - 1.001)
    y = np.clip(pts[:, 1] * 0.7, 0, h - 1.001)
    x0 = np.floor(x).astype(np.intp)
    y0 = np.floor(y).astype(np.intp)
    fx = x - x0
    fy = y - y0
    v = (img[y0, x0] * (1 - fx) * (1 - fy) + img[y0, x0 + 1] * fx * (1 - fy)
         + img[y0 + 1, x0] * (1 - fx) * fy + img[y0 + 1, x0 + 1] * fx * fy)
    return v, v.mean()


def _track(n):
    t = numpy.arange(n) * 0.1
    truth = numpy.stack([numpy.cos(t) * 10, numpy.sin(t) * 10], axis=1)
    return (truth + _rng(206).normal(scale=0.5, size=(n, 2)),)


@program("tracking: 4-state Kalman filter, 4x4 matrices and inv in a Python loop", _track,
         1500, 40)
def kalman(np, z):
    dt = 0.1
    F = np.array([[1, 0, dt, 0], [0, 1, 0, dt], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    H = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    Q = np.eye(4) * 0.01
    R = np.eye(2) * 0.25
    x = np.zeros(4)
    P = np.eye(4) * 10
    est = np.zeros((len(z), 4))
    for i in range(len(z)):
        x = F @ x
        P = F @ P @ F.T + Q
        S = H @ P @ H.T + R
        K = P @ H.T @ np.linalg.inv(S)
        x = x + K @ (z[i] - H @ x)
        P = (np.eye(4) - K @ H) @ P
        est[i] = x
    return est, np.trace(P)


def _dft(n):
    return (_rng(207).normal(size=(n, 64)).astype(numpy.complex64),)


@program("signal: DFT of 64-sample frames by a complex64 matrix, magnitude, peak bins", _dft,
         20_000, 20, rtol=2e-4, atol=1e-4)
def dft_matrix(np, frames):
    N = frames.shape[1]
    k = np.arange(N)
    W = np.exp(-2j * np.pi * np.outer(k, k) / N).astype(np.complex64)
    spec = frames @ W.T
    mag = np.abs(spec)
    peak = np.argmax(mag[:, 1:N // 2], axis=1) + 1
    power = (spec.real ** 2 + spec.imag ** 2).mean(axis=0)
    back = (spec @ np.conj(W)) / N
    return np.bincount(peak, minlength=N // 2), power, np.abs(back - frames).max() < 1e-3


def _join(n):
    r = _rng(208)
    return (r.integers(0, 4 * n, size=n), r.normal(size=n),
            r.integers(0, 4 * n, size=n // 2), r.normal(size=n // 2))


@program("relational: sort + searchsorted join, isin, intersect1d, unique", _join, 100_000,
         200)
def sorted_join(np, ka, va, kb, vb):
    ua, ia = np.unique(ka, return_index=True)
    order = np.argsort(kb, kind="stable")
    kbs = kb[order]
    pos = np.searchsorted(kbs, ua)
    pos = np.minimum(pos, len(kbs) - 1)
    hit = kbs[pos] == ua
    joined = va[ia[hit]] + vb[order[pos[hit]]]
    common = np.intersect1d(ka, kb)
    inb = np.isin(ka, kb)
    return joined.sum(), hit.sum(), len(common), inb.sum()


def _osc(n):
    t = numpy.linspace(0, 200, n)
    return t, numpy.sin(t * (1 + 0.01 * t)) + 0.05 * _rng(209).normal(size=n)


@program("events: zero crossings by diff(sign), interpolated crossing times, periods", _osc,
         2_000_000, 1000)
def crossings(np, t, x):
    s = np.sign(x)
    s[s == 0] = 1
    idx = np.flatnonzero(np.diff(s) != 0)
    t0 = t[idx] - x[idx] * (t[idx + 1] - t[idx]) / (x[idx + 1] - x[idx])
    periods = np.diff(t0[::2])
    rising = idx[s[idx] < 0]
    return len(idx), periods.mean(), periods.std(), rising[:10]


def _audio(n):
    t = numpy.arange(n) / 44100
    sig = 0.8 * numpy.sin(2 * numpy.pi * 440 * t) + 0.3 * _rng(210).normal(size=n)
    return (numpy.clip(sig * 32767, -32768, 32767).astype(numpy.int16),)


@program("audio: int16 gain, clip, round, requantise to 8 bits, mu-law", _audio, 2_000_000,
         1000, rtol=1e-6, atol=1e-6)
def quantise(np, pcm):
    x = pcm.astype(np.float32) / np.float32(32768)
    y = np.clip(x * np.float32(1.5), -1, 1)
    q16 = np.round(y * 32767).astype(np.int16)
    q8 = (q16 >> 8).astype(np.int8)
    u8 = (q8.astype(np.int16) + 128).astype(np.uint8)
    mu = np.float32(255)
    enc = np.sign(y) * np.log1p(mu * np.abs(y)) / np.log1p(mu)
    clipped = np.count_nonzero(np.abs(q16) >= 32767)
    return (u8[:100], np.bincount(u8, minlength=256), enc.mean(), clipped,
            q16.astype(np.int64).sum())


def _cube(n):
    return (_rng(211).normal(size=(n, 60, 50)),)


@program("statistics: mean/var/std/median/percentile over axes of a 3-D array", _cube, 300, 6)
def cube_stats(np, a):
    m0 = a.mean(axis=0)
    v1 = a.var(axis=1, ddof=1)
    s2 = a.std(axis=2, keepdims=True)
    z = (a - a.mean(axis=2, keepdims=True)) / s2
    med = np.median(a, axis=0)
    p = np.percentile(a, [5, 95], axis=2)
    mx = a.max(axis=(1, 2))
    return m0, v1, z[0], med, p, mx


def _img8(n):
    return (_rng(212).random((n, n)) * 255,)


@program("image compression: 8x8 blocks by reshape/transpose, DCT by einsum, quantise", _img8,
         512, 32, rtol=1e-6, atol=1e-6)
def block_dct(np, img):
    n = img.shape[0]
    k = np.arange(8)
    D = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / 16) * np.sqrt(2 / 8)
    D[0] /= np.sqrt(2)
    blocks = (img - 128).reshape(n // 8, 8, n // 8, 8).transpose(0, 2, 1, 3)
    coef = np.einsum("ij,abjk,lk->abil", D, blocks, D)
    Qm = 1 + (k[:, None] + k[None, :]) * 2
    q = np.round(coef / Qm)
    rec = np.einsum("ji,abjk,kl->abil", D, q * Qm, D)
    out = (rec.transpose(0, 2, 1, 3).reshape(n, n) + 128).clip(0, 255)
    return np.count_nonzero(q), np.abs(out - img).mean(), out[:8, :8]


def _frames(n):
    r = _rng(213)
    return r.normal(size=(n, 3, 3)), r.normal(size=(n, 3))


@program("batched 3x3 algebra: einsum matvec, matmul stacks, det, trace, transpose", _frames,
         200_000, 50)
def batched3(np, M, v):
    Mv = np.einsum("nij,nj->ni", M, v)
    MtM = np.matmul(np.transpose(M, (0, 2, 1)), M)
    tr = np.einsum("nii->n", MtM)
    det = np.linalg.det(M)
    quad = np.einsum("ni,nij,nj->n", v, M, v)
    sym = 0.5 * (M + M.swapaxes(1, 2))
    return Mv.sum(axis=0), tr.mean(), np.sign(det).sum(), quad[:10], sym[:3]


def _params2(n):
    return (_rng(214).uniform(0.5, 3.0, size=n),)


@program("scalars: bisection root finding with 0-d arrays, np.float64 and np functions", _params2,
         400, 5)
def bisect_scalars(np, ks):
    roots = []
    for k in ks:
        lo, hi = np.float64(0.0), np.float64(5.0)
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            fm = np.exp(-mid) * k - np.sin(mid) * 0.5 - 0.1 * mid
            if fm > 0:
                lo = mid
            else:
                hi = mid
        roots.append(mid)
    r = np.array(roots)
    return r, np.abs(np.exp(-r) * ks - np.sin(r) * 0.5 - 0.1 * r).max()


def _sat(n):
    r = _rng(215)
    return r.random((n, n)), r.integers(0, n - 20, size=(20000, 2))


@program("integral image: cumsum twice, box sums by corner lookups, range queries", _sat, 1500,
         40)
def integral_image(np, img, corners):
    S = np.zeros((img.shape[0] + 1, img.shape[1] + 1))
    S[1:, 1:] = img.cumsum(axis=0).cumsum(axis=1)
    r0, c0 = corners[:, 0], corners[:, 1]
    r1, c1 = r0 + 16, c0 + 16
    box = S[r1, c1] - S[r0, c1] - S[r1, c0] + S[r0, c0]
    k = 5
    blur = (S[k:, k:] - S[:-k, k:] - S[k:, :-k] + S[:-k, :-k]) / (k * k)
    return box.mean(), blur.std(), blur[::100, ::100]


def _seq2(n):
    return (_rng(216).choice(12, size=n, p=numpy.linspace(1, 3, 12) / 24),)


@program("Markov chain: transition counts by add.at, normalise, power iteration, eig", _seq2,
         1_000_000, 500)
def markov(np, s):
    k = 12
    T = np.zeros((k, k))
    np.add.at(T, (s[:-1], s[1:]), 1)
    P = T / T.sum(axis=1, keepdims=True)
    pi = np.full(k, 1.0 / k)
    for _ in range(200):
        new = pi @ P
        if np.abs(new - pi).sum() < 1e-14:
            break
        pi = new
    w, V = np.linalg.eig(P.T)
    lead = np.real(V[:, np.argmax(np.real(w))])
    lead = lead / lead.sum()
    return pi, np.abs(lead - pi).max() < 1e-8, np.linalg.matrix_power(P, 8)[0]


def _lbm(n):
    return (n,)


@program("CFD: lattice Boltzmann D2Q9, stream by roll, collide with einsum", _lbm, 96, 12,
         rtol=1e-6, atol=1e-9)
def lattice_boltzmann(np, n):
    cx = np.array([0, 1, 0, -1, 0, 1, -1, -1, 1])
    cy = np.array([0, 0, 1, 0, -1, 1, 1, -1, -1])
    w = np.array([4 / 9] + [1 / 9] * 4 + [1 / 36] * 4)
    X, Y = np.meshgrid(np.arange(n), np.arange(n))
    rho0 = 1 + 0.05 * np.exp(-((X - n / 2) ** 2 + (Y - n / 2) ** 2) / (n / 8) ** 2)
    F = w[:, None, None] * rho0[None]
    tau = 0.6
    for _ in range(20):
        for i in range(9):
            F[i] = np.roll(np.roll(F[i], cx[i], axis=1), cy[i], axis=0)
        rho = F.sum(axis=0)
        ux = np.einsum("i,ijk->jk", cx, F) / rho
        uy = np.einsum("i,ijk->jk", cy, F) / rho
        cu = cx[:, None, None] * ux + cy[:, None, None] * uy
        feq = rho * w[:, None, None] * (1 + 3 * cu + 4.5 * cu ** 2 - 1.5 * (ux ** 2 + uy ** 2))
        F += -(F - feq) / tau
    return rho.sum(), np.sqrt(ux ** 2 + uy ** 2).max(), rho[::4, ::4]


def _csr(n):
    r = _rng(217)
    deg = r.integers(1, 12, size=n)
    indptr = numpy.concatenate(([0], numpy.cumsum(deg)))
    indices = r.integers(0, n, size=indptr[-1])
    return indptr, indices


@program("graph: PageRank on CSR arrays, repeat/diff rows, bincount scatter, loop", _csr,
         100_000, 100)
def pagerank(np, indptr, indices):
    n = len(indptr) - 1
    deg = np.diff(indptr)
    src = np.repeat(np.arange(n), deg)
    r = np.full(n, 1.0 / n)
    for it in range(30):
        contrib = (r / deg)[src]
        new = 0.15 / n + 0.85 * np.bincount(indices, weights=contrib, minlength=n)
        new /= new.sum()
        if np.abs(new - r).sum() < 1e-12:
            break
        r = new
    top = np.argsort(r)[::-1][:10]
    return r, top


def _bits(n):
    r = _rng(218)
    return (r.integers(0, 2 ** 32, size=n, dtype=numpy.uint32),
            r.integers(0, 2 ** 32, size=64, dtype=numpy.uint32))


@program("bits: SWAR popcount of uint32 xor, Hamming nearest of 64 codes", _bits, 100_000, 100)
def hamming(np, codes, queries):
    def popcount(v):
        v = v - ((v >> np.uint32(1)) & np.uint32(0x55555555))
        v = (v & np.uint32(0x33333333)) + ((v >> np.uint32(2)) & np.uint32(0x33333333))
        v = (v + (v >> np.uint32(4))) & np.uint32(0x0F0F0F0F)
        return (v * np.uint32(0x01010101)) >> np.uint32(24)
    best = np.full(len(queries), 99, dtype=np.int64)
    arg = np.zeros(len(queries), dtype=np.int64)
    for j in range(len(queries)):
        d = popcount(codes ^ queries[j])
        i = np.argmin(d)
        best[j] = d[i]
        arg[j] = i
    return best, arg, popcount(codes).astype(np.int64).sum()


def _dates(n):
    r = _rng(219)
    return r.integers(1900, 2100, size=n), r.integers(1, 13, size=n), r.integers(1, 29, size=n)


@program("calendar: Zeller's congruence, leap years, day-of-year with integer // and %", _dates,
         1_000_000, 500)
def calendar(np, y, m, d):
    mm = np.where(m < 3, m + 12, m)
    yy = np.where(m < 3, y - 1, y)
    K = yy % 100
    J = yy // 100
    h = (d + (13 * (mm + 1)) // 5 + K + K // 4 + J // 4 + 5 * J) % 7
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    cum = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
    doy = cum[m - 1] + d + (leap & (m > 2))
    week = (doy - 1) // 7 + 1
    return np.bincount(h, minlength=7), leap.sum(), doy.mean(), np.bincount(week)


def _freqs(n):
    return (numpy.logspace(1, 6, n).astype(numpy.float32),)


@program("circuits: complex64 impedances over a frequency sweep, parallel/series, dB, phase",
         _freqs, 1_000_000, 500, rtol=1e-4, atol=1e-4)
def impedance(np, f):
    w = (2 * np.pi * f).astype(np.float32)
    R = np.float32(50.0)
    L = np.float32(1e-3)
    Cc = np.float32(1e-7)
    jw = (1j * w).astype(np.complex64)
    ZL = jw * L
    ZC = 1 / (jw * Cc)
    Zp = 1 / (1 / ZL + 1 / ZC)
    Z = R + Zp
    H = Zp / Z
    mag = 20 * np.log10(np.abs(H))
    ph = np.degrees(np.angle(H))
    return Z.dtype == np.complex64, mag.max(), ph[::1000], f[np.argmax(mag)]


def _ot(n):
    r = _rng(220)
    a = r.random(n); b = r.random(n)
    return a / a.sum(), b / b.sum(), r.random((n, 2)), r.random((n, 2))


@program("optimal transport: Sinkhorn scaling with allclose convergence checks", _ot, 400, 20,
         rtol=1e-6, atol=1e-10)
def sinkhorn(np, a, b, x, y):
    Cm = ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=-1)
    K = np.exp(-Cm / 0.05)
    u = np.ones_like(a)
    v = np.ones_like(b)
    for it in range(500):
        u = a / (K @ v)
        v = b / (K.T @ u)
        if it % 10 == 0 and np.allclose(u * (K @ v), a, rtol=1e-9, atol=1e-12):
            break
    Pm = u[:, None] * K * v[None, :]
    return (Pm * Cm).sum(), Pm.sum(axis=0)[:10], it


def _mesh(n):
    r = _rng(221)
    verts = r.normal(size=(n, 3))
    faces = numpy.stack([r.integers(0, n, size=2 * n) for _ in range(3)], axis=1)
    return verts, faces


@program("mesh geometry: face normals by cross, areas, vertex normals by add.at", _mesh,
         100_000, 50)
def mesh_normals(np, verts, faces):
    tri = verts[faces]
    e1 = tri[:, 1] - tri[:, 0]
    e2 = tri[:, 2] - tri[:, 0]
    fn = np.cross(e1, e2)
    area = 0.5 * np.linalg.norm(fn, axis=1)
    vn = np.zeros_like(verts)
    for k in range(3):
        np.add.at(vn, faces[:, k], fn)
    vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)
    centroid = tri.mean(axis=1)
    return area.sum(), vn[:5], centroid.mean(axis=0)


def _obs(n):
    return (_rng(222).integers(0, 4, size=n),)


@program("HMM: Viterbi decoding in log space, max/argmax over axis in a Python loop", _obs,
         5000, 60)
def viterbi(np, obs):
    S = 5
    A = np.full((S, S), 0.05) + np.eye(S) * 0.75
    A = A / A.sum(axis=1, keepdims=True)
    B = np.linspace(1, 2, S * 4).reshape(S, 4) ** np.arange(4)
    B = B / B.sum(axis=1, keepdims=True)
    lA, lB = np.log(A), np.log(B)
    T = len(obs)
    delta = np.log(np.full(S, 1.0 / S)) + lB[:, obs[0]]
    back = np.zeros((T, S), dtype=np.intp)
    for t in range(1, T):
        scores = delta[:, None] + lA
        back[t] = np.argmax(scores, axis=0)
        delta = scores.max(axis=0) + lB[:, obs[t]]
    path = np.zeros(T, dtype=np.intp)
    path[-1] = np.argmax(delta)
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path, delta.max()


def _raw(n):
    return (_rng(223).random((n, n)).astype(numpy.float32),)


@program("camera: Bayer demosaic by strided slices, white balance, float32 -> uint8", _raw,
         1200, 16, rtol=1e-5, atol=1e-5)
def demosaic(np, raw):
    R = raw[0::2, 0::2]
    G = 0.5 * (raw[0::2, 1::2] + raw[1::2, 0::2])
    B = raw[1::2, 1::2]
    rgb = np.stack([R, G, B], axis=-1)
    gains = rgb.mean(axis=(0, 1))
    rgb = rgb * (gains.mean() / gains)
    rgb = np.clip(rgb, 0, 1) ** np.float32(1 / 2.2)
    u8 = (rgb * 255 + 0.5).astype(np.uint8)
    lum = u8 @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return (rgb.dtype == np.float32, u8[::50, ::50], lum.mean(),
            np.histogram(u8, bins=16, range=(0, 256))[0])
