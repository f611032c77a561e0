"""Reference for the toy exercise ``toy_b``."""

import numpy as np


def double(x):
    ### BEGIN SOLUTION
    return np.asarray(x, dtype=np.float64) * 2.0
    ### END SOLUTION
