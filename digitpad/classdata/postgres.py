"""The class's drawings in PostgreSQL, for copies of the app that share one class: every copy
reaches the same database through a small pool of connections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from digitpad.classdata.schema import Query, versions

POOL_SIZE = 4  # connections per copy: saves are short, and the pad never waits on them
CONNECT_SECONDS = 5.0  # a save gives up on an unreachable server after about this long
WRITE_LOCK = 0x64696769  # the advisory lock that orders writers across copies ("digi")

# the version is kept in a table of its own, made with the first
MIGRATIONS = versions("BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION", "BYTEA", "octet_length")
MIGRATIONS[0][:0] = ["CREATE TABLE digitpad_schema (version INTEGER NOT NULL)",
                     "INSERT INTO digitpad_schema VALUES (0)"]
ERRORS = (psycopg.Error, PoolTimeout)
UNREACHABLE = (psycopg.OperationalError, PoolTimeout)  # the server stopped or cannot be reached


class PostgresStore:
    """A pool of connections to one database; a transaction holds the store's write lock, so
    checks and the write that depends on them see the same rows in every copy."""

    migrations = MIGRATIONS
    errors = ERRORS
    unreachable = UNREACHABLE

    def __init__(self, url: str) -> None:
        self.pool = ConnectionPool(url, min_size=1, max_size=POOL_SIZE, open=False,
                                   timeout=CONNECT_SECONDS, check=ConnectionPool.check_connection,
                                   kwargs={"connect_timeout": int(CONNECT_SECONDS)})
        try:
            self.pool.open(wait=True, timeout=CONNECT_SECONDS)
        except PoolTimeout:
            self.pool.close()  # or it goes on trying in the background
            raise

    @contextmanager
    def transaction(self) -> Iterator[Query]:
        with self.pool.connection() as connection, connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            # the store's queries are written with SQLite's placeholder, psycopg's is %s
            yield lambda sql, args=(): connection.execute(sql.replace("?", "%s"), args)

    @staticmethod
    def version(query: Query) -> int:
        exists = query("SELECT to_regclass('digitpad_schema')").fetchone()[0]
        return 0 if exists is None else query("SELECT version FROM digitpad_schema").fetchone()[0]

    @staticmethod
    def set_version(query: Query, number: int) -> None:
        query("UPDATE digitpad_schema SET version = ?", (number,))

    def close(self) -> None:
        self.pool.close()

