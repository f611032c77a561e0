"""Grading a whole class: ``python -m grader batch``.

One module per job: :mod:`~grader.batch.files` finds the students and reads
their files defensively, :mod:`~grader.batch.gradebook` keeps the SQLite
gradebook, :mod:`~grader.batch.records` turns results into plain data,
:mod:`~grader.batch.local` grades on this machine, :mod:`~grader.batch.remote`
on a Dask cluster, :mod:`~grader.batch.exports` writes ``grades.csv`` and the
JSON reports, :mod:`~grader.batch.analytics` computes the class figures and
:mod:`~grader.batch.figures` draws them (matplotlib is imported only there).
"""
