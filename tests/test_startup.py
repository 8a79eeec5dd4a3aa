"""What a teacher's terminal shows when the app starts: its own lines, not TensorFlow's."""

from __future__ import annotations

import time

from tests.harness.server import running_app

WARM_TIMEOUT = 600  # seconds for the app and a training worker to load on a busy machine


def test_the_terminal_says_when_the_page_and_training_are_ready(tmp_path, monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")  # the app quiets TensorFlow itself
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    log = tmp_path / "app.log"
    with running_app(args=("--db", "", "--train-workers", "1"), log_path=log,
                     timeout=WARM_TIMEOUT) as url:
        deadline = time.monotonic() + WARM_TIMEOUT
        while "Training ready." not in log.read_text() and time.monotonic() < deadline:
            time.sleep(1)
        lines = log.read_text().splitlines()
    assert f"digitpad is ready: open {url}" in lines
    assert "start it with --share" in lines[1]
    assert lines[2].startswith("Training ready in about ") or lines[2] == "Training ready."
    assert "Training ready." in lines
    for noise in ("cuInit", "cuda", "absl", "TensorFlow binary", "share=True", "public link, set"):
        assert not any(noise in line for line in lines), (noise, lines)
