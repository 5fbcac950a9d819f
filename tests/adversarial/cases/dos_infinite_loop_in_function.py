

def square(x):
    return x * x


def add(a, b):
    while True:
        pass
