"""Files written atomically: to a temporary file beside the target, then renamed over it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE = 0o600  # mkstemp's own mode
SHARED = 0o644  # for files meant to be passed on: models and their cards


@contextmanager
def replacing(path: str | os.PathLike, mode: int = PRIVATE) -> Iterator[Path]:
    """A temporary path beside path to write to (same suffix, for writers that go by it); once
    the block ends it is on disk and renamed over path, so a reader sees the old file or the
    whole new one, never half. On an error path is left as it was and the temporary removed."""
    path = Path(path)
    handle, name = tempfile.mkstemp(suffix=path.suffix, dir=path.parent, prefix=f".{path.stem}-")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(path: str | os.PathLike, data: bytes, mode: int = PRIVATE) -> Path:
    """Write data to path with replacing()."""
    with replacing(path, mode) as temporary:
        temporary.write_bytes(data)
    return Path(path)
