"""Derive polynomial coefficients used in dc_vmath.h (own weighted least-squares
fit on Chebyshev nodes, in mpmath high precision).  Run: python tools/fit_vmath_poly.py
Prints C literals (hex floats) for each fitted polynomial in z = u*u."""
import struct

import mpmath as mp
mp.mp.dps = 60


def _single(x):
    """x rounded to float32 (as a Python float)."""
    return struct.unpack("f", struct.pack("f", x))[0]


def fit(g, a, b, deg, nodes=400, single=False):
    """Fit P(z) of degree deg to g(z) on [a,b], minimising relative error (coefficients
    rounded to double, or to float with single=True)."""
    zs = [ (a+b)/2 + (b-a)/2*mp.cos(mp.pi*(k+mp.mpf(0.5))/nodes) for k in range(nodes)]
    A = mp.matrix(nodes, deg+1); rhs = mp.matrix(nodes, 1)
    for i, z in enumerate(zs):
        gz = g(z); w = 1/abs(gz)
        for j in range(deg+1):
            A[i, j] = w * z**j
        rhs[i] = gz * w
    c, res = mp.qr_solve(A, rhs)
    cs = [_single(float(c[j])) if single else float(c[j]) for j in range(deg+1)]
    # error of the rounded coefficients
    err = 0
    for k in range(2000):
        z = a + (b-a)*mp.mpf(k)/1999
        p = sum(mp.mpf(cs[j])*z**j for j in range(deg+1))
        err = max(err, abs(p/g(z)-1))
    return cs, err

def show(name, cs, err, single=False):
    print(f"/* {name}: max rel err {float(err):.3e} */")
    print(",\n".join(f"  {c.hex()}{'f' if single else ''}" for c in cs))

# atan(u) = u + u^3 * P(u^2), |u| <= 7/16
def g_atan(z):
    if z == 0: return mp.mpf(-1)/3
    u = mp.sqrt(z); return (mp.atan(u)-u)/(u**3)
show("atan P(z) z in [0,(7/16)^2]", *fit(g_atan, mp.mpf(0), mp.mpf(7)**2/256, 11))
# asin(u) = u + u^3 * P(u^2), |u| <= 1/2
def g_asin(z):
    if z == 0: return mp.mpf(1)/6
    u = mp.sqrt(z); return (mp.asin(u)-u)/(u**3)
show("asin P(z) z in [0,1/4]", *fit(g_asin, mp.mpf(0), mp.mpf(1)/4, 14))
# exp(r) = 1 + r + r^2 * Q(r), |r| <= ln2/2 (also used for expm1)
def g_exp(r):
    if r == 0: return mp.mpf(1)/2
    return (mp.exp(r)-1-r)/r**2
h = mp.log(2)/2 * mp.mpf(1.0001)
show("exp Q(r) r in [-ln2/2,ln2/2]", *fit(g_exp, -h, h, 10))
# sin(r) = r + r^3 * S(r^2), cos(r) = 1 - r^2/2 + r^4 * C(r^2), |r| <= pi/4
q = (mp.pi/4*mp.mpf(1.0001))**2
def g_sin(z):
    if z == 0: return -mp.mpf(1)/6
    u = mp.sqrt(z); return (mp.sin(u)-u)/u**3
def g_cos(z):
    if z == 0: return mp.mpf(1)/24
    u = mp.sqrt(z); return (mp.cos(u)-1+z/2)/z**2
show("sin S(z) z in [0,(pi/4)^2]", *fit(g_sin, mp.mpf(0), q, 7))
show("cos C(z) z in [0,(pi/4)^2]", *fit(g_cos, mp.mpf(0), q, 6))
# log(1+f) = 2s + s*R(z), s = f/(2+f), z = s^2 <= ((sqrt2-1)/(sqrt2+1))^2 ; R(z) = z*L(z)
zl = ((mp.sqrt(2)-1)/(mp.sqrt(2)+1))**2 * mp.mpf(1.0001)
def g_log(z):
    if z == 0: return mp.mpf(2)/3
    s = mp.sqrt(z); return (2*mp.atanh(s)-2*s)/s**3
show("log L(z) z in [0,0.0295]", *fit(g_log, mp.mpf(0), zl, 7))
# sin(r) = r + r^3 * S(r^2), |r| <= pi/2 (array sin/cos: one polynomial, x = j pi + r)
h = (mp.pi/2)**2 * mp.mpf(1.0001)
show("sin S(z) z in [0,(pi/2)^2]", *fit(g_sin, mp.mpf(0), h, 7))
show("sin S(z) z in [0,(pi/2)^2], float", *fit(g_sin, mp.mpf(0), h, 4, 300, True), True)
# float log: log(1+f) = f + f^2 * P(f), f in [-1/3, 1/3] (m in [2/3, 4/3))
def g_log1p(f):
    if f == 0: return mp.mpf(-1)/2
    return (mp.log1p(f)-f)/f**2
t = mp.mpf(1)/3 * mp.mpf(1.001)
show("log P(f) f in [-1/3,1/3], float", *fit(g_log1p, -t, t, 8, 300, True), True)
# float tanh: tanh(u) = u + u^3 * P(u^2), |u| < 5/8
def g_tanh(z):
    if z == 0: return -mp.mpf(1)/3
    u = mp.sqrt(z); return (mp.tanh(u)-u)/u**3
show("tanh P(z) z in [0,(5/8)^2], float", *fit(g_tanh, mp.mpf(0), mp.mpf(0.625)**2 * mp.mpf(1.001), 5, 300, True), True)



