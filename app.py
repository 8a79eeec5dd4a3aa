"""digitpad: draw a digit and watch a neural network read it; retrain it live with sliders.

    python app.py [--host 127.0.0.1] [--port 7860] [--model model/digitpad.keras] [--share]
                  [--data-dir MNIST_FOLDER] [--drawings pendigits-dev.json.gz]

--host and --port default to $GRADIO_SERVER_NAME and $GRADIO_SERVER_PORT when those are set
(as on a hosted Space), else to 127.0.0.1:7860: only this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from digitpad.api import MAX_BODY, routes
from digitpad.data import SHIPPED_DRAWINGS, MnistError, load_mnist
from digitpad.model import SHIPPED_MODEL, ModelError, load_model
from digitpad.reading import Reader
from digitpad.scoring import DrawingsLoader
from digitpad.ui import ASSETS
from digitpad.ui.context import Shared
from digitpad.ui.page import build

TRAINING_OFF = "Training is off on this server: its MNIST files are missing or damaged."


def parse_args(argv: list[str] | None) -> argparse.Namespace:
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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
    # /monitoring page: 7% of the server's time a minute into a class drawing. Rebuild it rarely.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    shared = Shared(Reader("the shipped model", model), data, problem,
                    DrawingsLoader(Path(args.drawings)))
    demo = build(shared)
    demo.queue(default_concurrency_limit=4)
    # the FastAPI app Gradio makes starts with the plain HTTP API's routes (digitpad/api.py)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share,
                css=(ASSETS / "app.css").read_text(), max_file_size=MAX_BODY,
                app_kwargs={"routes": routes(shared.models)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
