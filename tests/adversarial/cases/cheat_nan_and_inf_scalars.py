

def square(x):
    return x * x


def add(a, b):
    return float("nan") if a > 0 else float("inf")
