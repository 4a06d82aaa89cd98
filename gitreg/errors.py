"""The error hierarchy: one root, facts kept as attributes, messages that say what to do."""

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


class InvalidNameError(GitregError, ValueError):
    def __init__(self, kind: str, value: object, reason: str) -> None:
        self.kind = kind
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"invalid {kind} {shown}: {reason}")


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
        self.name = name
        self.version = version
        super().__init__(
            f"{kind} {name!r} already has a version {version!r}: versions are immutable; "
            "choose another version or leave version=None for the next number"
        )


class ArtifactVersionExistsError(VersionExistsError):
    def __init__(self, name: str, version: str) -> None:
        super().__init__("artifact", name, version)


class ModelVersionExistsError(VersionExistsError):
    def __init__(self, name: str, version: str) -> None:
        super().__init__("model", name, version)


class StageError(GitregError):
    def __init__(self, model: str, stage: str, message: str) -> None:
        self.model = model
        self.stage = stage
        super().__init__(message)


class ArtifactIntegrityError(GitregError):
    def __init__(self, md5: str, where: str, detail: str = "") -> None:
        self.md5 = md5
        self.where = where
        super().__init__(
            f"object {md5} in the {where} is corrupt{': ' + detail if detail else ''}; "
            "no data was returned. "
            + (
                "The corrupt cached copy was removed: load again to fetch it from the remote."
                if where == "cache"
                else "Restore it from another copy (e.g. `dvc push` from a clone that has it)."
            )
        )


class ArtifactDataMissingError(GitregError):
    def __init__(self, md5: str, remote: str) -> None:
        self.md5 = md5
        self.remote = remote
        super().__init__(
            f"object {md5} is neither in the local cache nor in the remote {remote}: "
            "push it from a clone that has it, or check the remote URL in .dvc/config"
        )


class StorageError(GitregError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


class InvalidMetadataError(GitregError, ValueError):
    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(
            f"invalid {what}: {reason}. Metadata is a dict with str keys and values that are "
            "str, int, float, bool, None, or lists and dicts of those"
        )


class ManifestError(GitregError):
    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(
            f"{where}: {message} (fix or revert this file on the registry branch; "
            "`gitreg validate` lists every broken file)"
        )


class RegistryConflictError(GitregError):
    def __init__(self, ref: str, attempts: int) -> None:
        self.ref = ref
        self.attempts = attempts
        super().__init__(
            f"could not update {ref} after {attempts} attempts: other writers kept moving it; "
            "try again"
        )


class RegistryNotInitializedError(GitregError):
    def __init__(self, branch: str) -> None:
        self.branch = branch
        super().__init__(f"no registry branch {branch!r} here: run `gitreg init` first")


class MaterializerError(GitregError):
    def __init__(self, message: str) -> None:
        super().__init__(message)


class StepContextError(GitregError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
