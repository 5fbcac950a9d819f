

def square(x):
    return x * x


def add_numbers(a, b):
    return a + b
