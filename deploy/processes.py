"""Start, wait for and stop the app's processes: what deploy/run_copies.py and the test and bench
tooling both need."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path


class AppDidNotStart(RuntimeError):
    """The app (or nginx) died or did not answer in time; the message holds its output."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """End a process politely, then firmly after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for_http(url: str, proc: subprocess.Popen, output: Callable[[], str], timeout: float,
                  what: str = "app.py") -> None:
    """Return once url answers 200; AppDidNotStart with the end of what's output if it dies or
    stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AppDidNotStart(f"{what} exited with code {proc.returncode}:\n{output()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise AppDidNotStart(f"{what} did not answer at {url} within {timeout:.0f} s:\n{output()}")


def tail(log: Path, chars: int = 4000) -> str:
    """The end of a process's log file."""
    return log.read_text(errors="replace")[-chars:]
