"""Shared fixtures for tern's integration tests: the binary under test and the reference data.

The binary is $TERN_BIN (make test points it at the ASan+UBSan build), else build/release/tern.
The reference data sits beside the repository in ../shared (or $TERN_SHARED); tests that need
it skip with a message saying so when it is absent.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tern_bin():
    path = pathlib.Path(os.environ.get("TERN_BIN", ROOT / "build" / "release" / "tern"))
    if not path.exists():
        pytest.fail(f"tern binary not found at {path}: run 'make' first or set TERN_BIN")
    return str(path)


@pytest.fixture(scope="session")
def shared_dir():
    path = pathlib.Path(os.environ.get("TERN_SHARED", ROOT.parent / "shared"))
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path} (it sits beside the repository; "
                    "set TERN_SHARED to point at it)")
    return path


@pytest.fixture
def tern(tern_bin):
    """Runs tern with arguments (and optional stdin), returning the CompletedProcess."""
    def run(*args, stdin=None, timeout=60):
        return subprocess.run([tern_bin, *args], input=stdin, capture_output=True,
                              timeout=timeout)
    return run
