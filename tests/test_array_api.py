"""The Array API standard (2024.12): dotcompute compared with array-api-strict, the
reference namespace, on inputs the standard defines; where the standard's call and NumPy's
differ both are accepted, and where they conflict NumPy's meaning is kept."""
import inspect
import warnings

import numpy as np
import pytest

import dotcompute as dc

xp = pytest.importorskip("array_api_strict")

# a usable GPU: the namespace lists it (without one, device="cuda" is a clear error)
CUDA_USABLE = any(str(d).startswith("cuda") for d in dc.__array_namespace_info__().devices())


def np_dtype(d):
    """The NumPy dtype of an array-api-strict dtype."""
    return np.dtype(str(d).rsplit(".", 1)[-1])


def same(got, expected):
    """dc result equals the array-api-strict result: values, dtype, shape."""
    e = np.asarray(expected)
    g = np.asarray(got)
    assert g.dtype == e.dtype, (g.dtype, e.dtype)
    assert g.shape == e.shape
    np.testing.assert_array_equal(g, e)


# ------------------------------------------------------------------ inspection
def test_api_version():
    assert dc.__array_api_version__ == "2024.12"
    assert dc.ones(2).__array_namespace__() is dc


@pytest.mark.parametrize("version", ["2021.12", "2022.12", "2023.12", "2024.12", None])
def test_array_namespace_accepts_the_revisions(version):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # 2021.12 is served as 2022.12 there
            xp.asarray([1.0]).__array_namespace__(api_version=version)   # the reference
    finally:
        xp.reset_array_api_strict_flags()          # it sets its version globally
    assert dc.ones(2).__array_namespace__(api_version=version) is dc


@pytest.mark.parametrize("version", ["2020.10", "bogus", "2024", 2024.12])
def test_array_namespace_rejects_unknown_revisions(version):
    with pytest.raises(ValueError):
        xp.asarray([1.0]).__array_namespace__(api_version=version)
    with pytest.raises(ValueError):
        dc.ones(2).__array_namespace__(api_version=version)


def test_array_namespace_rejects_a_later_revision_as_numpy_does():
    # dotcompute follows 2024.12, as NumPy: a later revision is refused
    with pytest.raises(ValueError):
        np.ones(2).__array_namespace__(api_version="2025.12")
    with pytest.raises(ValueError):
        dc.ones(2).__array_namespace__(api_version="2025.12")


def test_namespace_info_matches_the_reference():
    info, ref = dc.__array_namespace_info__(), xp.__array_namespace_info__()
    assert info.capabilities() == ref.capabilities()
    assert str(info.default_device()) == "cpu"
    assert info.default_device() == dc.asarray([1.0]).device
    assert info.default_device() in info.devices()
    got = info.default_dtypes()
    want = ref.default_dtypes()
    assert set(got) == set(want)
    for k in want:
        assert got[k] == np_dtype(want[k]), k
    assert info.default_dtypes(device="cpu") == got
    assert info.default_dtypes(device=info.default_device()) == got


@pytest.mark.parametrize("kind", [None, "bool", "signed integer", "unsigned integer",
                                  "integral", "real floating", "complex floating",
                                  "numeric", ("bool", "real floating"),
                                  ("integral", "complex floating")])
def test_namespace_info_dtypes_match_the_reference(kind):
    got = dc.__array_namespace_info__().dtypes(kind=kind)
    want = xp.__array_namespace_info__().dtypes(kind=kind)
    assert set(got) == set(want)              # (the order of the dict is not specified)
    for name in want:
        assert got[name] == np.dtype(name)
        assert dc.asarray([0], dtype=got[name]).dtype == got[name]


def test_namespace_info_bad_input():
    info, ref = dc.__array_namespace_info__(), xp.__array_namespace_info__()
    for kind in ("bogus", "float"):
        with pytest.raises(ValueError):
            ref.dtypes(kind=kind)
        with pytest.raises(ValueError):
            info.dtypes(kind=kind)
    with pytest.raises(ValueError, match="unknown device"):
        info.dtypes(device="gpu")
    with pytest.raises(ValueError, match="unknown device"):
        info.default_dtypes(device="gpu")


