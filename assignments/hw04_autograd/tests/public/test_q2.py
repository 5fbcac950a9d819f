from autograder.testing import T0, probe


@probe
def small_graph(ns):
    # a, b → c = a·b → d = c + a → e = d·c, built with the constructor only
    a, b = ns.Value(1.0), ns.Value(2.0)
    c = ns.Value(2.0, (a, b), "*")
    d = ns.Value(3.0, (c, a), "+")
    e = ns.Value(6.0, (d, c), "*")
    unused = ns.Value(5.0, (e,), "exp")  # noqa: F841  (depends on e: not in e's order)
    names = {id(a): "a", id(b): "b", id(c): "c", id(d): "d", id(e): "e"}
    seq = [names.get(id(n), "?") for n in ns.topological_order(e)]
    pos = {name: i for i, name in enumerate(seq)}
    return {
        "nodes, each once": sorted(seq),
        "root last": seq[-1:] == ["e"],
        "each after its inputs": all(
            name in pos and all(p in pos and pos[p] < pos[name] for p in ins)
            for name, ins in {"c": "ab", "d": "ca", "e": "dc"}.items()
        ),
    }


@probe
def chain(ns, n):
    node = ns.Value(0.0)
    for _ in range(n):
        node = ns.Value(node.data + 1.0, (node,), "+1")
    order = ns.topological_order(node)
    return {"length": len(order), "root last": order[-1] is node, "leaf first": not order[0]._prev}


def test_q2_small_graph(grade):
    grade.compare(small_graph, case="a, b → c = a·b → d = c + a → e = d·c", **T0)


def test_q2_long_chain(grade):
    grade.compare(chain, 5000, case="a chain of 5000 nodes (no recursion)", **T0)
