"""digitpad: draw a digit and watch a neural network read it; retrain it live with sliders.

    python app.py [--host 127.0.0.1] [--port 7860] [--model model/digitpad.keras] [--share]
                  [--data-dir MNIST_FOLDER] [--drawings pendigits-dev.json.gz]
                  [--db data/class.db|postgresql://...] [--db-limit 10000]
                  [--cache-seconds 3600] [--cache-mb 500]

--host and --port default to $GRADIO_SERVER_NAME and $GRADIO_SERVER_PORT when those are set
(as on a hosted Space), else to 127.0.0.1:7860: only this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitpad.classdata import ClassData
    from digitpad.data import Mnist
    from digitpad.scheduler import Scheduler
    from digitpad.ui.context import Shared

# Only the standard library at the top: each training worker imports this file again as it
# starts (multiprocessing's spawn), before it can arrange to end with the app. The rest is
# imported in the functions that use it.

TRAINING_OFF = "Training is off on this server: its MNIST files are missing or damaged."
DEFAULT_MAX_WORKERS = 4  # training processes by default: one per core, up to this many
# a training worker loads TensorFlow and MNIST as the server did before starting it, then
# trains a few steps: about this many times as long
WORKER_WARMUP_FACTOR = 1.5
QUEUE_LOOK_SECONDS = 0.01  # how often Gradio's queue looks for an event to start, when it has none
READY = "digitpad is ready: open {url}"
SHARE_HINT = "For a public link that works from anywhere, start it with --share."
SHARED = "Public link (for 72 hours): {url}"
TRAINING_WARMING = "Training ready in about {seconds} s (its workers are loading TensorFlow)."
TRAINING_READY = "Training ready."



def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from digitpad.classdata import DEFAULT_LIMIT, default_db
    from digitpad.data import SHIPPED_DRAWINGS
    from digitpad.limits import MB, UPLOAD_LIMIT
    from digitpad.model import SHIPPED_MODEL

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to listen on; 0.0.0.0 lets other machines in")
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--model", default=str(SHIPPED_MODEL))
    parser.add_argument("--share", action="store_true", help="also open a public share link")
    parser.add_argument("--data-dir", help="folder with the four MNIST IDX files (else "
                                           "$MNIST_DIR, else the shipped data/mnist)")
    parser.add_argument("--drawings", default=str(SHIPPED_DRAWINGS),
                        help="pen-drawn digits (JSON) each run is also scored on, if present")
    parser.add_argument("--train-workers", type=int,
                        default=min(os.cpu_count() or 1, DEFAULT_MAX_WORKERS),
                        help="processes that train the class's runs, each on one core (default: "
                             f"one per core, at most {DEFAULT_MAX_WORKERS}; each holds about "
                             "0.7 GB)")
    parser.add_argument("--cache-seconds", type=int, default=3600,
                        help="delete uploads and pictures Gradio cached once this old")
    parser.add_argument("--cache-mb", type=int, default=500,
                        help="disk that cached uploads and pictures may take; past it the oldest "
                             "are deleted first")
    parser.add_argument("--db", default=default_db(),
                        help="where the class's corrected drawings are kept: an SQLite file, "
                             "or postgresql://user:password@host:5432/name for copies that "
                             'share a class (default $DIGITPAD_DB, else data/class.db); "" '
                             "keeps none")
    parser.add_argument("--db-limit", type=int, default=DEFAULT_LIMIT,
                        help="drawings the store holds at most; then saving says it is full")
    args = parser.parse_args(argv)
    if args.train_workers < 1:
        parser.error("--train-workers must be at least 1")
    if args.db_limit < 1:
        parser.error("--db-limit must be at least 1")
    if args.cache_mb < 2 * UPLOAD_LIMIT // MB:
        parser.error(f"--cache-mb must be at least {2 * UPLOAD_LIMIT // MB}: two uploads")
    return args


def open_classdata(path: str, limit: int) -> ClassData | None:
    """The class's drawings, or None (with a warning) when not collected or not possible."""
    from digitpad.classdata import ClassData, ClassDataError

    if not path:
        return None
    try:
        return ClassData(path, limit)
    except ClassDataError as e:
        print(f"warning: the class's corrections are not kept: {e}", file=sys.stderr)
        return None


