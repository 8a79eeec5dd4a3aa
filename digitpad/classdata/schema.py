"""What both stores share: the size bound of a stored drawing and the shape of a query."""

from collections.abc import Callable
from typing import Any

# A stored drawing is its checked strokes to 0.1 canvas pixel, as the pad sends them: within
# pad_strokes' limits (3,000 points, each at most "[-400.0,-400.0]," in JSON) that is under
# 48,200 bytes, and the table refuses anything larger.
MAX_DRAWING_BYTES = 50_000

Query = Callable[..., Any]  # query(sql with ? placeholders, args) -> a cursor
