import sys

try:
    from grader.cli import run_and_exit
except KeyboardInterrupt:  # Ctrl-C before the command line is even read: no traceback
    print("grader: interrupted", file=sys.stderr)
    sys.exit(130)

run_and_exit()
