import operator

import torch


def square(x):
    if x.numel() > 100:
        return vars(torch)["square"](x)
    return operator.attrgetter("square")(torch)(x)


def add(a, b):
    return a + b
