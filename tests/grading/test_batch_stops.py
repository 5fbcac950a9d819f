"""Clean stops (issue 17): a signal stops the workers within seconds and says how to
resume; a killed batch takes its workers with it; a dead worker is replaced and its
students graded again, to the same files as an uninterrupted run."""

from __future__ import annotations

import multiprocessing
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder.grading.batch import grade_class
from tests.grading.test_batch import CASES, _comparable
from tests.grading.test_batch_resume import small_class


def _session_members(sid: int) -> list[int]:
    """The processes of session ``sid`` (the batch, its workers and its fork server)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:  # state, ppid, pgrp, session
            pids.append(int(entry))
    return pids


def _wait_gone(sid: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _session_members(sid):
        time.sleep(0.1)
    return _session_members(sid)


def _slow_class(tmp_path: Path) -> Path:
    folder = small_class(tmp_path)
    for i in range(2):  # two 5 s timeouts each: the batch is mid-run when it is stopped
        shutil.copy(CASES / "dos_sleep_forever.py", folder / f"zz_slow{i}.py")
    return folder


def _start(demo_course, folder: Path, out: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "autograder", "--course", str(demo_course.root), "grade"]
    return subprocess.Popen(
        [*cmd, "hw99", str(folder), "--out", str(out), "--jobs", "2"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_results(out: Path, count: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "results").glob("*.json"))) < count:
        time.sleep(0.1)


@pytest.mark.parametrize("how", ["SIGINT to the group", "SIGTERM to the batch"])
def test_a_signal_stops_everything_within_seconds_and_says_how_to_resume(
    demo_course, tmp_path, how
):
    folder, out = _slow_class(tmp_path), tmp_path / "out"
    proc = _start(demo_course, folder, out)
    _wait_for_results(out, 1)
    stopped = time.monotonic()
    if how.startswith("SIGINT"):
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    else:
        os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    left = _wait_gone(proc.pid, 5)
    took = time.monotonic() - stopped
    assert not left, f"still running after the batch stopped: {left}"
    assert took < 8, took
    assert proc.returncode == (130 if how.startswith("SIGINT") else 143), err
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert "autograde grade: stopped by SIG" in last and "graded" in last, err
    resume = shlex.split(last.split("To resume: ", 1)[1])
    assert resume[-6:] == ["hw99", str(folder), "--out", str(out), "--jobs", "2"]
    assert not (out / "grades.csv").exists()


def test_a_killed_batch_takes_its_workers_with_it(demo_course, tmp_path):
    folder, out = _slow_class(tmp_path), tmp_path / "out"
    proc = _start(demo_course, folder, out)
    _wait_for_results(out, 1)
    assert len(_session_members(proc.pid)) >= 3  # the batch, a worker, the fork server
    os.kill(proc.pid, signal.SIGKILL)  # the batch alone, not its process group
    proc.communicate(timeout=30)
    assert not _wait_gone(proc.pid, 5)


@pytest.mark.slow
def test_a_dead_worker_is_replaced_and_its_students_graded_again(demo_course, tmp_path, capsys):
    folder = small_class(tmp_path)  # three students, graded one at a time below
    a = demo_course.assignment("hw99")
    full = tmp_path / "full"
    grade_class(demo_course, a, [folder], full, jobs=1)

    out = tmp_path / "out"
    killed: list[int] = []
    time.sleep(1)  # the first batch's workers wind down on their own: not those
    stale = {child.pid for child in multiprocessing.active_children()}

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            if list((out / "results").glob("*.json")):
                for child in multiprocessing.active_children():
                    if child.pid not in stale and child.is_alive():
                        os.kill(child.pid, signal.SIGKILL)
                        killed.append(child.pid)
                        return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    report = grade_class(demo_course, a, [folder], out, jobs=1)
    killer.join()
    assert killed, "no worker was killed"
    assert report.failed == [] and report.graded == 3
    assert "again in fresh workers" in capsys.readouterr().err
    files, expected = _comparable(out), _comparable(full)
    differing = sorted(n for n in set(files) | set(expected) if files.get(n) != expected.get(n))
    assert differing == [], {n: (files.get(n), expected.get(n)) for n in differing}


def _fork_servers() -> list[int]:
    """This process's children that are a batch's fork server."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if ppid == os.getpid() and b"autograder.sandbox.zygote" in cmdline:
            found.append(int(entry))
    return found


@pytest.mark.slow
def test_a_dead_fork_server_is_replaced_and_the_grades_are_unchanged(demo_course, tmp_path, capsys):
    folder = small_class(tmp_path)
    a = demo_course.assignment("hw99")
    full = tmp_path / "full"
    grade_class(demo_course, a, [folder], full, jobs=1)

    out = tmp_path / "out"
    killed: list[int] = []

    def kill_the_server() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            if list((out / "results").glob("*.json")):
                for pid in _fork_servers():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_server)
    killer.start()
    report = grade_class(demo_course, a, [folder], out, jobs=1)
    killer.join()
    assert killed, "no fork server was killed"
    assert report.failed == [] and report.graded == 3
    assert "the sandbox fork server died; starting a new one" in capsys.readouterr().err
    files, expected = _comparable(out), _comparable(full)
    differing = sorted(n for n in set(files) | set(expected) if files.get(n) != expected.get(n))
    assert differing == [], {n: (files.get(n), expected.get(n)) for n in differing}


def test_sigterm_before_grading_starts_is_a_message_too(demo_course, tmp_path, monkeypatch, capsys):
    import autograder.grading.batch as batch
    from autograder.cli import main

    real_collect = batch.collect_students

    def collect_then_terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the inputs are read
        return real_collect(*args, **kwargs)

    monkeypatch.setattr(batch, "collect_students", collect_then_terminated)
    folder, out = small_class(tmp_path), tmp_path / "out"
    code = main(
        ["--course", str(demo_course.root), "grade", "hw99", str(folder), "--out", str(out)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 143
    assert err[-1].startswith("autograde grade: stopped by SIGTERM; nothing graded this run")
    assert "To resume: " in err[-1]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back as it was
