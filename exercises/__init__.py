"""Student stubs: fill in the functions, then run ``tox -e grade``."""
