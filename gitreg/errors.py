"""Every error gitreg raises on purpose: one root, facts kept as attributes, messages that
say what to do next.

    GitregError
    ├── NotAGitRepositoryError          path
    ├── UnsupportedRepositoryError      path, reason
    ├── GitCommandError                 command, stderr
    ├── InvalidNameError (ValueError)   kind, value, reason
    ├── InvalidMetadataError (ValueError)  what, reason
    ├── UsageError (ValueError)         call, problem
    ├── NotFoundError (KeyError)
    │   ├── ArtifactNotFoundError       name, version
    │   ├── ModelNotFoundError          name, version
    │   ├── RunNotFoundError            run_id
    │   └── RevisionNotFoundError       rev
    ├── AmbiguousIdError (LookupError)  prefix, matches
    ├── VersionExistsError              kind, name, version
    │   ├── ArtifactVersionExistsError
    │   └── ModelVersionExistsError
    ├── ModelExistsError                name
    ├── StageError                      model, stage
    ├── ManifestError                   path, line
    ├── RegistryError                   the registry branch or its ref
    │   ├── RegistryNotInitializedError branch
    │   ├── NotARegistryError           branch
    │   ├── RegistryConflictError       ref, attempts
    │   ├── RefLockedError              lock, holder
    │   ├── DamagedRefError             ref, path, detail
    │   ├── BranchCheckedOutError       branch, worktree
    │   ├── SyncConflictError           kind, name, version, ours, theirs
    │   └── PushRejectedError           remote, branch, attempts
    ├── StorageError                    operation, location, reason
    │   ├── DamagedRepositoryError      sha, repository
    │   ├── ArtifactIntegrityError      md5, where
    │   └── ArtifactDataMissingError    md5, remote
    ├── GarbageCollectionError          md5, path, reason
    ├── MaterializerError               reason
    └── StepContextError                reason
"""

from __future__ import annotations


class GitregError(Exception):
    """Root of every error gitreg raises on purpose."""


class NotAGitRepositoryError(GitregError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"{path} is not inside a git repository: run `git init` first, "
            "or pass Client(repo=PATH) / `gitreg -C PATH`"
        )


class UnsupportedRepositoryError(GitregError):
    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class GitCommandError(GitregError):
    """A git command gitreg ran failed."""

    def __init__(self, command: list[str], stderr: str) -> None:
        self.command = command
        self.stderr = stderr
        super().__init__(
            f"`git {' '.join(command)}` failed: {stderr.strip() or 'no message'} "
            "(run `git fsck` if the repository may be damaged)"
        )


class InvalidNameError(GitregError, ValueError):
    def __init__(self, kind: str, value: object, reason: str) -> None:
        self.kind = kind
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"invalid {kind} {shown}: {reason}")


class InvalidMetadataError(GitregError, ValueError):
    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(
            f"invalid {what}: {reason}. Metadata is a dict with str keys and values that are "
            "str, int, float, bool, None, or lists and dicts of those"
        )


class UsageError(GitregError, ValueError):
    """A call whose arguments do not fit together; `problem` says what to pass instead."""

    def __init__(self, call: str, problem: str) -> None:
        self.call = call
        self.problem = problem
        super().__init__(f"{call}: {problem}")


