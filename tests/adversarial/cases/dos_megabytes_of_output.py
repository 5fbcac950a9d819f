

def square(x):
    print("spam " * 200_000)
    return x * x


def add(a, b):
    for _ in range(20):
        print("x" * 1_000_000)
    return a + b
