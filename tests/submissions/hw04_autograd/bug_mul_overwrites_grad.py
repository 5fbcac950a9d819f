# question: q1
# bug: __mul__'s _backward assigns the inputs' gradients (=) instead of adding (+=), so a
# node used in several places keeps only the last contribution (x * x gets x, not 2x).
# (The class is the notebook's Value with only __mul__ rewritten.)
class Value(Value):
    def __mul__(self, other):
        other = self._lift(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out
