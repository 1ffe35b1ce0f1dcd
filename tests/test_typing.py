"""The public API type-checks: mypy on a small user script (tests/typing/user_script.py)
passes against the package's stubs (.pyi beside every Cython module, py.typed)."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _mypy():
    try:
        import mypy  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "mypy"]


def test_py_typed_and_stubs_are_present():
    core = os.path.join(ROOT, "dotcompute", "_core")
    assert os.path.exists(os.path.join(ROOT, "dotcompute", "py.typed"))
    assert os.path.exists(os.path.join(ROOT, "dotcompute", "__init__.pyi"))
    for name in os.listdir(core):
        if name.endswith(".pyx"):
            stub = os.path.join(core, name[:-4] + ".pyi")
            assert os.path.exists(stub), f"no stub for {name}"


def test_mypy_on_a_user_script():
    cmd = _mypy()
    if cmd is None:
        pytest.fail("mypy is not installed (it is in the `test` extra)")
    env = dict(os.environ, MYPYPATH=ROOT)
    r = subprocess.run(cmd + ["--no-incremental", "--cache-dir", os.devnull,
                              "--follow-imports=silent",
                              os.path.join(HERE, "typing", "user_script.py")],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_rejects_a_misuse():
    """The check has teeth: a wrong keyword and a wrong type are reported."""
    cmd = _mypy()
    if cmd is None:
        pytest.fail("mypy is not installed (it is in the `test` extra)")
    code = ("import dotcompute as dc\n"
            "a = dc.zeros(3)\n"
            "n: int = a.shape\n"
            "b = dc.zeros_like(a, devic='cpu')\n")
    env = dict(os.environ, MYPYPATH=ROOT)
    r = subprocess.run(cmd + ["--no-incremental", "--cache-dir", os.devnull,
                              "--follow-imports=silent", "-c", code],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Incompatible types in assignment" in r.stdout
    assert 'Unexpected keyword argument "devic"' in r.stdout


def test_user_script_runs():
    env = dict(os.environ, PYTHONPATH=ROOT)
    r = subprocess.run([sys.executable, os.path.join(HERE, "typing", "user_script.py")],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
