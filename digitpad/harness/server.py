"""Start the app as a real process and talk to it as the page and programs do; and how much CPU
it uses. Shared by the tests, the benches, the screenshots and deploy/run_copies.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx
from gradio_client import Client

REPO = Path(__file__).resolve().parents[2]
MODEL = "model/digitpad.keras"
# seconds for the app to answer (TensorFlow import, model load, trace); more on a crowded machine
START_TIMEOUT = float(os.environ.get("DIGITPAD_START_TIMEOUT", "90"))
REQUEST_TIMEOUT = 30.0  # a client gives up on an answer after this long
SETTLE_CORES = 0.15  # the app counts as idle below this CPU use ...
SETTLE_WINDOW = 2.0  # ... over this many seconds
SETTLE_TIMEOUT = 120.0


class AppDidNotStart(RuntimeError):
    """The app (or nginx) died or did not answer in time; the message holds its output."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(model: str = MODEL, timeout: float = START_TIMEOUT, script: str = "app.py",
                args: tuple[str, ...] = (), log_path: Path | None = None) -> Iterator[str]:
    """`python app.py --port <free> --model <model> [args]` from the repo root; yields its URL.
    Its output goes to log_path when given (what the server's operator reads), else is kept
    to show if it fails to start."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with open(log_path, "w+") if log_path else tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen([sys.executable, script, "--port", str(port), "--model", model,
                                 *args],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(url, proc, lambda: tail(log), timeout)
            yield url
        finally:
            stop(proc)


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


def tail(log, chars: int = 4000) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-chars:]


# -- the page's events, as the page sends them -----------------------------------------------

def page_event(url: str, elem_id: str, trigger: str) -> tuple[int, int]:
    """(fn_index, component id) of one component's event, read from the app's /config."""
    config = httpx.get(url + "config", timeout=30).json()
    component = next(c["id"] for c in config["components"]
                     if c["props"].get("elem_id") == elem_id)
    index = next(i for i, d in enumerate(config["dependencies"])
                 if [component, trigger] in d["targets"])
    return index, component


def api_event(url: str, api_name: str) -> tuple[int, None]:
    """(fn_index, no trigger) of a named API endpoint, as gradio_client calls it."""
    config = httpx.get(url + "config", timeout=30).json()
    return next(i for i, d in enumerate(config["dependencies"])
                if d.get("api_name") == api_name), None


def join(client: httpx.Client, url: str, event: tuple[int, int | None], data: list,
         session: str) -> str:
    """Queue an event as the page does; its event id."""
    fn_index, trigger = event
    answer = client.post(url + "gradio_api/queue/join", json={
        "data": data, "fn_index": fn_index, "trigger_id": trigger, "session_hash": session,
        "event_data": None, "simple_format": True})
    answer.raise_for_status()
    return answer.json()["event_id"]


def session_messages(client: httpx.Client, url: str, session: str) -> Iterator[dict]:
    """The session's one event stream, as the page reads it: the messages of all its events.
    A second reader of the same session would take some of them away from the first."""
    with client.stream("GET", url + "gradio_api/queue/data",
                       params={"session_hash": session}, timeout=None) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                yield json.loads(line[5:])


def queued_event(client: httpx.Client, url: str, event: tuple[int, int | None], data: list,
                 session: str) -> Iterator[tuple[str, list | None]]:
    """Send a queued event as the page does (join the queue, then read the session's event
    stream); yield (message kind, the outputs in full) of this event until it completes or
    fails."""
    event_id = join(client, url, event, data, session)
    for message in session_messages(client, url, session):
        if message.get("event_id") not in (event_id, None):
            continue  # another event of the same session
        output = message.get("output") or {}
        yield message["msg"], output.get("data")
        if message["msg"] in ("process_completed", "close_stream", "unexpected_error"):
            return


def send_strokes(client: httpx.Client, url: str, strokes, model: str = "shipped",
                 ) -> httpx.Response:
    """Send strokes as the pad does after each stroke: one POST to /api/pad, answered with the
    answer panels' HTML by name ("result", "seen", "correct")."""
    return client.post(url + "api/pad", params={"model": model}, json={"strokes": strokes})


def upload(client: httpx.Client, url: str, path: Path) -> dict:
    """Upload a file as the page does before an upload event; the event's value for it."""
    with path.open("rb") as f:
        answer = client.post(url + "gradio_api/upload", files={"files": (path.name, f)})
    answer.raise_for_status()
    return {"path": answer.json()[0], "orig_name": path.name,
            "meta": {"_type": "gradio.FileData"}}


# -- what the app costs ----------------------------------------------------------------------

def app_pid(url: str) -> int:
    """The pid of this process's `python ... --port PORT` child, found in /proc."""
    port = str(urlparse(url).port)
    mine = str(os.getpid())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
        if parent == mine and port.encode() in argv:
            return int(proc.name)
    raise RuntimeError(f"no app child listening on port {port}")


def cpu_seconds(pid: int, children_only: bool = False) -> float:
    """User plus system CPU time a process and its live children (the app's training workers)
    have used, from /proc/PID/stat."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        if (stat.parent.name == str(pid) and not children_only) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def resident_mb(pid: int, children: bool = True) -> float:
    """Resident memory of a process and, unless told not to, its live children (the app's
    training workers), in MB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = dict(line.split(":", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue  # a process that ended meanwhile
        if status.parent.name == str(pid) or (
                children and lines.get("PPid", "").strip() == str(pid)):
            total += int(lines.get("VmRSS", "0 kB").split()[0])
    return total / 1024


def settle(url: str) -> float:
    """Wait until the app is idle (it loads drawings in the background after it answers);
    the seconds waited, at most SETTLE_TIMEOUT."""
    pid, began = app_pid(url), time.monotonic()
    while time.monotonic() - began < SETTLE_TIMEOUT:
        before = cpu_seconds(pid)
        time.sleep(SETTLE_WINDOW)
        if cpu_seconds(pid) - before < SETTLE_CORES * SETTLE_WINDOW:
            break
    return time.monotonic() - began


def own_cpu_seconds() -> float:
    """User plus system CPU time of this process, all threads."""
    times = os.times()
    return times.user + times.system


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine (all cores, not idle or waiting), from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def connect(url: str, timeout: float = REQUEST_TIMEOUT) -> Client:
    """A gradio_client for the local app, without certificate checks.

    gradio_client makes a new httpx client for every request; with checks on, each one loads
    the CA bundle (about 50 ms of CPU), so on two cores the bench would time the students'
    own overhead. The app is plain http on 127.0.0.1: there is no certificate to check.
    """
    return Client(url, verbose=False, analytics_enabled=False, ssl_verify=False,
                  httpx_kwargs={"timeout": timeout})


def has_train(url: str) -> bool:
    """Whether the running app offers the /train API yet."""
    client = connect(url)
    try:
        return "/train" in client.view_api(print_info=False, return_format="dict")[
            "named_endpoints"]
    finally:
        client.close()


