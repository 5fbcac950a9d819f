# question: q4
# bug: each stride is the product of the sizes from its own dimension on (includes its own size)
import math


def row_major_strides(shape):
    return tuple(math.prod(shape[d:]) for d in range(len(shape))) if shape else ()
