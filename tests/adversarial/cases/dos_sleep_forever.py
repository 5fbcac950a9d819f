import time


def square(x):
    return x * x


def add(a, b):
    time.sleep(10**6)
