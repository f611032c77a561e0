"""The standard test suite of an exercise pack, as a pytest plugin.

An instructor declares, once per exercise and in a test module, what the
grader must make of the reference, the stub and a table of realistic
mistakes::

    from grader.testing import Broken, Suite

    SUITE = Suite(
        "softplus",
        broken=[
            Broken(
                "log-of-one-plus-exp",
                "return np.logaddexp(0.0, x)",
                "return np.log(1.0 + np.exp(x))",
                fails={"softplus_stable"},
                says="overflow",
            ),
        ],
    )

and pytest (through the ``grader`` entry point of the ``pytest11`` group,
:mod:`grader.testing.plugin`) collects from it ``softplus::reference``,
``softplus::stub`` and one ``softplus::broken[<id>]`` test per mistake,
each graded by the grader itself (:class:`grader.grading.Grader`).

This package imports nothing of the grader's at import time: pytest loads
the plugin in every run of an environment where the grader is installed.
"""

from grader.testing.declaration import Alternative, Broken, Suite

__all__ = ["Alternative", "Broken", "Suite"]
