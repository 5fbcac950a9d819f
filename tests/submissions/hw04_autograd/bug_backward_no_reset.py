# question: q1
# bug: backward() seeds the output with 1 but never resets the other nodes' grad to 0, so a
# second backward() on the same graph adds to the gradients of the first. (The class is
# the notebook's Value with only backward() rewritten: every other method is inherited.)
class Value(Value):
    def backward(self) -> None:
        self.grad = 1.0
        for node in reversed(topological_order(self)):
            node._backward()