# ------------------------------------------------------------------ devices
def test_to_device_signature():
    params = inspect.signature(dc.ndarray.to_device).parameters
    assert list(params) == ["self", "device", "stream"]
    assert params["device"].kind is inspect.Parameter.POSITIONAL_ONLY
    assert params["stream"].kind is inspect.Parameter.KEYWORD_ONLY
    x = dc.arange(3.0)
    assert x.to_device("cpu") is x
    assert x.to_device(x.device, stream=None) is x
    with pytest.raises(TypeError):
        x.to_device(device="cpu")
    with pytest.raises(ValueError, match="unknown device"):
        x.to_device("tpu")


CREATION = {
    "empty": lambda m, **kw: m.empty((2, 3), **kw),
    "zeros": lambda m, **kw: m.zeros((2, 3), **kw),
    "ones": lambda m, **kw: m.ones((2, 3), **kw),
    "full": lambda m, **kw: m.full((2, 3), 7.0, **kw),
    "empty_like": lambda m, **kw: m.empty_like(m.asarray([[1.0, 2.0]]), **kw),
    "zeros_like": lambda m, **kw: m.zeros_like(m.asarray([[1.0, 2.0]]), **kw),
    "ones_like": lambda m, **kw: m.ones_like(m.asarray([[1, 2]]), **kw),
    "full_like": lambda m, **kw: m.full_like(m.asarray([[1, 2]]), 5, **kw),
    "arange": lambda m, **kw: m.arange(1, 10, 2, **kw),
    "linspace": lambda m, **kw: m.linspace(0.0, 1.0, 5, **kw),
    "eye": lambda m, **kw: m.eye(3, 4, k=1, **kw),
    "asarray": lambda m, **kw: m.asarray([[1, 2], [3, 4]], **kw),
    "from_dlpack": lambda m, **kw: m.from_dlpack(np.arange(4.0), **kw),
}


@pytest.mark.parametrize("name", sorted(CREATION))
def test_creation_device(name):
    f = CREATION[name]
    want = f(xp, device=xp.__array_namespace_info__().default_device())
    for device in (None, "cpu", dc.__array_namespace_info__().default_device()):
        got = f(dc, device=device)
        assert isinstance(got, dc.ndarray)
        assert str(got.device) == "cpu"
        if name not in ("empty", "empty_like"):
            same(got, want)
        else:
            assert got.shape == want.shape and got.dtype == np_dtype(want.dtype)
    with pytest.raises(ValueError, match="unknown device"):
        f(dc, device="bogus")
    with pytest.raises(ValueError, match="unknown device"):
        f(dc, device=3)


@pytest.mark.skipif(CUDA_USABLE, reason="checks the error given without a usable GPU")
@pytest.mark.parametrize("name", sorted(CREATION))
def test_creation_on_cuda_without_cuda_is_a_clear_error(name):
    with pytest.raises(RuntimeError, match="CUDA|NVIDIA|GPU"):
        CREATION[name](dc, device="cuda")


