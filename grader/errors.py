"""Errors that end a command with exit status 2 and a one-line message."""


class UsageError(Exception):
    """Bad command-line input: unknown exercise, missing folder, bad value."""


class PluginError(Exception):
    """A plugin could not be loaded or declared something malformed."""
