"""Tiny torch exercises: one preloads nothing, one preloads a module that takes seconds to import.

For testing how the torch zygote orders its work: the slow preload stands
for ``torch._dynamo`` (``SECONDS`` of ``tests.plugins.toy_slow_import``
instead of about one). A third one's value is the number of torch threads of
the process that computes it.
"""

from dataclasses import replace

from grader import Case, Check, Exercise, hookimpl

SLOW_IMPORT = "tests.plugins.toy_slow_import"


def _cases(rng):
    return [Case("x of shape (3,)", {"x": rng.normal(size=3)})]


def _scaled(module, inputs, ctx):
    import torch

    return module.scale(torch.tensor(inputs["x"], device=ctx.device)).cpu().numpy()


def _toy(name: str, preload: tuple[str, ...] = ()) -> Exercise:
    return Exercise(
        name=name,
        title=name.replace("_", " ").capitalize(),
        reference="tests.plugins.toy_solutions.toy_torch",
        framework="torch",
        time_limit=30.0,
        preload=preload,
        checks=(Check("scale", "scale", 1, _cases, _scaled, time_limit=20.0),),
    )


def _threads(module, inputs, ctx):
    import torch

    return torch.get_num_threads()


TOY_QUICK = _toy("toy_quick")
TOY_SLOW = _toy("toy_slow", preload=(SLOW_IMPORT,))
TOY_THREADS = replace(_toy("toy_threads"), checks=(Check("threads", "scale", 1, _cases, _threads),))


@hookimpl
def grader_exercises():
    return [TOY_SLOW, TOY_QUICK, TOY_THREADS]
