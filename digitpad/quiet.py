"""TensorFlow imported without its start-up notices, in the server and each training worker.

A teacher's terminal should show the app's own lines. TensorFlow's CUDA probe ("Could not find
cuda drivers", "failed call to cuInit") writes straight to the process's stderr before its log
level is read, so TF_CPP_MIN_LOG_LEVEL cannot hide it: stderr is pointed at /dev/null while
TensorFlow loads and finds its devices, and put back after. An import that fails still raises,
and its traceback is printed once stderr is back.
"""

from __future__ import annotations

import os
from pathlib import Path

from digitpad.compile_cache import keep_compiled_steps


def quiet_environment() -> None:
    """TensorFlow's later notices off; without an NVIDIA GPU, its search for CUDA too; compiled
    steps kept on disk. Set before TensorFlow is imported; training workers inherit it."""
    keep_compiled_steps()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not Path("/dev/nvidia0").exists():
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def import_tensorflow_quietly(threads: int | None = None) -> None:
    """Import TensorFlow and list its devices with stderr silenced (see the module's note);
    threads: the computing threads to give it, which must be set before its devices are."""
    quiet_environment()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import tensorflow as tf

        if threads is not None:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.list_logical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
