"""The sub-commands of ``python -m grader``, each a plugin."""