# NOT USED by dc_vmath.h (run with --tanh-rational): a tried replacement of the f32 tanh
# kernel, kept with its outcome. Fitted coefficients reach a relative error of 1.35e-8 on
# [0, 9.5], but evaluated in float arithmetic the kernel measured 5.30 ulp over every float32
# (tools/check_tanh_f32_exhaustive.c; worst at x = 0x1.74e4fp+2, 122944 results above 1): near
# tanh = 1 an ulp is 2^-24 relative, so each rounding in P, Q, u P and the quotient costs up to
# an ulp there, with no 1 - small term to damp it (the current kernel's 1 - 2/(e + 1)).
#
# float tanh, one odd rational on the whole range: tanh(u) ~= u P(z) / Q(z), z = u^2,
# P(z) = 1 + p1 z + ... + p5 z^5, Q(z) = 1 + q1 z + ... + q4 z^4 (P(0) = Q(0) = 1: tanh(u) = u
# exactly where z underflows), on 0 <= u <= TANH_B (|x| is clamped to TANH_B, where the float
# result is 1). Minimises the relative error max |u P/Q / tanh(u) - 1|: linearised weighted
# least squares (P - f Q with f = tanh(u)/u, each row divided by f times the previous Q:
# Loeb / Sanathanan-Koerner) inside Lawson's iteration (weights times |error|: the weighted
# L2 solution tends to the minimax one). Then rounded to float one coefficient at a time,
# the free ones refitted after each (the rounding of a coefficient would otherwise cost up to
# 2^-25 of its term).
TANH_B = 9.5


def fit_rational(f, xs, m, n, fixed=None, iters=30, state=None):
    """Coefficients [p1..pm, q1..qn] (P(0) = Q(0) = 1) of u P(u^2)/Q(u^2) ~= u f(u) on the
    nodes xs, relative error near-minimax; fixed: {index: value} kept as given; state: the
    (weights, Q on the nodes) a previous call left in it, to start from (updated)."""
    fixed = fixed or {}
    free = [j for j in range(m + n) if j not in fixed]
    fs = [f(x) for x in xs]
    zs = [x * x for x in xs]
    if state is None:
        state = {}
    w = state.get("w", [mp.mpf(1)] * len(xs))
    qk = state.get("qk", [mp.mpf(1)] * len(xs))
    best = None
    for _ in range(iters):
        A = mp.matrix(len(xs), len(free)); rhs = mp.matrix(len(xs), 1)
        for i, (z, fi) in enumerate(zip(zs, fs)):
            s = w[i] / (fi * qk[i])
            row = [z**(j + 1) for j in range(m)] + [-fi * z**(j + 1) for j in range(n)]
            for k, j in enumerate(free):
                A[i, k] = s * row[j]
            rhs[i] = s * (fi - 1 - sum(row[j] * v for j, v in fixed.items()))
        sol, _ = mp.qr_solve(A, rhs)
        c = [mp.mpf(0)] * (m + n)
        for j, v in fixed.items():
            c[j] = mp.mpf(v)
        for k, j in enumerate(free):
            c[j] = sol[k]
        errs = []
        for i, z in enumerate(zs):
            qk[i] = 1 + z * mp.polyval(c[m:][::-1], z)
            errs.append((1 + z * mp.polyval(c[:m][::-1], z)) / qk[i] / fs[i] - 1)
        e = max(abs(t) for t in errs)
        if best is None or e < best[0]:
            best = (e, c)
            state["w"], state["qk"] = w, list(qk)
        w = [wi * abs(ei) for wi, ei in zip(w, errs)]
        total = sum(w)
        w = [wi * len(w) / total for wi in w]
    return best


def fit_tanh_rational(B=TANH_B, m=5, n=4, nodes=240):
    def f(x):
        return mp.tanh(x) / x
    xs = [B / 2 - B / 2 * mp.cos(mp.pi * (k + mp.mpf(0.5)) / nodes) for k in range(nodes)]
    state = {}
    e, c = fit_rational(f, xs, m, n, state=state)
    print(f"/* tanh rational ({m},{n}) on [0,{B}], unrounded: max rel err {float(e):.3e} */")
    fixed = {}
    # round the largest terms at u = B first (their rounding matters most)
    order = sorted(range(m + n), key=lambda j: -abs(c[j] * mp.mpf(B)**(2 * (j if j < m else j - m) + 2)))
    for j in order:
        fixed[j] = _single(float(c[j]))
        if len(fixed) < m + n:
            e, c = fit_rational(f, xs, m, n, fixed, iters=12, state=state)
            print(f"/*   {len(fixed)} rounded: max rel err {float(e):.3e} */")
    cs = [fixed[j] for j in range(m + n)]
    err = 0
    for k in range(4000):
        x = mp.mpf(B) * (k + 1) / 4000
        z = x * x
        r = (1 + z * mp.polyval([mp.mpf(t) for t in cs[:m]][::-1], z)) / \
            (1 + z * mp.polyval([mp.mpf(t) for t in cs[m:]][::-1], z))
        err = max(err, abs(r / f(x) - 1))
    return cs[:m], cs[m:], err


def _hexf(c):
    """c (a float32 value) as a C float literal, the hex digits trimmed to 6."""
    h = c.hex()
    mant, exp = h.split("p")
    return f"{mant[:mant.index('.') + 7] if '.' in mant else mant}p{exp}f"


if "--tanh-rational" in __import__("sys").argv:
    P, Q, err = fit_tanh_rational()
    print(f"/* tanh rational, float coefficients: max rel err {float(err):.3e} */")
    print("\n".join(f"#define DC__TANHF_P{j + 1} {_hexf(c)}" for j, c in enumerate(P)))
    print("\n".join(f"#define DC__TANHF_Q{j + 1} {_hexf(c)}" for j, c in enumerate(Q)))
