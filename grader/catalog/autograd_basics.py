"""Exercise ``autograd_basics``: the cubic fit with autograd, and a custom autograd Function (torch)."""

from __future__ import annotations

import ast

import numpy as np

from grader import Case, Check, hookimpl
from grader.catalog._rubric import exercise, inputs_unchanged, source_check
from grader.catalog.polyfit import fit_cases
from grader.checking.forbidden import on_tree
from grader.probing import AUTOGRAD, on_copies, tensor, tensors

# The seed articles' data: 2000 points on [-pi, pi] and y = sin(x); the
# Legendre fit starts from (a, b, c, d) = (0, -1, 0, 0.3) with lr = 5e-6.
SEED_X = np.linspace(-np.pi, np.pi, 2000)
SEED_Y = np.sin(SEED_X)
SEED_PARAMS = np.array([0.0, -1.0, 0.0, 0.3])


def _floats(losses) -> np.ndarray:
    """The losses as a float64 array (Python floats or one-element tensors are both fine)."""
    return np.array([float(loss) for loss in losses], dtype=np.float64)


# --- fit_autograd -------------------------------------------------------------


def _fit_cases(rng: np.random.Generator) -> list[Case]:
    return fit_cases(rng, steps=100)


def _float32_cases(rng: np.random.Generator) -> list[Case]:
    x = np.linspace(-np.pi, np.pi, 200)
    return [
        Case(
            "x, y and coeffs0 in float32: x = linspace(-pi, pi, 200), y = sin(x), lr = 1e-5, 20 steps",
            {"x": x, "y": np.sin(x), "coeffs0": rng.normal(size=4), "lr": 1e-5, "steps": 20, "dtype": "float32"},
        )
    ]


def _fit_autograd(module, inputs, ctx):
    import torch

    dtype = getattr(torch, inputs.get("dtype", "float64"))
    x, y = tensor(inputs["x"], ctx, dtype=dtype), tensor(inputs["y"], ctx, dtype=dtype)
    coeffs0 = tensor(inputs["coeffs0"], ctx, dtype=dtype)
    coeffs, losses = module.fit_autograd(x, y, coeffs0, lr=inputs["lr"], steps=inputs["steps"])
    return {"coeffs": coeffs, "losses": _floats(losses)}


# --- LegendreP3 ---------------------------------------------------------------


def _forward_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("x = linspace(-1, 1, 11), where P3(-1) = -1 and P3(1) = 1", {"x": np.linspace(-1, 1, 11)}),
        Case("x of shape (5,)", {"x": rng.normal(size=5)}),
        Case("x of shape (3, 4)", {"x": rng.normal(size=(3, 4))}),
        Case("a 0-d x = 0.5", {"x": np.array(0.5)}),
        Case("x (6,) with |x| up to 1e3", {"x": rng.uniform(-1e3, 1e3, size=6)}),
    ]


def _forward(module, inputs, ctx):
    return module.LegendreP3.apply(tensor(inputs["x"], ctx))


def _backward_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, shape, scale=1.0, **extra):
        return Case(
            label,
            {"x": scale * rng.normal(size=shape), "grad_out": rng.normal(size=shape), **extra},
        )

    return [
        case("x (5,), a random upstream gradient", (5,)),
        case("x (3, 4), a random upstream gradient", (3, 4)),
        case("a single element x (1,)", (1,)),
        case("x (6,) with |x| around 100", (6,), scale=100.0),
        case("P3(0.1 + 0.3 x) for x (7,): the chain rule through an affine input", (7,), affine=(0.3, 0.1)),
    ]


def _input_of(x, inputs):
    if "affine" in inputs:
        scale, shift = inputs["affine"]
        return shift + scale * x
    return x


NODE = "the output's grad_fn is LegendreP3's backward node"


def _backward(module, inputs, ctx):
    x = tensor(inputs["x"], ctx, requires_grad=True)
    out = module.LegendreP3.apply(_input_of(x, inputs))
    # A Function's output hangs on a node whose _forward_cls is the Function:
    # this tells a hand-written backward from autograd differentiating a formula.
    own_node = getattr(out.grad_fn, "_forward_cls", None) is module.LegendreP3
    out.backward(tensor(inputs["grad_out"], ctx))
    return {"x.grad": x.grad, NODE: own_node}


def _gradcheck_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("x (4,) in [-2, 2], float64", {"x": rng.uniform(-2, 2, size=4)}),
        Case("x (2, 3) in [-2, 2], float64", {"x": rng.uniform(-2, 2, size=(2, 3))}),
    ]


def _gradcheck(module, inputs, ctx):
    import torch

    x = tensor(inputs["x"], ctx, requires_grad=True)
    return bool(torch.autograd.gradcheck(module.LegendreP3.apply, (x,), raise_exception=False))


# --- fit_legendre -------------------------------------------------------------


