

def square(x):
    return (x * x).float()


def add(a, b):
    return a + b
