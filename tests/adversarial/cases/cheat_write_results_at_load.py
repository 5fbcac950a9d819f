

class Sneaky:
    # A class body runs when the notebook is loaded.
    open("{RESULTS}", "w").write('{"score": 1000}')


def square(x):
    return x * x


def add(a, b):
    return a + b