class NotFoundError(GitregError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ArtifactNotFoundError(NotFoundError):
    def __init__(self, name: str, version: str | None = None, hint: str = "") -> None:
        self.name = name
        self.version = version
        what = f"artifact {name!r}" + (f" version {version!r}" if version else "")
        super().__init__(
            f"{what} not found"
            + (
                hint
                or ": list what exists with `gitreg artifacts` or Client().list_artifact_versions()"
            )
        )


class ModelNotFoundError(NotFoundError):
    def __init__(self, name: str, version: str | None = None, hint: str = "") -> None:
        self.name = name
        self.version = version
        what = f"model {name!r}" + (f" version {version!r}" if version else "")
        super().__init__(
            f"{what} not found"
            + (hint or ": list what exists with `gitreg models` or Client().list_models()")
        )


class RunNotFoundError(NotFoundError):
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(f"run {run_id!r} not found: list runs with `gitreg runs`")


class RevisionNotFoundError(NotFoundError):
    def __init__(self, rev: str) -> None:
        self.rev = rev
        super().__init__(
            f"unknown revision {rev!r}: give a branch, tag or commit of this repository "
            "(see `git log --oneline gitreg`)"
        )


class AmbiguousIdError(GitregError, LookupError):
    def __init__(self, prefix: str, matches: list[str]) -> None:
        self.prefix = prefix
        self.matches = matches
        super().__init__(
            f"id prefix {prefix!r} matches {len(matches)} objects "
            f"({', '.join(m[:12] for m in matches[:3])}...): give more digits"
        )


class VersionExistsError(GitregError):
    def __init__(self, kind: str, name: str, version: str) -> None:
        self.kind = kind
        self.name = name
        self.version = version
        super().__init__(
            f"{kind} {name!r} already has a version {version!r}: versions are immutable; "
            "choose another version or leave version=None (no `--version`) for the next number"
        )


class ArtifactVersionExistsError(VersionExistsError):
    def __init__(self, name: str, version: str) -> None:
        super().__init__("artifact", name, version)


class ModelVersionExistsError(VersionExistsError):
    def __init__(self, name: str, version: str) -> None:
        super().__init__("model", name, version)


class ModelExistsError(GitregError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"model {name!r} already exists: use Client().get_model({name!r}), or "
            "Client().update_model(...) to change its card"
        )


class StageError(GitregError):
    def __init__(self, model: str, stage: str, message: str) -> None:
        self.model = model
        self.stage = stage
        super().__init__(message)


class ManifestError(GitregError):
    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.problem = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(
            f"{where}: {message} (fix or revert this file on the registry branch; "
            "`gitreg validate` lists every broken file)"
        )


class RegistryError(GitregError):
    """The registry branch, or the ref that holds it, cannot be used as asked."""


class RegistryNotInitializedError(RegistryError):
    def __init__(self, branch: str) -> None:
        self.branch = branch
        super().__init__(f"no registry branch {branch!r} here: run `gitreg init` first")


class NotARegistryError(RegistryError):
    """The registry branch name is taken by a branch that is not a gitreg registry."""

    def __init__(self, branch: str) -> None:
        self.branch = branch
        super().__init__(
            f"branch {branch!r} exists and is not a gitreg registry (it has no gitreg.yaml): "
            "gitreg never writes onto it. Use another registry branch with `--branch NAME` "
            "(`gitreg --branch NAME init`) or Client(branch=NAME)"
        )


class RegistryConflictError(RegistryError):
    def __init__(self, ref: str, attempts: int) -> None:
        self.ref = ref
        self.attempts = attempts
        super().__init__(
            f"could not update {ref} after {attempts} attempts: other writers kept moving it; "
            "try again"
        )


class RefLockedError(RegistryError):
    """`<ref>.lock` stayed held (by git, or by a live gitreg process) past the wait."""

    def __init__(self, lock: str, holder: str | None, waited: float) -> None:
        self.lock = lock
        self.holder = holder
        self.waited = waited
        who = f"by {holder}" if holder else "by git or another tool"
        super().__init__(
            f"{lock} has been held {who} for over {waited:.0f} s: wait for that process to "
            "finish; if none is running, remove the file and retry"
        )


class DamagedRefError(RegistryError):
    """A ref file that git itself would refuse (empty, or not a sha)."""

    def __init__(self, ref: str, path: str, detail: str) -> None:
        self.ref = ref
        self.path = path
        self.detail = detail
        super().__init__(
            f"{ref} is damaged ({path}: {detail}): gitreg will not read it as an empty "
            f"registry. Find its last good sha with `git reflog {ref.removeprefix('refs/heads/')}`"
            f" (or `git fsck --lost-found`), remove {path}, then `git update-ref {ref} <sha>`"
        )


class BranchCheckedOutError(RegistryError):
    def __init__(self, branch: str, worktree: str) -> None:
        self.branch = branch
        self.worktree = worktree
        super().__init__(
            f"branch {branch!r} is checked out in {worktree}: gitreg never moves a checked-out "
            "branch. Switch that worktree to another branch, or use another registry branch "
            "(--branch / Client(branch=...))"
        )


class SyncConflictError(RegistryError):
    """The same explicit version name was created with other content on both sides of a
    push, pull or merge (ids `ours` and `theirs`)."""

    def __init__(self, kind: str, name: str, version: str, ours: str, theirs: str) -> None:
        self.kind = kind
        self.name = name
        self.version = version
        self.ours = ours
        self.theirs = theirs
        super().__init__(
            f"{kind} {name}@{version} exists on both sides with other content (ours {ours}, "
            f"theirs {theirs}): nothing was changed. Delete or rename one of them (e.g. "
            f"`gitreg {kind} delete {name}@{version}` here after saving it under another "
            "name), then push or pull again"
        )


class PushRejectedError(RegistryError):
    def __init__(self, remote: str, branch: str, attempts: int) -> None:
        self.remote = remote
        self.branch = branch
        self.attempts = attempts
        done = (
            "the registry branch was pushed"
            if branch.startswith("refs/tags/")
            else "your local branch is unchanged"
        )
        super().__init__(
            f"{remote} rejected the push of {branch!r} {attempts} times: others kept pushing "
            f"meanwhile; {done}, run `gitreg push` again"
        )


class StorageError(GitregError):
    """Bytes could not be written or read where they live (cache, remote, repository)."""

    def __init__(self, operation: str, location: str, reason: str, hint: str = "") -> None:
        self.operation = operation
        self.location = location
        self.reason = reason
        super().__init__(
            f"could not {operation} {location}: {reason}" + (f"; {hint}" if hint else "")
        )


class DamagedRepositoryError(StorageError):
    """A git object the registry needs cannot be read (a truncated pack, a lost `.idx`,
    a missing object)."""

    def __init__(self, sha: str, repository: str, detail: str = "") -> None:
        self.sha = sha
        self.repository = repository
        self.operation = "read"
        self.location = f"git object {sha}"
        self.reason = detail or "missing or damaged"
        GitregError.__init__(
            self,
            f"git object {sha} in {repository} is missing or damaged"
            + (f" ({detail})" if detail else "")
            + ": run `git fsck` to see what is damaged; `git index-pack` rebuilds a lost .idx "
            "from its pack; fetch the object from a clone that has it (`git fetch`), then "
            "check with `gitreg validate`",
        )


class ArtifactIntegrityError(StorageError):
    def __init__(self, md5: str, where: str, detail: str = "") -> None:
        self.md5 = md5
        self.where = where
        self.operation = "verify"
        self.location = f"object {md5} in the {where}"
        self.reason = detail or "corrupt"
        GitregError.__init__(
            self,
            f"object {md5} in the {where} is corrupt{': ' + detail if detail else ''}; "
            "no data was returned. "
            + (
                "The corrupt cached copy was removed: load again to fetch it from the remote."
                if where == "cache"
                else "Restore it from another copy (e.g. `dvc push` from a clone that has it)."
            ),
        )


class ArtifactDataMissingError(StorageError):
    def __init__(self, md5: str, remote: str, embedded: bool = False) -> None:
        self.md5 = md5
        self.remote = remote
        self.embedded = embedded  # the remote is this clone's own embedded one
        self.operation = "read"
        self.location = f"object {md5}"
        self.reason = "missing"
        hint = (
            "this registry keeps bytes in each clone's embedded remote, which other clones "
            "cannot reach: in the clone that saved it, set a shared one with "
            "`gitreg remote set URL` (s3://..., a shared folder) and `gitreg push`"
            if embedded
            else "push it from a clone that has it, or check the remote URL in .dvc/config"
        )
        GitregError.__init__(
            self, f"object {md5} is neither in the local cache nor in the remote {remote}: {hint}"
        )


class GarbageCollectionError(GitregError):
    """`gitreg gc` stopped before removing anything: it could not learn everything a
    commit references (a folder's `.dir` listing is unreadable)."""

    def __init__(self, md5: str, path: str, reason: str) -> None:
        self.md5 = md5
        self.path = path
        self.reason = reason
        super().__init__(
            f"gc removed nothing: the folder listing {md5} that {path} points at cannot be "
            f"read ({reason}), so the files it lists are unknown; restore it (`gitreg "
            "validate --remote` names what is missing) and run gc again"
        )


class MaterializerError(GitregError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class StepContextError(GitregError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
