"""Compiled loops for operator chains: one pass per chain, by the system's C compiler.

An operator chain (`2*a + 3*b*b - c` on float arrays; _routines_elementwise, "operator
chains") runs block by block: each operation reads its operands' block and stores its
result's block to a slot, so a chain of five operations passes over each block three times
(two of its pairs fused) and is bound by L1 stores. A loop written for the chain keeps every
intermediate value in a register: one pass, as a compiled (numba) loop runs it.

Here: the loop's C source is generated from the chain's descriptor (built by
_routines_elementwise._chain_loop: each operation, the kind, element size and slot of each
operand), compiled once by the C compiler that built Python's extensions, with the flags of
the kernel build in use (its ISA, -O3, -ffp-contract=off), and loaded with ctypes.

- Values and flags: every operation is written as the kernels compute it (each rounded to
  its type, in NumPy's operand order, float32 operands widened as the kernels widen them),
  with no contraction, so the loop's values and floating-point flags are the kernels'
  (tests/test_jit.py checks them bit for bit against NumPy under every kernel build).
- When: a chain's loop is compiled once the chain has run over JIT_AFTER elements in all
  (a few milliseconds of block passes; a compile costs ~50 ms of one core), in a background
  thread (one compile at a time); until then, and if the compiler fails, the block pass runs.
  A loop compiled before (by any process: the library cache below) is loaded at once.
- Cache: DOTCOMPUTE_CACHE_DIR, else $XDG_CACHE_HOME/dotcompute, else ~/.cache/dotcompute
  (a private temporary directory when none is writable); one shared library per loop, named
  by the hash of its source, the compiler and its flags.
- DOTCOMPUTE_JIT: "auto" (default), "off" (never), "sync" (compile at a chain's first run,
  in the calling thread: tests).

This module imports nothing of the package above it: the routines hand it descriptors.
"""
import ctypes
import hashlib
import os
import shlex
import shutil
import subprocess
import sysconfig
import tempfile
import threading
import time

from dotcompute._core import _opspec
from dotcompute._core._cpu import ARCH
from dotcompute._core._dispatch import build as BUILD

JIT_AFTER = 1 << 22          # elements a chain runs block by block before its loop is built
MAX_LOOPS = 512              # compiled loops a process loads at most
_MODES = ("auto", "off", "sync")

loops = {}                   # descriptor -> address of its loop (the routines read this)
_seen = {}                   # descriptor -> elements run so far, or "pending" / "failed"
_libs = []                   # loaded libraries (kept: their code must stay mapped)
_lock = threading.Lock()
_queue = []
_worker = None
_hooks = []
_state = {"mode": "auto", "compiled": 0, "loaded": 0, "failed": 0, "error": None,
          "compile_seconds": 0.0}


def _env_mode():
    mode = os.environ.get("DOTCOMPUTE_JIT", "auto").strip().lower() or "auto"
    if mode in ("0", "no", "false"):
        mode = "off"
    return mode if mode in _MODES else "auto"


_cc = []


def compiler():
    """The C compiler command (a list), or None: $CC, else the compiler that built Python's
    extensions, else cc / gcc on PATH (found once)."""
    if not _cc:
        _cc.append(_find_compiler())
    return _cc[0]


def _find_compiler():
    for cmd in (os.environ.get("CC"), sysconfig.get_config_var("CC"), "cc", "gcc"):
        if not cmd:
            continue
        parts = shlex.split(cmd)
        if parts and shutil.which(parts[0]):
            return [shutil.which(parts[0])] + parts[1:]
    return None


def flags():
    """The compile flags: the kernel build's (its ISA), the kernels' common ones."""
    isa = []
    for name, extra, _ in _opspec.KERNEL_BUILDS.get(ARCH, _opspec.KERNEL_BUILDS["other"]):
        if name == BUILD:
            isa = list(extra)
    return ["-O3", "-g0", "-fwrapv", "-ffp-contract=off", "-fno-math-errno", "-fPIC",
            "-shared"] + isa


