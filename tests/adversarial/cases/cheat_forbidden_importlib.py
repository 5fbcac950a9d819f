import importlib


def square(x):
    return importlib.import_module("torch").square(x)


def add(a, b):
    return a + b
