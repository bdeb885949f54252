"""Output files and folders that appear whole or not at all.

A report or an output folder is first written under a temporary name beside
its destination (same folder, so the same file system) and then renamed into
place: ``rename(2)`` is atomic, so a reader, a crash or a ``kill -9`` sees the
previous complete result or the new complete one, never a truncated file.

A folder that already exists is swapped with the new one in one step with
Linux's ``renameat2(RENAME_EXCHANGE)``. Where that is not available (another
system, a file system that refuses it) the old folder is moved aside first and
put back by the next run if the swap was interrupted between the two renames.

A folder that holds files this command does not write (the user's own notes,
the input itself, the current directory, a mount point) is never replaced:
there the new files replace the old ones one by one, ``run.json`` is removed
first and written last, so a folder without ``run.json`` is visibly
incomplete and a ``run.json`` only ever vouches for the files beside it (it
names them with their SHA-256).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import hashlib
import os
import re
import secrets
import shutil
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PARTIAL = "immex-partial"  # a folder or file being written
OLD = "immex-old"  # the previous folder, between the swap and its removal
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


class OutputError(Exception):
    """Writing an output failed; ``message`` is one line for the user (what happened, what to do)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _errno(error: OSError) -> int | None:
    """The error number, also from a library that only writes it in the text (``(os error 28)``)."""
    if error.errno is not None:
        return error.errno
    found = re.search(r"os error (\d+)", str(error))
    return int(found.group(1)) if found else None


def describe_os_error(error: OSError) -> str:
    """``no space left on device`` rather than ``[Errno 28] No space left on device: '/x/y'``."""
    code = _errno(error)
    reason = error.strerror or (os.strerror(code) if code is not None else str(error))
    return reason[0].lower() + reason[1:] if reason else type(error).__name__


_ADVICE = {
    errno.ENOSPC: "free some space",
    errno.EDQUOT: "free some space (disk quota)",
    errno.EACCES: "choose a folder you may write to",
    errno.EPERM: "choose a folder you may write to",
    errno.EROFS: "choose a writable folder",
}


def output_error(what: Path, error: OSError, stored: str = "") -> OutputError:
    """One line for an output that could not be written: what, why, and what to do.

    ``stored`` names what the command had already committed to the database
    (``run 7``): the user must know it is there and how to get the files again.
    """
    advice = _ADVICE.get(_errno(error) or 0, "check the destination")
    text = f"cannot write {what}: {describe_os_error(error)}; it was left as it was; "
    if stored:
        return OutputError(
            f"{text}{stored} is already stored in the database: {advice} and run the same command "
            "again to rewrite the files (the same input stores nothing new)"
        )
    return OutputError(f"{text}{advice} and run the command again")