def training_data(data_dir: str | None) -> tuple[Mnist | None, str | None]:
    """MNIST, or None and the page's sentence saying training is off (with a warning)."""
    from digitpad.data import MnistError, load_mnist

    try:
        return load_mnist(data_dir), None
    except MnistError as e:
        print(f"warning: training is off: {e} (pass --data-dir FOLDER)", file=sys.stderr)
        return None, TRAINING_OFF


def main(argv: list[str] | None = None) -> int:
    from digitpad.quiet import import_tensorflow_quietly

    started = time.monotonic()
    import_tensorflow_quietly()  # before any module of ours imports it
    args = parse_args(argv)
    from digitpad.model import ModelError, load_model
    from digitpad.network_view import unit_sample
    from digitpad.reading import Reader
    from digitpad.scheduler import Scheduler
    from digitpad.scoring import DrawingsLoader
    from digitpad.ui.context import Shared

    try:
        model = load_model(args.model)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    data, problem = training_data(args.data_dir)
    if args.host == "0.0.0.0":
        print(f"warning: listening on all interfaces; students open http://<this machine's "
              f"address>:{args.port}", file=sys.stderr)
    # Gradio rebuilds a pandas table of its last 10,000 events after every event, for its
    # /monitoring page, a growing share of the server's time as a class draws. Rebuild it rarely.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    trainer = (Scheduler(args.data_dir, args.drawings, args.train_workers) if data is not None
               else None)
    shipped = Reader("the shipped model", model, unit_sample(data)).traced()
    shared = Shared(shipped, data, problem,
                    DrawingsLoader(Path(args.drawings)), trainer,
                    open_classdata(args.db, args.db_limit))
    serve(shared, args, started)
    return 0


def serve(shared: Shared, args: argparse.Namespace, started: float) -> None:
    """The page, with the plain HTTP API's routes first, until the app is stopped."""
    from gradio.utils import get_upload_folder
    from starlette.middleware import Middleware

    from digitpad import api
    from digitpad.gradio_locale import GradioLocale, gradio_i18n
    from digitpad.limits import UPLOAD_LIMIT, BodyLimit
    from digitpad.ui import ASSETS
    from digitpad.ui.page import build
    from digitpad.uploads import CACHE, UploadGuard

    demo = build(shared, args.cache_seconds)
    # what is cached by now stays
    CACHE.start(Path(get_upload_folder()), args.cache_mb, args.cache_seconds)
    demo.queue(default_concurrency_limit=4)
    # Gradio's queue looks for an event to start every millisecond while it has none: a thousand
    # wake-ups of the server a second, each taking a core from a training worker for a moment,
    # a tenth of the server's CPU in a class (docs/measurements.md). Every 10 ms delays an
    # event 5 ms on average.
    demo._queue.sleep_when_free = QUEUE_LOOK_SECONDS
    # quiet: the app says itself when it is ready, and offers its own --share, not launch()'s
    demo.launch(server_name=args.host, server_port=args.port, share=args.share,
                css=(ASSETS / "app.css").read_text(), max_file_size=UPLOAD_LIMIT,
                i18n=gradio_i18n(),
                app_kwargs={"routes": api.routes,
                            "lifespan": api.lifespan(shared.models, shared.classdata),
                            "middleware": [Middleware(BodyLimit), Middleware(UploadGuard),
                                           Middleware(GradioLocale)]},
                quiet=True, prevent_thread_lock=True)
    # the work for what the page shows later starts once it is served: as a background thread
    # holds the interpreter's lock as it computes, the page would otherwise answer later
    shared.shipped.finding_unit_digits()
    shared.drawings.start()
    say_ready(demo.local_url, demo.share_url, shared.trainer, started)
    demo.block_thread()


def say_ready(local_url: str, share_url: str | None, trainer: Scheduler | None,
              started: float) -> None:
    """Tell the terminal the page is ready, and when training will be: now, or in about as long
    as the server took to load what a worker loads (said again once it is)."""
    print(READY.format(url=local_url), flush=True)
    print(SHARED.format(url=share_url) if share_url else SHARE_HINT, flush=True)
    if trainer is None:
        return
    if trainer.ready.is_set():
        print(TRAINING_READY, flush=True)
        return
    loading = trainer.started - started  # the server's own TensorFlow and MNIST
    left = max(5, round(WORKER_WARMUP_FACTOR * loading - (time.monotonic() - trainer.started)))
    print(TRAINING_WARMING.format(seconds=left), flush=True)

    def when_warm() -> None:
        trainer.ready.wait()
        print(TRAINING_READY, flush=True)

    threading.Thread(target=when_warm, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
