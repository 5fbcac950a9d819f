# question: q2
# bug: returns the DFS pre-order (each node before its inputs, root first) instead of the
# post-order; backward() walks it reversed, so gradients flow in the wrong order too
def topological_order(root):
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(node._prev)
    return order
