"""Grading a whole class: ``python -m grader batch``.

One module per job: :mod:`~grader.batch.files` finds the students and
fingerprints what they handed in (read by :mod:`grader.submission`),
:mod:`~grader.batch.plan` decides what to grade and what to record,
:mod:`~grader.batch.gradebook` keeps the SQLite gradebook,
:mod:`~grader.batch.records` turns results into plain data,
:mod:`~grader.batch.progress` draws the progress bar,
:mod:`~grader.batch.local` grades on this machine, :mod:`~grader.batch.remote`
on a Dask cluster, :mod:`~grader.batch.exports` writes ``grades.csv`` and the
JSON reports, :mod:`~grader.batch.analytics` computes the class figures and
:mod:`~grader.batch.figures` draws them (matplotlib is imported only there).
"""
