import subprocess


def square(x):
    return x * x


def add(a, b):
    subprocess.Popen(["sleep", "4242"], start_new_session=True)
    subprocess.Popen(["sleep", "4243"])
    return a + b