def _legendre_cases(rng: np.random.Generator) -> list[Case]:
    x200 = np.linspace(-np.pi, np.pi, 200)
    x40 = np.sort(rng.uniform(-1, 1, size=40))
    x8 = rng.uniform(-1, 1, size=8)
    u40 = 0.1 + 0.8 * x40
    p3_40 = 0.5 * (5 * u40**3 - 3 * u40)  # P3 written out: the function itself lives with the oracles
    return [
        Case(
            "the seed's data: x = linspace(-pi, pi, 2000), y = sin(x), params0 = (0, -1, 0, 0.3), lr = 5e-6, 100 steps",
            {"x": SEED_X, "y": SEED_Y, "params0": SEED_PARAMS, "lr": 5e-6, "steps": 100},
        ),
        Case(
            "x = linspace(-pi, pi, 200), y = sin(x), lr = 5e-5, 100 steps",
            {
                "x": x200,
                "y": np.sin(x200),
                "params0": SEED_PARAMS + 0.05 * rng.normal(size=4),
                "lr": 5e-5,
                "steps": 100,
            },
        ),
        Case(
            "x (40,) in [-1, 1], y = 0.2 + 1.5 P3(0.1 + 0.8 x) plus noise, lr = 2e-3, 100 steps",
            {
                "x": x40,
                "y": 0.2 + 1.5 * p3_40 + 0.05 * rng.normal(size=40),
                "params0": np.array([0.0, 1.0, 0.0, 1.0]),
                "lr": 2e-3,
                "steps": 100,
            },
        ),
        Case(
            "x (8,), a single step (steps = 1), lr = 0.01",
            {"x": x8, "y": rng.normal(size=8), "params0": rng.normal(size=4), "lr": 0.01, "steps": 1},
        ),
    ]


def _fit_legendre(module, inputs, ctx):
    x, y, params0 = tensor(inputs["x"], ctx), tensor(inputs["y"], ctx), tensor(inputs["params0"], ctx)
    params, losses = module.fit_legendre(x, y, params0, lr=inputs["lr"], steps=inputs["steps"])
    return {"params": params, "losses": _floats(losses)}


def _uses_function_cases(rng: np.random.Generator) -> list[Case]:
    x = rng.uniform(-1, 1, size=8)
    return [
        Case(
            "x (8,), y = sin(x), lr = 1e-3, 3 steps",
            {"x": x, "y": np.sin(x), "params0": SEED_PARAMS, "lr": 1e-3, "steps": 3},
        )
    ]


_ABSENT = object()


def _steps_through_backward(module, inputs, ctx):
    """Run fit_legendre while counting the calls of LegendreP3's own backward."""
    cls = module.LegendreP3
    original = cls.__dict__.get("backward", _ABSENT)
    hand_written = cls.backward
    calls = [0]

    def counting(node, *grads):
        calls[0] += 1
        return hand_written(node, *grads)

    cls.backward = staticmethod(counting)
    try:
        _fit_legendre(module, inputs, ctx)
    finally:
        if original is _ABSENT:
            del cls.backward
        else:
            cls.backward = original
    return {"steps whose gradient went through LegendreP3.backward": min(calls[0], inputs["steps"])}


# --- inputs left alone --------------------------------------------------------


def _mutation_cases(rng: np.random.Generator) -> list[Case]:
    x = rng.uniform(-1, 1, size=12)
    return [
        Case(
            "x (12,), y (12,), coeffs0 (4,), params0 (4,), lr = 1e-3, 3 steps",
            {"x": x, "y": np.sin(x), "coeffs0": rng.normal(size=4), "params0": SEED_PARAMS.copy()},
        )
    ]


def _call_all(module, given, ctx):
    module.LegendreP3.apply(given["x"])
    module.fit_autograd(given["x"], given["y"], given["coeffs0"], lr=1e-3, steps=3)
    module.fit_legendre(given["x"], given["y"], given["params0"], lr=1e-3, steps=3)


_leaves_inputs = on_copies(_call_all, hand_out=tensors)


# --- source -------------------------------------------------------------------

#: Calls that hand the derivative back to autograd: not allowed in LegendreP3.backward.
AUTOGRAD_CALLS = frozenset(
    "backward grad vjp jvp jacobian hessian jacrev jacfwd enable_grad set_grad_enabled requires_grad_ gradcheck".split()
)


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _calls_backward(tree: ast.Module, start: str) -> bool | None:
    """Whether function ``start`` (or a module-level function it calls) calls backward or grad."""
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    if start not in functions or _not_written_yet(functions[start]):
        return None
    todo, seen = [start], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Call):
                called = _called_name(node)
                if called in ("backward", "grad"):
                    return True
                if isinstance(node.func, ast.Name):
                    todo.append(node.func.id)
    return False


