"""Does the app give memory back? RSS after many sessions that each trained a model and left.

    python -m bench.session_memory [--sessions 100] [--network "softmax regression"]

Starts the app on a free port (127.0.0.1 only) and reads the resident memory (VmRSS in
/proc/PID/status) of the app and its training workers once it answers and has gone idle.
Then, one after another, each session connects with its own gradio_client, trains a small model
through /train, and closes (the way a student's tab does). Prints RSS at start, after the first
session, every 10 sessions and at the end, with the target: the end within 200 MB of the start.
Stops early if the app grows by more than --stop-growth MB. Needs the app's /train API; says so
and exits 0 without it. Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.harness.server import (
    MODEL,
    app_pid,
    connect,
    has_train,
    resident_mb,
    running_app,
    settle,
)
from tests.harness.timing import machine

TARGET_GROWTH_MB = 200
STOP_GROWTH_MB = 2000  # stop early past this: the machine is shared, and the target is missed
SETTLE_SECONDS = 5  # after the last session, for the server to drop what it held
TRAIN_TIMEOUT = 300


def session(url: str, network: str, iterations: int, seed: int) -> dict:
    """One visitor: connect, train a small model, leave."""
    client = connect(url, timeout=TRAIN_TIMEOUT)
    try:
        return client.predict(0.01, 0.0, iterations, 64, network, False, seed, api_name="/train")
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--network", default="softmax regression",
                        choices=["softmax regression", "one hidden layer of 1500", "512-256-128"])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--stop-growth", type=float, default=STOP_GROWTH_MB,
                        help="stop once RSS has grown this many MB")
    parser.add_argument("--model", default=MODEL)
    args = parser.parse_args(argv)
    print(machine())
    with running_app(args.model) as url:
        if not has_train(url):
            print("this app has no /train endpoint yet; nothing to measure")
            return 0
        pid = app_pid(url)
        print(f"app idle after {settle(url):.0f} s")
        start = resident_mb(pid)
        print(f"app pid {pid} and its training workers: RSS at start {start:.0f} MB")
        began, errors, peak, done = time.monotonic(), 0, start, 0
        for i in range(args.sessions):
            try:
                session(url, args.network, args.iterations, i)
            except Exception as e:  # counted and shown: a failed training is part of the figure
                errors += 1
                print(f"session {i + 1}: {type(e).__name__}: {e}"[:300])
            done, peak = i + 1, max(peak, resident_mb(pid))
            if i == 0 or done % 10 == 0:
                print(f"after {done:3d} sessions: RSS {resident_mb(pid):.0f} MB "
                      f"({time.monotonic() - began:.0f} s)", flush=True)
            if peak - start > args.stop_growth:
                print(f"stopped after {done} sessions: RSS grew past {args.stop_growth:.0f} MB")
                break
        time.sleep(SETTLE_SECONDS)
        end = resident_mb(pid)
    growth = end - start
    per_session = growth / max(done, 1)
    print(f"sessions={done} network={args.network!r} iterations={args.iterations} "
          f"errors={errors}")
    print(f"RSS start={start:.0f} MB end={end:.0f} MB peak={peak:.0f} MB growth={growth:+.0f} MB "
          f"({per_session:+.1f} MB per session)")
    print(f"target growth <= {TARGET_GROWTH_MB} MB: "
          f"{'met' if growth <= TARGET_GROWTH_MB else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
