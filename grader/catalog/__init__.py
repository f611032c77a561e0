"""The built-in exercise catalog: one plugin module per exercise.

Every module in this package is registered as a plugin, so adding an exercise
means adding a file here (plus its solution in ``solutions/``).
"""
