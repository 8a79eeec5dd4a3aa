"""digitpad: draw a digit and watch a neural network read it; retrain it live with sliders.

    python app.py [--host 127.0.0.1] [--port 7860] [--model model/digitpad.keras] [--share]
                  [--data-dir MNIST_FOLDER] [--drawings pendigits-dev.json.gz]
                  [--db data/class.db|postgresql://...] [--db-limit 10000]

--host and --port default to $GRADIO_SERVER_NAME and $GRADIO_SERVER_PORT when those are set
(as on a hosted Space), else to 127.0.0.1:7860: only this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitpad.classdata import ClassData

# Only the standard library at the top: each training worker imports this file again as it
# starts (multiprocessing's spawn), before it can arrange to end with the app. The rest is
# imported in the functions that use it.

TRAINING_OFF = "Training is off on this server: its MNIST files are missing or damaged."
DEFAULT_MAX_WORKERS = 4  # training processes by default: one per core, up to this many


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from digitpad.classdata import DEFAULT_LIMIT, default_db
    from digitpad.data import SHIPPED_DRAWINGS
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from starlette.middleware import Middleware

    from digitpad import api
    from digitpad.data import MnistError, load_mnist
    from digitpad.limits import UPLOAD_LIMIT, BodyLimit
    from digitpad.model import ModelError, load_model
    from digitpad.network_view import unit_sample
    from digitpad.reading import Reader
    from digitpad.scheduler import Scheduler
    from digitpad.scoring import DrawingsLoader
    from digitpad.ui import ASSETS
    from digitpad.ui.context import Shared
    from digitpad.ui.page import build

    try:
        model = load_model(args.model)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        data, problem = load_mnist(args.data_dir), None
    except MnistError as e:
        print(f"warning: training is off: {e} (pass --data-dir FOLDER)", file=sys.stderr)
        data, problem = None, TRAINING_OFF
    if args.host == "0.0.0.0":
        print(f"warning: listening on all interfaces; students open http://<this machine's "
              f"address>:{args.port}", file=sys.stderr)
    # Gradio rebuilds a pandas table of its last 10,000 events after every event, for its
    # /monitoring page, a growing share of the server's time as a class draws. Rebuild it rarely.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    trainer = (Scheduler(args.data_dir, args.drawings, args.train_workers) if data is not None
               else None)
    shipped = Reader("the shipped model", model, unit_sample(data)).traced()
    shared = Shared(shipped.finding_unit_digits(), data, problem,
                    DrawingsLoader(Path(args.drawings)), trainer,
                    open_classdata(args.db, args.db_limit))
    demo = build(shared, args.cache_seconds)
    demo.queue(default_concurrency_limit=4)
    # the FastAPI app Gradio makes starts with the plain HTTP API's routes (digitpad/api.py)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share,
                css=(ASSETS / "app.css").read_text(), max_file_size=UPLOAD_LIMIT,
                app_kwargs={"routes": api.routes,
                            "lifespan": api.lifespan(shared.models, shared.classdata),
                            "middleware": [Middleware(BodyLimit)]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
