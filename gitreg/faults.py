"""Crash points for the reliability tests: `GITREG_CRASH_AT=NAME:N` makes the process kill
itself with SIGKILL at the N-th time it reaches point NAME. A no-op otherwise."""

from __future__ import annotations

import os
import signal

_spec = os.environ.get("GITREG_CRASH_AT")
_target: tuple[str, int] | None = None
if _spec:
    _name, _, _n = _spec.partition(":")
    _target = (_name, int(_n or "1"))
_counts: dict[str, int] = {}

POINTS = (
    "hash",  # while hashing and copying bytes into the cache
    "cached",  # bytes in the cache, not yet in the remote
    "push",  # while pushing an object to the remote
    "pushed",  # bytes in the remote, manifest not yet committed
    "pack",  # git objects half written (.keep and .pack, no .idx yet)
    "packed",  # git objects written, ref not yet updated
    "locked",  # ref lock held, not yet renamed
)


def point(name: str) -> None:
    if _target is None or _target[0] != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == _target[1]:
        os.kill(os.getpid(), signal.SIGKILL)
