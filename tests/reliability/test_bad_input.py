"""Bad input: hostile names, versions, stages, tags, ids, paths and objects each get a
GitregError subclass with a useful message, and leave the registry byte-for-byte unchanged
(every ref, the index and the remote's files)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rel_helpers import GIT_ENV, PYTHON, make_repo, registry_state

from gitreg import Client, Model
from gitreg.errors import (
    ArtifactNotFoundError,
    GitregError,
    InvalidNameError,
    MaterializerError,
    ModelNotFoundError,
    StageError,
)

ALPHABET_HINT = "use 1-128 characters"

# Hostile strings that are not a valid model name, version, stage or tag.
HOSTILE = {
    "dotdot-slash": "../x",
    "inner-dotdot": "a/../b",
    "etc-passwd": "/etc/passwd",
    "dotdot": "..",
    "dot": ".",
    "slash": "a/b",
    "backslash": "a\\b",
    "tilde": "a~1",
    "caret": "a^",
    "colon": "a:b",
    "question": "a?",
    "star": "a*",
    "bracket": "a[",
    "at-brace": "a@{1}",
    "bare-at-brace": "@{",
    "at": "a@b",
    "hash": "a#b",
    "fullwidth-m": "\uff4dodel",
    "division-slash": "a\u2215b",
    "cyrillic-a": "\u0430",
    "cyrillic-in-word": "m\u043edel",
    "zero-width": "ab\u200b",
    "empty": "",
    "10kb": "x" * 10240,
    "129-chars": "x" * 129,
    "nul": "a\x00b",
    "newline": "a\nb",
    "trailing-newline": "abc\n",
    "cr": "a\rb",
    "tab": "a\tb",
    "space": "a b",
    "leading-space": " a",
    "leading-dash": "-a",
    "leading-dot": ".a",
    "trailing-dot": "a.",
    "lock-suffix": "a.lock",
    "head-reflog": "HEAD@{0}",
    "refs-path": "refs/heads/x",
    "double-slash": "a//b",
    "surrogate": "a\ud800",
    "accented": "caf\u00e9",
}
# Not valid as a name of any kind, including an artifact name (which may hold '::').
HOSTILE_ARTIFACT = {
    **HOSTILE,
    "trailing-colons": "a::",
    "leading-colons": "::a",
    "triple-colon": "a:::b",
    "colons-dotdot": "a::..",
    "colons-lock": "a::b.lock",
}
NOT_STRINGS = {"none": None, "bytes": b"abc", "path": Path("x"), "list": ["a"], "float": 1.5}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Client, str]]:
    """One registry with an artifact version linked to model version m@v1 (staging)."""
    repo = make_repo(tmp_path_factory.mktemp("bad-input") / "repo")
    client = Client(repo)
    client.init()
    art = client.save_artifact({"hello": "world"}, "data")
    model = Model("m", "v1")
    model.bind(client)
    client.link_artifact_to_model(art, model)
    model.set_stage("staging")
    old = os.getcwd()
    os.chdir(repo)
    try:
        yield repo, client, str(art.id)
    finally:
        os.chdir(old)


def _state(repo: Path) -> tuple[Any, ...]:
    """Every ref (the registry branch included), the index and the remote's file list."""
    return registry_state(repo)


def _expect_error(
    repo: Path,
    action: Callable[[], Any],
    errors: type[BaseException] | tuple[type[BaseException], ...],
    fragments: tuple[str, ...],
    reliability_counts: Any,
) -> GitregError:
    before = _state(repo)
    with pytest.raises(GitregError) as info:
        action()
    assert isinstance(info.value, errors), repr(info.value)
    message = str(info.value)
    assert any(f in message for f in fragments), message
    assert "\n" not in message, "the message should be one line"
    assert _state(repo) == before, "the registry changed"
    reliability_counts.add("hostile inputs")
    return info.value


def _ids(d: dict[str, Any]) -> list[Any]:
    return [pytest.param(v, id=k) for k, v in d.items()]


