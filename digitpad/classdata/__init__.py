"""The class's corrected drawings: the store (store.py) and its command line (__main__.py)."""

from digitpad.classdata.schema import MAX_DRAWING_BYTES
from digitpad.classdata.store import (
    DEFAULT_DB,
    DEFAULT_LIMIT,
    FULL,
    NOT_A_DIGIT,
    RATE_LIMIT,
    RATE_SECONDS,
    SAVED,
    STORE_DOWN,
    TOO_FAST,
    UNDO_SECONDS,
    UNREACHABLE,
    ClassData,
    ClassDataError,
    Drawing,
    NotSaved,
    Unreachable,
    default_db,
    encode_strokes,
    session_id,
)

__all__ = ["DEFAULT_DB", "DEFAULT_LIMIT", "FULL", "MAX_DRAWING_BYTES", "NOT_A_DIGIT",
           "RATE_LIMIT", "RATE_SECONDS", "SAVED", "STORE_DOWN", "TOO_FAST", "UNDO_SECONDS",
           "UNREACHABLE", "ClassData", "ClassDataError", "Drawing", "NotSaved", "Unreachable",
           "default_db", "encode_strokes", "session_id"]
