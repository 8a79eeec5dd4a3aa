"""The class's drawings in one SQLite file: the embedded default, which several copies of the app
on one machine may share (WAL, and a writer waits for another instead of failing)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digitpad.classdata.schema import MAX_DRAWING_BYTES, Query

BUSY_SECONDS = 10.0  # a writer waits this long for another one (the command line, another copy)

# Each entry brings the schema from version i to i + 1 (PRAGMA user_version); never edit one
# that has shipped, append a new one, and the same version to postgres.MIGRATIONS.
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
ERRORS = (sqlite3.Error, OSError)
UNREACHABLE = (sqlite3.OperationalError, OSError)  # the disk failed, the lock never came


class SqliteStore:
    """One connection shared by the server's threads, used under a lock."""

    migrations = MIGRATIONS
    errors = ERRORS
    unreachable = UNREACHABLE

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = connect(self.path)

    @contextmanager
    def transaction(self) -> Iterator[Query]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error: the write lock is taken first,
        so checks and the write that depends on them see the same rows, in every copy."""
        with self.lock:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection.execute
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")

    @staticmethod
    def version(query: Query) -> int:
        return query("PRAGMA user_version").fetchone()[0]

    @staticmethod
    def set_version(query: Query, number: int) -> None:
        query(f"PRAGMA user_version = {number:d}")

    def close(self) -> None:
        with self.lock:
            self.connection.close()


def connect(path: Path) -> sqlite3.Connection:
    """The file in WAL mode with synchronous=FULL: a commit is on disk before "Saved" is said,
    so it survives the server being killed and the machine losing power."""
    connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None,
                                 check_same_thread=False)
    if connection.execute("PRAGMA journal_mode=WAL").fetchone()[0] != "wal":
        raise sqlite3.DatabaseError("it cannot be put in WAL mode")
    connection.execute("PRAGMA synchronous=FULL")
    return connection
