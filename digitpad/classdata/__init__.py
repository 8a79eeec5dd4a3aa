"""The class's corrected drawings: the store (store.py) and its command line (__main__.py)."""

from digitpad.classdata.store import (
    DEFAULT_DB,
    DEFAULT_LIMIT,
    FULL,
    MAX_DRAWING_BYTES,
    MIGRATIONS,
    NOT_A_DIGIT,
    RATE_LIMIT,
    RATE_SECONDS,
    SAVED,
    TOO_FAST,
    UNDO_SECONDS,
    ClassData,
    ClassDataError,
    Drawing,
    NotSaved,
    encode_strokes,
    session_id,
)

__all__ = ["DEFAULT_DB", "DEFAULT_LIMIT", "FULL", "MAX_DRAWING_BYTES", "MIGRATIONS", "NOT_A_DIGIT",
           "RATE_LIMIT", "RATE_SECONDS", "SAVED", "TOO_FAST", "UNDO_SECONDS", "ClassData",
           "ClassDataError", "Drawing", "NotSaved", "encode_strokes", "session_id"]
