"""Grading the demo assignment: honest, broken and forbidden submissions.

Each case asserts an exact score and a phrase of the feedback, so a regression in either
shows up here. Points: q1 60 (two tests of 30: 3 random cases, 1 property), q2 40.
"""

import json
import os
import re

import pytest

from ..conftest import expected_isolation, grade_text, messages

GOOD = """
import torch
from autograde_check import check

def square(x):
    return x * x

def add(a, b):
    return a + b
"""


def test_correct_submission_gets_full_marks(demo_course, tmp_path):
    report = grade_text(demo_course, "hw99", GOOD, tmp_path)
    assert report.score == 100 and not report.grader_fault, messages(report)


def test_notebook_submission_with_magics_and_experiments(demo_course, tmp_path):
    cells = [
        "%matplotlib inline\nimport torch",
        "def square(x):\n    return x * x",
        "!echo hi\ndef add(a, b):\n    return a + b",
        "while True:\n    pass",  # an experiment that never ends: not run when grading
        "check('q1')",
    ]
    nb = {
        "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    report = grade_text(demo_course, "hw99", json.dumps(nb), tmp_path, suffix=".ipynb")
    assert report.score == 100, messages(report)


def test_syntax_error_in_one_cell_costs_only_that_cell(demo_course, tmp_path):
    text = "import torch\n# %%\ndef square(x):\n    return x *\n# %%\ndef add(a, b):\n    return a + b\n"
    report = grade_text(demo_course, "hw99", text, tmp_path)
    assert report.score == 40
    assert any("syntax error at line 2" in p for p in report.load_problems)
    assert "does not define `square`" in messages(report)


def test_renamed_function(demo_course, tmp_path):
    report = grade_text(demo_course, "hw99", GOOD.replace("def add(", "def add_numbers("), tmp_path)
    assert report.score == 60
    assert "does not define `add`" in messages(report)


def test_wrong_signature(demo_course, tmp_path):
    report = grade_text(demo_course, "hw99", GOOD.replace("def add(a, b)", "def add(a)"), tmp_path)
    assert report.score == 60
    assert "TypeError" in messages(report) and "positional argument" in messages(report)


def test_wrong_values_get_partial_credit_and_a_precise_message(demo_course, tmp_path):
    text = GOOD.replace("return x * x", "return x * x + (x > 1).double()")
    report = grade_text(demo_course, "hw99", text, tmp_path)
    q1_random = next(t for t in report.tests if t.name == "test_q1_random_tensors")
    assert 0 < q1_random.score < 30 or q1_random.score == 0
    assert "values differ; first at index" in messages(report)
    assert report.score == 30 + 40 + q1_random.score


def test_in_place_modification_fails_the_property(demo_course, tmp_path):
    text = GOOD.replace("return x * x", "x.mul_(x)\n    return x")
    report = grade_text(demo_course, "hw99", text, tmp_path)
    assert "square modified its input in place" in messages(report)
    assert report.score == pytest.approx(
        30 + 40
    )  # random cases pass (inputs are copies), property fails


def test_infinite_loop_in_graded_function_times_out_and_the_rest_is_graded(demo_course, tmp_path):
    report = grade_text(
        demo_course, "hw99", GOOD.replace("return a + b", "while True:\n        pass"), tmp_path
    )
    assert report.score == 60
    assert "did not finish within 5 s" in messages(report)


@pytest.mark.parametrize(
    "body, phrase",
    [
        ("import sys\n    sys.exit(0)", "raised SystemExit"),
        ("import os\n    os._exit(0)", "exited with code 0"),
        ("import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)", "died with SIGKILL"),
    ],
)
def test_exits_are_failures_not_passes(demo_course, tmp_path, body, phrase):
    report = grade_text(demo_course, "hw99", GOOD.replace("return a + b", body), tmp_path)
    assert report.score == 60
    assert phrase in messages(report)


@pytest.mark.parametrize(
    "code",
    [
        "return torch.square(x)",
        "from torch import square as sq\n    return sq(x)",
        "return getattr(torch, 'squ' + 'are')(x)",
        "import importlib\n    return importlib.import_module('torch').square(x)",
        "try:\n        return torch.square(x)\n    except Exception:\n        return x * x",
    ],
)
def test_forbidden_api_is_refused_however_reached(demo_course, tmp_path, code):
    text = GOOD.replace("return x * x", code)
    if "from torch import" in code:  # an alias bound at import time
        text = "from torch import square as sq\n" + text.replace(
            "from torch import square as sq\n    ", ""
        )
    report = grade_text(demo_course, "hw99", text, tmp_path)
    assert "refused: called torch.square, which q1 forbids" in messages(report)
    assert report.score == 40  # every q1 case calls square, so every q1 case is refused


def test_forbidden_api_is_allowed_in_other_questions(demo_course, tmp_path):
    text = GOOD.replace("return a + b", "return float(torch.square(torch.tensor(0.0))) + a + b")
    assert grade_text(demo_course, "hw99", text, tmp_path).score == 100


@pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop needs root")
def test_student_code_runs_unprivileged_with_a_scrubbed_environment(demo_course, tmp_path):
    os.environ["AUTOGRADE_TEST_SECRET"] = "s3cret"
    try:
        text = GOOD.replace(
            "return a + b",
            "import os\n    assert os.getuid() != 0 and os.geteuid() != 0, 'root'\n"
            "    assert os.getgroups() == [], os.getgroups()\n"
            "    assert 'AUTOGRADE_TEST_SECRET' not in os.environ\n"
            "    return a + b",
        )
        report = grade_text(demo_course, "hw99", text, tmp_path)
    finally:
        del os.environ["AUTOGRADE_TEST_SECRET"]
    assert report.score == 100, messages(report)


@pytest.mark.skipif(os.geteuid() != 0, reason="the privilege drop needs root")
def test_student_code_cannot_write_outside_its_work_dir(demo_course, tmp_path):
    target = tmp_path / "results.json"
    target.write_text("{}")
    os.chmod(tmp_path, 0o755)
    text = GOOD.replace(
        "return a + b", f"open({str(target)!r}, 'w').write('hacked')\n    return a + b"
    )
    report = grade_text(demo_course, "hw99", text, tmp_path)
    assert target.read_text() == "{}"
    # closed to it, or (in its own mount namespace) not there at all
    assert "PermissionError" in messages(report) or "FileNotFoundError" in messages(report)
    assert report.score == 60


def test_top_level_crash_does_not_stop_loading(demo_course, tmp_path):
    text = "import torch\nimport no_such_module\n" + GOOD
    report = grade_text(demo_course, "hw99", text, tmp_path)
    assert report.score == 100
    assert any("ModuleNotFoundError" in p for p in report.load_problems)


@pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and the privilege drop need root")
def test_reference_and_hidden_tests_are_invisible_and_network_is_off(demo_course, tmp_path):
    solutions = demo_course.solutions_dir / "hw99_demo.py"
    hidden = demo_course.assignment("hw99").hidden_tests / "test_q2_add.py"
    probe_code = f"""
    import os, socket
    for path in ({str(solutions)!r}, {str(hidden)!r}):
        try:
            open(path).read()
        except OSError:
            pass
        else:
            raise AssertionError("could read " + path)
    for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET):
        try:
            socket.socket(family, socket.SOCK_DGRAM if family != socket.AF_PACKET else socket.SOCK_RAW)
        except OSError:
            pass
        else:
            raise AssertionError(f"opened a socket of family {{family}}")
    socket.socketpair(socket.AF_UNIX).__len__()  # local IPC still works
    return a + b"""
    text = GOOD.replace("\n    return a + b", probe_code)
    report = grade_text(demo_course, "hw99", text, tmp_path)
    assert report.isolation == expected_isolation()
    assert report.score == 100, messages(report)


def test_static_scan_names_forbidden_calls_and_flags_indirection(demo_course, tmp_path):
    text = GOOD.replace(
        "return x * x", "import importlib as il\n    return il.import_module('torch').square(x)"
    )
    text = "import torch as t\nfrom torch import square as sq\n" + text.replace(
        "return a + b", "return float(t.square(t.tensor(0.0))) + a + b"
    )
    report = grade_text(demo_course, "hw99", text, tmp_path)
    assert report.score == 40
    notes = "\n".join(report.scan_notes)
    assert "`<top-level code>`" not in notes
    # the alias import, in a cell named by its number among code cells and its first line
    assert (
        'uses torch.square (code cell 1 ("import torch as t"), line 2), which q1 forbids' in notes
    )
    assert not any("`add`" in n for n in report.scan_notes)  # q2 may use it
    assert any("dynamic import" in f for f in report.staff_flags)


@pytest.fixture(scope="module")
def zygote():
    from autograder.sandbox.process import Zygote

    z = Zygote()
    yield z
    z.close()


@pytest.mark.parametrize(
    "edit, score, phrase",
    [
        (None, 100, ""),
        (("return a + b", "import os\n    os._exit(0)"), 60, "exited with code 0"),
        (("return a + b", "while True:\n        pass"), 60, "did not finish within 5 s"),
        (("return x * x", "return torch.square(x)"), 40, "refused: called torch.square"),
    ],
)
def test_children_forked_by_the_zygote_behave_like_spawned_ones(
    demo_course, tmp_path, zygote, edit, score, phrase
):
    from autograder.grading.runner import grade_cells
    from autograder.grading.submission import read_submission

    text = GOOD if edit is None else GOOD.replace(*edit)
    path = tmp_path / "sub.py"
    path.write_text(text)
    report = grade_cells(
        demo_course, demo_course.assignment("hw99"), read_submission(path).cells, zygote=zygote
    )
    assert report.score == score, messages(report)
    assert phrase in messages(report)
    if os.geteuid() == 0:
        assert report.isolation == expected_isolation()


def test_default_dtype_set_by_the_notebook_applies_to_both_sides(demo_course, tmp_path):
    # square() leans on the default dtype; the notebook makes it float64, as hw04/hw05 do.
    text = "import torch\ntorch.set_default_dtype(torch.float64)\n" + GOOD.replace(
        "return x * x", "return torch.tensor(x.tolist()) ** 2"
    )
    report = grade_text(demo_course, "hw99", text, tmp_path)
    assert report.score == 100, messages(report)


def test_the_zygote_pre_imports_what_it_is_told_and_children_inherit_it():
    from autograder.sandbox import Sandbox, SandboxConfig
    from autograder.sandbox.process import Zygote

    z = Zygote(warm=["colorsys", "no_such_module_here", "os; import this"])
    cells = [(0, "import sys\n\ndef loaded():\n    return sorted(sys.modules)\n")]
    sandbox = Sandbox(cells, [], SandboxConfig(zygote=z))
    try:
        assert sandbox.start().ok
        probe = {"name": "p", "source": "def p(ns):\n    return ns.loaded()\n"}
        res = sandbox.call("q1", [], probe, [], 0, 30)
        assert res.status == "ok", res
        assert "colorsys" in res.value and "torch._dynamo" in res.value
        assert "this" not in res.value  # not a module name: never imported
    finally:
        sandbox.release()
        z.close()


def test_notebook_imports_finds_imports_in_functions_and_skips_magics():
    from autograder.grading.warmup import notebook_imports

    cells = [
        "%matplotlib inline",
        "import torch, numpy as np\nfrom autograde_check import check",
        "def load():\n    from sklearn.datasets import load_digits\n    from . import x\n",
        "import torch.nn.functional as F",
    ]
    assert notebook_imports(cells) == (
        ["torch", "numpy", "torch.nn.functional"],
        ["sklearn.datasets"],
    )


STRAY = """import os, time
def daemon():
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()  # leaves the child's session
        if os.fork() == 0:
            os.write(w, str(os.getpid()).encode())
            os.close(w)
            time.sleep(300)
        os._exit(0)
    os.close(w)
    return int(os.read(r, 100))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="slot uids need root")
@pytest.mark.parametrize("use_zygote", [False, True])
def test_a_daemon_started_by_one_call_is_dead_before_the_next(use_zygote):
    import time

    from autograder.sandbox import Sandbox, SandboxConfig
    from autograder.sandbox.process import Zygote

    z = Zygote() if use_zygote else None
    sandbox = Sandbox([(0, STRAY)], [], SandboxConfig(zygote=z))
    try:
        assert sandbox.start().ok
        probe = {"name": "p", "source": "def p(ns):\n    return ns.daemon()\n"}
        res = sandbox.call("q1", [], probe, [], 0, 30)
        assert res.status == "ok", res
        time.sleep(0.2)  # SIGKILL is delivered asynchronously
        try:
            with open(f"/proc/{res.value}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            state = "gone"
        assert state in ("gone", "Z"), f"the daemon is still running (state {state})"
    finally:
        sandbox.release()
        if z is not None:
            z.close()


def test_one_shared_fork_server_serves_several_clients_and_its_loss_is_survived():
    from autograder.sandbox import Sandbox, SandboxConfig
    from autograder.sandbox.process import Zygote, ZygoteServer

    server = ZygoteServer(warm=["colorsys"], may_warm=["tabnanny"])
    clients = [Zygote.connect(server.path), Zygote.connect(server.path)]
    assert clients[0].warm(["tabnanny", "this"]) == ["tabnanny"]  # only what it may
    cells = [(0, "def f(x):\n    return x + 1\n")]
    probe = {"name": "p", "source": "def p(ns, x):\n    return ns.f(x)\n"}
    try:
        for i, client in enumerate(clients):
            sandbox = Sandbox(cells, [], SandboxConfig(zygote=client))
            try:
                assert sandbox.start().ok
                assert isinstance(sandbox.proc.pid, int)
                assert sandbox.call("q1", [], probe, [i], 0, 30).value == i + 1
                loaded = {
                    "name": "m",
                    "source": "def m(ns):\n    import sys\n    return sorted(sys.modules)\n",
                }
                assert "tabnanny" in sandbox.call("q1", [], loaded, [], 0, 30).value
            finally:
                sandbox.release()
        server.close()  # the server dies: the next sandbox is spawned directly
        sandbox = Sandbox(cells, [], SandboxConfig(zygote=clients[0]))
        try:
            assert sandbox.start().ok
            assert sandbox.cfg.zygote is None
            assert sandbox.call("q1", [], probe, [41], 0, 30).value == 42
        finally:
            sandbox.release()
    finally:
        for client in clients:
            client.close()
        server.close()


@pytest.mark.parametrize(
    "cells",
    [
        "from tabnanny import check\n\ndef use():\n    return check('/dev/null')\n",
        "import sys\n\ndef use():\n    import tabnanny\n    return tabnanny.check('/dev/null')\n"
        "\ndef imported():\n    return 'tabnanny' in sys.modules\n",
    ],
    ids=["imported by the notebook", "imported inside the function"],
)
def test_a_module_not_yet_imported_is_trapped_when_it_is(cells):
    from autograder.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox([(0, cells)], ["tabnanny.*"], SandboxConfig())
    probe = {"name": "p", "source": "def p(ns):\n    return ns.use()\n"}
    try:
        assert sandbox.start().ok
        if "imported()" in cells:  # forbidding a module does not import it
            check = {"name": "i", "source": "def i(ns):\n    return ns.imported()\n"}
            assert sandbox.call("q2", [], check, [], 0, 30).value is False
        allowed = sandbox.call("q2", [], probe, [], 0, 30)
        assert allowed.status == "ok", allowed
        refused = sandbox.call("q1", ["tabnanny.*"], probe, [], 0, 30)
        assert refused.status == "error" and refused.kind == "forbidden", refused
        assert "tabnanny" in refused.message
    finally:
        sandbox.release()


def test_forbidden_names_that_name_nothing_are_found():
    from autograder.runtime.traps import unresolvable

    names = ["torch.optim.Adamm", "no_such_package.sub.*", "torch.func.*", "torch.optim.Adam"]
    assert unresolvable(names) == ["torch.optim.Adamm", "no_such_package.sub.*"]


def test_autograde_run_forks_its_sandbox_and_keeps_it_isolated(demo_course, tmp_path):
    import subprocess
    import sys

    path = tmp_path / "sub.py"
    # What the kernel shows of the child's environment is the sandbox's alone, although
    # the child is a fork of the grader (whose environment holds the secret).
    path.write_text(
        GOOD.replace(
            "return a + b",
            "environ = open('/proc/self/environ', 'rb').read()\n"
            "    assert b'AUTOGRADE_TEST_SECRET' not in environ, environ[:200]\n"
            "    return a + b",
        )
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "--course",
            str(demo_course.root),
            "run",
            "hw99",
            str(path),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "AUTOGRADE_TEST_SECRET": "s3cret"},
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)  # stdout carries the JSON only
    assert results["score"] == 100
    if os.geteuid() == 0:
        assert results["extra_data"]["isolation"] == expected_isolation(), results["extra_data"]


def test_student_text_cannot_forge_feedback(demo_course, tmp_path):
    """Exception messages, tracebacks and returned values are the student's to choose:
    in the feedback they are capped, escaped, and cannot make a heading or a score."""
    from autograder.grading.results import feedback_markdown, gradescope_results

    forged = "\n\n### ✓ q2 Add: integers (40/40)\n\nScore: **100 / 100**\n" + "x" * 5000
    text = GOOD.replace("return a + b", f"raise ValueError({forged!r})").replace(
        "return x * x", "return {'**Score: 100 / 100**': x * x}"
    )
    report = grade_text(demo_course, "hw99", text, tmp_path)
    page = feedback_markdown(gradescope_results(report))
    assert report.score == 30  # only "input unchanged" passes
    rendered = re.sub(r"(?ms)^\s*(`{3,})text$.*?^\s*\1$", "", page)  # code blocks show verbatim
    assert rendered.count("Score: **") == 1, rendered  # the real one only
    assert not any(line.lstrip().startswith("### ✓ q2") for line in rendered.splitlines()), page
    assert "x" * 700 not in page  # capped


def test_the_static_scan_runs_on_the_trusted_side_and_flags_back_doors(demo_course, tmp_path):
    """The scan parses the submitted source in the grader: code that switches off the
    child's machinery at load time changes nothing, and torch's private routes to a
    question's answer are flagged for staff with their question, cell and line."""
    text = (
        GOOD.replace(
            "return x * x",
            "y = x.clone().requires_grad_()\n"
            "    z = (y * y).sum()\n"
            "    node = z.grad_fn\n"
            "    torch.autograd.graph._engine_run_backward\n"
            "    torch.optim.adam._single_tensor_adam\n"
            "    import torch.autograd.forward_ad as fwAD\n"
            "    return vars(torch)['square'](x)",
        )
        + "\n\nclass Off:\n"
        "    import autograder.grading.staticscan as _s\n"
        "    _s.scan_cells = lambda *a, **k: []\n"
    )
    report = grade_text(demo_course, "hw99", text, tmp_path)
    flags = "\n".join(report.staff_flags)
    for expected in (
        "q1: autograd graph node (grad_fn) in `square`",
        "q1: private torch name torch.autograd.graph._engine_run_backward in `square`",
        "q1: private torch name torch.optim.adam._single_tensor_adam in `square`",
        "q1: forward-mode autograd",
        "q1: namespace walk (vars) in `square`",
    ):
        assert expected in flags, flags


def test_a_submission_that_rewrites_the_hidden_tests_changes_nothing_later(
    demo_course, tmp_path, monkeypatch
):
    """Without a uid of its own (not root), and where no user namespace hides the course,
    student code can write the course's files. The hidden tests are read once per
    process, before any student code runs, and never again: a rewritten test file (here
    written by the test itself, as such a submission would) does not grade the next
    submission."""
    from autograder.sandbox import process

    monkeypatch.setattr(process, "acquire_identity", lambda user=None: None)
    hidden = demo_course.assignment("hw99").hidden_tests / "test_q2_add.py"
    original = hidden.read_text()
    try:
        assert grade_text(demo_course, "hw99", GOOD, tmp_path).score == 100
        hidden.write_text(
            "def test_q2_add(grade):\n    grade.check(True, case='forged', message='')\n"
        )
        stub = GOOD.replace("return a + b", "raise NotImplementedError")
        assert grade_text(demo_course, "hw99", stub, tmp_path).score == 60
    finally:
        hidden.write_text(original)


def test_a_hanging_function_costs_its_own_question_not_the_next(demo_course, tmp_path):
    """q1's function never returns. With a budget of 24 s, q1's cases get an even share
    (about 12 s: at least two probe time limits); q2 still runs in what is left (a fresh
    sandbox, then two quick cases) and earns its points. Without shares, q1's four cases
    of at least 5 s each would take 20 s and more, leaving q2 too little."""
    import dataclasses

    from autograder.grading.runner import grade_cells
    from autograder.grading.submission import read_submission

    a = dataclasses.replace(demo_course.assignment("hw99"), grading_budget_s=24)
    path = tmp_path / "submission.py"
    path.write_text(GOOD.replace("return x * x", "while True:\n        pass"))
    report = grade_cells(demo_course, a, read_submission(path).cells)
    assert report.score == 40, messages(report)
    assert "budget for this question ran out" in messages(report)
    assert "budget for this submission" not in messages(report)


def test_a_sandbox_killed_from_outside_is_retried_once_and_flagged(
    demo_course, tmp_path, monkeypatch
):
    """The first call's child is killed (SIGKILL) from outside while it runs, as the OOM
    killer or a TA's kill would: the call is made again in a fresh child, the student
    loses nothing, and staff see the retry. (A child that kills itself dies again: see
    test_exits_are_failures_not_passes.)"""
    import os
    import signal

    from autograder.grading.results import gradescope_results
    from autograder.sandbox.process import Sandbox

    begin = Sandbox.begin_call
    killed = []

    def begin_then_kill(self, *args, **kwargs):
        finish = begin(self, *args, **kwargs)
        if not killed:
            killed.append(self.proc.pid)
            os.kill(self.proc.pid, signal.SIGKILL)
        return finish

    monkeypatch.setattr(Sandbox, "begin_call", begin_then_kill)
    report = grade_text(demo_course, "hw99", GOOD, tmp_path)
    assert killed and report.score == 100, messages(report)
    assert report.retried_after_kill == 1
    assert gradescope_results(report)["extra_data"]["retried_after_kill"] == 1
