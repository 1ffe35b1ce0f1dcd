"""Devices: where an array's memory lives and which routines run on it.

An array's device is chosen when it is created (`device=` of the creation functions,
`x.to_device(...)`); every operation on it then runs the routines of that device's backend.
The cpu backend is dotcompute's own routines (`_cpu_backend`); another device kind adds a
backend module, registered here by a loader string and imported only on first use, so
`import dotcompute` never imports a GPU stack.

Pure Python; imports nothing above `dotcompute._core`.
"""
import importlib
import re

__all__ = ["Device", "CPU", "as_device", "register_backend", "backend"]


class Device:
    """An immutable, hashable device: `kind` ("cpu" | "cuda") and `index` (0 for cpu)."""
    __slots__ = ("_kind", "_index")

    def __init__(self, kind, index=0):
        if kind not in _KINDS:
            raise ValueError(_unknown(kind))
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"device index must be a non-negative int, not {index!r}")
        if kind == "cpu" and index != 0:
            raise ValueError(f"there is one cpu device (index 0), not {index}")
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_index", index)

    def __setattr__(self, name, value):
        raise AttributeError("Device is immutable")

    @property
    def kind(self):
        return self._kind

    @property
    def index(self):
        return self._index

    def __eq__(self, other):
        if not isinstance(other, Device):
            return NotImplemented
        return self._kind == other._kind and self._index == other._index

    def __hash__(self):
        return hash((self._kind, self._index))

    def __str__(self):
        return "cpu" if self._kind == "cpu" else f"{self._kind}:{self._index}"

    def __repr__(self):
        return str(self)

    def __reduce__(self):
        return Device, (self._kind, self._index)


_KINDS = ("cpu", "cuda")
_SPEC = re.compile(r"^(cpu|cuda)(?::(\d+))?$")

# kind -> loader string "module:attribute" (until first use) or the backend object.
_backends = {}
# kind -> its backend's per-call `fast_call` (None: it has none), filled by the array layer
# (_routines_elementwise.device_fast) on first use; emptied when a backend is registered,
# so that a call never runs the fast path of a backend that was replaced.
fast_calls = {}


def _unknown(spec):
    return f"unknown device {spec!r} (devices: 'cpu', 'cuda', 'cuda:N')"


CPU = Device("cpu")


def register_backend(kind, loader):
    """Register the backend of a device kind: an object, a callable returning it, or a
    loader string "module:attribute" imported on first use of that kind."""
    if kind not in _KINDS:
        raise ValueError(_unknown(kind))
    _backends[kind] = loader
    fast_calls.clear()


def _load(kind):
    b = _backends.get(kind)
    if b is None:
        raise ValueError(_unknown(kind))
    if isinstance(b, str):
        module, _, attr = b.partition(":")
        try:
            mod = importlib.import_module(module)
        except ImportError as e:
            if kind == "cuda":
                raise RuntimeError(
                    "CUDA support is not installed: dotcompute's cuda backend "
                    f"({module}) could not be imported ({e}). Install dotcompute with "
                    "CUDA support to use device='cuda'.") from e
            raise
        b = getattr(mod, attr)
        _backends[kind] = b
    elif callable(b) and not hasattr(b, "empty"):
        b = b()
        _backends[kind] = b
    return b


def as_device(spec):
    """The Device for `spec`: None or "cpu" -> CPU; a Device; "cuda" / "cuda:N". A device
    of another kind than cpu is validated by its backend (a clear RuntimeError when it
    cannot be used); anything else raises ValueError."""
    if spec is None or spec is CPU:
        return CPU
    if isinstance(spec, Device):
        dev = spec
    elif isinstance(spec, str):
        m = _SPEC.match(spec.strip())
        if m is None:
            raise ValueError(_unknown(spec))
        dev = CPU if m.group(1) == "cpu" and m.group(2) in (None, "0") else Device(
            m.group(1), int(m.group(2) or 0))
    else:
        raise ValueError(_unknown(spec))
    if dev.kind == "cpu":
        return CPU
    b = _load(dev.kind)
    validate = getattr(b, "validate", None)
    if validate is not None:
        validate(dev)
    return dev


def backend(device):
    """The backend object of `device` (a Device): for cpu, dotcompute's own routines."""
    return _load(device.kind)


register_backend("cpu", "dotcompute._core._cpu_backend:backend")
register_backend("cuda", "dotcompute.cuda._backend:backend")
