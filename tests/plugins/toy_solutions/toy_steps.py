"""Reference for the toy exercise ``toy_steps``."""


def echo(k, tag):
    ### BEGIN SOLUTION
    return tag
    ### END SOLUTION
