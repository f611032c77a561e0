"""Static checks for forbidden APIs: what is found, what is left alone, and the line it names.

Each forbidden form is paired with a look-alike that must pass, so a check
that flagged everything (or nothing) fails here.
"""

from __future__ import annotations

import pytest

from grader.checking.forbidden import forbid, numpy_only
from grader.exercise import SourceCheck

WHY = "write it yourself"
NO_TORCH = forbid(modules=("torch",), reason=WHY)
NO_SOFTMAX = forbid(names=("torch.softmax", "torch.nn.functional.softmax"), reason=WHY)


# --- forbidden modules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("import torch\n", "line 1: imports torch"),
        ("import os, torch\n", "line 1: imports torch"),
        ("import numpy as np\nimport torch as np2\n", "line 2: imports torch"),
        ("import torch.nn as nn\n", "line 1: imports torch.nn"),
        ("import numpy\nimport torch.nn.functional\n", "line 2: imports torch.nn.functional"),
        ("from torch import nn\n", "line 1: imports torch"),
        ("from torch.nn import functional as F\n", "line 1: imports torch.nn"),
        ("from torch import *\n", "line 1: imports torch"),
        ("def f(x):\n    import torch\n    return torch.tanh(x)\n", "line 2: imports torch"),
    ],
)
def test_a_forbidden_module_is_found_in_every_form_of_import(source, problem):
    assert NO_TORCH(source) == [f"{problem}; {WHY}"]


@pytest.mark.parametrize(
    "source",
    [
        "import torchvision\nimport torch_utils\n",  # a longer name that starts the same
        "from torchlike import nn\n",
        "import numpy as torch\ntorch.tanh(1.0)\n",  # numpy under the name torch
        "torch = {'tanh': 1}\ntorch.tanh = 2\n",  # a local variable named torch
        "def f(torch):\n    return torch.tanh(1)\n",  # a parameter named torch
        "from . import torch\n",  # a relative import is the student's own module
        "from .torch import nn\n",
        "x = 'import torch'\n# import torch\n",  # text, not code
    ],
)
def test_a_look_alike_of_a_forbidden_module_is_allowed(source):
    assert NO_TORCH(source) == []


# --- forbidden names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("import torch\ny = torch.softmax(x, 1)\n", "line 2: uses torch.softmax"),
        ("import torch as t\ny = t.softmax(x, 1)\n", "line 2: uses torch.softmax"),
        ("import torch\nf = torch.softmax\n", "line 2: uses torch.softmax"),  # named, not called
        ("from torch import softmax\ny = softmax(x, 1)\n", "line 2: uses torch.softmax"),
        ("import torch\ny = torch.nn.functional.softmax(x)\n", "line 2: uses torch.nn.functional.softmax"),
        (
            "import torch.nn.functional\ny = torch.nn.functional.softmax(x)\n",
            "line 2: uses torch.nn.functional.softmax",
        ),
        ("import torch.nn.functional as F\ny = F.softmax(x)\n", "line 2: uses torch.nn.functional.softmax"),
        ("import torch.nn as nn\ny = nn.functional.softmax(x)\n", "line 2: uses torch.nn.functional.softmax"),
        ("from torch import nn\ny = nn.functional.softmax(x)\n", "line 2: uses torch.nn.functional.softmax"),
        ("from torch.nn import functional\ny = functional.softmax(x)\n", "line 2: uses torch.nn.functional.softmax"),
        ("from torch.nn.functional import softmax\ny = softmax(x)\n", "line 2: uses torch.nn.functional.softmax"),
        ("from torch.nn.functional import softmax as sm\ny = sm(x)\n", "line 2: uses torch.nn.functional.softmax"),
        ("y = x.softmax(dim=1)\n", "line 1: calls the method .softmax()"),
        ("y = getattr(x, 'softmax')(1)\n", "line 1: looks up 'softmax' with getattr"),
    ],
)
def test_a_forbidden_name_is_found_through_aliases_and_attribute_chains(source, problem):
    assert NO_SOFTMAX(source) == [f"{problem}; {WHY}"]


