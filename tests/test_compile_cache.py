"""Compiled steps kept on disk: a fresh train.py finds the steps an earlier one compiled, and
learns exactly the same."""

import os
import re
import subprocess
import sys

from digitpad.compile_cache import (
    CACHE_ENV,
    CACHE_FLAG,
    cache_folder,
    keep_compiled_steps,
    keep_newest,
)
from tests.conftest import REPO


def test_the_folder_names_tensorflow_and_the_cpu(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    folder = cache_folder()
    assert folder.parent == tmp_path and re.fullmatch(r"tf-[\d.]+-cpu-[0-9a-f]{12}", folder.name)
    monkeypatch.setenv(CACHE_ENV, "")
    assert cache_folder() is None


def test_flags_already_naming_a_cache_are_kept(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    monkeypatch.setenv("TF_XLA_FLAGS", f"{CACHE_FLAG}=/elsewhere")
    keep_compiled_steps()
    assert os.environ["TF_XLA_FLAGS"] == f"{CACHE_FLAG}=/elsewhere"
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_auto_jit=0")
    keep_compiled_steps()
    assert os.environ["TF_XLA_FLAGS"] == f"--tf_xla_auto_jit=0 {CACHE_FLAG}={cache_folder()}"


def test_only_the_newest_are_kept_within_the_limit(tmp_path):
    for age, name in enumerate(["newest", "middle", "oldest"]):
        entry = tmp_path / name
        entry.write_bytes(b"x" * 100)
        os.utime(entry, (1e9 - age, 1e9 - age))
    keep_newest(tmp_path, 250)
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["middle", "newest"]


def test_a_second_train_py_reuses_the_first_ones_compiled_steps(tmp_path, mnist_dir):
    env = {**os.environ, CACHE_ENV: str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("TF_XLA_FLAGS", None)
    command = [sys.executable, "train.py", "--iterations", "30", "--augment",  # XLA everywhere
               "--data-dir", str(mnist_dir)]

    def run() -> str:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=300, check=True)
        return done.stdout.splitlines()[-1].rsplit(" ", 1)[0]  # all but train_seconds

    first = run()
    entries = list(tmp_path.rglob("*.pb"))
    assert entries, "nothing compiled was kept"
    stamps = [entry.stat().st_mtime_ns for entry in entries]
    assert run() == first
    assert list(tmp_path.rglob("*.pb")) == entries
    assert [entry.stat().st_mtime_ns for entry in entries] == stamps  # read, not written again
