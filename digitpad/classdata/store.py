"""The class's corrected drawings in a store (SQLite or PostgreSQL): limits, messages, migrations.

A row is a drawing as the pad sent it, the digit the person said it was, what the model read
and which model read it, and when; no name, no address. Sessions are kept only as a hash, to
count one person's drawings and to split the class's drawings by person.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

from digitpad.classdata.schema import Query
from digitpad.data import DATA, as_uint8
from digitpad.strokes import Strokes

if TYPE_CHECKING:
    from digitpad.reading import Reading

DEFAULT_DB = DATA / "class.db"
DEFAULT_LIMIT = 10_000  # drawings the database holds at most (about 30 MB at the pad's largest)
RATE_LIMIT = 20  # saves per session ...
RATE_SECONDS = 60.0  # ... in this many seconds
URL_SCHEMES = ("postgresql", "postgres")
SAVED = "Saved: thank you"
TOO_FAST = "You have saved many drawings in a minute; wait a little."
FULL = ("The class's collection is full: nothing more can be saved until the person running "
        "the app makes room.")
NOT_A_DIGIT = "Tap one of the ten digits 0 to 9."
STORE_DOWN = ("The class's drawings cannot be reached right now. Drawing and training go on; "
              "press Refresh in a minute.")
UNREACHABLE = ("Your drawing could not be kept: the class's collection cannot be reached right "
               "now. Drawing and training go on; try saving again in a minute.")
UNDO_SECONDS = 60.0  # a saved drawing can be taken back by its session this long


class ClassDataError(Exception):
    """The store cannot be opened: not a database, a newer schema, no way to write, or a URL
    this app cannot use."""


class NotSaved(Exception):
    """A correction that was not kept; its message says why in plain words."""


class Unreachable(Exception):
    """The store did not answer (its server stopped, the disk failed); it may come back."""


class Drawing(NamedTuple):
    """One stored drawing."""

    id: int
    created: float
    session: str
    label: int
    strokes: list
    read: int
    model: str


class Store(Protocol):
    """A place that keeps the drawings: SQLite (sqlite.py) or PostgreSQL (postgres.py)."""

    migrations: list[list[str]]
    errors: tuple[type[BaseException], ...]  # anything it raises
    unreachable: tuple[type[BaseException], ...]  # it did not answer; it may come back

    def transaction(self) -> AbstractContextManager[Query]: ...
    def version(self, query: Query) -> int: ...
    def set_version(self, query: Query, number: int) -> None: ...
    def close(self) -> None: ...


def default_db() -> str:
    """The store when none is named: $DIGITPAD_DB, else the file in data/."""
    return os.environ.get("DIGITPAD_DB") or str(DEFAULT_DB)


def is_url(target: str | Path) -> bool:
    return "://" in str(target)


def open_store(target: str | Path) -> Store:
    """SQLite for a file name, PostgreSQL for a postgresql:// URL; any other URL is refused,
    never taken for a file name."""
    text = str(target)
    scheme = text.partition("://")[0]
    if not is_url(text):
        from digitpad.classdata.sqlite import SqliteStore as kind
    elif scheme in URL_SCHEMES:
        from digitpad.classdata.postgres import PostgresStore as kind
    else:
        raise ClassDataError(f"{scheme}:// is not a store this app can use: give a file name or "
                             "a postgresql://user:password@host:5432/name URL")
    try:
        return kind(text)
    except kind.errors as e:
        raise ClassDataError(f"cannot use {where(text)} for the class's drawings: {e}") from e


def migrate(store: Store) -> int:
    """Apply the migrations the store has not had yet, in order, in one transaction."""
    with store.transaction() as query:
        version = store.version(query)
        if version > len(store.migrations):
            raise ClassDataError(f"its schema version {version} is newer than this digitpad's "
                                 f"{len(store.migrations)}")
        for number, statements in enumerate(store.migrations[version:], start=version + 1):
            for statement in statements:
                query(statement)
            store.set_version(query, number)
    return len(store.migrations)


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
    """The class's drawings in a store; every failure of the store is a plain sentence."""

    def __init__(self, target: str | Path, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self.store = open_store(target)
        try:
            migrate(self.store)
        except self.store.errors as e:
            self.store.close()
            raise ClassDataError(f"cannot use {where(target)} for the class's drawings: "
                                 f"{e}") from e

    @contextmanager
    def transaction(self) -> Iterator[Query]:
        """A transaction of the store; Unreachable when the store does not answer."""
        try:
            with self.store.transaction() as query:
                yield query
        except self.store.unreachable as e:
            raise Unreachable(str(e)) from e

    def save(self, session: str, strokes: Strokes, label: object, reading: Reading,
             model: str, now: float | None = None) -> str:
        """Keep one corrected drawing; SAVED once it is committed (a second tap on the same
        drawing saves nothing more). NotSaved when the tap, the session or the store say no."""
        if type(label) is not int or not 0 <= label <= 9:
            raise NotSaved(NOT_A_DIGIT)
        key, session, text = drawing_key(session, strokes), session_id(session), \
            encode_strokes(strokes)
        now = time.time() if now is None else now
        try:
            with self.transaction() as query:
                if query("SELECT 1 FROM drawings WHERE key = ?", (key,)).fetchone():
                    return SAVED
                recent = query("SELECT COUNT(*) FROM drawings WHERE session = ? AND created > ?",
                               (session, now - RATE_SECONDS)).fetchone()[0]
                if recent >= RATE_LIMIT:
                    raise NotSaved(TOO_FAST)
                if query("SELECT COUNT(*) FROM drawings").fetchone()[0] >= self.limit:
                    raise NotSaved(FULL)
                query("INSERT INTO drawings (created, session, label, strokes, read, "
                      "probabilities, model, digit, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (now, session, label, text, reading.best,
                       json.dumps([round(float(p), 6) for p in reading.probabilities]), model,
                       as_uint8(reading.digit).tobytes(), key))
        except Unreachable as e:
            raise NotSaved(UNREACHABLE) from e
        return SAVED

    def id_of(self, session: str, strokes: Strokes) -> int | None:
        """The id of a session's saved drawing, if it is saved."""
        with self.transaction() as query:
            row = query("SELECT id FROM drawings WHERE key = ?",
                        (drawing_key(session, strokes),)).fetchone()
        return None if row is None else row[0]

    def forget(self, session: str, strokes: Strokes, now: float | None = None) -> bool:
        """Take back a session's drawing saved less than UNDO_SECONDS ago (a wrong tap); True
        if it was deleted."""
        now = time.time() if now is None else now
        with self.transaction() as query:
            return query("DELETE FROM drawings WHERE key = ? AND created > ?",
                         (drawing_key(session, strokes), now - UNDO_SECONDS)).rowcount == 1

    def drawings(self) -> list[Drawing]:
        """Every drawing, oldest first."""
        with self.transaction() as query:
            rows = query("SELECT id, created, session, label, strokes, read, model FROM drawings "
                         "ORDER BY id").fetchall()
        return [Drawing(i, c, s, label, json.loads(text), r, m)
                for i, c, s, label, text, r, m in rows]

    def digits(self) -> tuple[np.ndarray, np.ndarray]:
        """Labels and the 28x28 uint8 digits the network saw when each was saved, newest first."""
        with self.transaction() as query:
            rows = query("SELECT label, digit FROM drawings ORDER BY id DESC").fetchall()
        labels = np.array([label for label, _ in rows], dtype=np.int64)
        images = np.frombuffer(b"".join(bytes(d) for _, d in rows), np.uint8).reshape(-1, 28, 28)
        return labels, images

    def delete(self, drawing_id: int) -> bool:
        with self.transaction() as query:
            return query("DELETE FROM drawings WHERE id = ?", (drawing_id,)).rowcount == 1

    def clear(self) -> int:
        with self.transaction() as query:
            return query("DELETE FROM drawings").rowcount

    def close(self) -> None:
        self.store.close()


def where(target: str | Path) -> str:
    """The store named for the operator's messages, without a URL's password."""
    text = str(target)
    if not is_url(text):
        return text
    scheme, _, rest = text.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"
