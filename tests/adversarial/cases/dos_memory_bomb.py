def square(x):
    return x * x


def add(a, b):
    hog = bytearray(1 << 34)  # 16 GiB at once
    return len(hog)