# -- names and versions ------------------------------------------------------------------


@pytest.mark.parametrize("name", _ids({**HOSTILE_ARTIFACT, **NOT_STRINGS}))
def test_save_artifact_rejects_hostile_name(setup, name, reliability_counts) -> None:
    repo, client, _ = setup
    err = _expect_error(
        repo,
        lambda: client.save_artifact("payload", name),
        InvalidNameError,
        (ALPHABET_HINT, "expected a string", "'..'"),
        reliability_counts,
    )
    assert err.kind == "artifact name"


NOT_STRING_VERSIONS = {k: v for k, v in NOT_STRINGS.items() if v is not None}  # None: auto


@pytest.mark.parametrize(
    "version", _ids({**HOSTILE, **NOT_STRING_VERSIONS, "zero": 0, "negative": -3, "true": True})
)
def test_save_artifact_rejects_hostile_version(setup, version, reliability_counts) -> None:
    repo, client, _ = setup
    err = _expect_error(
        repo,
        lambda: client.save_artifact("payload", "data", version=version),
        InvalidNameError,
        (ALPHABET_HINT, "expected a string", "numbers start at 1", "'..'"),
        reliability_counts,
    )
    assert err.kind == "version"


@pytest.mark.parametrize(
    "tag",
    _ids(
        {
            k: HOSTILE[k]
            for k in (
                "dotdot-slash",
                "empty",
                "nul",
                "newline",
                "colon",
                "at-brace",
                "cyrillic-a",
                "10kb",
            )
        }
        | {"none": None}
    ),
)
def test_save_artifact_rejects_hostile_tag(setup, tag, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.save_artifact("payload", "data", tags=["ok", tag]),
        InvalidNameError,
        (ALPHABET_HINT, "expected a string", "'..'"),
        reliability_counts,
    )


@pytest.mark.parametrize("name", _ids({**HOSTILE, **NOT_STRINGS, "artifact-style": "a::b"}))
def test_model_rejects_hostile_name(setup, name, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.link_artifact_to_model(setup[2], Model(name, "v1")),
        InvalidNameError,
        (ALPHABET_HINT, "expected a string", "'..'"),
        reliability_counts,
    )


@pytest.mark.parametrize("version", _ids({**HOSTILE, "bytes": b"x", "zero": 0, "negative": -1}))
def test_model_rejects_hostile_version(setup, version, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.link_artifact_to_model(setup[2], Model("m", version)),
        InvalidNameError,
        (ALPHABET_HINT, "expected a string", "'..'", "numbers start at 1"),
        reliability_counts,
    )


STAGES = {
    **{
        k: HOSTILE[k]
        for k in (
            "dotdot-slash",
            "empty",
            "nul",
            "newline",
            "tilde",
            "fullwidth-m",
            "10kb",
            "lock-suffix",
        )
    },
    "latest": "latest",
    "unknown": "prod",
    "capitalised": "Production",
    "none-value": None,
}


@pytest.mark.parametrize("stage", _ids(STAGES))
def test_set_stage_rejects_hostile_stage(setup, stage, reliability_counts) -> None:
    repo, client, _ = setup
    model = Model("m", "v1")
    model.bind(client)
    _expect_error(
        repo,
        lambda: model.set_stage(stage),
        (InvalidNameError, StageError),
        (ALPHABET_HINT, "is not a stage", "expected a string"),
        reliability_counts,
    )


def test_set_stage_with_bad_stage_on_a_new_version_changes_nothing(
    setup, reliability_counts
) -> None:
    repo, client, _ = setup
    model = Model("m", "never-created")
    model.bind(client)
    _expect_error(
        repo,
        lambda: model.set_stage("prod"),
        StageError,
        ("is not a stage",),
        reliability_counts,
    )