def _tag() -> str:
    """``<pid>-<random>``: the pid lets a later run tell a dead writer's leftovers from a live one's."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def _writer_alive(name: str, marker: str) -> bool:
    """Whether the process that made the leftover ``name`` (``...<marker>-<pid>-<hex>``) still runs."""
    try:
        pid = int(name.rsplit(marker + "-", 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a crash of the machine, not only of the process)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; once the block succeeds it replaces ``path``.

    On any error (or a kill) ``path`` keeps its previous content; the temporary
    file is removed, or left hidden as ``.<name>.immex-partial-<pid>-<hex>``
    after a kill, and removed by the next write of the same file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep(path.parent, f".{path.name}.")
    temporary = path.with_name(f".{path.name}.{PARTIAL}-{_tag()}{path.suffix}")
    try:
        yield temporary
        _fsync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_dir(path.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_file(path) as temporary:
        temporary.write_bytes(data)


def _sweep(parent: Path, prefix: str, target: Path | None = None) -> None:
    """Remove what dead writers left in ``parent`` under ``prefix``; restore an interrupted swap."""
    try:
        leftovers = [p for p in parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return
    for path in leftovers:
        rest = path.name[len(prefix) :]
        for marker in (PARTIAL, OLD):
            if rest.startswith(marker + "-") and not _writer_alive(path.name, marker):
                if marker == OLD and target is not None and not os.path.lexists(target):
                    # Killed between "old aside" and "new in place": the old folder is complete.
                    with contextlib.suppress(OSError):
                        os.rename(path, target)
                    continue
                _remove(path)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where it is not supported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # kernel or file system without it
        return False
    raise OSError(code, os.strerror(code), str(second))


def file_digests(folder: Path, names: Iterable[str]) -> dict[str, dict[str, int | str]]:
    """``{name: {"bytes": size, "sha256": hex}}`` of the files in ``folder``, hashed on threads.

    Each file is also flushed to disk (fsync) once read, so the flush of one file
    overlaps the hashing of the next and the swap that follows has nothing left to wait for.
    """

    def digest(name: str) -> tuple[str, dict[str, int | str]]:
        path = folder / name
        sha = hashlib.sha256()
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                sha.update(block)
            os.fsync(handle.fileno())
        return name, {"bytes": path.stat().st_size, "sha256": sha.hexdigest()}

    wanted = sorted(names)
    with ThreadPoolExecutor(max_workers=min(4, max(1, len(wanted)))) as pool:
        return dict(pool.map(digest, wanted))


@dataclass(frozen=True, slots=True)
class FolderPlan:
    """Where to write and how to publish: a swapped sibling folder or files replaced in place."""

    target: Path
    staging: Path
    in_place: bool


def _cwd() -> Path | None:
    """The current directory (never swapped away under the user's shell), if it still exists."""
    try:
        return Path.cwd().resolve()
    except OSError:
        return None


def _replaceable(target: Path, owned: Collection[str]) -> bool:
    """A folder may be swapped whole only when everything in it is a file this command writes."""
    if not target.exists():
        return True
    if not target.is_dir() or os.path.ismount(target) or target == _cwd():
        return False
    try:
        return all(entry.name in owned or entry.name.startswith(f".{PARTIAL}-") for entry in target.iterdir())
    except OSError:
        return False


def _plan(target: Path, owned: Collection[str]) -> FolderPlan:
    real = Path(os.path.realpath(target))  # a symlinked folder is replaced where it really is
    if _replaceable(real, owned):
        real.parent.mkdir(parents=True, exist_ok=True)
        _sweep(real.parent, f".{real.name}.", real)
        staging = real.with_name(f".{real.name}.{PARTIAL}-{_tag()}")
        staging.mkdir()
        return FolderPlan(real, staging, in_place=False)
    _sweep(real, ".")
    staging = real / f".{PARTIAL}-{_tag()}"
    staging.mkdir()
    return FolderPlan(real, staging, in_place=True)


def _publish_swap(plan: FolderPlan) -> None:
    target, staging = plan.target, plan.staging
    if not target.exists():
        os.rename(staging, target)
        _fsync_dir(target.parent)
        return
    old = target.with_name(f".{target.name}.{OLD}-{_tag()}")
    if _exchange(staging, target):
        os.rename(staging, old)  # staging now holds the previous folder
    else:
        os.rename(target, old)
        os.rename(staging, target)
    _fsync_dir(target.parent)
    _remove(old)


def _publish_in_place(plan: FolderPlan, owned: Collection[str], last: str) -> None:
    """Replace file by file; ``last`` (run.json) goes first and comes back last.

    Files of ``owned`` that the new result lacks (an old warnings.csv) are removed.
    """
    target, staging = plan.target, plan.staging
    (target / last).unlink(missing_ok=True)
    _fsync_dir(target)
    names = sorted(p.name for p in staging.iterdir())
    for stale in set(owned) - set(names):
        (target / stale).unlink(missing_ok=True)
    for name in [n for n in names if n != last] + [n for n in names if n == last]:
        os.replace(staging / name, target / name)
    _fsync_dir(target)
    _remove(staging)


@contextmanager
def atomic_folder(target: Path, owned: Collection[str], last: str = "run.json") -> Iterator[Path]:
    """Yield an empty folder to write the result into; on success it becomes ``target``.

    ``owned`` names every file the command writes into ``target`` (it decides
    whether the old folder may be swapped whole); ``last`` is the file that
    vouches for the others. On an error the target is left as it was and the
    error propagates.
    """
    plan = _plan(target, owned)
    try:
        yield plan.staging
        for path in plan.staging.iterdir():
            _fsync_file(path)
        _fsync_dir(plan.staging)
        if plan.in_place:
            _publish_in_place(plan, owned, last)
        else:
            _publish_swap(plan)
    except BaseException:
        _remove(plan.staging)
        raise
