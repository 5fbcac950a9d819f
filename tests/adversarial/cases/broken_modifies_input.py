

def square(x):
    x.mul_(x)
    return x


def add(a, b):
    return a + b