@pytest.mark.skipif(CUDA_USABLE, reason="checks the error given without a usable GPU")
def test_zeros_like_cuda_without_cuda_is_a_clear_error():
    a = dc.ones(3)
    with pytest.raises(RuntimeError, match="CUDA|NVIDIA|GPU"):
        dc.zeros_like(a, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA|NVIDIA|GPU"):
        a.to_device("cuda")


# ------------------------------------------------------------------ DLPack
def test_from_dlpack_round_trip():
    a = dc.arange(12.0).reshape(3, 4)
    b = dc.from_dlpack(a)
    assert isinstance(b, dc.ndarray)
    same(b, np.arange(12.0).reshape(3, 4))
    b[0, 0] = 99.0                      # shared memory (copy=None on the cpu)
    assert a[0, 0] == 99.0
    c = dc.from_dlpack(a, copy=True)
    c[0, 1] = -1.0
    assert a[0, 1] == 1.0
    d = dc.from_dlpack(a, copy=False, device="cpu")
    d[1, 1] = 42.0
    assert a[1, 1] == 42.0
    # the reference and NumPy take our arrays
    same(xp.from_dlpack(a), np.asarray(a))
    same(np.from_dlpack(a), np.asarray(a))
    # and we take theirs
    same(dc.from_dlpack(xp.asarray([1, 2, 3])), np.array([1, 2, 3]))


def test_dlpack_keywords_as_numpy():
    n = np.arange(6.0)
    a = dc.arange(6.0)
    assert a.__dlpack_device__() == n.__dlpack_device__()
    for kw in ({}, {"max_version": (1, 0)}, {"max_version": None}, {"dl_device": (1, 0)},
               {"copy": True}, {"copy": False}, {"stream": None}):
        cap = a.__dlpack__(**kw)
        assert type(cap).__name__ == "PyCapsule"
    for kw in ({"stream": 1}, {"dl_device": (2, 0)}):
        with pytest.raises(Exception) as expected:
            n.__dlpack__(**kw)
        with pytest.raises(type(expected.value)):
            a.__dlpack__(**kw)
    with pytest.raises(TypeError):
        a.__dlpack__(None)             # keyword-only, as the standard's
    ro = dc.arange(3.0)
    ro.setflags(write=False)
    with pytest.raises(BufferError):
        n2 = np.arange(3.0)
        n2.setflags(write=False)
        n2.__dlpack__(max_version=None)
    with pytest.raises(BufferError):
        ro.__dlpack__(max_version=None)


# ------------------------------------------------------------------ calls that differ
X = [3.0, -1.0, 2.0, 2.0, 0.5, -7.0]


@pytest.mark.parametrize("lo,hi", [(0.0, 2.5), (None, 1.0), (-1.0, None), (None, None),
                                   ("arr", None), ("arr", "arr2")])
def test_clip_standard_call(lo, hi):
    def bound(m, b):
        if b == "arr":
            return m.asarray([0.0, 0.0, 1.0, 1.0, 0.0, -1.0])
        if b == "arr2":
            return m.asarray([2.0, 2.0, 2.0, 3.0, 3.0, 3.0])
        return b
    want = xp.clip(xp.asarray(X), bound(xp, lo), bound(xp, hi))
    same(dc.clip(dc.asarray(X), bound(dc, lo), bound(dc, hi)), want)
    same(dc.clip(dc.asarray(X), min=bound(dc, lo), max=bound(dc, hi)), want)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("stable", [True, False])
@pytest.mark.parametrize("axis", [-1, 0])
def test_sort_argsort_standard_call(descending, stable, axis):
    data = [[3, 1, 2, 1, 3], [0, 0, 5, -1, 0]]
    got = dc.sort(dc.asarray(data), axis=axis, descending=descending, stable=stable)
    same(got, xp.sort(xp.asarray(data), axis=axis, descending=descending, stable=stable))
    got = dc.argsort(dc.asarray(data), axis=axis, descending=descending, stable=stable)
    want = xp.argsort(xp.asarray(data), axis=axis, descending=descending, stable=stable)
    if stable:
        same(got, want)
    else:                               # any order of equal elements: the sorted values
        vals = np.take_along_axis(np.asarray(data), np.asarray(got), axis=axis)
        same(vals, xp.sort(xp.asarray(data), axis=axis, descending=descending))


def test_sort_descending_float_with_nan():
    data = [1.0, np.nan, -2.0, 5.0]
    same(dc.sort(dc.asarray(data), descending=True), xp.sort(xp.asarray(data),
                                                              descending=True))
    same(dc.argsort(dc.asarray(data), descending=True),
         xp.argsort(xp.asarray(data), descending=True))


def test_sort_numpy_call_keeps_numpy_meaning():
    data = np.array([[3, 1, 2], [0, 5, -1]])
    same(dc.sort(dc.asarray(data), 0), np.sort(data, 0))
    same(dc.sort(dc.asarray(data), None), np.sort(data, None))
    same(dc.argsort(dc.asarray(data), 0, "stable"), np.argsort(data, 0, "stable"))
    same(dc.sort(dc.asarray(data), axis=None, descending=True), np.sort(data, None)[::-1])
    same(dc.argsort(dc.asarray(data), axis=None, stable=True),
         np.argsort(data, axis=None, stable=True))


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_standard_call(side):
    a, v = [1.0, 2.0, 2.0, 5.0], [0.0, 2.0, 3.0, 9.0]
    same(dc.searchsorted(dc.asarray(a), dc.asarray(v), side=side),
         xp.searchsorted(xp.asarray(a), xp.asarray(v), side=side))
    s = [3, 0, 2, 1]
    unsorted = [5.0, 1.0, 2.0, 2.0]
    same(dc.searchsorted(dc.asarray(unsorted), dc.asarray(v), side=side,
                         sorter=dc.asarray(s)),
         xp.searchsorted(xp.asarray(unsorted), xp.asarray(v), side=side,
                         sorter=xp.asarray(s)))
    # NumPy's positional side keeps working
    same(dc.searchsorted(dc.asarray(a), dc.asarray(v), side),
         np.searchsorted(np.asarray(a), np.asarray(v), side))


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize("dtype", [None, "float32", "float64"])
def test_fftfreq_standard_call(name, dtype):
    ref_dtype = None if dtype is None else getattr(xp, dtype)
    want = getattr(xp.fft, name)(8, d=0.5, dtype=ref_dtype,
                                 device=xp.__array_namespace_info__().default_device())
    got = getattr(dc.fft, name)(8, d=0.5, dtype=dtype, device="cpu")
    assert isinstance(got, dc.ndarray)
    same(got, want)
    # NumPy's call (device positional third) as before
    same(getattr(dc.fft, name)(8, 0.5, "cpu"), getattr(np.fft, name)(8, 0.5, "cpu"))
    with pytest.raises(ValueError, match="unknown device"):
        getattr(dc.fft, name)(8, device="bogus")


# ------------------------------------------------------------------ basics
UNARY = ["abs", "sqrt", "exp", "log", "sin", "floor", "negative", "square"]
BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "less", "equal"]
STATS = ["sum", "prod", "mean", "max", "min", "std", "var"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_reference(name):
    data = [0.5, 1.0, 2.0, 4.0, 100.0]
    got = getattr(dc, name)(dc.asarray(data))
    want = getattr(xp, name)(xp.asarray(data))
    if name in ("exp", "log", "sin"):        # vectorized transcendentals: within 1 ULP
        e, g = np.asarray(want), np.asarray(got)
        assert g.dtype == e.dtype and g.shape == e.shape
        assert (np.abs(g - e) <= np.spacing(np.abs(e))).all(), (g, e)
    else:
        same(got, want)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_binary_matches_reference(name, dtype):
    if name == "divide" and dtype == "int64":
        dtype = "float64"
    a, b = [1, 2, 3, 4, 5], [2, 2, 1, 8, 5]
    same(getattr(dc, name)(dc.asarray(a, dtype=dtype), dc.asarray(b, dtype=dtype)),
         getattr(xp, name)(xp.asarray(a, dtype=getattr(xp, dtype)),
                           xp.asarray(b, dtype=getattr(xp, dtype))))


@pytest.mark.parametrize("name", STATS)
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_statistics_match_reference(name, axis):
    data = [[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]]
    got = getattr(dc, name)(dc.asarray(data), axis=axis)
    want = getattr(xp, name)(xp.asarray(data), axis=axis)
    e = np.asarray(want)
    g = np.asarray(got)
    assert g.dtype == e.dtype and g.shape == e.shape
    np.testing.assert_allclose(g, e, rtol=1e-15)


def test_creation_dtypes_match_reference():
    for name in ("zeros", "ones", "empty"):
        assert getattr(dc, name)(()).dtype == np_dtype(getattr(xp, name)(()).dtype)
    assert dc.full((2,), 1).dtype == np_dtype(xp.full((2,), 1).dtype)
    assert dc.full((2,), 1.0).dtype == np_dtype(xp.full((2,), 1.0).dtype)
    assert dc.arange(3).dtype == np_dtype(xp.arange(3).dtype)
    assert dc.linspace(0, 1, 3).dtype == np_dtype(xp.linspace(0, 1, 3).dtype)
    assert dc.eye(2).dtype == np_dtype(xp.eye(2).dtype)
