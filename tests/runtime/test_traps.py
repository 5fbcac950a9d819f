"""Forbidden APIs are refused at run time, torch's private routes to them included, and
the trap state does not yield to plain attribute writes from student code."""

from __future__ import annotations

import pytest

from autograder.sandbox import Sandbox, SandboxConfig

FORBIDDEN = [
    "torch.autograd.grad",
    "torch.autograd.backward",
    "torch.Tensor.backward",
    "torch.autograd.forward_ad.*",
    "torch.autograd.graph._engine_run_backward",
    "torch.optim.adam._single_tensor_adam",
]

CELL = """
import torch
import torch.autograd.forward_ad as fwAD
from torch.autograd import graph
from torch.optim import adam

def via_forward_ad(x):
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, torch.ones_like(x))
        return fwAD.unpack_dual(dual * dual).tangent

def via_engine(x):
    x = x.clone().requires_grad_()
    y = (x * x).sum()
    graph._engine_run_backward((y,), (torch.ones_like(y),), False, False, (), allow_unreachable=True, accumulate_grad=True)
    return x.grad

def via_private_adam(x):
    p, g = x.clone(), torch.ones_like(x)
    m, v = torch.zeros_like(x), torch.zeros_like(x)
    adam._single_tensor_adam([p], [g], [m], [v], [], [torch.tensor(0.0)], None, None,
        amsgrad=False, has_complex=False, beta1=0.9, beta2=0.999, lr=0.1, weight_decay=0.0,
        eps=1e-8, maximize=False, capturable=False, differentiable=False,
        decoupled_weight_decay=False)
    return p

def switch_off_then_grad(x):
    from autograder.runtime import traps
    for name in dir(traps):
        obj = getattr(traps, name)
        for attr in ("active", "question", "violations"):
            try:
                setattr(obj, attr, frozenset() if attr == "active" else None)
            except Exception:
                pass
    try:
        traps.TrapState.enter = lambda self, *a: None
    except Exception:
        pass
    x = x.clone().requires_grad_()
    return torch.autograd.grad((x * x).sum(), x)[0]
"""


@pytest.mark.parametrize(
    "function", ["via_forward_ad", "via_engine", "via_private_adam", "switch_off_then_grad"]
)
def test_private_routes_and_attribute_writes_are_refused(function):
    import torch

    sandbox = Sandbox([(0, CELL)], FORBIDDEN, SandboxConfig())
    try:
        assert sandbox.start().ok
        probe = {"name": "p", "source": f"def p(ns, x):\n    return ns.{function}(x)\n"}
        allowed = sandbox.call("q0", [], probe, [torch.ones(3)], 0, 30)
        assert allowed.status == "ok", allowed  # outside the question: forwarded
        refused = sandbox.call("q1", FORBIDDEN, probe, [torch.ones(3)], 0, 30)
        assert refused.status == "error" and refused.kind == "forbidden", refused
    finally:
        sandbox.release()
