# cython: language_level=3
"""The `__array_function__` protocol and the table of NumPy functions it overrides."""

# ndarray.__array_function__ for cpu arrays.
cdef object array_function(object func, object types, tuple args, dict kwargs)
# f(*args, **kwargs) on zero-copy numpy views of the dc arrays among them, results wrapped
# (the namespace's wrappers of NumPy functions call this).
cpdef object call_numpy(object f, tuple args, dict kwargs)
