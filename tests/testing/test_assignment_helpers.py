"""An assignment's probe helpers (``tests/helpers.py``): shared by its probes on both
sides, carried only by the probes that use them, and refused by the build when they hold
anything secret."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import torch

from autograder.build.helpers_check import helpers_problems
from autograder.grading.loading import import_test_module
from autograder.sandbox.child import _compile_probe


def _assignment(tmp_path: Path, helpers: str, test: str) -> Path:
    tests = tmp_path / "hw98_demo" / "tests"
    (tests / "hidden").mkdir(parents=True)
    (tests / "helpers.py").write_text(textwrap.dedent(helpers))
    path = tests / "hidden" / "test_q1_demo.py"
    path.write_text(textwrap.dedent(test))
    return path


HELPERS = """
    def doubled(ns, x):
        return 2 * ns.f(x)
"""
TEST = """
    from autograder.testing import assignment_helpers, probe

    helpers = assignment_helpers(__file__)


    @probe
    def uses_them(ns, x):
        return helpers.doubled(ns, x)


    @probe
    def does_not(ns, x):
        return ns.f(x)
"""


def test_probes_that_use_the_helpers_carry_them_to_the_sandbox(tmp_path: Path) -> None:
    module = import_test_module(str(_assignment(tmp_path, HELPERS, TEST)), "helpers_demo_a")
    ns = SimpleNamespace(f=lambda x: x + 1)
    uses, plain = module.uses_them, module.does_not
    assert uses(ns, torch.tensor(1.0)).item() == 4.0  # trusted side
    assert "helpers" in uses.spec and "helpers" not in plain.spec
    assert module.helpers.doubled(ns, 2) == 6  # the tests see the same module
    in_child = _compile_probe(uses.spec, {})  # what the sandbox child compiles
    assert in_child(ns, torch.tensor(1.0)).item() == 4.0


def _course(tmp_path: Path, reference: str) -> SimpleNamespace:
    path = tmp_path / "reference.py"
    path.write_text(textwrap.dedent(reference))
    return SimpleNamespace(reference_path=lambda aid: path)


REFERENCE = """
    def f(x):
        # BEGIN SOLUTION q1
        scaled = torch.linspace(0.0, 1.0, steps=x.numel())
        return torch.cumsum(scaled * x, dim=0)
        # END SOLUTION
"""


def test_the_build_refuses_helpers_that_hold_secrets(tmp_path: Path) -> None:
    secret = """
        import solutions.hw98_demo
        SALT = "hw98-0123456789abcdef"

        def leak(x):
            scaled = torch.linspace(0.0, 1.0, steps=x.numel())
            return torch.cumsum(scaled * x, dim=0)
    """
    test = _assignment(tmp_path, secret, TEST)
    assignment = SimpleNamespace(
        id="hw98_demo", folder=test.parents[2], salt="hw98-0123456789abcdef"
    )
    problems = helpers_problems(_course(tmp_path, REFERENCE), assignment)
    text = "\n".join(problems)
    assert "imports solutions.hw98_demo" in text
    assert "salt" in text
    assert "are the reference's (q1" in text
    (test.parents[1] / "helpers.py").write_text(textwrap.dedent(HELPERS))
    assert helpers_problems(_course(tmp_path, REFERENCE), assignment) == []
