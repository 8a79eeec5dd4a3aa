"""A throwaway PostgreSQL server for the tests: a cluster of its own in a temporary folder, on a
free loopback port, removed afterwards. PostgreSQL refuses to run as root, so as root the server
runs as the `postgres` user that Debian's package creates."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from itertools import count
from pathlib import Path

from deploy.processes import free_port

PASSWORD = "class-password"
USER = "digitpad"


def server_programs() -> Path | None:
    """The folder of Debian's initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class Cluster:
    """One server: start it, stop it (to see what the app does without it), make databases."""

    def __init__(self, programs: Path) -> None:
        self.programs, self.port = programs, free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="digitpad-pg-"))
        self.data = self.folder / "data"
        self.as_server = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.numbers = count(1)
        password = self.folder / "password"
        password.write_text(PASSWORD)
        if self.as_server:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(password, "postgres", "postgres")
        self.run("initdb", "-D", str(self.data), "-U", USER, "-A", "scram-sha-256",
                 "--pwfile", str(password), "-E", "UTF8", "--no-sync")

    def run(self, program: str, *args: str) -> None:
        subprocess.run([*self.as_server, str(self.programs / program), *args], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                 "-o", options, "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        import psycopg

        name = f"class_{next(self.numbers)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def remove(self) -> None:
        subprocess.run([*self.as_server, str(self.programs / "pg_ctl"), "-D", str(self.data),
                        "-m", "immediate", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(self.folder, ignore_errors=True)
