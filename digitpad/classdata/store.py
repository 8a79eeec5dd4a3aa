"""The class's corrected drawings, kept in SQLite: schema and migrations, limits, messages.

A row is a drawing as the pad sent it, the digit the person said it was, what the model read
and which model read it, and when; no name, no address. Sessions are kept only as a hash, to
count one person's drawings and to split the class's drawings by person.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from digitpad.data import DATA, as_uint8
from digitpad.strokes import Strokes

if TYPE_CHECKING:
    from digitpad.reading import Reading

DEFAULT_DB = DATA / "class.db"
DEFAULT_LIMIT = 10_000  # drawings the database holds at most (about 30 MB at the pad's largest)
RATE_LIMIT = 20  # saves per session ...
RATE_SECONDS = 60.0  # ... in this many seconds
BUSY_SECONDS = 10.0  # a writer waits this long for another one (the command line, another app)
# A stored drawing is its checked strokes to 0.1 canvas pixel, as the pad sends them: within
# pad_strokes' limits (3,000 points, each at most "[-400.0,-400.0]," in JSON) that is under
# 48,200 bytes, and the table refuses anything larger.
MAX_DRAWING_BYTES = 50_000
SAVED = "Saved: thank you"
TOO_FAST = "You have saved many drawings in a minute; wait a little."
FULL = ("The class's collection is full: nothing more can be saved until the person running "
        "the app makes room.")
NOT_A_DIGIT = "Tap one of the ten digits 0 to 9."
UNDO_SECONDS = 60.0  # a saved drawing can be taken back by its session this long

# Each entry brings the schema from version i to i + 1 (PRAGMA user_version); never edit one
# that has shipped, append a new one.
MIGRATIONS: list[list[str]] = [
    [f"""CREATE TABLE drawings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created REAL NOT NULL,
        session TEXT NOT NULL,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        strokes TEXT NOT NULL CHECK (length(strokes) <= {MAX_DRAWING_BYTES}),
        read INTEGER NOT NULL CHECK (read BETWEEN 0 AND 9),
        probabilities TEXT NOT NULL,
        model TEXT NOT NULL,
        digit BLOB NOT NULL CHECK (length(digit) = 784))"""],
    # one row per drawing and session, so a second tap saves nothing; a session's last minute
    # counted from an index, not a scan
    ["ALTER TABLE drawings ADD COLUMN key TEXT",
     "CREATE UNIQUE INDEX drawings_key ON drawings (key)",
     "CREATE INDEX drawings_session ON drawings (session, created)"],
]


class ClassDataError(Exception):
    """The database cannot be opened: not a database, a newer schema, or no way to write."""


class NotSaved(Exception):
    """A correction that was not kept; its message says why in plain words."""


class Drawing(NamedTuple):
    """One stored drawing."""

    id: int
    created: float
    session: str
    label: int
    strokes: list
    read: int
    model: str


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error: the write lock is taken first, so
    checks and the write that depends on them see the same rows."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def migrate(connection: sqlite3.Connection) -> int:
    """Apply the migrations the file has not had yet, in order, in one transaction."""
    with transaction(connection):
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise ClassDataError(f"its schema version {version} is newer than this digitpad's "
                                 f"{len(MIGRATIONS)}")
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """The file in WAL mode with synchronous=FULL: a commit is on disk before "Saved" is said,
    so it survives the server being killed and the machine losing power; its schema current."""
    connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None,
                                 check_same_thread=False)
    if connection.execute("PRAGMA journal_mode=WAL").fetchone()[0] != "wal":
        raise ClassDataError("it cannot be put in WAL mode")
    connection.execute("PRAGMA synchronous=FULL")
    migrate(connection)
    return connection


def session_id(session: str) -> str:
    """What is stored of a browser session: a hash, enough to tell sessions apart."""
    return hashlib.sha256(f"digitpad-class:{session}".encode()).hexdigest()[:16]


def drawing_key(session: str, strokes: Strokes) -> str:
    """One drawing of one session: a second tap on it saves nothing more."""
    text = f"{session_id(session)}\n{encode_strokes(strokes)}"
    return hashlib.sha256(text.encode()).hexdigest()


def encode_strokes(strokes: Strokes) -> str:
    """Checked strokes as compact JSON, to 0.1 canvas pixel as the pad sends them."""
    return json.dumps([np.round(stroke, 1).tolist() for stroke in strokes],
                      separators=(",", ":"))


class ClassData:
    """The class's drawings in one SQLite file; one connection shared by the server's threads,
    used under a lock."""

    def __init__(self, path: str | Path, limit: int = DEFAULT_LIMIT) -> None:
        self.path, self.limit = Path(path), limit
        self.lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = connect(self.path)
        except (sqlite3.Error, OSError) as e:
            raise ClassDataError(f"cannot use {self.path} for the class's drawings: {e}") from e

    def save(self, session: str, strokes: Strokes, label: object, reading: Reading,
             model: str, now: float | None = None) -> str:
        """Keep one corrected drawing; SAVED once it is committed (a second tap on the same
        drawing saves nothing more). NotSaved when the tap, the session or the file say no."""
        if type(label) is not int or not 0 <= label <= 9:
            raise NotSaved(NOT_A_DIGIT)
        key, session, text = drawing_key(session, strokes), session_id(session), \
            encode_strokes(strokes)
        now = time.time() if now is None else now
        query = self.connection.execute
        with self.lock, transaction(self.connection):
            if query("SELECT 1 FROM drawings WHERE key = ?", (key,)).fetchone():
                return SAVED
            recent = query("SELECT COUNT(*) FROM drawings WHERE session = ? AND created > ?",
                           (session, now - RATE_SECONDS)).fetchone()[0]
            if recent >= RATE_LIMIT:
                raise NotSaved(TOO_FAST)
            if query("SELECT COUNT(*) FROM drawings").fetchone()[0] >= self.limit:
                raise NotSaved(FULL)
            query("INSERT INTO drawings (created, session, label, strokes, read, probabilities, "
                  "model, digit, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (now, session, label, text, reading.best,
                   json.dumps([round(float(p), 6) for p in reading.probabilities]), model,
                   as_uint8(reading.digit).tobytes(), key))
        return SAVED

    def id_of(self, session: str, strokes: Strokes) -> int | None:
        """The id of a session's saved drawing, if it is saved."""
        with self.lock:
            row = self.connection.execute("SELECT id FROM drawings WHERE key = ?",
                                          (drawing_key(session, strokes),)).fetchone()
        return None if row is None else row[0]

    def forget(self, session: str, strokes: Strokes, now: float | None = None) -> bool:
        """Take back a session's drawing saved less than UNDO_SECONDS ago (a wrong tap); True
        if it was deleted."""
        now = time.time() if now is None else now
        with self.lock, transaction(self.connection):
            return self.connection.execute(
                "DELETE FROM drawings WHERE key = ? AND created > ?",
                (drawing_key(session, strokes), now - UNDO_SECONDS)).rowcount == 1

    def drawings(self) -> list[Drawing]:
        """Every drawing, oldest first."""
        with self.lock:
            rows = self.connection.execute(
                "SELECT id, created, session, label, strokes, read, model FROM drawings "
                "ORDER BY id").fetchall()
        return [Drawing(i, c, s, label, json.loads(text), r, m)
                for i, c, s, label, text, r, m in rows]

    def digits(self) -> tuple[np.ndarray, np.ndarray]:
        """Labels and the 28x28 uint8 digits the network saw when each was saved, newest first."""
        with self.lock:
            rows = self.connection.execute(
                "SELECT label, digit FROM drawings ORDER BY id DESC").fetchall()
        labels = np.array([label for label, _ in rows], dtype=np.int64)
        images = np.frombuffer(b"".join(d for _, d in rows), np.uint8).reshape(-1, 28, 28)
        return labels, images

    def delete(self, drawing_id: int) -> bool:
        with self.lock, transaction(self.connection):
            return self.connection.execute("DELETE FROM drawings WHERE id = ?",
                                           (drawing_id,)).rowcount == 1

    def clear(self) -> int:
        with self.lock, transaction(self.connection):
            return self.connection.execute("DELETE FROM drawings").rowcount

    def close(self) -> None:
        with self.lock:
            self.connection.close()
