"""The built-in exercise catalog: one plugin module per exercise.

Every module in this package is registered as a plugin, so adding an exercise
means adding a file here (plus its reference in ``solutions/``); its place in
the course is the ``unit`` it declares (:class:`grader.exercise.Exercise`).
Modules whose name starts with an underscore are not exercises:
``_rubric`` holds what the exercises' declarations share.
"""
