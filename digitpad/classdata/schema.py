"""What both stores share: the schema's versions, the size bound of a stored drawing and the shape
of a query."""

from collections.abc import Callable
from typing import Any

# A stored drawing is its checked strokes to 0.1 canvas pixel, as the pad sends them: within
# pad_strokes' limits (3,000 points, each at most "[-400.0,-400.0]," in JSON) that is under
# 48,200 bytes, and the table refuses anything larger.
MAX_DRAWING_BYTES = 50_000

Query = Callable[..., Any]


def versions(id_type: str, real: str, blob: str, blob_length: str) -> list[list[str]]:
    """The schema's versions in one database's words: entry i brings it from version i to i + 1.
    Never edit one that has shipped; append a new one."""
    return [
        [f"""CREATE TABLE drawings (
            id {id_type},
            created {real} NOT NULL,
            session TEXT NOT NULL,
            label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
            strokes TEXT NOT NULL CHECK (length(strokes) <= {MAX_DRAWING_BYTES}),
            read INTEGER NOT NULL CHECK (read BETWEEN 0 AND 9),
            probabilities TEXT NOT NULL,
            model TEXT NOT NULL,
            digit {blob} NOT NULL CHECK ({blob_length}(digit) = 784))"""],
        # one row per drawing and session, so a second tap saves nothing; a session's last
        # minute counted from an index, not a scan
        ["ALTER TABLE drawings ADD COLUMN key TEXT",
         "CREATE UNIQUE INDEX drawings_key ON drawings (key)",
         "CREATE INDEX drawings_session ON drawings (session, created)"],
    ]  # query(sql with ? placeholders, args) -> a cursor
