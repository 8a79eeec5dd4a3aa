"""The page: one module per tab, each building its layout and wiring its own events."""

from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
