

def square(x):
    return (x * x).sum()


def add(a, b):
    return a + b
