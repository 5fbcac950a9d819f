

def square(x):
    raise NotImplementedError("q1: implement square")


def add(a, b):
    return a + b
