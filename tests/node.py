"""Node packages for the client and router checks, pinned by lock files, installed once into .cache/.

A folder under tests/ holds a package.json, its package-lock.json and the scripts; ``install``
copies them to .cache/NAME and runs ``npm ci`` there when the lock file changed, and ``run`` runs
one script with node and returns what it printed as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


# What a copy leaves behind: what npm, a build and codegen make.
_NOT_COPIED = shutil.ignore_patterns("node_modules", "dist", "generated")


def install(name: str, source: Path | None = None) -> Path:
    """The installed copy of tests/NAME (or of ``source``, its whole tree), in .cache/NAME; skipped
    without node outside CI, a failure in CI."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for this check")
        pytest.skip("node and npm are not installed")
    source = source or ROOT / "tests" / name
    target = ROOT / ".cache" / name
    target.mkdir(parents=True, exist_ok=True)
    lock = (source / "package-lock.json").read_bytes()
    installed = target / "node_modules" / ".installed-lock"
    shutil.copytree(source, target, ignore=_NOT_COPIED, dirs_exist_ok=True)
    if not installed.is_file() or installed.read_bytes() != lock:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=target,
            check=True,
            timeout=600,
        )
        installed.write_bytes(lock)
    return target


def run(folder: Path, script: str, *args: str, timeout: float = 120) -> Any:
    """Run a script of an installed folder; the last line it prints is its JSON answer (libraries may
    log lines of their own before it)."""
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, script, *args], cwd=folder, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
