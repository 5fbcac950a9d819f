import torch

# %%
def square(x):
    return x *

# %%
def add(a, b):
    return a + b
