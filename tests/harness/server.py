"""Start the app as a real process and talk to it as the page and programs do; and how much CPU
it uses. Shared by the tests, the benches and the screenshots."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx
from gradio_client import Client

from deploy.processes import free_port, stop, tail, wait_for_http

REPO = Path(__file__).resolve().parents[2]
MODEL = "model/digitpad.keras"
# seconds for the app to answer (TensorFlow import, model load, trace); more on a crowded machine
START_TIMEOUT = float(os.environ.get("DIGITPAD_START_TIMEOUT", "90"))
REQUEST_TIMEOUT = 30.0  # a client gives up on an answer after this long
SETTLE_CORES = 0.15  # the app counts as idle below this CPU use ...
SETTLE_WINDOW = 2.0  # ... over this many seconds
SETTLE_TIMEOUT = 120.0


@contextmanager
def running_app(model: str = MODEL, timeout: float = START_TIMEOUT, script: str = "app.py",
                args: tuple[str, ...] = (), log_path: Path | None = None,
                env: dict[str, str] | None = None) -> Iterator[str]:
    """`python app.py --port <free> --model <model> [args]` from the repo root, with env added to
    its environment; yields its URL. Its output goes to log_path when given (what the server's
    operator reads), else is kept to show if it fails to start."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1",
           **(env or {})}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryDirectory(prefix="digitpad-app-") as folder:
        log = log_path or Path(folder) / "app.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, script, "--port", str(port), "--model",
                                     model, *args],
                                    cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_http(url, proc, lambda: tail(log), timeout)
            yield url
        finally:
            stop(proc)


# -- the page's events, as the page sends them -----------------------------------------------

def page_event(url: str, elem_id: str, trigger: str) -> tuple[int, int]:
    """(fn_index, component id) of one component's event, read from the app's /config."""
    config = httpx.get(url + "config", timeout=30).json()
    component = next(c["id"] for c in config["components"]
                     if c["props"].get("elem_id") == elem_id)
    index = next(i for i, d in enumerate(config["dependencies"])
                 if [component, trigger] in d["targets"])
    return index, component


def then_event(url: str, event: tuple[int, int]) -> tuple[int, int]:
    """(fn_index, trigger) of what the page runs once this event is over (its `.then`): the
    page sends it with the first event's trigger."""
    config = httpx.get(url + "config", timeout=30).json()
    index = next(i for i, d in enumerate(config["dependencies"])
                 if d.get("trigger_after") == event[0])
    return index, event[1]


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


def gallery_counts(url: str) -> dict[int, int]:
    """The Class drawings tab's counts per digit, by pressing its Refresh as the page does."""
    with httpx.Client(timeout=60) as client:
        for kind, data in queued_event(client, url, page_event(url, "class-refresh", "click"),
                                       [None], "gallery-reader"):
            if kind == "process_completed":
                return {int(d): int(n) for d, n in
                        re.findall(r'data-digit="(\d)" data-count="(\d+)"', data[0])}
    raise AssertionError("the gallery did not answer")


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


def wakeups(pid: int) -> int:
    """How many times the threads of a process (not its children) have been switched out,
    waiting or preempted, from /proc/PID/task/*/status."""
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            total += sum(int(line.split()[1]) for line in status.read_text().splitlines()
                         if "ctxt_switches:" in line)
        except OSError:
            continue  # a thread that ended meanwhile
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


