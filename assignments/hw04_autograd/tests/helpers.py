"""hw04's probe helpers: running a straight-line program of Value operations, and
backward by hand (a post-order walk of ``_prev`` and each node's ``_backward``), which the
q1 probes share. Not backward(): it uses topological_order (q2), which q1 does not charge.

Shipped to the sandbox with every probe that uses it: nothing here is secret (the build
checks it).
"""


def apply(op, x, y, c):
    """One instruction of a program: ``op`` on nodes ``x``, ``y`` and the number ``c``."""
    if op == "exp":
        return (x * 0.5).exp()
    if op == "log":
        return (x * x + 0.5).log()
    if op == "tanh":
        return x.tanh()
    if op == "relu":
        return (x + c).relu()
    if op == "sigmoid":
        return (x * c).sigmoid()
    if op == "neg":
        return -x
    if op == "square":
        return x**2
    if op == "cube":
        return x**3
    if op == "sqrt":
        return (x * x + 1.0) ** 0.5
    if op == "pow_frac":
        return (x * x + 0.5) ** 1.5
    if op == "inv":
        return (x * x + 1.0) ** -1
    if op == "add":
        return x + y
    if op == "sub":
        return x - y
    if op == "mul":
        return x * y
    if op == "div":
        return x / (y * y + 0.5)
    if op == "add_c":
        return x + c
    if op == "c_add":
        return c + x
    if op == "sub_c":
        return x - c
    if op == "c_sub":
        return c - x
    if op == "mul_c":
        return x * c
    if op == "c_mul":
        return c * x
    if op == "div_c":
        return x / c
    return c / (x * x + 1.0)  # c_div


def run(ns, leaves, program, n_out):
    """The program's nodes (leaves first) and its output, the sum of the last n_out nodes.

    Each instruction ``[op, a, b, c]`` reads earlier nodes a, b and a number c.
    """
    nodes = [ns.Value(float(v)) for v in leaves]
    for op, a, b, c in program:
        nodes.append(apply(op, nodes[a], nodes[b], c))
    out = nodes[-1]
    for extra in nodes[len(nodes) - n_out : -1]:
        out = out + extra
    return nodes, out


def post_order(out):
    """Every node of ``out``'s graph, each after its children (``_prev``), once."""
    order, seen, stack = [], set(), [(out, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev)
    return order


def backward_by_hand(out, upstream=1.0, leaf_grad=0.0):
    """Seed ``out`` with ``upstream`` and call every node's ``_backward`` once, outputs
    first; leaves start at ``leaf_grad`` (not 0: a ``_backward`` must add, not overwrite)."""
    order = post_order(out)
    for node in order:
        node.grad = 0.0 if node._prev else leaf_grad
    out.grad = upstream
    for node in order[::-1]:  # outputs first
        node._backward()
