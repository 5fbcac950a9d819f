import random

import numpy as np
import torch


def square(x):
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    return x * x


def add(a, b):
    torch.manual_seed(1234)
    return a + b
