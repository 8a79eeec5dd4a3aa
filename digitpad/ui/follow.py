"""Following a run from submission to its finished model: the Train tab and the /train API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from digitpad.classset import ClassSet
from digitpad.knobs import TrainConfig
from digitpad.scheduler import Ticket
from digitpad.sessions import Run, finished_run
from digitpad.ui.context import Shared

POLL_SECONDS = 0.25  # how often a run is looked at


class RunFailed(Exception):
    """A run ended without a model; kind says whose the fault is ("problem": the settings,
    "error": the server's)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Training:
    """A run being followed, at one look: its ticket and where it stands, in words."""

    ticket: Ticket
    status: str


async def train_and_follow(shared: Shared, owner: str, config: TrainConfig,
                           mixed: ClassSet | None, number: int) -> AsyncIterator[Training | Run]:
    """Train config for owner (a session) and follow it: every POLL_SECONDS a Training, then
    the finished run, numbered `number`; Refused or RunFailed say plainly why not. The Train
    tab and the /train API both follow their runs through this.

    Async, so that thirty people watching their runs hold no server threads while they wait.
    """
    ticket = shared.trainer.submit(owner, config, mixed)
    while not ticket.finished.is_set():
        ticket.watch()
        yield Training(ticket, shared.trainer.status(ticket))
        await asyncio.sleep(POLL_SECONDS)
    if ticket.problem is not None:
        raise RunFailed(ticket.problem, ticket.problem_kind)
    yield await asyncio.to_thread(finished_run, number, ticket, shared.data,
                                  shared.drawings.drawings)
