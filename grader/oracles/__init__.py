"""The catalog's oracles: one module per exercise, loaded only in the reference process.

An oracle computes a check's expected value directly, usually with the torch
function the exercise imitates. A catalog module names its oracles
(``Check(oracle="torch_adam")``) and its exercise names the module
(``Exercise(oracles="grader.oracles.optim")``); only
:func:`grader.process.expected.compute` imports it. The catalog modules are imported
where student code runs, so they never import this package: an oracle module
may import from its catalog module (probes, helpers), never the reverse.
"""
