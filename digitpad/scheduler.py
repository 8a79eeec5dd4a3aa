"""Trainings for a whole class at once.

Worker processes at low priority, so the pad stays quick, train the runs. In each worker a run
that has not reported yet goes first, for its first curve point within seconds; then a finished
run's scoring, a slice at a time; then the run with the least expected work left
(digitpad/costs.py), so a cheap run is not kept behind dear ones and runs finish one after
another instead of all at the end. A worker with less work queued takes over runs still waiting
on the other, so both cores train to the class's end. Every run has its own Stop,
and a run whose page or client stopped watching is stopped: trainings belong to someone who is
there.
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

from digitpad.classset import ClassSet
from digitpad.costs import expected_seconds
from digitpad.training import FIRST_STEPS, Progress, TrainConfig
from digitpad.worker import SERVER_PID, Outcome, worker_main

log = logging.getLogger(__name__)

WATCH_SECONDS = 3.5  # a run nobody has looked at for this long is stopped (within 5 s in all)
QUEUE_LIMIT = 60  # unfinished runs on the whole server
MAX_RUN_SECONDS = 180.0  # a run expected to take longer here is refused
TAKE_OVER_BELOW = 5.0  # seconds of work left when a worker takes over another's waiting runs:
# late, when the costs are best known and fewest runs move; early enough never to idle


class Refused(ValueError):
    """A run the server will not take: the message says why and what to do."""


@dataclass
class Ticket:
    """One run as the server sees it: its progress, its Stop, its outcome or its problem."""

    number: int
    owner: str
    config: TrainConfig
    worker: int
    mixed: ClassSet | None = None  # the class's drawings: trained on, and the held-out fifth
    progress: list[Progress] = field(default_factory=list)
    outcome: Outcome | None = None
    problem: str | None = None  # a plain sentence for the person, when the run failed
    problem_kind: str = "error"  # "problem": the person's settings; "error": the server's
    submitted: float = field(default_factory=time.monotonic)
    watched: float = field(default_factory=time.monotonic)
    finished: threading.Event = field(default_factory=threading.Event)
    on_stop: Callable[[Ticket, bool], None] | None = None  # set by the scheduler that runs it
    moving_to: int | None = None  # the worker it is being handed to
    stop_after_move: bool | None = None  # Stop pressed meanwhile: its keep, sent once it moved
    settled: bool = False  # gone beyond its first steps where it is: it stays there

    @property
    def done(self) -> int:
        return self.progress[-1].iteration if self.progress else 0

    @property
    def bound_for(self) -> int:
        """The worker it trains on, or will once its hand-over is done."""
        return self.worker if self.moving_to is None else self.moving_to

    def stop(self, keep: bool = True) -> None:
        """Stop the run: it keeps what it learned so far, or ends at once if it had not begun;
        without keep (nobody is there to see it) it ends without scoring."""
        if self.on_stop is not None and not self.finished.is_set():
            self.on_stop(self, keep)

    def watch(self) -> None:
        """Someone is still looking at this run; called on every poll of its page or client."""
        self.watched = time.monotonic()


SCORING_NOTE = "trained; now scoring it on the test digits and the pen-drawn ones"


def time_left(seconds: float) -> str:
    """An estimate as plainly as it is known, to the next 5 s: a steadier line is also fewer
    panels for the page to send."""
    if seconds < 10:
        return "a few seconds left"
    return f"about {5 * math.ceil(seconds / 5):.0f} s left"


class Scheduler:
    """The server's side: who trains where, their progress, their limits."""

    def __init__(self, data_dir: str | None, drawings: str | None, workers: int) -> None:
        context = mp.get_context("spawn")
        os.environ[SERVER_PID] = str(os.getpid())  # a worker's first check, before its imports
        self.outbox = context.Queue()
        self.inboxes = [context.Queue() for _ in range(workers)]
        threads = max(1, (os.cpu_count() or 1) // workers)
        self.worker_args = [(inbox, self.outbox, data_dir, drawings, threads, os.getpid())
                            for inbox in self.inboxes]
        self.processes = [self.start_worker(args) for args in self.worker_args]
        self.tickets: dict[int, Ticket] = {}
        self.numbers = count(1)
        self.lock = threading.Lock()
        self.pace = 1.0  # measured time over expected_seconds, learned from the runs' reports
        self.ready = threading.Event()  # set once a worker has loaded TensorFlow and MNIST
        self.started = time.monotonic()  # when the workers began loading
        threading.Thread(target=self.listen, daemon=True).start()
        threading.Thread(target=self.stop_unwatched, daemon=True).start()

    def submit(self, owner: str, config: TrainConfig, mixed: ClassSet | None = None) -> Ticket:
        """Queue a run for owner (a session), or Refused with a sentence saying why. With
        mixed, the class's drawings are worker.CLASS_SHARE of its minibatches (if mixed.x_train has
        any) and it is scored on their held-out fifth."""
        seconds = expected_seconds(config)
        if seconds > MAX_RUN_SECONDS:
            raise Refused(f"This run would take about {seconds / 60:.0f} minutes here; the limit "
                          f"is {MAX_RUN_SECONDS / 60:.0f}. Use fewer iterations, a smaller batch "
                          "or a smaller network.")
        with self.lock:
            unfinished = [t for t in self.tickets.values() if not t.finished.is_set()]
            if any(t.owner == owner for t in unfinished):
                raise Refused("You already have a run training. Wait for it, or press Stop.")
            if len(unfinished) >= QUEUE_LIMIT:
                raise Refused(f"The server is training {len(unfinished)} runs, its limit. "
                              "Try again in a minute.")
            worker = min(range(len(self.inboxes)), key=lambda w: self.work_left(w, unfinished))
            ticket = Ticket(next(self.numbers), owner, config, worker, mixed, on_stop=self.stop)
            self.tickets[ticket.number] = ticket
        self.inboxes[worker].put(("start", ticket.number, (config, mixed, False)))
        return ticket

    def stop(self, ticket: Ticket, keep: bool) -> None:
        """Tell the run's worker to stop it (once); a run on its way to another worker is told
        once it has started there."""
        with self.lock:
            if ticket.on_stop is None:
                return
            ticket.on_stop = None
            if ticket.moving_to is not None:
                ticket.stop_after_move = keep
                return
        self.inboxes[ticket.worker].put(("stop", ticket.number, keep))

    def seconds_left(self, ticket: Ticket) -> float:
        """Expected seconds of training a run still needs, at the pace measured so far."""
        return expected_seconds(ticket.config, ticket.done) * self.pace

    def work_left(self, worker: int, unfinished: list[Ticket]) -> float:
        """Expected seconds of training still queued or running on one worker."""
        return sum(self.seconds_left(t) for t in unfinished if t.bound_for == worker)

    def status(self, ticket: Ticket) -> str:
        """Where a run stands, honestly: waiting behind runs with less left, or training; time
        left."""
        with self.lock:
            others = [t for t in self.tickets.values() if t is not ticket]
        left = self.seconds_left(ticket)
        ahead = [t for t in others if t.bound_for == ticket.bound_for
                 and (self.seconds_left(t), t.number) < (left, ticket.number)]
        if not self.ready.is_set():
            return "the trainer is starting: TensorFlow and MNIST load once, in a few seconds"
        if ahead:
            runs = "run" if len(ahead) == 1 else "runs"
            return (f"waiting: {len(ahead)} {runs} ahead of yours · "
                    f"{time_left(left + sum(self.seconds_left(t) for t in ahead))}")
        if ticket.done >= ticket.config.iterations:
            return SCORING_NOTE
        runs = "run" if len(others) == 1 else "runs"
        others_note = f" · {len(others)} other {runs} on the server" if others else ""
        return f"training{others_note} · {time_left(left)}"

    def learn_pace(self, ticket: Ticket, progress: Progress) -> None:
        """Follow how long runs really take here, from each report past the first hundred: from
        their own steps' time, as a class's run also waits for the others' turns."""
        expected = expected_seconds(ticket.config) * progress.iteration / ticket.config.iterations
        if progress.iteration >= 100 and expected > 0:
            self.pace = 0.8 * self.pace + 0.2 * progress.step_seconds / expected

    def listen(self) -> None:
        """Take the workers' messages: progress, outcomes, problems; and notice a dead worker."""
        while True:
            try:
                kind, number, payload = self.outbox.get(timeout=1.0)
            except queue.Empty:
                self.replace_dead_workers()
                continue
            if kind == "ready":
                self.ready.set()
                continue
            ticket = self.tickets.get(number)
            if ticket is None:
                continue
            if kind in ("given", "kept"):
                self.moved(ticket, kind == "given")
                continue
            if kind == "progress":
                if payload.iteration > ticket.done:  # a moved run's first steps are not repeated
                    ticket.progress.append(payload)
                    self.learn_pace(ticket, payload)
                if ticket.stop_after_move is not None:  # it has started again: it stops now
                    self.inboxes[ticket.worker].put(("stop", number, ticket.stop_after_move))
                    ticket.stop_after_move = None
                self.balance()
                continue
            if kind == "done":
                ticket.outcome = payload
            else:
                ticket.problem, ticket.problem_kind = payload
            self.finish(ticket)

    def finish(self, ticket: Ticket) -> None:
        with self.lock:
            self.tickets.pop(ticket.number, None)
        ticket.finished.set()
        self.balance()

    def balance(self) -> None:
        """When a worker is about to run out of work, ask the busiest to hand over a waiting run
        that has done no more than its first steps, so no core idles at the class's end while
        runs wait on another. One hand-over at a time, each lowering the larger load."""
        with self.lock:
            unfinished = [t for t in self.tickets.values() if not t.finished.is_set()]
            if len(self.inboxes) < 2 or any(t.moving_to is not None for t in unfinished):
                return
            loads = [self.work_left(w, unfinished) for w in range(len(self.inboxes))]
            busy, idle = loads.index(max(loads)), loads.index(min(loads))

            def larger_load_after(ticket: Ticket) -> float:
                seconds = self.seconds_left(ticket)
                return max(loads[busy] - seconds, loads[idle] + seconds)

            movable = [t for t in unfinished if t.worker == busy and not t.settled
                       and t.done <= FIRST_STEPS and t.on_stop is not None]
            best = min(movable, key=larger_load_after, default=None)
            if (best is None or loads[idle] > TAKE_OVER_BELOW
                    or larger_load_after(best) >= loads[busy]):
                return
            best.moving_to = idle
        self.inboxes[busy].put(("give", best.number, None))

    def moved(self, ticket: Ticket, given: bool) -> None:
        """The worker's answer to a hand-over: start the run on its new worker, or leave it."""
        with self.lock:
            worker, ticket.moving_to = ticket.moving_to, None
            if given and worker is not None:
                ticket.worker = worker
                self.inboxes[worker].put(("start", ticket.number,
                                          (ticket.config, ticket.mixed, True)))
            else:
                ticket.settled = True
                if ticket.stop_after_move is not None:
                    self.inboxes[ticket.worker].put(("stop", ticket.number,
                                                     ticket.stop_after_move))
                    ticket.stop_after_move = None
        self.balance()

    def replace_dead_workers(self) -> None:
        """A worker that died (out of memory, killed) fails its runs plainly and is restarted."""
        for worker, process in enumerate(self.processes):
            if process.is_alive():
                continue
            log.error("training worker %d exited with code %s; restarting it", worker,
                      process.exitcode)
            for ticket in [t for t in list(self.tickets.values()) if t.worker == worker]:
                ticket.problem = "The training server restarted. Press Train again."
                self.finish(ticket)
            self.processes[worker] = self.start_worker(self.worker_args[worker])

    @staticmethod
    def start_worker(args: tuple) -> mp.Process:
        # spawn: a fresh interpreter, with none of the server's threads or TensorFlow state
        process = mp.get_context("spawn").Process(target=worker_main, args=args, daemon=True)
        process.start()
        return process

    def stop_unwatched(self) -> None:
        """Stop runs whose page or client went away: nobody polls them any more."""
        while True:
            time.sleep(WATCH_SECONDS / 4)
            now = time.monotonic()
            with self.lock:
                unwatched = [t for t in self.tickets.values()
                             if now - t.watched > WATCH_SECONDS]
            for ticket in unwatched:
                ticket.stop(keep=False)

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
