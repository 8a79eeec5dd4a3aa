"""XLA's compiled training steps kept on disk between processes.

A fresh `python train.py`, or a restarted worker, would otherwise compile its steps again: about
2 s of the tutorial's run (docs/measurements.md). TensorFlow reads TF_XLA_FLAGS once, when it
first lists its devices or compiles, so keep_compiled_steps() runs before that: in
quiet.quiet_environment() for the app and its workers, on importing digitpad.steps for the rest.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
from pathlib import Path

CACHE_ENV = "DIGITPAD_XLA_CACHE"  # the folder to keep them in; empty: compile in every process
CACHE_FLAG = "--tf_xla_persistent_cache_directory"
CACHE_MB = 200  # the oldest compiled steps are deleted beyond this (one is 0.5 to 3 MB)


def cpu_signature() -> str:
    """What the compiled code depends on: the CPU's model and instruction sets, as Linux lists
    them (else the platform's name for it)."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return platform.processor() or platform.machine()
    lines = cpuinfo.read_text().splitlines()
    keys = ("model name", "flags")
    return "\n".join(dict.fromkeys(line for line in lines if line.startswith(keys)))


def cache_folder() -> Path | None:
    """A folder per TensorFlow version and kind of CPU: a home folder shared by several kinds
    of machine must not hand one machine another's instructions. None if turned off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen == "":
        return None
    home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    root = Path(chosen) if chosen else home_cache / "digitpad" / "xla"
    cpu = hashlib.sha256(cpu_signature().encode()).hexdigest()[:12]
    return root / f"tf-{importlib.metadata.version('tensorflow')}-cpu-{cpu}"


def keep_compiled_steps() -> None:
    """Point XLA's persistent cache at cache_folder(), unless TF_XLA_FLAGS already names one;
    where the folder cannot be made (a read-only home), steps compile in each process."""
    flags = os.environ.get("TF_XLA_FLAGS", "")
    folder = cache_folder()
    if folder is None or CACHE_FLAG in flags:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        keep_newest(folder, CACHE_MB * 2**20)
    except OSError:
        return
    os.environ["TF_XLA_FLAGS"] = f"{flags} {CACHE_FLAG}={folder}".strip()


def keep_newest(folder: Path, limit: int) -> None:
    """Delete the oldest files of folder until the rest hold at most limit bytes: every network
    shape and batch size a class tries leaves its compiled steps."""
    entries = sorted(folder.iterdir(), key=lambda entry: entry.stat().st_mtime, reverse=True)
    held = 0
    for entry in entries:
        held += entry.stat().st_size
        if held > limit:
            entry.unlink(missing_ok=True)
