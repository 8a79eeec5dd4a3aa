"""Several copies of the app behind nginx on this machine, each visitor kept on one copy by a
cookie.

    python -m deploy.run_copies [--host 0.0.0.0] [--db FILE|URL] N [PORT [-- app flags]]

Starts N copies of app.py on free 127.0.0.1 ports and waits until each answers, then writes
deploy/nginx.conf with their ports into a temporary folder and runs Debian's nginx from there
(its pid, logs and temporary files too, nothing in /var) on 127.0.0.1:PORT (default 8080;
--host 0.0.0.0 lets a classroom in, the copies stay on 127.0.0.1).
--db gives every copy the same store of the class's drawings: one SQLite file for copies on one
machine, a postgresql:// URL for copies on several. Ctrl+C or SIGTERM stops nginx and the
copies. Flags after -- go to every copy, e.g.
`-- --model model/digitpad.keras --data-dir ../shared/mnist`.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy.processes import AppDidNotStart, free_port, stop, tail, wait_for_http

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf")
NGINX = Path("/usr/sbin/nginx")
START_TIMEOUT = 180  # seconds for a copy to answer: TensorFlow, the model, MNIST, two at once


@dataclass
class Copies:
    """nginx and the copies behind it, running."""

    url: str  # nginx's: where visitors go
    copy_urls: list[str]  # each copy's own
    pids: list[int]  # the copies' processes
    folder: Path  # nginx's prefix: nginx.conf, logs/access.log, logs/error.log, copy-PORT.log

    @property
    def access_log(self) -> Path:
        return self.folder / "logs" / "access.log"


def nginx_config(ports: Sequence[int], listen: int, host: str = "127.0.0.1") -> str:
    """deploy/nginx.conf with one upstream server per copy, listening on host:listen."""
    servers = "\n".join(f"        server 127.0.0.1:{port};" for port in ports)
    return (TEMPLATE.read_text().replace("@SERVERS@", servers)
            .replace("@LISTEN@", f"{host}:{listen}"))


@contextmanager
def process(command: Sequence[str | os.PathLike], log: Path) -> Iterator[subprocess.Popen]:
    """A child process writing to log; ended politely on leaving, then firmly after 10 s."""
    env = {"GRADIO_ANALYTICS_ENABLED": "False", "TF_CPP_MIN_LOG_LEVEL": "3", **os.environ}
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(part) for part in command], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop(proc)


@contextmanager
def running_copies(copies: int, port: int, app_args: Sequence[str] = (),
                   host: str = "127.0.0.1") -> Iterator[Copies]:
    """copies of app.py on free ports and nginx on host:port in front, all stopped on leaving;
    the copies start at the same time."""
    with tempfile.TemporaryDirectory(prefix="digitpad-nginx-") as name, ExitStack() as stack:
        folder = Path(name)
        ports = [free_port() for _ in range(copies)]
        started = [(p, folder / f"copy-{p}.log") for p in ports]
        procs = [stack.enter_context(process(
            [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(p), *app_args], log))
            for p, log in started]
        for (p, log), proc in zip(started, procs, strict=True):
            wait_for_http(f"http://127.0.0.1:{p}/", proc, lambda log=log: tail(log),
                          START_TIMEOUT, f"the copy on port {p}")
        folder.chmod(0o755)  # run as root, nginx's workers are "nobody": they need temp/
        for sub in ("logs", "temp"):
            (folder / sub).mkdir()
        (folder / "nginx.conf").write_text(nginx_config(ports, port, host))
        log = folder / "logs" / "nginx.out"
        nginx = stack.enter_context(process(
            [NGINX, "-c", folder / "nginx.conf", "-p", folder, "-e", "logs/error.log",
             "-g", "daemon off;"], log))
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, nginx, lambda: tail(log), START_TIMEOUT, "nginx")
        yield Copies(url, [f"http://127.0.0.1:{p}/" for p in ports], [p.pid for p in procs],
                     folder)


def stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)  # unwinds running_copies, which stops nginx and the copies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("copies", type=int, help="how many copies of the app (one per core)")
    parser.add_argument("port", type=int, nargs="?", default=8080, help="nginx's port")
    parser.add_argument("app_args", nargs="*", help="after --: flags for every app.py")
    parser.add_argument("--host", default="127.0.0.1",
                        help="nginx's address; 0.0.0.0 lets other machines in")
    parser.add_argument("--db", help="the class's drawings, shared by every copy: an SQLite file "
                                     "or a postgresql://user:password@host:5432/name URL")
    args = parser.parse_args(argv)
    app_args = [*args.app_args, *(["--db", args.db] if args.db else [])]
    if not NGINX.is_file():
        print(f"error: nginx is not installed ({NGINX}): apt-get install nginx", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        with running_copies(args.copies, args.port, app_args, args.host) as copies:
            print(f"{args.copies} copies ({', '.join(copies.copy_urls)}) behind nginx: open "
                  f"{copies.url}\nlogs in {copies.folder}; Ctrl+C stops them all", flush=True)
            while True:
                time.sleep(3600)
    except AppDidNotStart as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