LINK_IDS = {
    "dotdot-slash": "../x",
    "empty": "",
    "none": None,
    "int": 12345,
    "short-prefix": "abcd",
    "nul": "\x00" * 36,
    "not-hex-uuid": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
    "unknown-uuid": "00000000-0000-4000-8000-000000000000",
    "uuid-with-newline": "00000000-0000-4000-8000-000000000000\n../x",
    "10kb": "a" * 10240,
    "artifact-name": "data",
}


@pytest.mark.parametrize("art_id", _ids(LINK_IDS))
def test_link_rejects_hostile_artifact_id(setup, art_id, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.link_artifact_to_model(art_id, Model("m", "v1")),
        ArtifactNotFoundError,
        ("not found",),
        reliability_counts,
    )


def test_link_rejects_a_model_id_given_as_artifact_id(setup, reliability_counts) -> None:
    repo, client, _ = setup
    model_version_id = str(client.get_model_version("m", "v1").id)
    _expect_error(
        repo,
        lambda: client.link_artifact_to_model(model_version_id, Model("m", "v1")),
        ArtifactNotFoundError,
        ("not found",),
        reliability_counts,
    )


@pytest.mark.parametrize("name", _ids({**HOSTILE_ARTIFACT, "path": Path("data/../x")}))
def test_load_artifact_rejects_hostile_name(setup, name, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.load_artifact(name),
        (InvalidNameError, ArtifactNotFoundError),
        (ALPHABET_HINT, "not found", "'..'"),
        reliability_counts,
    )


@pytest.mark.parametrize(
    "version",
    _ids(
        {
            k: HOSTILE[k]
            for k in (
                "dotdot-slash",
                "inner-dotdot",
                "etc-passwd",
                "dotdot",
                "nul",
                "newline",
                "at-brace",
                "10kb",
            )
        }
    ),
)
def test_load_artifact_rejects_hostile_version(setup, version, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.load_artifact("data", version),
        InvalidNameError,
        (ALPHABET_HINT, "'..'"),
        reliability_counts,
    )


@pytest.mark.parametrize(
    "spec",
    _ids(
        {
            k: HOSTILE[k]
            for k in ("dotdot-slash", "etc-passwd", "dotdot", "nul", "surrogate", "10kb")
        }
    ),
)
def test_model_lookups_reject_hostile_specs(setup, spec, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.get_model_version("m", spec),
        (InvalidNameError, ModelNotFoundError),
        (ALPHABET_HINT, "not found", "'..'"),
        reliability_counts,
    )
    _expect_error(
        repo,
        lambda: client.get_model(spec),
        (InvalidNameError, ModelNotFoundError),
        (ALPHABET_HINT, "not found", "'..'"),
        reliability_counts,
    )


# -- objects and paths ---------------------------------------------------------------------


def _generator() -> Iterator[int]:
    yield 1


UNPICKLABLE: dict[str, Callable[[], Any]] = {
    "lock": threading.Lock,
    "rlock": threading.RLock,
    "generator": _generator,
    "frame": lambda: sys._getframe(),
    "generator-in-dict": lambda: {"gen": (x for x in [1])},
    "lock-in-list": lambda: [1, 2, threading.Lock()],
    "socket": lambda: socket.socket(),
}


@pytest.mark.parametrize("make", _ids(UNPICKLABLE))
def test_unpicklable_objects_raise_materializer_error(setup, make, reliability_counts) -> None:
    repo, client, _ = setup
    obj = make()
    try:
        _expect_error(
            repo,
            lambda: client.save_artifact(obj, "unpicklable"),
            MaterializerError,
            ("cannot pickle", "materializer"),
            reliability_counts,
        )
    finally:
        if isinstance(obj, socket.socket):
            obj.close()
    reliability_counts.add("unpicklable objects")


def test_missing_path_raises_materializer_error(setup, tmp_path, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.save_artifact(tmp_path / "nope" / "missing.bin", "files"),
        MaterializerError,
        ("does not exist",),
        reliability_counts,
    )


