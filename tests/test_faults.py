"""Faults a teacher may meet: a missing or broken model file, a training killed while it saves,
and who can reach the app. Real processes, real files; independent processes run side by side
to keep the file quick."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from deploy.processes import free_port, stop
from digitpad.model import SHIPPED_MODEL, load_model
from tests.harness.server import REPO

START_TIMEOUT = 120  # TensorFlow import and model load on a busy machine
LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp
ENV = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONUNBUFFERED": "1"}


def start(script: str, *args: str, log: Path, niceness: int = 0) -> subprocess.Popen:
    """`python SCRIPT ARGS` from the repo root, stdout and stderr into log."""
    with log.open("w") as sink:
        return subprocess.Popen([sys.executable, script, *args], cwd=REPO, env=ENV,
                                stdout=sink, stderr=subprocess.STDOUT,
                                preexec_fn=lambda: os.nice(niceness))


def test_app_refuses_a_missing_or_broken_model_naming_the_file_and_the_fix(tmp_path):
    missing = tmp_path / "gone.keras"
    text = tmp_path / "notes.keras"
    text.write_text("not a model: remember to buy chalk\n")
    runs = {path: start("app.py", "--port", str(free_port()), "--model", str(path),
                        log=tmp_path / f"{path.stem}.log") for path in (missing, text)}
    for path, proc in runs.items():
        try:
            proc.wait(START_TIMEOUT)
        finally:
            stop(proc)
        output = (tmp_path / f"{path.stem}.log").read_text()
        assert proc.returncode != 0, output
        assert str(path) in output, output
        assert "train.py" in output or "git checkout" in output, output
        assert "Traceback" not in output, output
    assert "not found" in (tmp_path / "gone.log").read_text()


# -- a training killed while it saves ---------------------------------------------------------

def temp_model(folder: Path) -> Callable[[], bool]:
    """True while a temporary model file (a save in progress) is in folder."""
    return lambda: any(p.name.startswith(".model-") and p.suffix == ".keras"
                       for p in folder.iterdir())


def replaced(path: Path) -> Callable[[], bool]:
    """True once path is no longer the file it is now (the new model has landed)."""
    inode = path.stat().st_ino
    return lambda: path.stat().st_ino != inode


def printed(log: Path, text: str) -> Callable[[], bool]:
    return lambda: text in log.read_text()


def test_training_killed_at_any_point_leaves_a_loadable_model(tmp_path, mnist_dir):
    """Three trainings over a copy of the shipped model, each SIGKILLed at its own moment."""
    # iterations: past train.py's first progress line (at 100) only where that is the moment;
    # the others need a trained model to save, not a long training
    kill_points = {"while-training": (150, lambda folder: printed(folder / "log", "iteration")),
                   "while-saving": (10, temp_model),
                   "as-the-new-model-lands": (10, lambda folder: replaced(folder / "model.keras"))}
    runs = {}
    for name, (iterations, point) in kill_points.items():
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(SHIPPED_MODEL, folder / "model.keras")
        # a model of tens of megabytes, so its save lasts long enough to be caught in the act,
        # and a lower priority, so this watcher gets a core whenever it wakes; not the lowest,
        # which left them no core at all beside two busy processes
        proc = start("train.py", "--iterations", str(iterations), "--hidden", "2048,2048",
                     "--data-dir", str(mnist_dir), "--out", str(folder / "model.keras"),
                     log=folder / "log", niceness=5)
        runs[name] = (proc, point(folder))
    deadline = time.monotonic() + 2 * START_TIMEOUT
    while time.monotonic() < deadline and any(p.poll() is None for p, _ in runs.values()):
        for proc, ready in runs.values():
            if proc.poll() is None and ready():
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
        time.sleep(0.001)
    before = SHIPPED_MODEL.read_bytes()
    for name, (proc, _) in runs.items():
        stop(proc)
        out = tmp_path / name / "model.keras"
        assert proc.returncode == -signal.SIGKILL, (name, (tmp_path / name / "log").read_text())
        assert load_model(out).output_shape == (None, 10), name  # whole: the old or the new
        if name == "while-training":
            assert out.read_bytes() == before
        if name == "as-the-new-model-lands":
            assert out.read_bytes() != before


# -- the app's training workers end with it ----------------------------------------------------

def training_workers(pid: int) -> set[int]:
    """Live (not zombie) processes that pid spawned to train."""
    found = set()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            command = (proc / "cmdline").read_bytes()
        except OSError:
            continue  # ended meanwhile
        if stat[1] == str(pid) and stat[0] != "Z" and b"spawn_main" in command:
            found.add(int(proc.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_training_workers_end_with_the_app_however_it_ends(tmp_path):
    for ending in (signal.SIGTERM, signal.SIGKILL):
        proc = start("app.py", "--port", str(free_port()), "--train-workers", "2",
                     log=tmp_path / f"{ending.name}.log")
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while len(workers := training_workers(proc.pid)) < 2:
                assert proc.poll() is None and time.monotonic() < deadline, (
                    (tmp_path / f"{ending.name}.log").read_text())
                time.sleep(0.2)
            proc.send_signal(ending)
            proc.wait(30)
        finally:
            stop(proc)
        deadline = time.monotonic() + 5  # the issue: a worker ends within 5 s of its app
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, f"workers left after {ending.name}: {workers}"
            time.sleep(0.2)


# -- who can reach the app ----------------------------------------------------------------------

def listening(port: int) -> set[str]:
    """Local addresses (IPv4 dotted, IPv6 hex) with a socket listening on port."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, _, state = line.split()[1:4]
            address, hex_port = local.split(":")
            if state == LISTEN and int(hex_port, 16) == port:
                if len(address) == 8:
                    address = ".".join(str(b) for b in reversed(bytes.fromhex(address)))
                found.add(address)
    return found


def test_app_listens_on_loopback_by_default(app_server):
    """The shared app is started without --host, as a teacher starts it."""
    port = int(app_server.rsplit(":", 1)[1].strip("/"))
    assert listening(port) == {"127.0.0.1"}


def test_all_interfaces_gives_a_one_line_warning_with_the_url(tmp_path):
    port, log = free_port(), tmp_path / "open.log"
    proc = start("app.py", "--host", "0.0.0.0", "--port", str(port), log=log)
    try:  # the warning comes before the server starts: stop there
        deadline = time.monotonic() + START_TIMEOUT
        while ("http://" not in log.read_text() and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.05)
    finally:
        stop(proc)
    urls = [line for line in log.read_text().splitlines() if "http://" in line]
    assert len(urls) == 1, log.read_text()  # one line, whatever TensorFlow says around it
    assert "warning" in urls[0].lower() and f":{port}" in urls[0], urls[0]
