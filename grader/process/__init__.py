"""The process layer: everything that starts, confines, feeds and reaps a process.

* :mod:`grader.process.expected`: the expected-values process, the only one that
  imports the references and the oracles;
* :mod:`grader.process.zygote`: a freshly executed, clean process per framework
  that forks one sandboxed child per exercise;
* :mod:`grader.process.student`: what runs inside that child;
* :mod:`grader.process.supervisor`: deadlines, resumption and outcomes of a child;
* :mod:`grader.process.sandbox`, :mod:`grader.process.view`,
  :mod:`grader.process.rootfs` and :mod:`grader.process.cgroups`: the
  confinement steps;
* :mod:`grader.process.channel`: length-prefixed frames with deadlines.

Nothing here scores: outcomes leave this layer as plain data
(:class:`grader.checking.outcomes.Outcome`).
"""