def _cache_dir():
    """A directory of this user's for the libraries (created 0700), or None."""
    candidates = []
    if os.environ.get("DOTCOMPUTE_CACHE_DIR"):
        candidates.append(os.environ["DOTCOMPUTE_CACHE_DIR"])
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                 ".cache")
        candidates.append(os.path.join(base, "dotcompute"))
    for d in candidates:
        d = os.path.join(d, "jit")
        try:
            os.makedirs(d, mode=0o700, exist_ok=True)
            st = os.stat(d)
            if st.st_uid == os.getuid() and os.access(d, os.W_OK):
                return d
        except OSError:
            continue
    try:
        return tempfile.mkdtemp(prefix="dotcompute-jit-")
    except OSError:
        return None


_dir = None


def cache_dir():
    global _dir
    if _dir is None:
        _dir = _cache_dir() or ""
    return _dir or None


# ------------------------------------------------------------------------ code generation

_CTYPE = {4: "float", 8: "double"}
_SYM = [s for _, s in _opspec.FUSE2]


def parse(desc):
    """The descriptor as (output size, [(op1, op2, form, size, dst, [(slot, stride)])])."""
    osz = desc[0]
    ops = []
    i = 1
    while i < len(desc):
        op1, op2, form, isz, dst = desc[i:i + 5]
        i += 5
        args = []
        for _ in range(3 if form else 2):
            args.append((desc[i], desc[i + 1]))
            i += 2
        ops.append((op1, None if op2 == 255 else op2, form, isz,
                    None if dst == 255 else dst, args))
    return osz, ops


def source(desc):
    """The C source of the loop of the chain `desc` (bytes from _chain_loop)."""
    osz, ops = parse(desc)
    decl = []
    body = []
    slot_value = {}         # slot -> the variable holding its latest value
    nargs = 0
    for e, (op1, op2, form, isz, dst, args) in enumerate(ops):
        T = _CTYPE[isz]
        vals = []
        for slot, stride in args:
            if slot != 255:
                vals.append(f"({T}){slot_value[slot]}")
            elif stride == 0:
                decl.append(f"    const {T} k{nargs} = *(const {T} *)args[{nargs}];")
                vals.append(f"k{nargs}")
                nargs += 1
            else:
                S = _CTYPE[stride]
                decl.append(f"    const {S} *restrict x{nargs} = (const {S} *)args[{nargs}];")
                vals.append(f"({T})x{nargs}[i]")
                nargs += 1
        first = f"({T})({vals[0]} {_SYM[op1]} {vals[1]})"
        if form == 0:
            value = first
        elif form == 1:
            value = f"({T})({first} {_SYM[op2]} {vals[2]})"
        else:
            value = f"({T})({vals[2]} {_SYM[op2]} {first})"
        if dst is None:
            body.append(f"        o[i] = ({_CTYPE[osz]}){value};")
        else:
            body.append(f"        const {T} v{e} = {value};")
            slot_value[dst] = f"v{e}"
    return "\n".join([
        "/* dotcompute: an operator chain's loop (_core/_jit.py) */",
        "#include <stddef.h>",
        "void dc_chain_loop(const void **args, char *out, ptrdiff_t s, ptrdiff_t e)",
        "{",
        *decl,
        f"    {_CTYPE[osz]} *restrict o = ({_CTYPE[osz]} *)out;",
        "    for (ptrdiff_t i = s; i < e; i++) {",
        *body,
        "    }",
        "}",
        ""])


# ------------------------------------------------------------------- compiling, loading

def _library_path(src, cc):
    d = cache_dir()
    if d is None:
        return None
    h = hashlib.sha256("\0".join([src, *cc, *flags()]).encode()).hexdigest()[:32]
    return os.path.join(d, f"chain-{h}.so")


def _load(path):
    lib = ctypes.CDLL(path)
    addr = ctypes.cast(lib.dc_chain_loop, ctypes.c_void_p).value
    _libs.append(lib)
    return addr


