"""hw12's probe helpers: what the checkpointing questions q1-q3 share.

Shipped to the sandbox with every probe that uses them (``helpers.name``): nothing here is
secret (the build checks it).
"""

import torch


def tanh_stack(n, width, g, dtype=None):
    """``n`` blocks ``Linear(width, width) -> Tanh`` in a ModuleList, each weight and bias
    uniform in [-0.5, 0.5), drawn from the generator ``g`` block by block (weight, then
    bias). ``dtype`` None: the default dtype."""
    layers = torch.nn.ModuleList()
    for _ in range(n):
        lin = torch.nn.Linear(width, width, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.rand(width, width, generator=g, dtype=dtype) - 0.5)
            lin.bias.copy_(torch.rand(width, generator=g, dtype=dtype) - 0.5)
        layers.append(torch.nn.Sequential(lin, torch.nn.Tanh()))
    return layers


def swap_segment_bounds(ns, owner, table):
    """Make ``segment_bounds``, where the notebook's ``owner`` function looks it up, answer
    the calls in ``table`` ({(n, k): bounds}, the reference's values) and pass any other
    call to the notebook's own. Returns the function that puts the notebook's own back."""
    scope = getattr(getattr(ns, owner, None), "__globals__", None)
    own = scope.get("segment_bounds") if isinstance(scope, dict) else None
    if own is None:
        return lambda: None

    def segment_bounds(n_layers, n_segments):
        try:
            return list(table[(int(n_layers), int(n_segments))])
        except (KeyError, TypeError, ValueError):
            return own(n_layers, n_segments)

    scope["segment_bounds"] = segment_bounds

    def restore():
        scope["segment_bounds"] = own

    return restore