def _not_written_yet(function: ast.FunctionDef) -> bool:
    """A stub's body: at most a docstring, then ``raise NotImplementedError``."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


@on_tree
def _inspect_autograd_usage(tree: ast.Module) -> list[str]:
    problems = []
    if _calls_backward(tree, "fit_autograd") is False:
        problems.append("fit_autograd never calls .backward(): the gradients must come from autograd")
    for cls in tree.body:
        if not (isinstance(cls, ast.ClassDef) and cls.name == "LegendreP3"):
            continue
        for method in cls.body:
            if not (isinstance(method, ast.FunctionDef) and method.name == "backward"):
                continue
            for node in ast.walk(method):
                if isinstance(node, ast.Call) and _called_name(node) in AUTOGRAD_CALLS:
                    problems.append(
                        f"line {node.lineno}: LegendreP3.backward calls {_called_name(node)}(); "
                        "its gradient must be written by hand, not computed by autograd"
                    )
    return problems


EXERCISE = exercise(
    "autograd_basics",
    unit=4,
    title="Letting autograd do the backward pass (torch)",
    reference="solutions.autograd_basics",
    oracles="grader.oracles.autograd_basics",
    framework="torch",
    seed=4,
    time_limit=60.0,
    preload=AUTOGRAD,
    checks=(
        Check(
            name="fit_autograd_trajectory",
            function="fit_autograd",
            points=3,
            cases=_fit_cases,
            probe=_fit_autograd,
            oracle="numpy_descent",
            description="fit_autograd follows polyfit.fit's descent step for step, on x's device and dtype.",
            hint="Each step: forward pass, loss (sum of squared errors), record loss.item(), "
            "loss.backward(), then update inside torch.no_grad() and clear the gradient "
            "(autograd adds into .grad). Create the coefficients on x's device with x's dtype "
            "and return them as a tensor of shape (4,).",
        ),
        Check(
            name="fit_autograd_keeps_dtype",
            function="fit_autograd",
            points=1,
            cases=_float32_cases,
            probe=_fit_autograd,
            # float32 arithmetic: correct solutions differ in the last bits of
            # every operation, so the comparison allows float32 rounding.
            rtol=1e-4,
            atol=1e-5,
            description="fit_autograd works in the input's dtype (float32 here), not a fixed one.",
            hint="Take dtype and device from x (x.dtype, x.device) instead of writing torch.float64 "
            "or relying on torch.tensor's default float32.",
        ),
        Check(
            name="legendre_forward",
            function="LegendreP3.forward",
            points=1,
            cases=_forward_cases,
            probe=_forward,
            oracle="torch_forward",
            description="LegendreP3.apply(x) computes 0.5 (5 x^3 - 3 x) elementwise, on x's device and dtype.",
            hint="P3(x) = 0.5 * (5 x^3 - 3 x): mind the parentheses. Return a tensor shaped like x.",
        ),
        Check(
            name="legendre_backward",
            function="LegendreP3.backward",
            points=2,
            cases=_backward_cases,
            probe=_backward,
            oracle="autograd_backward",
            description="LegendreP3's own backward gives the same x.grad as autograd on the plain formula.",
            hint="LegendreP3 subclasses torch.autograd.Function with static forward(ctx, x) and "
            "backward(ctx, grad_output). backward returns grad_output times the derivative of P3 "
            "at the input saved in forward (ctx.save_for_backward). Differentiate 0.5 (5 x^3 - 3 x) "
            "carefully, and do not forget the factor grad_output.",
        ),
        Check(
            name="legendre_gradcheck",
            function="LegendreP3",
            points=1,
            cases=_gradcheck_cases,
            probe=_gradcheck,
            oracle="passes",
            requires=("legendre_forward",),
            description="torch.autograd.gradcheck(LegendreP3.apply, (x,)) returns True in float64.",
            hint="gradcheck compares your backward with finite differences of your forward: "
            "if legendre_forward passes, the derivative in backward is off.",
        ),
        Check(
            name="fit_legendre_trajectory",
            function="fit_legendre",
            points=2,
            cases=_legendre_cases,
            probe=_fit_legendre,
            description="fit_legendre's parameters and losses match gradient descent on a + b P3(c + d x).",
            hint="Make the LegendreP3 checks pass first. Then each step: y_pred = a + b * "
            "LegendreP3.apply(c + d * x), loss = sum of squared errors, record loss.item(), "
            "backward, update in torch.no_grad(), clear the gradients.",
        ),
        Check(
            name="fit_legendre_uses_function",
            function="fit_legendre",
            points=1,
            cases=_uses_function_cases,
            probe=_steps_through_backward,
            requires=("fit_legendre_trajectory",),
            description="fit_legendre's gradients pass through LegendreP3's hand-written backward.",
            hint="Evaluate P3 with LegendreP3.apply(c + d * x), not with the formula written out: "
            "the exercise is to make autograd use your backward.",
        ),
        inputs_unchanged(
            "LegendreP3, fit_autograd, fit_legendre",
            cases=_mutation_cases,
            probe=_leaves_inputs,
            oracle="tensors_as_given",
            requires=("legendre_forward", "fit_autograd_trajectory", "fit_legendre_trajectory"),
            hint="coeffs0.requires_grad_() returns coeffs0 itself, so a later in-place update "
            "(coeffs -= ...) changes the caller's tensor: start from coeffs0.detach().clone().",
        ),
        source_check(
            "autograd_usage",
            _inspect_autograd_usage,
            requires=("fit_autograd_trajectory", "legendre_backward"),
            description="fit_autograd gets its gradients from backward(); LegendreP3.backward "
            "computes its gradient by hand.",
            hint="In fit_autograd, call loss.backward() instead of writing the gradient out. "
            "In LegendreP3.backward, write the derivative yourself from the tensors saved in forward.",
        ),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
