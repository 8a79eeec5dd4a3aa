"""The class's drawings in one SQLite file: the embedded default, which several copies of the app
on one machine may share (WAL, and a writer waits for another instead of failing)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digitpad.classdata.schema import Query, versions

BUSY_SECONDS = 10.0  # a writer waits this long for another one (the command line, another copy)

# the version is SQLite's PRAGMA user_version
MIGRATIONS = versions("INTEGER PRIMARY KEY AUTOINCREMENT", "REAL", "BLOB", "length")
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
