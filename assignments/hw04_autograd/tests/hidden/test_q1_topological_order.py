import random

from autograder.testing import probe


@probe
def order_of_graph(ns, edges, n_leaves):
    # Builds the DAG with the Value constructor only (no q2 code needed), then asks for
    # the order and returns it as node indices, with each node's inputs.
    nodes = [ns.Value(float(i)) for i in range(n_leaves)]
    for ins in edges:
        nodes.append(ns.Value(0.0, tuple(nodes[i] for i in ins), "op"))
    index = {id(node): i for i, node in enumerate(nodes)}
    order = ns.topological_order(nodes[-1])
    return {"order": [index.get(id(node), -1) for node in order]}


@probe
def long_chain(ns, length):
    node = ns.Value(0.0)
    first = node
    for _ in range(length):
        node = ns.Value(node.data + 1.0, (node,), "+1")
    order = ns.topological_order(node)
    return {"n": len(order), "first_is_leaf": order[0] is first, "last_is_root": order[-1] is node}


def _reachable(edges, n_leaves, root):
    inputs = {n_leaves + k: ins for k, ins in enumerate(edges)}
    seen, stack = set(), [root]
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(inputs.get(v, ()))
    return seen, inputs


def test_q1_random_dags(grade):
    for i, gen in grade.cases(5):
        rng = random.Random(int(gen.initial_seed()))
        n_leaves = rng.randint(2, 4)
        edges = []
        for k in range(rng.randint(5, 15)):
            size = n_leaves + k
            edges.append(sorted({rng.randrange(size) for _ in range(rng.randint(1, 3))}))
        case = f"random graph {i + 1} ({n_leaves + len(edges)} nodes)"
        got = grade.run(order_of_graph, edges, n_leaves, case=case)
        if got is None:
            continue
        order = got.get("order") if isinstance(got, dict) else None
        root = n_leaves + len(edges) - 1
        reach, inputs = _reachable(edges, n_leaves, root)
        if not isinstance(order, list) or sorted(order) != sorted(reach):
            grade.check(
                False,
                case=case,
                message="the order must hold every node the root depends "
                f"on exactly once ({len(reach)} nodes); got {order}",
            )
            continue
        pos = {v: j for j, v in enumerate(order)}
        late = [(v, p) for v in order for p in inputs.get(v, ()) if pos[p] > pos[v]]
        grade.check(
            not late and order[-1] == root,
            case=case,
            message=(
                f"node {late[0][1]} comes after node {late[0][0]}, which uses it"
                if late
                else "the root must come last"
            ),
        )


def test_q1_a_chain_of_ten_thousand_nodes(grade):
    got = grade.run(long_chain, 10_000, case="a chain of 10 000 additions")
    if got is not None:
        grade.check(
            got == {"n": 10_001, "first_is_leaf": True, "last_is_root": True},
            case="a chain of 10 000 additions",
            message=f"expected all 10 001 nodes, leaf first and root last; got {got}",
        )
