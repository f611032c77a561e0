"""Reference for the toy torch exercises ``toy_quick`` and ``toy_slow``."""


def scale(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