def test_character_device_path_is_refused(setup, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.save_artifact(Path("/dev/null"), "devices"),
        MaterializerError,
        ("neither a regular file nor a folder",),
        reliability_counts,
    )


def test_fifo_path_is_refused_without_hanging(setup, tmp_path, reliability_counts) -> None:
    repo, _, _ = setup
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    script = (
        "import sys; from pathlib import Path; from gitreg import Client\n"
        "from gitreg.errors import MaterializerError\n"
        "try:\n"
        "    Client().save_artifact(Path(sys.argv[1]), 'fifo')\n"
        "except MaterializerError as e:\n"
        "    print('refused', e); sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    before = _state(repo)
    try:
        proc = subprocess.run(
            [PYTHON, "-c", script, str(fifo)],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=5,
            env={**os.environ, **GIT_ENV},
        )
    except subprocess.TimeoutExpired:
        pytest.fail("save_artifact(Path(fifo)) hung")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _state(repo) == before
    reliability_counts.add("hostile inputs")


# -- metadata that cannot be written faithfully --------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [{"k": object()}, {1: "int key"}, {"k": "a\ud800b"}, {"\udfff": 1}, {"k": ["ok", "\udc80"]}],
    ids=["object", "int-key", "surrogate-value", "surrogate-key", "surrogate-in-list"],
)
def test_unserialisable_metadata_raises_gitreg_error(setup, metadata, reliability_counts) -> None:
    repo, client, _ = setup
    _expect_error(
        repo,
        lambda: client.save_artifact(f"payload {metadata!r}", "meta", user_metadata=metadata),
        GitregError,
        ("metadata",),
        reliability_counts,
    )


@pytest.fixture
def registry(tmp_path: Path) -> tuple[Path, Client]:
    """A fresh, initialised registry of its own."""
    repo = make_repo(tmp_path / "repo")
    client = Client(repo)
    client.init()
    return repo, client


def _save_then_read_fresh(client: Client, repo: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """Save with `metadata`; then, if the save was accepted, read it back in a fresh client
    (no parse cache) and check the registry is still valid."""
    try:
        art = client.save_artifact(f"payload {metadata!r}", "meta", user_metadata=metadata)
    except GitregError:
        return metadata  # refusing it up front is fine
    fresh = Client(repo)
    got = fresh.get_artifact_version("meta", art.version).run_metadata
    got = fresh.get_artifact_version("meta", art.version).user_metadata
    report = fresh.validate()
    assert report.ok, [str(p) for p in report.problems]
    return got


@pytest.mark.parametrize(
    "metadata",
    [
        {"note": "a\x7fb"},
        {"note": "a\x9fb"},
        {"note": "a\ufffeb"},
        {"\u2028": "line separator key"},
    ],
    ids=["del", "c1", "ufffe", "u2028-key"],
)
def test_metadata_with_control_characters_stays_readable(
    registry, metadata, reliability_counts
) -> None:
    repo, client = registry
    reliability_counts.add("hostile inputs")
    assert _save_then_read_fresh(client, repo, metadata) == metadata


def test_metadata_with_nel_round_trips(registry, reliability_counts) -> None:
    repo, client = registry
    reliability_counts.add("hostile inputs")
    assert _save_then_read_fresh(client, repo, {"note": "a\x85b"}) == {"note": "a\x85b"}


def test_oversized_metadata_is_refused_or_readable(registry, reliability_counts) -> None:
    repo, client = registry
    reliability_counts.add("hostile inputs")
    big = {"blob": "x" * (1 << 20)}
    assert _save_then_read_fresh(client, repo, big) == big


def test_nan_and_inf_metadata_round_trip(registry, reliability_counts) -> None:
    repo, client = registry
    reliability_counts.add("hostile inputs")
    got = _save_then_read_fresh(client, repo, {"inf": float("inf"), "nan": float("nan")})
    assert got["inf"] == float("inf")
    assert got["nan"] != got["nan"]
