"""The batch's progress bar: students done, ETA, and a running count of failures.

Drawn on stderr by tqdm, and only when stderr is a terminal.
"""

from __future__ import annotations

import sys


class Progress:
    """Students graded so far; ``failed`` counts students below full marks, ``errors`` grader failures."""

    def __init__(self, total: int) -> None:
        self.failed = 0
        self.errors = 0
        self._bar = None
        if total and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="student", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
            self._bar.set_postfix(failed=0, errors=0, refresh=False)

    def update(self, below_full: bool, error: bool) -> None:
        self.failed += below_full
        self.errors += error
        if self._bar is not None:
            self._bar.set_postfix(failed=self.failed, errors=self.errors, refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
