"""Two tiny numpy exercises for testing the grader itself (fast to grade)."""

from grader import Case, Check, Exercise, SourceCheck, hookimpl
from grader.checking.forbidden import forbid


def _cases(rng):
    return [
        Case("x of shape (3,)", {"x": rng.normal(size=3)}),
        Case("x of shape (2, 2)", {"x": rng.normal(size=(2, 2))}),
    ]


TOY_A = Exercise(
    name="toy_a",
    title="Toy A",
    reference="tests.plugins.toy_solutions.toy_a",
    framework="numpy",
    time_limit=4.0,
    memory_limit_mb=512,
    checks=(
        Check("add_one", "add_one", 2, _cases, lambda m, i, c: m.add_one(i["x"]), time_limit=1.0),
        Check("total", "total", 1, _cases, lambda m, i, c: m.total(i["x"]), time_limit=1.0),
        SourceCheck("numpy_only", "toy_a.py", 1, forbid(modules=("torch",)), requires=("total",)),
    ),
)

TOY_B = Exercise(
    name="toy_b",
    title="Toy B",
    reference="tests.plugins.toy_solutions.toy_b",
    oracles="tests.plugins.toy_oracles",
    framework="numpy",
    time_limit=8.0,
    checks=(Check("double", "double", 2, _cases, lambda m, i, c: m.double(i["x"]), oracle="double", time_limit=1.0),),
)


@hookimpl
def grader_exercises():
    return [TOY_A, TOY_B]
