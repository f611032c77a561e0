"""Which host paths a sandbox lets student code see (its allow-list view).

The sandbox (``grader.process.sandbox``) gives the student's process a new root file
system that holds only read-only copies (bind mounts, at the same paths) of
what :func:`view_paths` lists: the Python installation, the system libraries
it loads, a few files from ``/etc``, a handful of harmless device nodes and
the package folders of the plugin modules whose probes run in the sandbox.
Nothing else of the host is there: not the project's root, not other
checkouts, not ``/run`` or the host's ``/tmp``.

:func:`torch_paths` lists the folders of the installed torch distribution,
which numpy exercises hide so that their students cannot call torch.
"""

from __future__ import annotations

import functools
import glob
import importlib.metadata
import importlib.util
import os
import site
import sys
import sysconfig
from collections.abc import Iterable

#: System folders that hold the shared libraries Python, numpy and torch load.
SYSTEM = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/libx32")
#: Files from /etc that the dynamic loader and the C library read.
ETC = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
)
#: Device nodes that any program may open; the sandbox lets them be opened.
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def installation() -> tuple[str, ...]:
    """The folders of this Python installation (and of its virtual environment).

    The prefixes hold the standard library, the compiled modules and
    site-packages. A prefix of ``/`` would put the whole machine in view, so
    there only the scheme's library folders are taken.
    """
    paths: list[str] = []
    for prefix in (sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix):
        if os.path.realpath(prefix) != "/":
            paths.append(prefix)
        else:
            scheme = sysconfig.get_paths()
            paths += [scheme[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site and user_site in sys.path:
        paths.append(user_site)
    return tuple(dict.fromkeys(paths))


def module_folder(name: str) -> str | None:
    """The folder of the top-level package of module ``name`` (its file if a lone module).

    Uses ``sys.modules`` when the package is loaded, else
    ``importlib.util.find_spec`` on the top-level name only, which imports
    nothing.
    """
    top = name.partition(".")[0]
    if not top:
        return None
    module = sys.modules.get(top)
    try:
        spec = getattr(module, "__spec__", None) if module is not None else importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or ())
    if len(locations) == 1:
        return locations[0]
    if not locations and spec.has_location and spec.origin:
        return spec.origin
    return None  # a namespace package spread over several folders: too vague to allow


def view_paths(modules: Iterable[str]) -> tuple[str, ...]:
    """Host paths a sandbox shows, for probes from plugin modules ``modules``.

    Args:
        modules: Dotted names of the modules whose code runs in the sandbox
            (plugin modules, their probes' modules, ``grader``).

    Returns:
        Paths to bind read-only at the same place, in no particular order;
        some may not exist on this machine (the sandbox skips those).
    """
    folders = [folder for folder in map(module_folder, dict.fromkeys(modules)) if folder]
    devices = sorted(glob.glob("/dev/nvidia*"))
    return tuple(dict.fromkeys([*installation(), *SYSTEM, *ETC, *DEVICES, *devices, *folders]))


@functools.cache
def torch_paths() -> tuple[str, ...]:
    """Folders of the installed torch distribution (``torch``, ``torchgen``, ...).

    Found from the distribution's metadata, without importing torch; ``()``
    when torch is not installed.
    """
    try:
        dist = importlib.metadata.distribution("torch")
    except importlib.metadata.PackageNotFoundError:
        return ()
    tops = (dist.read_text("top_level.txt") or "").split()
    if not tops:
        tops = sorted({f.parts[0] for f in dist.files or () if len(f.parts) > 1 and f.parts[0] != ".."})
    paths = [str(dist.locate_file(top)) for top in tops]
    own = getattr(dist, "_path", None)  # the .dist-info folder: no public name for it
    if own is not None:
        paths.append(str(own))
    spec = importlib.util.find_spec("torch") if "torch" not in sys.modules else sys.modules["torch"].__spec__
    if spec is not None and spec.submodule_search_locations:
        paths += list(spec.submodule_search_locations)
    # Both spellings: modules loaded from there carry the unresolved one.
    return tuple(sorted({q for p in paths if os.path.isdir(p) for q in (os.path.abspath(p), os.path.realpath(p))}))
