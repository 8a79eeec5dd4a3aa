"""The class's corrected drawings: the SQLite file (schema, migrations, WAL, limits), the command
line, the training set, and saving through the real server: 30 at once, and a SIGKILL right
after "Saved"."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
import numpy as np
import pytest

from digitpad.classdata import (
    FULL,
    MAX_DRAWING_BYTES,
    NOT_A_DIGIT,
    RATE_LIMIT,
    RATE_SECONDS,
    SAVED,
    TOO_FAST,
    UNDO_SECONDS,
    UNREACHABLE,
    ClassData,
    ClassDataError,
    NotSaved,
    Unreachable,
    encode_strokes,
    session_id,
)
from digitpad.classdata.sqlite import MIGRATIONS
from digitpad.classset import class_training_set, is_held_out
from digitpad.data import as_uint8
from digitpad.model import SHIPPED_MODEL, load_model
from digitpad.reading import Reader, drawing_digit, read_drawing
from digitpad.scoring import stroke_digits
from digitpad.strokes import MAX_POINTS, MAX_STROKES, fit_to_canvas, load_strokes, pad_strokes
from digitpad.views.draw import SAVED_AS
from tests.harness.browser import one_strokes, zero_strokes
from tests.harness.server import (
    REPO,
    app_pid,
    gallery_counts,
    page_event,
    running_app,
)

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
PENDIGITS = REPO / "data" / "pendigits-dev.json.gz"
STUDENTS = 30


def as_sent(strokes) -> list:
    """Strokes as the pad sends them: lists of [x, y] to 0.1 canvas pixel."""
    return [np.round(np.asarray(s, float), 1).tolist() for s in strokes]


def shifted(strokes, dx: float) -> list:
    """The same drawing moved dx canvas pixels right: another drawing of the same digit."""
    return as_sent([np.asarray(s, float) + [dx, 0.0] for s in strokes])


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader("the shipped model", load_model(SHIPPED_MODEL))


def save(db: ClassData, reader: Reader, strokes: list, label, session: str = "s",
         now: float | None = None) -> str:
    """Save as the Draw tab does: the pad's strokes read again by the session's model."""
    return db.save(session, pad_strokes(strokes), label, read_drawing(strokes, reader.predict),
                   reader.name, now)


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digitpad.classdata", *args], cwd=REPO, env=ENV,
                          input=stdin, capture_output=True, text=True, timeout=120)


# -- the file ----------------------------------------------------------------------------------

def test_new_file_is_current_in_wal_mode_with_full_sync(tmp_path):
    ClassData(tmp_path / "new" / "class.db").close()  # its folder is made too
    connection = sqlite3.connect(tmp_path / "new" / "class.db")
    assert connection.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 2
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db = ClassData(tmp_path / "new" / "class.db")
    assert db.store.connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.store.connection.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000


def test_file_of_the_first_version_is_migrated_keeping_its_drawings(tmp_path, reader):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        old.execute(statement)
    digit = as_uint8(drawing_digit(as_sent(one_strokes())))
    old.execute("INSERT INTO drawings (created, session, label, strokes, read, probabilities, "
                "model, digit) VALUES (1.0, 'old', 1, ?, 1, '[]', 'the shipped model', ?)",
                (json.dumps(as_sent(one_strokes())), digit.tobytes()))
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()

    db = ClassData(path)
    assert db.store.connection.execute("PRAGMA user_version").fetchone()[0] == 2
    indexes = {row[1] for row in db.store.connection.execute("PRAGMA index_list(drawings)")}
    assert {"drawings_key", "drawings_session"} <= indexes
    [kept] = db.drawings()
    assert (kept.label, kept.session, kept.strokes) == (1, "old", as_sent(one_strokes()))
    assert save(db, reader, as_sent(zero_strokes()), 0) == SAVED
    assert [d.label for d in db.drawings()] == [1, 0]


def test_newer_or_foreign_files_are_refused_plainly(tmp_path):
    newer = tmp_path / "newer.db"
    connection = sqlite3.connect(newer)
    connection.execute("PRAGMA user_version = 99")
    connection.commit()
    connection.close()
    with pytest.raises(ClassDataError, match="schema version 99 is newer"):
        ClassData(newer)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database, " * 100)
    with pytest.raises(ClassDataError, match="cannot use .*garbage.db"):
        ClassData(garbage)


def test_saved_drawing_is_kept_as_drawn_and_read_and_a_second_tap_adds_nothing(store, reader):
    db = ClassData(store)
    strokes = as_sent(one_strokes())
    reading = read_drawing(strokes, reader.predict)
    assert save(db, reader, strokes, 7, session="abc", now=1000.0) == SAVED
    assert save(db, reader, strokes, 7, session="abc", now=1001.0) == SAVED  # the same drawing
    [kept] = db.drawings()
    assert (kept.label, kept.read, kept.model, kept.created) == (7, 1, "the shipped model",
                                                                1000.0)
    assert kept.strokes == strokes
    assert kept.session == session_id("abc") != "abc"  # only a hash of the session
    with db.transaction() as query:
        row = query("SELECT probabilities, digit FROM drawings").fetchone()
    assert np.allclose(json.loads(row[0]), reading.probabilities, atol=1e-6)
    # what the gallery shows is what the network saw, and what training will be given
    labels, images = db.digits()
    assert labels.tolist() == [7]
    assert np.array_equal(images[0], np.frombuffer(row[1], np.uint8).reshape(28, 28))
    assert np.abs(images[0] / 255.0 - reading.digit).max() <= 0.5 / 255 + 1e-6
    assert np.array_equal(images[0], as_uint8(drawing_digit(kept.strokes)))
    # another session drawing the same strokes is another drawing
    assert save(db, reader, strokes, 1, session="other") == SAVED
    assert len(db.drawings()) == 2


def test_forget_takes_back_only_the_sessions_own_recent_drawing(store, reader):
    db = ClassData(store)
    strokes = as_sent(zero_strokes())
    assert save(db, reader, strokes, 0, session="mine", now=1000.0) == SAVED
    assert save(db, reader, strokes, 0, session="theirs", now=1000.0) == SAVED
    assert not db.forget("mine", pad_strokes(strokes), now=1000.0 + UNDO_SECONDS + 1)  # too late
    assert not db.forget("nobody", pad_strokes(strokes), now=1001.0)
    assert db.forget("mine", pad_strokes(strokes), now=1001.0)
    assert [d.session for d in db.drawings()] == [session_id("theirs")]
    assert not db.forget("mine", pad_strokes(strokes), now=1002.0)  # already gone


@pytest.mark.parametrize("label", [10, -1, "3", True, 3.0, None])
def test_a_tap_that_is_not_a_digit_saves_nothing(store, reader, label):
    db = ClassData(store)
    with pytest.raises(NotSaved, match=re.escape(NOT_A_DIGIT)):
        save(db, reader, as_sent(one_strokes()), label)
    assert db.drawings() == []


def test_rate_limit_per_session_says_so_and_lifts_after_a_minute(store, reader):
    db = ClassData(store)
    for i in range(RATE_LIMIT):
        assert save(db, reader, shifted(one_strokes(), i), 1, "busy", now=100.0 + i) == SAVED
    with pytest.raises(NotSaved, match=re.escape(TOO_FAST)):
        save(db, reader, shifted(one_strokes(), 50), 1, "busy", now=100.0 + RATE_LIMIT)
    assert save(db, reader, shifted(one_strokes(), 50), 1, "calm", now=121.0) == SAVED
    later = 100.0 + RATE_SECONDS + 1
    assert save(db, reader, shifted(one_strokes(), 50), 1, "busy", now=later) == SAVED
    assert len(db.drawings()) == RATE_LIMIT + 2


def test_full_collection_says_so_and_writes_nothing(store, reader):
    db = ClassData(store, limit=3)
    for i in range(3):
        save(db, reader, shifted(zero_strokes(), i), 0, f"s{i}")
    with pytest.raises(NotSaved, match="collection is full") as refused:
        save(db, reader, shifted(zero_strokes(), 9), 0, "s9")
    assert str(refused.value) == FULL and "/" not in FULL
    assert len(db.drawings()) == 3
    db.delete(db.drawings()[0].id)
    assert save(db, reader, shifted(zero_strokes(), 9), 0, "s9") == SAVED


def test_one_stored_drawing_is_bounded(store):
    """The largest drawing the pad may send fits; the table refuses anything larger."""
    corner = [[[-399.9, -399.9]] * (MAX_POINTS // MAX_STROKES)] * MAX_STROKES
    assert len(encode_strokes(pad_strokes(corner))) < MAX_DRAWING_BYTES
    db = ClassData(store)
    with pytest.raises(db.store.errors, match="(?i)check"), db.transaction() as query:
        query("INSERT INTO drawings (created, session, label, strokes, read, probabilities, "
              "model, digit) VALUES (0, 's', 1, ?, 1, '[]', 'm', ?)",
              ("[" * (MAX_DRAWING_BYTES + 1), bytes(784)))
    assert db.drawings() == []


def test_two_copies_sharing_one_file_lose_nothing_and_share_the_limits(tmp_path, reader):
    """Copies of the app on one machine may share one SQLite file: each has its own connection,
    and a writer waits for the other instead of failing."""
    path = tmp_path / "class.db"
    copies = [ClassData(path), ClassData(path)]
    readings = [read_drawing(shifted(one_strokes(), i), reader.predict) for i in range(24)]
    answers: list[str] = []

    def saver(copy: int) -> None:
        for i in range(copy, 24, 2):
            answers.append(copies[copy].save(f"s{i % 6}", pad_strokes(shifted(one_strokes(), i)),
                                             1, readings[i], reader.name))

    threads = [threading.Thread(target=saver, args=(copy,)) for copy in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [SAVED] * 24
    assert len(copies[0].drawings()) == len(copies[1].drawings()) == 24
    for _ in range(RATE_LIMIT - 4):  # s0 has 4; the limit counts what both copies saved
        save(copies[0], reader, shifted(zero_strokes(), len(answers)), 0, "s0")
        answers.append(SAVED)
    with pytest.raises(NotSaved, match=re.escape(TOO_FAST)):
        save(copies[1], reader, shifted(zero_strokes(), 99), 0, "s0")


def test_a_url_it_cannot_use_is_refused_never_taken_for_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for url in ("mysql://user:secret@127.0.0.1:3306/class", "file:///tmp/class.db"):
        with pytest.raises(ClassDataError, match="not a store this app can use"):
            ClassData(url)
    with pytest.raises(ClassDataError) as refused:  # nothing listens on port 9
        ClassData("postgresql://user:secret@127.0.0.1:9/class")
    assert "secret" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_postgres_stopped_then_back_saving_says_so_then_works_again(postgres, reader):
    db = ClassData(postgres.new_database())
    assert save(db, reader, as_sent(one_strokes()), 1, "before") == SAVED
    postgres.stop()
    try:
        with pytest.raises(NotSaved, match=re.escape(UNREACHABLE)):
            save(db, reader, as_sent(zero_strokes()), 0, "during")
        with pytest.raises(Unreachable):
            db.drawings()
    finally:
        postgres.start()
    deadline = time.monotonic() + 30
    while True:  # the pool finds the server back by itself, without a restart
        try:
            assert save(db, reader, as_sent(zero_strokes()), 0, "after") == SAVED
            break
        except NotSaved:
            assert time.monotonic() < deadline, "saving did not come back"
            time.sleep(0.5)
    assert [d.label for d in db.drawings()] == [1, 0]


# -- the training set ---------------------------------------------------------------------------

def test_training_set_is_as_the_pad_reads_split_by_session_and_stable(store, reader):
    db = ClassData(store)
    shapes = {1: one_strokes, 0: zero_strokes}
    for person in range(20):
        for label, shape in shapes.items():
            save(db, reader, shifted(shape(), person), label, f"person-{person}")
    drawings = db.drawings()
    data = class_training_set(drawings)
    held = [is_held_out(d.session) for d in drawings]
    assert len(data.x_train) == held.count(False) > 0 and len(data.x_held) == held.count(True) > 0
    assert data.x_train.dtype == np.uint8 and data.x_train.shape[1:] == (28, 28)
    assert data.y_train.dtype == np.uint8
    kept = [d for d, h in zip(drawings, held, strict=True) if not h]
    for image, label, drawing in zip(data.x_train, data.y_train, kept, strict=True):
        reading = read_drawing(drawing.strokes, reader.predict)
        assert label == drawing.label
        assert np.abs(image / 255.0 - reading.digit).max() <= 0.5 / 255 + 1e-6
    # a person's drawings are all in or all out, and more drawings move nobody
    by_session = {}
    for drawing, h in zip(drawings, held, strict=True):
        by_session.setdefault(drawing.session, set()).add(h)
    assert all(len(sides) == 1 for sides in by_session.values())
    for person in range(20, 40):
        save(db, reader, shifted(one_strokes(), person), 1, f"person-{person}")
    grown = class_training_set(db.drawings())
    assert np.array_equal(grown.x_held[:len(data.x_held)], data.x_held)
    assert np.array_equal(grown.x_train[:len(data.x_train)], data.x_train)


# -- the command line ---------------------------------------------------------------------------

def test_command_line_lists_deletes_exports_and_clears(store, tmp_path, reader):
    path = store
    db = ClassData(path)
    for i, session in enumerate(["a", "b", "a"]):
        save(db, reader, shifted(one_strokes(), i), 1, session)
    db.close()
    listed = cli("--db", str(path), "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split("\t")[:1] + line.split("\t")[2:5] for line in lines[1:4]] == [
        ["1", "1", "1", "1"], ["2", "1", "1", "2"], ["3", "1", "1", "1"]]
    assert lines[-1].startswith("3 drawings: 0: 0, 1: 3, 2: 0")

    assert cli("--db", str(path), "delete", "2").stdout.strip() == "deleted drawing 2"
    missing = cli("--db", str(path), "delete", "2")
    assert missing.returncode == 1 and "no drawing 2" in missing.stderr

    out = tmp_path / "class.json.gz"
    assert cli("--db", str(path), "export", str(out)).returncode == 0
    records = json.loads(gzip.decompress(out.read_bytes()))
    assert [(r["label"], r["writer"], r["split"]) for r in records] == [(1, 1, "class")] * 2
    assert records[0]["strokes"] == shifted(one_strokes(), 0)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".class")] == []

    refused = cli("--db", str(path), "clear", stdin="n\n")
    assert refused.returncode == 1 and "Delete all 2 drawings?" in refused.stdout
    assert cli("--db", str(path), "clear").returncode == 1  # no answer is no
    assert len(ClassData(path).drawings()) == 2
    assert "deleted 2 drawings" in cli("--db", str(path), "clear", stdin="y\n").stdout
    save(ClassData(path), reader, as_sent(zero_strokes()), 0)
    assert "deleted 1 drawings" in cli("--db", str(path), "clear", "--yes").stdout
    assert ClassData(path).drawings() == []

    nowhere = cli("--db", str(tmp_path / "typo.db"), "list")
    assert nowhere.returncode == 2 and "no class drawings" in nowhere.stderr
    assert not (tmp_path / "typo.db").exists()
    foreign = cli("--db", "mysql://user:secret@127.0.0.1/class", "list")
    assert foreign.returncode == 2 and "not a store this app can use" in foreign.stderr
    assert "secret" not in foreign.stderr


def test_export_is_read_by_evaluate_as_the_pad_read_it(store, tmp_path, reader):
    """digitpad.evaluate fits records to the canvas before drawing them; a drawing of a typical
    size (60% of the pad tall) is read the same, to a few hundredths of a probability."""
    pen = load_strokes(PENDIGITS)[:40]
    drawings = [as_sent(one_strokes()), as_sent(zero_strokes())]
    drawings += [shifted(fit_to_canvas(r["strokes"]), 30 * (i % 3 - 1)) for i, r in enumerate(pen)]
    labels = [1, 0] + [r["label"] for r in pen]
    db = ClassData(store)
    for i, (strokes, label) in enumerate(zip(drawings, labels, strict=True)):
        save(db, reader, strokes, label, f"s{i % 5}")
    with db.transaction() as query:
        stored = query("SELECT read, probabilities FROM drawings ORDER BY id").fetchall()
    pad_read = [(read, np.array(json.loads(p))) for read, p in stored]
    out = tmp_path / "class.json.gz"
    assert cli("--db", store, "export", str(out)).returncode == 0
    records = load_strokes(out)
    evaluated = reader.predict(stroke_digits(records))  # what digitpad.evaluate strokes draws
    for (read, probabilities), again in zip(pad_read, evaluated, strict=True):
        assert again.argmax() == read
        assert np.abs(again - probabilities).max() < 0.05
    run = subprocess.run([sys.executable, "-m", "digitpad.evaluate", "strokes", str(out)],
                         cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    right = np.mean([read == label for (read, _), label in zip(pad_read, labels, strict=True)])
    assert f"accuracy={right:.4f} n={len(labels)}" in run.stdout


# -- through the real server ---------------------------------------------------------------------

def send_correction(client: httpx.Client, url: str, event: tuple[int, int], strokes: list,
                    digit: int, session: str) -> str:
    """Tap a digit under the pad's drawing as the page does: the buttons' click event, with the
    pad's strokes and the digit as its event data; the HTML the buttons then show."""
    fn_index, trigger = event
    answer = client.post(url + "gradio_api/run/predict", json={
        "data": [strokes, None], "fn_index": fn_index, "trigger_id": trigger,
        "session_hash": session, "event_data": {"digit": digit}})
    answer.raise_for_status()
    return answer.json()["data"][0]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = tmp_path_factory.mktemp("served") / "class.db"
    with running_app(args=("--db", str(path), "--train-workers", "1")) as url:
        yield url, path


