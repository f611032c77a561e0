"""A numpy exercise for the supervisor's tests: one check, four cases, small limits.

Each case's inputs carry a tag drawn from the case generator, so a test can
tell from the captured output which cases (public or hidden) printed.
"""

from grader import Case, Check, Exercise, hookimpl


def _cases(rng):
    return [Case(f"case {k}", {"k": k, "tag": f"tag{k}-{int(rng.integers(10**9))}"}) for k in range(4)]


TOY_STEPS = Exercise(
    name="toy_steps",
    title="Toy steps",
    reference="tests.plugins.toy_solutions.toy_steps",
    framework="numpy",
    time_limit=5.0,
    memory_limit_mb=256,
    checks=(Check("echo", "echo", 1, _cases, lambda m, i, c: m.echo(i["k"], i["tag"]), time_limit=0.5),),
)


@hookimpl
def grader_exercises():
    return [TOY_STEPS]