def _compile(src, path, cc):
    """Compile src into the library at path (written under a temporary name, then renamed:
    a concurrent process never loads half a file). Returns an error message or None."""
    d = os.path.dirname(path)
    fd, tmp_c = tempfile.mkstemp(suffix=".c", dir=d)
    tmp_so = tmp_c[:-2] + ".so"
    try:
        with os.fdopen(fd, "w") as f:
            f.write(src)
        r = subprocess.run(cc + flags() + ["-o", tmp_so, tmp_c], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            return (r.stderr or r.stdout or f"exit status {r.returncode}").strip()[-400:]
        os.replace(tmp_so, path)
        return None
    except (OSError, subprocess.SubprocessError) as e:
        return str(e)
    finally:
        for p in (tmp_c, tmp_so):
            try:
                os.unlink(p)
            except OSError:
                pass


def _locate(desc):
    """(compiler, source, library path) of desc's loop; None (the reason in the state)
    when there is no compiler or cache directory."""
    cc = compiler()
    if cc is None:
        _state["error"] = "no C compiler found (CC, sysconfig's CC, cc, gcc)"
        return None
    src = source(desc)
    path = _library_path(src, cc)
    if path is None:
        _state["error"] = "no writable cache directory"
        return None
    return cc, src, path


def _build(desc, where=None):
    """Compile (or find) and load the loop of desc (`where`: its _locate, when known);
    its address, or None on failure."""
    where = where or _locate(desc)
    if where is None:
        return None
    cc, src, path = where
    if not os.path.exists(path):
        t0 = time.perf_counter()
        err = _compile(src, path, cc)
        _state["compile_seconds"] += time.perf_counter() - t0
        if err is not None:
            _state["error"] = err
            return None
        _state["compiled"] += 1
    try:
        addr = _load(path)
    except (OSError, AttributeError) as e:
        _state["error"] = str(e)
        return None
    _state["loaded"] += 1
    return addr


def _finish(desc, addr):
    if addr is None:
        _seen[desc] = "failed"
        _state["failed"] += 1
    else:
        loops[desc] = addr
        _seen.pop(desc, None)


def _work():
    while True:
        with _lock:
            if not _queue:
                global _worker
                _worker = None
                return
            desc = _queue.pop(0)
        _finish(desc, _build(desc))


def chain_seen(desc, n):
    """A chain without a loop ran over n elements: the address of its loop when one can be
    had now (compiled before: loaded; mode "sync": compiled here), else None (counted;
    compiled in the background once it has run over JIT_AFTER elements)."""
    global _worker
    mode = _state["mode"]
    state = _seen.get(desc)
    if state is None:
        if mode == "off" or len(loops) + len(_queue) >= MAX_LOOPS or \
                _state["failed"] >= 3:
            _seen[desc] = "failed"
            return None
        where = _locate(desc)
        if mode == "sync" or (where is not None and os.path.exists(where[2])):
            _finish(desc, _build(desc, where))
            return loops.get(desc)
        state = 0
    if not isinstance(state, int):
        return None
    state += n
    if state < JIT_AFTER:
        _seen[desc] = state
        return None
    _seen[desc] = "pending"
    with _lock:
        _queue.append(desc)
        if _worker is None:
            _worker = threading.Thread(target=_work, name="dotcompute-jit", daemon=True)
            _worker.start()
    return None


def wait(timeout=60.0):
    """Wait for the background compiles (tests, benchmarks); True when none is left."""
    w = _worker
    if w is not None:
        w.join(timeout)
    return _worker is None


def _after_fork():
    """In a forked child the worker thread is gone: drop what it was to do."""
    global _worker, _lock
    _lock = threading.Lock()
    _worker = None
    _queue.clear()
    for k, v in list(_seen.items()):
        if v == "pending":
            del _seen[k]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def on_mode(hook):
    """Call hook(enabled) now and at every change of mode (the routines' switch)."""
    _hooks.append(hook)
    hook(_state["mode"] != "off")


def set_mode(mode):
    """"auto", "off" or "sync" (see the module docstring); returns the previous mode.
    Forgets the chains counted or failed so far (not the loops already loaded)."""
    if mode not in _MODES:
        raise ValueError(f"compiled-loop mode must be one of {_MODES}, not {mode!r}")
    old = _state["mode"]
    _state["mode"] = mode
    _seen.clear()
    _state["failed"] = 0
    for hook in _hooks:
        hook(mode != "off")
    return old


def forget():
    """Drop every loaded loop from the table (tests: the next chains start over)."""
    wait()
    loops.clear()
    _seen.clear()


def info():
    """What show_runtime reports."""
    cc = compiler()
    return {"mode": _state["mode"], "compiler": " ".join(cc) if cc else None,
            "cache": _dir or None, "loops": len(loops), "compiled": _state["compiled"],
            "loaded": _state["loaded"], "compile_seconds": round(_state["compile_seconds"], 3),
            "failed": _state["failed"], "last_error": _state["error"]}


_state["mode"] = _env_mode()
