"""Operating-system errors at the write edges, turned into one line with the path and a fix.

A read-only or full disk, a permission, or a file where a folder belongs (``reports`` being a
file) is not a bug in coverbt: :func:`environment_problem` maps such an :class:`OSError` to
an :class:`~coverbt.errors.EnvironmentProblem` (exit code 4), which the CLI prints without a
traceback. Every writer is atomic (:mod:`coverbt.atomic`, the run-folder and ledger writers),
so a command stopped this way leaves the previous files as they were.
"""

from __future__ import annotations

import errno
from pathlib import Path

from coverbt.errors import EnvironmentProblem

_WHAT: dict[int, tuple[str, str]] = {
    errno.EROFS: (
        "the file system is read-only",
        "run in a writable workspace (--workspace DIR, or cd there) or remount it read-write",
    ),
    errno.EACCES: (
        "permission denied",
        "make {folder} writable for this user (chmod u+w) or use another --workspace",
    ),
    errno.EPERM: (
        "operation not permitted",
        "make {folder} writable for this user (chmod u+w) or use another --workspace",
    ),
    errno.ENOSPC: (
        "no space left on the device",
        "free disk space (df -h {folder}) and run the command again; no half-written file was kept",
    ),
    errno.EDQUOT: (
        "disk quota exceeded",
        "free space within your quota and run the command again; no half-written file was kept",
    ),
    errno.ENOTDIR: (
        "a part of this path is a file where a folder belongs",
        "move the file {blocker} aside (or rename it) so coverbt can create the folder",
    ),
    errno.EEXIST: (
        "exists and is not a folder",
        "move the file {blocker} aside (or rename it) so coverbt can create the folder",
    ),
    errno.EISDIR: (
        "is a folder where coverbt writes a file",
        "move the folder {path} aside and run the command again",
    ),
    errno.EIO: (
        "input/output error from the disk",
        "check the disk (dmesg, fsck) and run the command again",
    ),
}

ENVIRONMENT_ERRNOS = frozenset(_WHAT)


def environment_problem(exc: OSError) -> EnvironmentProblem | None:
    """The one-line :class:`EnvironmentProblem` of ``exc``, or None when it is not one.

    Examples
    --------
    >>> import errno
    >>> problem = environment_problem(OSError(errno.ENOSPC, "No space left", "reports/x.png"))
    >>> problem.exit_code, str(problem).split(". Fix")[0]
    (4, 'reports/x.png: cannot write: no space left on the device')
    >>> environment_problem(OSError(errno.ENOENT, "gone", "x")) is None
    True
    """
    if exc.errno not in _WHAT:
        return None
    what, fix = _WHAT[exc.errno]
    named = exc.filename2 if exc.filename2 is not None else exc.filename  # a rename's target
    path = Path(named) if named is not None else None
    folder = path.parent if path is not None else Path(".")
    blocker = _blocker(path) if path is not None else None
    if exc.errno == errno.EEXIST and blocker is None:
        return None  # a plain "already exists" is not an environment problem
    return EnvironmentProblem(
        f"cannot write: {what}",
        path=path,
        fix=fix.format(folder=folder, path=path, blocker=blocker or path),
    )


def _blocker(path: Path) -> Path | None:
    """The nearest part of ``path`` (itself or a parent) that exists but is not a folder."""
    for part in (path, *path.parents):
        try:
            if part.exists() and not part.is_dir():
                return part
        except OSError:  # an unreadable parent: no blocker to name
            return None
    return None
