def square(x):
    return __import__("torch").square(x)


def add(a, b):
    return a + b
