"""Transcendentals on inputs full of special values, as real data has them: ratios NumPy
time / dotcompute time (median of 5 rounds of 300 calls, n = 1e5, one process), on 1 and 2
threads. Distributions: normal (sd 3: negatives for log/sqrt), neg, 30 % zeros, huge (sd
1000: exp overflow and underflow), subnormal, 10 % NaN, 10 % inf, big_neg (uniform
[-800, 0]: exp underflow). Usage: PYTHONPATH=. python tools/bench_special_values.py
exp,log,sin"""
import sys, time, numpy as np, warnings
warnings.simplefilter("ignore")
import dotcompute as dc
time.sleep(0.5)
def t(f, r=300):
    for _ in range(30): f()
    ts=[]
    for _ in range(5):
        t0=time.perf_counter()
        for _ in range(r): f()
        ts.append((time.perf_counter()-t0)/r*1e6)
    return sorted(ts)[2]
n=100000
rng=np.random.default_rng(0)
dists={"normal":rng.standard_normal(n)*3,"neg":-rng.random(n)*5-0.1,"zeros_mix":np.where(rng.random(n)<0.3,0.0,rng.random(n)),
"huge":rng.standard_normal(n)*1000,"tiny":rng.standard_normal(n)*1e-310,"nan_mix":np.where(rng.random(n)<0.1,np.nan,rng.random(n)),
"inf_mix":np.where(rng.random(n)<0.1,np.inf,rng.random(n)), "big_neg":-rng.random(n)*800}
ops=(sys.argv[1] if len(sys.argv) > 1 else "exp,log,sin,cos,sqrt,tanh").split(",")
for th in (1,2):
  dc.set_num_threads(th)
  for op in ops:
    for dt in ("float32","float64"):
      row=[]
      for name,x in dists.items():
        a=x.astype(dt); da=dc.asarray(a)
        nf=getattr(np,op); df=getattr(dc,op)
        row.append("%s %.2f"%(name, t(lambda: nf(a))/t(lambda: df(da))))
      print(th,"T",op,dt," ".join(row), flush=True)
