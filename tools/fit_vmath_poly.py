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
