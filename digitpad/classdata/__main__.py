"""The class's drawings from the command line.

    python -m digitpad.classdata [--db PATH|URL] list
    python -m digitpad.classdata [--db PATH] delete ID
    python -m digitpad.classdata [--db PATH] export FILE     # FILE.json or FILE.json.gz
    python -m digitpad.classdata [--db PATH] clear [--yes]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from digitpad.classdata.store import (
    DEFAULT_DB,
    ClassData,
    ClassDataError,
    Drawing,
    Unreachable,
    default_db,
    is_url,
)
from digitpad.files import write_atomically


def writers(drawings: Sequence[Drawing]) -> dict[str, int]:
    """A small number per session, 1, 2, ... in the order each first saved."""
    numbers: dict[str, int] = {}
    for drawing in drawings:
        numbers.setdefault(drawing.session, len(numbers) + 1)
    return numbers


def export_records(drawings: Sequence[Drawing]) -> list[dict]:
    """The format of data/pendigits-dev.json.gz, so digitpad.evaluate strokes reads it."""
    number = writers(drawings)
    return [{"label": d.label, "writer": number[d.session], "split": "class",
             "strokes": d.strokes} for d in drawings]


def export(path: Path, records: list[dict]) -> None:
    """JSON, gzipped for .gz, written atomically: a reader sees the old file or the whole new."""
    data = json.dumps(records, separators=(",", ":")).encode()
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    write_atomically(path, data)


def list_drawings(drawings: Sequence[Drawing]) -> None:
    number = writers(drawings)
    print("id\tsaved\tdigit\tread\twriter\tmodel")
    for d in drawings:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d.created))
        print(f"{d.id}\t{when}\t{d.label}\t{d.read}\t{number[d.session]}\t{d.model}")
    counts = np.bincount([d.label for d in drawings], minlength=10)
    print(f"{len(drawings)} drawings: " + ", ".join(f"{i}: {n}" for i, n in enumerate(counts)))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m digitpad.classdata", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=default_db(),
                        help="the app's --db: a file or a postgresql:// URL (default: "
                             f"$DIGITPAD_DB, else {DEFAULT_DB.name} in data/)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="every drawing, oldest first, and counts per digit")
    commands.add_parser("delete", help="delete one drawing").add_argument("id", type=int)
    commands.add_parser("export", help="write the drawings as pen-drawn digits").add_argument(
        "file", type=Path)
    commands.add_parser("clear", help="delete every drawing").add_argument(
        "--yes", action="store_true", help="do not ask")
    return parser.parse_args(argv)


def confirmed(question: str) -> bool:
    """Whether the person typed y; no answer (no terminal) is no."""
    try:
        return input(question).strip().lower() == "y"
    except EOFError:
        return False


def run(db: ClassData, args: argparse.Namespace) -> int:
    """One command on an open database; the exit status."""
    if args.command == "list":
        list_drawings(db.drawings())
    elif args.command == "delete":
        if not db.delete(args.id):
            print(f"error: no drawing {args.id}", file=sys.stderr)
            return 1
        print(f"deleted drawing {args.id}")
    elif args.command == "export":
        records = export_records(db.drawings())
        export(args.file, records)
        print(f"wrote {len(records)} drawings to {args.file}")
    elif args.yes or confirmed(f"Delete all {len(db.drawings())} drawings? [y/N] "):
        print(f"deleted {db.clear()} drawings")
    else:
        print("nothing deleted")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not is_url(args.db) and not Path(args.db).is_file():  # a typo must not create a file
        print(f"error: no class drawings at {args.db}", file=sys.stderr)
        return 2
    try:
        db = ClassData(args.db)
    except ClassDataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        return run(db, args)
    except (OSError, Unreachable) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        db.close()


if __name__ == "__main__":
    sys.exit(main())
