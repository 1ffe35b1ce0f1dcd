"""The Array API standard's inspection surface: `__array_api_version__`,
`__array_namespace_info__()` and the version check of `x.__array_namespace__(api_version=)`.

Pure Python; imports nothing above `dotcompute._core`.
"""
import numpy as np

from ._device import CPU, Device, as_device, _load

__all__ = ["API_VERSION", "check_api_version", "__array_namespace_info__"]

# The revision of the standard this namespace follows, and the earlier ones it also serves.
API_VERSION = "2024.12"
_SUPPORTED = ("2021.12", "2022.12", "2023.12", "2024.12")


def check_api_version(api_version):
    """Raise ValueError unless api_version is None or a revision this namespace serves."""
    if api_version is not None and (not isinstance(api_version, str)
                                    or api_version not in _SUPPORTED):
        raise ValueError(f"Unsupported standard version {api_version!r} (dotcompute "
                         f"follows {API_VERSION}; supported: {', '.join(_SUPPORTED)})")


_KIND_DTYPES = {
    "bool": ("bool",),
    "signed integer": ("int8", "int16", "int32", "int64"),
    "unsigned integer": ("uint8", "uint16", "uint32", "uint64"),
    "real floating": ("float32", "float64"),
    "complex floating": ("complex64", "complex128"),
}
_KIND_DTYPES["integral"] = _KIND_DTYPES["signed integer"] + _KIND_DTYPES["unsigned integer"]
_KIND_DTYPES["numeric"] = (_KIND_DTYPES["integral"] + _KIND_DTYPES["real floating"]
                           + _KIND_DTYPES["complex floating"])
_ALL = ("bool",) + _KIND_DTYPES["numeric"]


class __array_namespace_info__:
    """What this namespace offers: `capabilities()`, `default_device()`,
    `default_dtypes(*, device=None)`, `dtypes(*, device=None, kind=None)`, `devices()`."""

    __module__ = "dotcompute"

    def capabilities(self):
        return {"boolean indexing": True, "data-dependent shapes": True,
                "max dimensions": 64}

    def default_device(self):
        return CPU

    def default_dtypes(self, *, device=None):
        as_device(device)
        return {"real floating": np.dtype(np.float64),
                "complex floating": np.dtype(np.complex128),
                "integral": np.dtype(np.int64), "indexing": np.dtype(np.intp)}

    def dtypes(self, *, device=None, kind=None):
        as_device(device)
        if kind is None:
            names = _ALL
        elif isinstance(kind, tuple):
            names = []
            for k in kind:
                names.extend(n for n in self._kind(k) if n not in names)
        else:
            names = self._kind(kind)
        return {n: np.dtype(n) for n in _ALL if n in names}

    @staticmethod
    def _kind(kind):
        if not isinstance(kind, str) or kind not in _KIND_DTYPES:
            raise ValueError(f"unsupported kind: {kind!r} (kinds: "
                             f"{', '.join(map(repr, _KIND_DTYPES))})")
        return _KIND_DTYPES[kind]

    def devices(self):
        """The cpu, then each CUDA device its backend accepts (none without CUDA)."""
        found = [CPU]
        try:
            cuda = _load("cuda")
        except (ImportError, RuntimeError, ValueError):
            return found
        while True:
            dev = Device("cuda", len(found) - 1)
            try:
                cuda.validate(dev)        # RuntimeError: no driver, no GPU, out of range
            except RuntimeError:
                return found
            found.append(dev)
