"""Every benchmark in bench/ imports and describes its command line: a bench broken by a change
elsewhere (a helper renamed or moved) fails here, not when someone next measures with it."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bench

BENCHES = sorted(module.name for module in pkgutil.iter_modules(bench.__path__))


def test_there_are_benches():
    assert {"class_train", "train_speed", "unseen_writers", "predict_speed"} <= set(BENCHES)


@pytest.mark.parametrize("name", BENCHES)
def test_each_bench_imports_and_says_how_to_run_it(name):
    module = importlib.import_module(f"bench.{name}")
    how = (f"python -m bench.{name}", f"python bench/{name}.py")  # a module, or an app's script
    assert module.__doc__ and any(command in module.__doc__ for command in how), name
