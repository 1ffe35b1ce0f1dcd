"""The kernel compiler: fused element-wise expressions and user-defined kernels.

`evaluate(expression)` (numexpr's interface) and `ElementwiseKernel(in, out, operation)`
(CuPy's) parse their text through a whitelist (`_parser`), type it with NumPy's own
promotion rules and lower it to a register program (`_lower`), cached per (text, dtypes,
ISA build) in one program cache (`_fused.ProgramCache`: bounded in bytes, least recently
used entries evicted first). `dotcompute._core._fused` runs programs block by block over
the kernel table, in parallel, without full-size temporaries.

This package sits above the array layer: it imports `dotcompute._core`, never the reverse.
"""
from ._evaluate import evaluate, cache_info, clear_cache, set_cache_limit, CacheInfo
from ._kernel import ElementwiseKernel
from ._parser import UnsafeExpressionError

__all__ = ["evaluate", "ElementwiseKernel", "cache_info", "clear_cache", "set_cache_limit",
           "CacheInfo",
           "UnsafeExpressionError"]
