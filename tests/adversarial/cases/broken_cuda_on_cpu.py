

def square(x):
    return (x.cuda() * x.cuda()).cpu()


def add(a, b):
    return a + b
