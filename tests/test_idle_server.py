"""An idle server leaves the cores to the training workers: between requests it sleeps."""

from __future__ import annotations

import time

from tests.harness.server import app_pid, settle, wakeups

WINDOW = 5.0  # seconds the idle server is watched
MAX_WAKEUPS = 300  # a second, all its threads; Gradio's queue alone made 900 looking for work


def test_an_idle_server_wakes_seldom(app_server):
    pid = app_pid(app_server)
    settle(app_server)
    before, began = wakeups(pid), time.monotonic()
    time.sleep(WINDOW)
    rate = (wakeups(pid) - before) / (time.monotonic() - began)
    assert rate < MAX_WAKEUPS, f"the idle server woke {rate:.0f} times a second"
