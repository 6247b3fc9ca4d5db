"""`import laura` shortens libgomp's spin-wait unless the user chose one (laura/__init__.py;
bench/bench_threads.py measures why)."""

import os
import subprocess
import sys

import pytest

PROBE = "import os, laura; print(os.environ.get('GOMP_SPINCOUNT', '(unset)'))"


def without_openmp_settings() -> dict[str, str]:
    """This process's environment without the two variables laura looks at."""
    return {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}


def spincount_after_import(**env: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**without_openmp_settings(), **env},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "10000"),  # laura's default
        ({"GOMP_SPINCOUNT": "5"}, "5"),  # the user's own value wins
        ({"OMP_WAIT_POLICY": "ACTIVE"}, "(unset)"),  # a wait policy of the user's: left alone
    ],
)
def test_import_sets_the_spin_wait_unless_the_user_did(env: dict, expected: str) -> None:
    assert spincount_after_import(**env) == expected


def test_the_spin_wait_reaches_libgomp_when_laura_is_imported_first() -> None:
    """The variable must be in the C environment before torch loads libgomp, which reads it
    once: a child that imports laura, then torch, sees it through libc's getenv."""
    probe = (
        "import ctypes, laura, torch; libc = ctypes.CDLL(None); "
        "libc.getenv.restype = ctypes.c_char_p; print(libc.getenv(b'GOMP_SPINCOUNT').decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=without_openmp_settings(), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "10000"
