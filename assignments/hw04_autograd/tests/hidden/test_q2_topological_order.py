"""q2: topological order. Many orders are valid, so every check is a property.

The graphs are built with the ``Value`` constructor alone (``Value(data, inputs, op)``),
so these tests need nothing from q1.
"""

import random

from autograder.testing import probe


@probe
def order_of_graph(ns, n_leaves, inputs, root):
    # Node k >= n_leaves has inputs inputs[k - n_leaves] (a list that may repeat a node).
    # Returns the order as node indices; -1 marks an object that is not one of the nodes.
    nodes = [ns.Value(float(i)) for i in range(n_leaves)]
    for ins in inputs:
        nodes.append(ns.Value(0.0, tuple(nodes[i] for i in ins), "op"))
    index = {id(node): i for i, node in enumerate(nodes)}
    order = ns.topological_order(nodes[root])
    return [index.get(id(node), -1) for node in order]


def _reachable(n_leaves, inputs, root):
    seen, stack = set(), [root]
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            if v >= n_leaves:
                stack.extend(inputs[v - n_leaves])
    return seen


def _problem_with(order, n_leaves, inputs, root):
    """None if ``order`` is a valid topological order of what ``root`` depends on."""
    if not isinstance(order, list):
        return f"expected a list of nodes, got {type(order).__name__}"
    reach = _reachable(n_leaves, inputs, root)
    if -1 in order:
        return "the order holds objects that are not nodes of the graph (copies?)"
    if len(order) != len(set(order)):
        twice = next(v for v in order if order.count(v) > 1)
        return f"node {twice} appears {order.count(twice)} times; each node must appear once"
    if set(order) != reach:
        missing, extra = sorted(reach - set(order)), sorted(set(order) - reach)
        if missing:
            return f"{len(missing)} of the {len(reach)} nodes the root depends on are missing"
        return f"{len(extra)} nodes the root does not depend on are in the order"
    pos = {v: i for i, v in enumerate(order)}
    for v in order:
        if v >= n_leaves:
            late = [u for u in inputs[v - n_leaves] if pos[u] > pos[v]]
            if late:
                return f"node {late[0]} comes after node {v}, which has it as an input"
    if order[-1] != root:
        return "the root must come last"
    return None


def _check(grade, got, n_leaves, inputs, root, case):
    if got is not None:
        problem = _problem_with(got, n_leaves, inputs, root)
        grade.check(problem is None, case=case, message=problem or "")


def _random_dag(rng):
    n_leaves = rng.randint(2, 5)
    inputs = []
    for k in range(rng.randint(6, 20)):
        size = n_leaves + k
        # 1–3 inputs, repeats allowed (x * x has x twice), recent nodes preferred
        ins = [
            rng.randrange(max(0, size - 4), size) if rng.random() < 0.5 else rng.randrange(size)
            for _ in range(rng.randint(1, 3))
        ]
        inputs.append(ins)
    n = n_leaves + len(inputs)
    # The root is one of the last nodes, so some nodes are usually left out of the order.
    root = rng.randrange(max(n_leaves, n - 3), n)
    return n_leaves, inputs, root


def test_q2_random_graphs(grade):
    for i, gen in grade.cases(5):
        n_leaves, inputs, root = _random_dag(random.Random(gen.initial_seed()))
        case = f"random graph {i + 1} ({n_leaves + len(inputs)} nodes, root {root})"
        got = grade.run(order_of_graph, n_leaves, inputs, root, case=case)
        _check(grade, got, n_leaves, inputs, root, case)


def test_q2_shared_nodes(grade):
    # A ladder of diamonds: node k + 1 and k + 2 both read node k, the next rung reads
    # both. 2^20 paths lead from the root to the leaf: visit each node once, not each path.
    inputs, rungs = [], 16
    for r in range(rungs):
        base = 2 * r  # index of the rung's input (0 is the leaf)
        inputs.append([base])
        inputs.append([base, base + 1])
    inputs.append([2 * rungs, 2 * rungs - 1])
    case = f"a ladder of {rungs} diamonds (2^{rungs} paths, {len(inputs) + 1} nodes)"
    got = grade.run(order_of_graph, 1, inputs, len(inputs), case=case)
    _check(grade, got, 1, inputs, len(inputs), case)
    # x * x: the same input twice
    inputs = [[0, 0], [1, 1], [2, 0]]
    case = "c = (x · x) · (x · x) · x: a node twice the input of another"
    got = grade.run(order_of_graph, 1, inputs, 3, case=case)
    _check(grade, got, 1, inputs, 3, case)


def test_q2_a_chain_of_ten_thousand_nodes(grade):
    # Recursion would exceed Python's default limit of 1000 frames.
    n = 10_000
    inputs = [[k] for k in range(n)]
    case = "a chain of 10 000 nodes (iterative, no RecursionError)"
    got = grade.run(order_of_graph, 1, inputs, n, case=case)
    _check(grade, got, 1, inputs, n, case)
    # and a chain whose every node also reads the leaf
    inputs = [[k, 0] for k in range(n)]
    case = "a chain of 10 000 nodes that all read the leaf"
    got = grade.run(order_of_graph, 1, inputs, n, case=case)
    _check(grade, got, 1, inputs, n, case)
