"""A module that takes ``SECONDS`` to import (a stand-in for ``torch._dynamo``)."""

import time

SECONDS = 3.0

time.sleep(SECONDS)
