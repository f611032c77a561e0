"""The built-in exercise catalog: one plugin module per exercise.

Every module in this package is registered as a plugin, so adding an exercise
means adding a file here (plus its solution in ``solutions/``).
"""

#: The order of the catalog in reports; modules not listed come after, by name.
ORDER = (
    "diy_model",
    "optim",
    "polyfit",
    "autograd_basics",
    "neural_basics",
    "bow",
    "pooling",
    "rnn",
    "shift_reduce",
)
