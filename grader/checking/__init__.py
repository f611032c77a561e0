"""The checking layer: plain data in, points and messages out.

* :mod:`grader.checking.values`: structural comparison of plain values with
  tolerances, and the message that says how two values differ;
* :mod:`grader.checking.comparators`: the built-in ``"values"`` comparator plugin;
* :mod:`grader.checking.forbidden`: static checks of a submission's source;
* :mod:`grader.checking.outcomes`: what a student's process did with one case;
* :mod:`grader.checking.scoring`: outcomes to check results.

This layer never imports the process layer, never starts a process and never
prints; ``tests/test_layers.py`` holds it to that.
"""
