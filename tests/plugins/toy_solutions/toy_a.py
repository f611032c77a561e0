"""Reference for the toy exercise ``toy_a``."""

import numpy as np


def add_one(x):
    ### BEGIN SOLUTION
    return np.asarray(x, dtype=np.float64) + 1.0
    ### END SOLUTION


def total(x):
    ### BEGIN SOLUTION
    return float(np.sum(x))
    ### END SOLUTION
