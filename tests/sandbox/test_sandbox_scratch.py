"""Each sandbox has its own scratch folders: /tmp, /dev/shm and /var/tmp are fresh,
capped tmpfs mounts in its namespace, so nothing one submission leaves there reaches the
next one (or stays on the machine), and /dev/shm cannot hold memory past its cap."""

from __future__ import annotations

import os
import time

import pytest

from autograder.sandbox import Sandbox, SandboxConfig
from autograder.sandbox.process import Zygote


def _namespaces_work() -> bool:
    from autograder.sandbox.reach import mount_namespaces_work

    return os.geteuid() == 0 and mount_namespaces_work()


CELL = """
import os

def leave(tag):
    for folder in ("/tmp", "/dev/shm", "/var/tmp"):
        with open(os.path.join(folder, "autograde-note-" + tag), "w") as fh:
            fh.write("left here")
    return sorted(os.listdir("/tmp"))

def seen(tag):
    return [f for f in ("/tmp", "/dev/shm", "/var/tmp")
            if os.path.exists(os.path.join(f, "autograde-note-" + tag))]

def fill_shm(megabytes):
    try:
        with open("/dev/shm/big", "wb") as fh:
            for _ in range(megabytes):
                fh.write(b"x" * (1 << 20))
    except OSError as exc:
        return type(exc).__name__
    return "written"

def here():
    return os.getcwd(), os.listdir(".")
"""


def _call(sandbox, fn, *args):
    probe = {"name": "p", "source": f"def p(ns, *a):\n    return ns.{fn}(*a)\n"}
    res = sandbox.call("q1", [], probe, list(args), 0, 30)
    assert res.status == "ok", res
    return res.value


@pytest.mark.skipif(not _namespaces_work(), reason="needs root and mount namespaces")
@pytest.mark.parametrize("forked", [False, True], ids=["spawned", "forked"])
def test_scratch_folders_are_private_and_capped(forked):
    tag = f"{os.getpid()}-{forked}"
    zygote = Zygote() if forked else None
    try:
        first = Sandbox([(0, CELL)], [], SandboxConfig(zygote=zygote))
        try:
            assert first.start().ok
            listing = _call(first, "leave", tag)
            assert f"autograde-note-{tag}" in listing
            # the working directory survives the fresh /tmp it lies in
            cwd, _ = _call(first, "here")
            assert cwd == first.workdir
            assert _call(first, "fill_shm", 100) == "OSError"  # over /dev/shm's 64 MB
        finally:
            first.release()
        second = Sandbox([(0, CELL)], [], SandboxConfig(zygote=zygote))
        try:
            assert second.start().ok
            assert _call(second, "seen", tag) == []
        finally:
            second.release()
    finally:
        if zygote is not None:
            zygote.close()
    for folder in ("/tmp", "/dev/shm", "/var/tmp"):  # nor on the machine
        assert not os.path.exists(os.path.join(folder, f"autograde-note-{tag}"))


@pytest.mark.skipif(os.geteuid() != 0, reason="slot uids need root")
def test_without_private_mounts_what_the_slot_uid_left_is_removed(tmp_path):
    from autograder.sandbox.proctree import remove_files_of as _remove_files_of

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    mine, theirs = scratch / "left-by-student", scratch / "someone-else"
    (mine / "deep").mkdir(parents=True)
    (mine / "deep" / "file").write_text("x")
    theirs.write_text("keep")
    link = scratch / "link-by-student"
    link.symlink_to("/etc/passwd")
    for path in (mine, mine / "deep", mine / "deep" / "file"):
        os.chown(path, 64123, 64123)
    os.lchown(link, 64123, 64123)
    _remove_files_of(64123, (str(scratch),))
    assert sorted(p.name for p in scratch.iterdir()) == ["someone-else"]
    assert os.path.exists("/etc/passwd")


def test_a_dead_fork_servers_socket_folder_is_removed_by_the_next(tmp_path):
    """A batch killed with its fork server leaves a folder holding a dead socket; the next
    server removes it (and never a live server's, nor one just made)."""
    import socket

    from autograder.sandbox.forkserver import remove_dead_servers_folders

    dead, live, young = (tmp_path / f"autograde-zygote-{n}" for n in ("dead", "live", "young"))
    for folder in (dead, live, young):
        folder.mkdir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as gone:
        gone.bind(str(dead / "zygote.sock"))  # bound, then closed: nobody listens
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(str(live / "zygote.sock"))
    listener.listen(1)
    old = time.time() - 3600
    for folder in (dead, live):
        os.utime(folder, (old, old))
    try:
        assert remove_dead_servers_folders(str(tmp_path)) == [str(dead)]
        assert live.is_dir() and young.is_dir() and not dead.exists()
    finally:
        listener.close()
