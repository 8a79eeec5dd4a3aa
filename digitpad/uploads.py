"""Gradio's cache of uploads and pictures under a disk budget.

Gradio's upload route keeps any file up to the upload limit until --cache-seconds have passed:
one script could fill the disk at tens of MB a second for an hour. Here the cache holds at most
its budget (the oldest files deleted first, and room made before an upload comes in), each
client uploads at most UPLOAD_MB_PER_MINUTE, an upload that is not a readable image is deleted
as soon as it is stored, one the Draw tab has read a few seconds later, and any other once
--cache-seconds old (Gradio's own cleaning leaves uploads that no event used).
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
from PIL import Image

from digitpad.limits import MB, UPLOAD_LIMIT, ASGIApp, Message, Receive, Scope, Send
from digitpad.preprocess import BOMB, FORMATS, UNREADABLE

UPLOAD_MB_PER_MINUTE = 60  # per client; each upload counts at least MIN_CHARGE
MIN_CHARGE = 64 * 1024  # a file's folder and inode: a flood of tiny files is bounded too
READ_SECONDS = 5  # an upload the Draw tab has read is kept this long, for the page's preview
SWEEP_SECONDS = 1.0  # how often due files are deleted
BUDGET_SWEEPS = 60  # and every this many, the budget and age kept against the app's own pictures:
# a walk of the whole folder, which holds thousands of files on a server that has run for a while
TOO_MANY = "You have uploaded a lot in the last minute: wait a little, then try again."


def files(folder: Path) -> Iterator[os.DirEntry]:
    """Every file under folder (the cache's files sit in one folder each)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from files(Path(entry.path))
        elif entry.is_file(follow_symlinks=False):
            yield entry


def is_image(path: Path) -> bool:
    """Whether the file opens as an image of a format the app reads (its header only); one too
    large to read stays, for the Draw tab to say so."""
    try:
        with Image.open(path, formats=FORMATS):
            return True
    except BOMB:
        return True
    except UNREADABLE:
        return False


class UploadCache:
    """The cache folder's budget, and the uploads to delete soon. Its checks run on one thread
    of their own every SWEEP_SECONDS, and before each upload."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.budget = 0
        self.max_age = float("inf")  # seconds a file may stay, whatever else happens to it
        self.kept: set[str] = set()  # cached before the app served (the examples): never deleted
        self.due: dict[Path, float] = {}  # files to delete, and when
        self.incoming = 0  # bytes of the uploads under way: room kept for them all at once
        self.lock = threading.Lock()

    def start(self, folder: Path, budget_mb: int, max_age: float) -> None:
        """Keep folder within budget_mb and its files under max_age seconds old from now on;
        what it holds now stays."""
        self.folder, self.budget, self.max_age = folder.resolve(), budget_mb * MB, max_age
        self.kept = {entry.path for entry in files(self.folder)}
        threading.Thread(target=self.sweep_forever, daemon=True, name="upload-cache").start()

    def remove(self, path: Path) -> None:
        """Delete a cached file, and its own folder once empty; gone already is fine."""
        try:
            path.unlink()
            if path.parent != self.folder:
                path.parent.rmdir()
        except OSError:
            pass

    def read(self, path: str | Path) -> None:
        """The Draw tab has read this upload: delete it in READ_SECONDS."""
        path = Path(path).resolve()
        if self.folder is not None and path.is_relative_to(self.folder) and \
                str(path) not in self.kept:
            with self.lock:
                self.due[path] = time.monotonic() + READ_SECONDS

    def arrived(self, paths: list[str]) -> None:
        """Uploads just stored: any that is not a readable image is deleted at once."""
        for path in (Path(p).resolve() for p in paths):
            if self.folder is not None and path.is_relative_to(self.folder) and not is_image(path):
                self.remove(path)

    def make_room(self, incoming: int) -> None:
        """Delete the files older than max_age, then the oldest until the folder and the bytes of
        every upload under way fit the budget; incoming joins those until `landed`."""
        if self.folder is None:
            return
        with self.lock:
            self.incoming += incoming
            under_way = self.incoming
        cached = sorted((e.stat().st_mtime, e.stat().st_size, e.path) for e in files(self.folder)
                        if e.path not in self.kept)
        total = sum(size for _, size, _ in cached) + under_way
        expired = time.time() - self.max_age
        for modified, size, path in cached:
            if total <= self.budget and modified >= expired:
                break
            self.remove(Path(path))
            total -= size

    def landed(self, incoming: int) -> None:
        """An upload given room by make_room is over: its bytes are in the folder or gone."""
        with self.lock:
            self.incoming -= incoming

    def sweep(self, keep_budget: bool) -> None:
        """Delete the files that are due, then keep the budget if asked."""
        now = time.monotonic()
        with self.lock:
            due = [path for path, when in self.due.items() if when <= now]
            for path in due:
                del self.due[path]
        for path in due:
            self.remove(path)
        if keep_budget:  # a walk of the whole folder: uploads keep it themselves, before each
            self.make_room(0)

    def sweep_forever(self) -> None:
        for sweeps in itertools.count(1):
            time.sleep(SWEEP_SECONDS)
            self.sweep(sweeps % BUDGET_SWEEPS == 0)


CACHE = UploadCache()  # one per process, as Gradio's cache folder is


def client_of(scope: Scope) -> str | None:
    """Who sent the request: the address nginx saw when it came through the local proxy, else
    the peer's own; None for this machine itself (its operator's programs and benches)."""
    peer = (scope.get("client") or ("", 0))[0]
    if peer not in ("127.0.0.1", "::1"):
        return peer
    forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode("latin-1")
    return forwarded.split(",")[-1].strip() or None


class UploadGuard:
    """ASGI middleware on Gradio's upload route: each client's rate, room made in the cache
    before the file comes in, and the files stored checked once the route has answered."""

    def __init__(self, app: ASGIApp, cache: UploadCache = CACHE) -> None:
        self.app, self.cache = app, cache
        self.allowance: dict[str, tuple[float, float]] = {}  # client: (bytes left, when)

    def allowed(self, client: str, size: int) -> bool:
        """Take size from the client's allowance, refilled at UPLOAD_MB_PER_MINUTE."""
        rate = UPLOAD_MB_PER_MINUTE * MB / 60
        left, when = self.allowance.get(client, (UPLOAD_MB_PER_MINUTE * MB, time.monotonic()))
        now = time.monotonic()
        left = min(UPLOAD_MB_PER_MINUTE * MB, left + (now - when) * rate)
        if len(self.allowance) > 10_000:  # forget the clients that are full again
            self.allowance = {c: a for c, a in self.allowance.items() if now - a[1] < 60}
        self.allowance[client] = (left - size, now) if left >= size else (left, now)
        return left >= size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/upload"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        size = int(declared) if declared.isdigit() else UPLOAD_LIMIT
        client = client_of(scope)
        if client is not None and not self.allowed(client, max(size, MIN_CHARGE)):
            body = json.dumps({"error": TOO_MANY}).encode()
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode()),
                                    (b"retry-after", b"10")]})
            await send({"type": "http.response.body", "body": body})
            return
        incoming = min(size, UPLOAD_LIMIT)
        await anyio.to_thread.run_sync(self.cache.make_room, incoming)
        answer = bytearray()

        async def kept(message: Message) -> None:
            if message["type"] == "http.response.body" and len(answer) < 64 * 1024:
                answer.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, kept)  # Gradio's moves into the cache are done by now
        finally:
            self.cache.landed(incoming)
        try:
            paths = json.loads(answer)
        except ValueError:
            return
        if isinstance(paths, list) and all(isinstance(p, str) for p in paths):
            await anyio.to_thread.run_sync(self.cache.arrived, paths)