def test_thirty_people_saving_at_once_lose_nothing(served):
    url, path = served
    event = page_event(url, "correct", "click")
    ready, answers = threading.Barrier(STUDENTS), [None] * STUDENTS

    def student(i: int) -> None:
        with httpx.Client(timeout=60) as client:
            ready.wait(timeout=60)
            answers[i] = send_correction(client, url, event, shifted(zero_strokes(), i), 0,
                                         f"student-{i}")

    threads = [threading.Thread(target=student, args=(i,)) for i in range(STUDENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(SAVED_AS.format(digit=0) in (a or "") for a in answers), answers
    sessions = {session_id(f"student-{i}") for i in range(STUDENTS)}
    drawings = [d for d in ClassData(path).drawings() if d.session in sessions]
    assert len(drawings) == STUDENTS
    assert len({d.id for d in drawings}) == len({d.session for d in drawings}) == STUDENTS
    assert gallery_counts(url)[0] == STUDENTS  # nothing else here saves a 0


def test_a_wrong_tap_is_undone_within_a_minute_and_only_that_drawing(served):
    url, path = served
    event = page_event(url, "correct", "click")
    kept, wrong = shifted(zero_strokes(), 41), shifted(zero_strokes(), 42)
    with httpx.Client(timeout=60) as client:
        assert "dp-undo-save" in send_correction(client, url, event, kept, 0, "undoer")
        assert "dp-undo-save" in send_correction(client, url, event, wrong, 8, "undoer")
        answer = client.post(url + "gradio_api/run/predict", json={
            "data": [wrong, None], "fn_index": event[0], "trigger_id": event[1],
            "session_hash": "undoer", "event_data": {"undo": True}})
        shown = answer.json()["data"][0]
    assert "Not kept" in shown and " disabled" not in shown  # tap again, the right digit
    mine = [d for d in ClassData(path).drawings() if d.session == session_id("undoer")]
    assert [d.label for d in mine] == [0]


def test_server_checks_what_it_is_sent(served):
    url, _ = served
    event = page_event(url, "correct", "click")
    with httpx.Client(timeout=60) as client:
        shown = send_correction(client, url, event, [[[200.0, 200.0]]], 1, "dot")
        assert "Draw a digit first" in shown and "dp-fix" not in shown
        shown = send_correction(client, url, event, "a 7", 7, "text")
        assert "Draw a digit first" in shown
        shown = send_correction(client, url, event, as_sent(one_strokes()), 12, "twelve")
        assert NOT_A_DIGIT in shown and " disabled" not in shown
        strokes = shifted(one_strokes(), 3)
        for _ in range(2):  # the second tap on the same drawing
            shown = send_correction(client, url, event, strokes, 1, "twice")
            assert SAVED_AS.format(digit=1) in shown and shown.count(" disabled") == 10
        for i in range(RATE_LIMIT):
            send_correction(client, url, event, shifted(one_strokes(), 10 + i), 1, "fast")
        assert TOO_FAST in send_correction(client, url, event, shifted(one_strokes(), 40), 1,
                                           "fast")
    sessions = [d.session for d in ClassData(served[1]).drawings()]
    assert sessions.count(session_id("twice")) == 1
    assert sessions.count(session_id("fast")) == RATE_LIMIT


def test_a_copy_killed_in_the_middle_of_saves_loses_nothing_it_said_was_saved(store):
    strokes = as_sent(zero_strokes())
    with running_app(args=("--db", store, "--train-workers", "1")) as url:
        event = page_event(url, "correct", "click")
        with httpx.Client(timeout=60) as client:
            shown = send_correction(client, url, event, strokes, 6, "killed")
        answers: dict[str, str] = {}

        def saver(person: int) -> None:
            with httpx.Client(timeout=60) as client:
                for i in range(RATE_LIMIT):
                    try:
                        answers[f"{person}-{i}"] = send_correction(
                            client, url, event, shifted(one_strokes(), i), 1, f"saver-{person}")
                    except httpx.HTTPError:
                        return  # the server is gone

        threads = [threading.Thread(target=saver, args=(p,)) for p in range(4)]
        for thread in threads:
            thread.start()
        while len(answers) < 10:
            time.sleep(0.01)
        os.kill(app_pid(url), signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=60)
    assert SAVED_AS.format(digit=6) in shown
    said_saved = sum(SAVED_AS.format(digit=1) in answer for answer in answers.values())
    assert said_saved >= 10
    listed = cli("--db", store, "list")
    assert listed.returncode == 0 and "\t6\t0\t1\tthe shipped model" in listed.stdout
    kept = {(d.session, json.dumps(d.strokes)) for d in ClassData(store).drawings()}
    for key, answer in answers.items():
        person, i = map(int, key.split("-"))
        if SAVED_AS.format(digit=1) in answer:
            assert (session_id(f"saver-{person}"),
                    json.dumps(shifted(one_strokes(), i))) in kept, key
    assert ClassData(store).drawings()[0].strokes == strokes
