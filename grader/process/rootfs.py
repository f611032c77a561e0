"""Build a sandbox's allow-list root file system and switch into it.

:func:`build` runs in a process that has just entered new user and mount
namespaces. It mounts an empty tmpfs, creates in it a private, size-capped,
writable ``/tmp`` and read-only bind mounts of the host paths of the view
(each at its own path; symbolic links on the way, like ``/lib -> usr/lib``,
are recreated), covers hidden folders that fall inside a bound tree, and
makes everything read-only and ``nosuid`` (``nodev`` too, device nodes of
the view excepted). Nothing is copied, so this takes milliseconds.

:func:`switch` runs later, in the first process of the new PID namespace:
it mounts that namespace's ``/proc`` in the new root (the kernel allows a
fresh ``/proc`` only while a full one is still visible), makes the new root
the process's root with ``pivot_root`` and detaches the old one, so that no
path leads back to the host's files.
"""

from __future__ import annotations

import ctypes
import os
import platform

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MNT_DETACH = 2
SYS_MOUNT_SETATTR = 442  # the same number on every architecture
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
#: Where the new root may be assembled, in order of preference: a folder that
#: is neither inside nor above anything bound (mounting over it hides it).
BASES = ("/mnt", "/media", "/srv", "/opt", "/var/tmp", "/tmp", "/dev/shm")


def check(result: int, what: str) -> None:
    """Raise ``OSError`` with the C library's errno when ``result`` is not 0."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(libc, source, target, fstype, flags, data=None) -> None:
    """mount(2)."""
    check(
        libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def set_attributes(libc, path: str, attr_set: int, attr_clr: int = 0, recursive: bool = True) -> None:
    """mount_setattr(2) (Linux 5.12+) on the mount at ``path`` and, if ``recursive``, below it."""
    attr = _MountAttr(attr_set, attr_clr, 0, 0)
    check(
        libc.syscall(
            ctypes.c_long(SYS_MOUNT_SETATTR),
            ctypes.c_int(AT_FDCWD),
            path.encode(),
            ctypes.c_uint(AT_RECURSIVE if recursive else 0),
            ctypes.byref(attr),
            ctypes.c_size_t(ctypes.sizeof(attr)),
        ),
        f"mount_setattr {path}",
    )


def within(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (both absolute and normalised)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def resolve(path: str, links: dict[str, str], depth: int = 0) -> str:
    """The real path of ``path``, noting each symbolic link met on the way.

    Args:
        path: An absolute path.
        links: Filled with ``{link location: link text}``; every location's
            parent folder is a real path.
    """
    if depth > 32:
        raise OSError(40, f"too many levels of symbolic links: {path}")
    current = "/"
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        if os.path.islink(candidate):
            links[candidate] = os.readlink(candidate)
            current = resolve(os.path.join(current, links[candidate]), links, depth + 1)
        else:
            current = candidate
    return current


def _outermost(paths) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not (kept and within(path, kept[-1])):
            kept.append(path)
    return kept


def plan_mounts(view, hide) -> tuple[list[str], dict[str, str], list[str]]:
    """What to bind, which links to recreate and which hidden folders to cut out.

    Returns:
        ``(binds, links, cuts)``: real paths to bind (none inside another,
        none inside a hidden folder, never ``/``); symbolic links to
        recreate (outside every bound tree); hidden folders that lie strictly
        inside a bound tree.
    """
    links: dict[str, str] = {}
    hidden = _outermost(os.path.realpath(h) for h in hide)
    reals = []
    for path in view:
        try:
            real = resolve(os.path.abspath(path), links)
        except OSError:
            continue
        if real != "/" and os.path.exists(real):
            reals.append(real)
    binds = [b for b in _outermost(reals) if not any(within(b, h) for h in hidden)]
    links = {
        where: text
        for where, text in links.items()
        if not any(within(where, b) for b in binds) and not any(within(where, h) for h in hidden)
    }
    cuts = [h for h in hidden if any(within(h, b) and h != b for b in binds)]
    return binds, links, cuts


def pick_base(paths) -> str:
    """A folder to assemble the new root on, unrelated to every path in ``paths``."""
    for base in BASES:
        if os.path.isdir(base) and not os.path.islink(base):
            if not any(within(p, base) or within(base, p) for p in paths):
                return base
    raise OSError(2, "no folder to assemble the sandbox's root on")


def _place(root: str, real: str) -> str:
    """Create an empty mount point for host path ``real`` under ``root``."""
    target = root + real
    if os.path.isdir(real):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    return target


def _bind(libc, root: str, real: str) -> None:
    mount(libc, real, _place(root, real), None, MS_BIND | MS_REC)


def _cut(libc, root: str, folder: str, hidden: set[str]) -> None:
    """Show ``folder`` without its ``hidden`` entries: a tmpfs over it, the rest bound back."""
    mount(libc, "tmpfs", root + folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.path in hidden:
                continue
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), root + entry.path)
            elif entry.is_dir(follow_symlinks=False) or entry.is_file(follow_symlinks=False):
                _bind(libc, root, entry.path)
            # sockets, pipes and device nodes stay out


def build(libc, view, hide, tmp_size_mb: int) -> str:
    """Assemble the new root (see the module's docstring) and return its path.

    Raises:
        OSError: when a step fails; nothing is left mounted then.
    """
    binds, links, cuts = plan_mounts(view, hide)
    root = pick_base([*binds, *links])
    mount(libc, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    try:
        os.mkdir(root + "/tmp")
        mount(libc, "tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_size_mb}m,mode=1777")
        os.mkdir(root + "/proc")
        for real in binds:
            _bind(libc, root, real)
        parents: dict[str, set[str]] = {}
        for folder in cuts:
            parents.setdefault(os.path.dirname(folder), set()).add(folder)
        for parent in sorted(parents, key=lambda p: p.count("/")):
            _cut(libc, root, parent, parents[parent])
        for where, text in links.items():  # last: never create anything through a link
            os.makedirs(os.path.dirname(root + where), exist_ok=True)
            os.symlink(text, root + where)
        set_attributes(libc, root, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
        set_attributes(libc, root + "/tmp", 0, MOUNT_ATTR_RDONLY, recursive=False)
        for real in binds:
            if within(real, "/dev"):  # the view's device nodes may be opened
                set_attributes(libc, root + real, 0, MOUNT_ATTR_NODEV)
    except OSError:
        libc.umount2(root.encode(), MNT_DETACH)
        raise
    return root


def switch(libc, root: str, mount_proc: bool) -> bool:
    """Make ``root`` the calling process's root and cut the old one off.

    Args:
        mount_proc: Mount a ``/proc`` (of the caller's PID namespace) first.

    Returns:
        Whether ``/proc`` was mounted.

    Raises:
        OSError: when ``pivot_root`` or detaching the old root fails.
    """
    proc = False
    if mount_proc:
        try:
            mount(libc, "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)
            proc = True
        except OSError:
            pass
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(38, f"pivot_root: unknown system call number on {platform.machine()}")
    os.chdir(root)
    check(libc.syscall(ctypes.c_long(number), b".", b"."), "pivot_root")
    check(libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/tmp")
    return proc
