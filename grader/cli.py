"""``python -m grader``: parse the command line and dispatch to a sub-command.

Sub-commands and their options come from plugins (``grader_add_commands``,
``grader_addoption``). Errors the user can fix (an unknown exercise, a
missing folder, a malformed plugin) end with one line on stderr and exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from grader.errors import PluginError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage dump
        raise UsageError(message)


def build_parser(pm) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="grader",
        description="Grade PyTorch exercises against reference solutions.",
    )
    _plugin_option(parser)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    pm.hook.grader_add_commands(subparsers=subparsers, pm=pm)
    return parser


def _plugin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p",
        dest="plugins",
        action="append",
        default=[],
        metavar="NAME",
        help="load the plugin module NAME, or block a plugin with no:NAME (repeatable)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        early = _Parser(add_help=False)
        _plugin_option(early)
        early.add_argument("command", nargs="?")
        early.add_argument("--submission", default="exercises")
        known, _ = early.parse_known_args(argv)
        if known.command == "run":
            _start_torch_early(known.submission)
        from grader.manager import get_plugin_manager

        pm = get_plugin_manager(known.plugins)
        parser = build_parser(pm)
        args = parser.parse_args(argv)
        if not hasattr(args, "command"):
            parser.print_help(sys.stderr)
            return 2
        pm.hook.grader_configure(args=args)
        return int(args.command(args, pm))
    except (UsageError, PluginError) as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped (e.g. head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        if "grader.process.prestart" in sys.modules:
            sys.modules["grader.process.prestart"].discard()


def _start_torch_early(submission: str) -> None:
    """Start ``run``'s torch zygote before the plugins load: its ``import torch`` is the run's critical path.

    The grader takes it if the run has torch exercises and the same
    submission (the zygote's label); otherwise it is stopped unused.
    """
    from pathlib import Path

    from grader.process import prestart
    from grader.process.zygote import label_for

    try:
        prestart.start(label_for([Path(submission)]))
    except OSError:
        pass  # the grader starts its own, and says why if it cannot


def run_and_exit() -> None:
    """Entry point of ``python -m grader`` and the ``grader`` script.

    Exits without the interpreter's teardown: with torch loaded, collecting
    every module at exit takes most of a second, and nothing is left to do by
    then (reports are written, every child process is reaped).
    """
    status = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass
    os._exit(status)
