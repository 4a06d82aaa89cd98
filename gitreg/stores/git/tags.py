"""Annotated tags: tag objects built into a commit's pack, their refs created (or re-pointed)
with refs.py's lock protocol once the branch moved, listed with one `git for-each-ref`.

What the tags mean (GTO's grammar) is the services' business (`gitreg.services.tags`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitreg.errors import RefLockedError
from gitreg.stores.git import refs

if TYPE_CHECKING:
    from gitreg.stores.git.repository import GitStore

log = logging.getLogger(__name__)
PREFIX = "refs/tags/"
_FIELDS = "refname objectname objecttype *objectname *objecttype taggerdate:unix contents:subject"
_FORMAT = "%00".join(f"%({name})" for name in _FIELDS.split())


@dataclass
class NewTag:
    """A tag to create (`old` None) or re-point (`old`: the tag object its ref holds now).
    `written` is set once its ref holds `sha`."""

    name: str
    sha: str  # the tag object
    target: str  # the commit it points at
    time: int  # tagger time, seconds
    subject: str
    old: str | None = None
    written: bool = False


@dataclass(frozen=True)
class TagRef:
    """One tag as `git for-each-ref` reports it."""

    name: str  # without refs/tags/
    sha: str  # what the ref holds
    kind: str  # the type of that object: "tag" for an annotated tag
    target: str | None  # the object an annotated tag points at
    target_kind: str | None
    time: int | None  # tagger time
    subject: str

    @property
    def commit(self) -> str | None:
        """The commit an annotated tag points at directly (None otherwise)."""
        return self.target if self.kind == "tag" and self.target_kind == "commit" else None


def tag_object(name: str, target: str, tagger: bytes, message: str) -> bytes:
    """An annotated tag of commit `target`; `tagger` is `Name <email> TIME TZ`."""
    head = f"object {target}\ntype commit\ntag {name}\ntagger ".encode()
    return head + tagger + f"\n\n{message.rstrip()}\n".encode()


def list_tags(store: GitStore, patterns: list[str] | None = None) -> list[TagRef]:
    """Tags matching `patterns` (for-each-ref patterns below refs/tags/; all if None), in
    one `git for-each-ref`."""
    args = [PREFIX + p for p in patterns] if patterns else [PREFIX]
    out = store.git("for-each-ref", f"--format={_FORMAT}", *args)
    found = []
    for line in out.splitlines():
        parts = line.split("\0")
        if len(parts) != 7:
            continue
        ref, sha, kind, target, target_kind, when, subject = parts
        found.append(
            TagRef(
                ref.removeprefix(PREFIX),
                sha,
                kind,
                target or None,
                target_kind or None,
                int(when) if when.isdigit() else None,
                subject,
            )
        )
    return found


def write_refs(store: GitStore, tags: list[NewTag], fsync: bool) -> None:
    """Create or re-point each tag's ref (compare-and-swap on its old value, no reflog, as
    git keeps none for tags). One that moved meanwhile is left as it is, with a warning:
    tags are projections, `gitreg tags --rebuild` re-derives them."""
    ident = store.author()
    for tag in tags:
        try:
            refs.update(
                store.common_dir,
                PREFIX + tag.name,
                tag.old,
                tag.sha,
                ident,
                tag.subject,
                fsync,
                reflog=False,
            )
        except (refs.RefMovedError, RefLockedError, OSError) as e:
            log.warning("tag %s not written (%s): run `gitreg tags --rebuild`", tag.name, e)
            continue
        tag.written = True


def delete_refs(store: GitStore, tags: dict[str, str]) -> None:
    """Delete tags (name -> the value its ref must hold) in one `git update-ref --stdin`
    transaction, which also removes them from packed-refs."""
    if not tags:
        return
    lines = "".join(f"delete {PREFIX}{name} {sha}\n" for name, sha in sorted(tags.items()))
    store.git("update-ref", "--stdin", input=lines.encode())
