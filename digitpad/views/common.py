"""Pieces more than one tab shows: a digit enlarged with square pixels, a status line."""

from __future__ import annotations

import html

import numpy as np

ENLARGE = 10  # the network's 28x28 view and saliency maps are shown at 280x280, square pixels


def enlarge(digit: np.ndarray, factor: int = ENLARGE) -> np.ndarray:
    """The 28x28 digit as a large uint8 image with square pixels, dark ink on white."""
    pixels = (255 * (1.0 - digit)).astype(np.uint8)
    return pixels.repeat(factor, axis=0).repeat(factor, axis=1)


def message_html(text: str, kind: str = "info") -> str:
    """A plain-language status line: info, or a problem the person can act on."""
    return f'<div class="dp-message dp-{kind}">{html.escape(text)}</div>'
