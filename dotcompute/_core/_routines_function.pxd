# cython: language_level=3
"""The `__array_function__` protocol and the table of NumPy functions it overrides."""

# ndarray.__array_function__ for cpu arrays.
cdef object array_function(object func, object types, tuple args, dict kwargs)
# f(*args, **kwargs) on zero-copy numpy views of the dc arrays among them, results wrapped
# (the namespace's wrappers of NumPy functions call this).
cpdef object call_numpy(object f, tuple args, dict kwargs)
# The namespace's call of NumPy function f (impl: f past its dispatch, or None): impl
# when no argument could override f.
cpdef object call_numpy_function(object f, object impl, tuple args, dict kwargs)
# ndarray.sort(axis, kind, order, stable=...) in place by our radix sort where np.sort
# would use it; False: NumPy's method should run.
cdef bint sort_method(object a, object axis, object kind, object order,
                      object stable) except -1
# np.searchsorted(a, v, side, sorter) by our branch-free search where it applies (see
# the function); None: NumPy's code should run.
cdef object searchsorted_fast(object a, object v, object side, object sorter)

# np.nonzero(a) (ndarray.nonzero too).
cpdef object nonzero(object a)
# np.argsort(a, axis, kind, order, stable=...) (ndarray.argsort too) by our radix argsort
# where it gives NumPy's indices (argsort_fast), else rows through NumPy's own loop on our
# threads (_numpy_rows); None: NumPy's code should run.
cdef object argsort_ours(object a, object axis, object kind, object order, object stable)