@pytest.mark.parametrize(
    "source",
    [
        "import torch\ny = torch.log_softmax(x, 1)\n",  # another function whose name contains it
        "import torch\ny = torch.nn.functional.relu(x)\n",
        "def softmax(x):\n    return x\ny = softmax(1)\n",  # the student's own softmax
        "softmax = 1\nprint(softmax)\n",
        "y = self.softmax_layer(x)\n",  # an attribute that only starts the same
        "from torch.nn.functional import relu as softmax_like\ny = softmax_like(x)\n",
        "name = 'softmax'\ny = getattr(x, name)\n",  # getattr with a computed name is out of reach
        "y = getattr(x, 'relu')(1)\n",  # getattr of another name
        "import torch\ny = torch.special.expit(x)\n",
    ],
)
def test_a_look_alike_of_a_forbidden_name_is_allowed(source):
    assert NO_SOFTMAX(source) == []


def test_a_method_of_a_forbidden_name_is_flagged_whatever_its_object():
    """``x.softmax()`` cannot be told from a tensor method statically: any object counts."""
    assert NO_SOFTMAX("torch = object()\ny = torch.softmax(1)\n") == [f"line 2: calls the method .softmax(); {WHY}"]


# --- messages -----------------------------------------------------------------------


def test_each_problem_names_its_line_once_in_line_order():
    source = "\n".join(
        [
            "import torch",  # 1
            *["x = 1"] * 7,  # 2-8
            "a = torch.softmax(torch.softmax(x))",  # 9: twice on one line, reported once
            "b = x.softmax(1)",  # 10: after line 9, although "10" < "9" as text
            "c = 2",
            "d = torch.softmax(x)",  # 12
        ]
    )
    assert NO_SOFTMAX(source) == [
        f"line 9: uses torch.softmax; {WHY}",
        f"line 10: calls the method .softmax(); {WHY}",
        f"line 12: uses torch.softmax; {WHY}",
    ]


def test_modules_and_names_together_and_the_default_reason():
    check = forbid(modules=("scipy",), names=("numpy.linalg.lstsq",))
    source = "import numpy as np\nimport scipy.optimize\nc = np.linalg.lstsq(a, b)\nd = np.linalg.solve(a, b)\n"
    assert check(source) == [
        "line 2: imports scipy.optimize; this exercise asks you to write it yourself",
        "line 3: uses numpy.linalg.lstsq; this exercise asks you to write it yourself",
    ]


def test_a_file_that_does_not_parse_is_one_problem_naming_its_line():
    assert NO_TORCH("x = 1\ndef f(:\n    pass\n") == ["line 2: the file does not parse: invalid syntax"]
    assert NO_TORCH("x = 1\ndef f():\n    pass\n") == []


@pytest.mark.parametrize("depth", [5000, 100_000])  # a RecursionError, a MemoryError in the parser
def test_a_file_too_deep_to_parse_is_a_problem_not_a_crash(depth):
    assert NO_TORCH("x = " + "-" * depth + "1\n") == ["the file could not be parsed"]
    assert NO_TORCH("x = " + "-" * 10 + "1\n") == []


def test_a_null_byte_is_a_problem_without_a_bogus_line_number():
    (problem,) = NO_TORCH("import torch\nx = 1\0\n")  # Python 3.11.4+ say SyntaxError, earlier ValueError
    assert problem in (
        "the file does not parse: source code string cannot contain null bytes",
        "the file could not be parsed",
    )


# --- numpy_only ---------------------------------------------------------------------


def test_numpy_only_is_a_static_check_against_torch():
    check = numpy_only("polyfit.py", hint="use numpy arrays", points=2, requires=("fit",))
    assert isinstance(check, SourceCheck)
    assert (check.name, check.function, check.points, check.hint, check.requires) == (
        "numpy_only",
        "polyfit.py",
        2,
        "use numpy arrays",
        ("fit",),
    )
    assert check.description == "The module does not import torch."
    assert check.inspect("import numpy as np\nfrom torch import tensor\n") == [
        "line 2: imports torch; this exercise is numpy only"
    ]
    assert check.inspect("import numpy as np\nimport torchvision_like\n") == []
    assert numpy_only("polyfit.py", hint="h").requires is None  # every value check, by default
