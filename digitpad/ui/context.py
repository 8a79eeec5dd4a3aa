"""What the tabs share: the shipped reader, MNIST, the real drawings and the open sessions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from weakref import WeakValueDictionary

from digitpad.classdata import ClassData, Unreachable
from digitpad.classset import ClassSet, class_training_set
from digitpad.data import Mnist
from digitpad.reading import Reader
from digitpad.scheduler import Scheduler
from digitpad.scoring import DrawingsLoader, Scores, drawing_scores, mnist_scores
from digitpad.sessions import Lab

DRAWINGS_WAIT = 60  # seconds Look inside waits for the real drawings still loading at start
SESSION_SECONDS = 2 * 3600  # a session's trained models are freed this long after its last run


@dataclass
class Shared:
    """One per server; each browser session's own state is its Lab."""

    shipped: Reader
    data: Mnist | None
    data_problem: str | None  # a plain sentence for the page when training is off
    drawings: DrawingsLoader
    trainer: Scheduler | None  # None when training is off
    classdata: ClassData | None = None  # the class's corrected drawings; None: not collected
    # by session, to free a Lab's models at once when its tab closes; weak, so a session that
    # Gradio forgets without telling (past its time to live or its session limit) is freed too
    labs: WeakValueDictionary[str, Lab] = field(default_factory=WeakValueDictionary)
    shipped_scores: dict[str, Scores | None] = field(default_factory=dict)  # filled on demand
    class_cache: tuple[tuple[int, int], ClassSet | None] = ((-1, -1), None)
    models: dict[str, Reader] = field(default_factory=dict)  # what the HTTP API reads with, by id

    def __post_init__(self) -> None:
        self.models["shipped"] = self.shipped

    def reader(self, lab: Lab) -> Reader:
        """The model this session draws with: one of its runs, or the shipped one."""
        return lab.active.reader if lab.active else self.shipped

    def scores(self, lab: Lab) -> tuple[Scores | None, Scores | None]:
        """MNIST test and real-drawing scores of the model in use; the shipped one's once."""
        if lab.active:
            return lab.active.test, lab.active.drawings
        if "test" not in self.shipped_scores and self.data is not None:
            self.shipped_scores["test"] = mnist_scores(self.shipped.predict, self.data)
        if self.shipped_scores.get("drawings") is None:
            self.drawings.ready.wait(DRAWINGS_WAIT)
            self.shipped_scores["drawings"] = drawing_scores(self.shipped.predict,
                                                             self.drawings.drawings)
        return self.shipped_scores.get("test"), self.shipped_scores["drawings"]

    def class_set(self, include: bool) -> ClassSet | None:
        """The class's drawings for a run: trained on when include, their held-out fifth
        scored always. Drawn once per state of the collection, not once per run."""
        if self.classdata is None:
            return None
        try:
            drawings = self.classdata.drawings()
            key = (len(drawings), drawings[-1].id if drawings else 0)
            if self.class_cache[0] != key:
                self.class_cache = (key, class_training_set(drawings))
        except Unreachable:  # training goes on, with the drawings last read, if any
            pass
        whole = self.class_cache[1]
        if whole is None:
            return None
        return whole if include else replace(whole, x_train=whole.x_train[:0],
                                             y_train=whole.y_train[:0])

    def open_lab(self, session: str, lab: Lab) -> Lab:
        """Remember the session's Lab, so closing its tab frees its models at once; its runs'
        models join the server's, by id."""
        self.labs[session] = lab
        lab.models = self.models
        return lab

    def close_lab(self, session: str) -> None:
        lab = self.labs.pop(session, None)
        if lab is not None:
            lab.close()
