"""Registry operations through the Python API: versions, names, ids, models, links, stages,
metadata."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from helpers import git, registry_state

from gitreg import (
    ArtifactType,
    Client,
    GitregError,
    Model,
    ModelStages,
    link_artifact_to_model,
    load_artifact,
    log_metadata,
    save_artifact,
)
from gitreg.errors import (
    AmbiguousIdError,
    ArtifactNotFoundError,
    ArtifactVersionExistsError,
    InvalidNameError,
    ModelNotFoundError,
    NotAGitRepositoryError,
    StageError,
)

ALPHABET_FRAGMENT = "A-Z a-z 0-9 . _ -"

BAD_NAMES = [
    "a/b",
    "..",
    "a..b",
    "x y",
    "",
    "a@b",
    "a#b",
    "~x",
    "-x",
    ".hidden",
    "x" * 200,
    "a\x00b",
    "a\nb",
    "tab\t",
    "a:b",
    "a^b",
    "a?b",
    "a*b",
    "a[b",
    "a\\b",
    "ends.",
    "x.lock",
]


def tip(repo: Path) -> str:
    return git(repo, "rev-parse", "gitreg")


def has_branch(repo: Path, branch: str = "gitreg") -> bool:
    return subprocess.run(["git", "rev-parse", "--verify", "-q", branch], cwd=repo).returncode == 0


def fsck_ok(repo: Path) -> bool:
    return subprocess.run(["git", "fsck", "--no-dangling"], cwd=repo).returncode == 0


# --------------------------------------------------------------------------- versions


def test_auto_numbering_counts_past_nine_and_latest_is_the_last_created(repo: Path) -> None:
    saved = [save_artifact(f"value {i}", "numbers") for i in range(1, 12)]
    assert [a.version for a in saved] == [str(i) for i in range(1, 12)]
    c = Client()
    assert c.get_artifact_version("numbers").version == "11"  # not "9" by string order
    assert load_artifact("numbers") == "value 11"
    assert load_artifact("numbers", "10") == "value 10"
    assert load_artifact("numbers", 9) == "value 9"
    assert [a.version for a in c.list_artifact_versions(name="numbers")] == [
        str(i) for i in range(1, 12)
    ]
    assert len({a.id for a in saved}) == 11


def test_numbers_are_per_name_and_skip_explicit_ones(repo: Path) -> None:
    assert save_artifact(1, "first").version == "1"
    assert save_artifact(1, "second").version == "1"
    assert save_artifact(2, "first", version=5).version == "5"
    assert save_artifact(3, "first").version == "6"
    assert save_artifact(4, "first", version="best").version == "best"
    assert load_artifact("first") == 4  # latest is the version created last
    assert save_artifact(5, "first").version == "7"
    assert load_artifact("first") == 5


def test_saving_an_existing_version_raises_and_writes_nothing(client: Client, repo: Path) -> None:
    save_artifact("v1", "data", version="v1")
    save_artifact("auto", "data")  # gets 1
    before = registry_state(repo)
    for taken in ("v1", "1", 1):
        with pytest.raises(ArtifactVersionExistsError, match="already has a version") as e:
            save_artifact("other", "data", version=taken)
        assert isinstance(e.value, GitregError)
        assert "leave version=None" in str(e.value)
    assert registry_state(repo) == before
    assert load_artifact("data", "v1") == "v1"


def test_invalid_artifact_names_are_refused_and_change_nothing(client: Client, repo: Path) -> None:
    save_artifact(b"one", "data")
    before = registry_state(repo)
    for bad in BAD_NAMES:
        with pytest.raises(InvalidNameError) as e:
            save_artifact(b"data", bad)
        assert ALPHABET_FRAGMENT in str(e.value), bad
        assert isinstance(e.value, GitregError)
        assert e.value.value == bad
    assert registry_state(repo) == before


def test_invalid_versions_are_refused_and_change_nothing(client: Client, repo: Path) -> None:
    save_artifact(b"one", "data")
    before = registry_state(repo)
    for bad in [*BAD_NAMES, "a::b"]:
        with pytest.raises(InvalidNameError, match="A-Z a-z 0-9"):
            save_artifact(b"data", "data", version=bad)
    for bad_number in (0, -1):
        with pytest.raises(InvalidNameError, match="numbers start at 1"):
            save_artifact(b"data", "data", version=bad_number)
    assert registry_state(repo) == before


def test_invalid_model_names_and_versions_are_refused(client: Client, repo: Path) -> None:
    art = save_artifact(b"data", "data")
    before = registry_state(repo)
    for bad in ["a/b", "..", "x y", "", "a@b", "a#b", "a::b", "x" * 200, "a\x00b"]:
        with pytest.raises(InvalidNameError, match="A-Z a-z 0-9"):
            link_artifact_to_model(art.id, model=Model(bad))
        with pytest.raises(InvalidNameError, match="A-Z a-z 0-9"):
            link_artifact_to_model(art.id, model=Model("ok", version=bad))
    assert registry_state(repo) == before


def test_bad_names_on_an_uninitialised_repo_create_nothing(repo: Path) -> None:
    before = registry_state(repo)
    with pytest.raises(InvalidNameError):
        save_artifact(1, "a/b")
    with pytest.raises(InvalidNameError):
        save_artifact(1, "ok", version="x y")
    assert registry_state(repo) == before
    assert not has_branch(repo)


def test_artifact_names_with_double_colons_work(repo: Path) -> None:
    name = "training_pipeline::train_step::output"
    a = save_artifact([1, 2, 3], name)
    b = save_artifact([4], name)
    assert (a.name, a.version, b.version) == (name, "1", "2")
    assert load_artifact(name) == [4]
    assert load_artifact(name, 1) == [1, 2, 3]
    c = Client()
    assert name in c.list_artifacts()
    assert [x.version for x in c.list_artifact_versions(name=name)] == ["1", "2"]
    link_artifact_to_model(a.id, model=Model("pipe-model", "v1"))
    assert Model("pipe-model", "v1").load_artifact(name) == [1, 2, 3]
    files = git(repo, "ls-tree", "-r", "--name-only", "gitreg").split("\n")
    assert not any("::" in f for f in files)  # escaped on the branch
    assert fsck_ok(repo)


# --------------------------------------------------------------------------- lookups


def test_load_by_name_version_full_id_and_unique_prefix(repo: Path) -> None:
    first = save_artifact({"n": 1}, "thing")
    second = save_artifact({"n": 2}, "thing")
    other = save_artifact({"n": 3}, "other")
    assert load_artifact("thing") == {"n": 2}
    assert load_artifact("thing", "1") == {"n": 1}
    assert load_artifact(first.id) == {"n": 1}  # a UUID object
    assert load_artifact(str(first.id)) == {"n": 1}
    assert load_artifact(str(first.id).upper()) == {"n": 1}
    ids = [str(x.id) for x in (first, second, other)]
    # the shortest prefix of at least 4 hex digits that no other id shares
    prefix = next(
        str(second.id)[:n]
        for n in range(4, 37)
        if sum(i.startswith(str(second.id)[:n]) for i in ids) == 1
    )
    assert load_artifact(prefix) == {"n": 2}
    assert Client().get_artifact_version(prefix).version == "2"
    assert Client().get_artifact_version(str(other.id)[:8]).name == "other"


def test_load_by_a_full_id_without_dashes(repo: Path) -> None:
    art = save_artifact("x", "undashed")
    assert load_artifact(art.id.hex) == "x"
    assert load_artifact(art.id.hex.upper()) == "x"
    link_artifact_to_model(art.id.hex, model=Model("hex-linked", "v1"))
    assert Model("hex-linked", "v1").get_artifact("undashed") == art


def test_an_ambiguous_id_prefix_raises(repo: Path) -> None:
    from gitreg.manifest import layout
    from gitreg.manifest.schema import IdEntry, dump
    from gitreg.stores.git import GitStore, Put

    a = save_artifact("a", "amb")
    b = save_artifact("b", "amb")
    # a second id sharing a's first 8 digits (random ids rarely collide, so make one)
    a_id = str(a.id)
    twin = a_id[:8] + "-" + ("0000" if a_id[9:13] != "0000" else "1111") + a_id[13:]
    entry = IdEntry(kind="artifact_version", path=b.manifest_path)
    store = GitStore(repo)
    store.commit([Put(layout.id_entry(twin), dump(entry))], "twin id", store.head())
    before = registry_state(repo)

    for prefix in (a_id[:4], a_id[:8]):
        with pytest.raises(AmbiguousIdError, match=r"matches 2 objects.*give more digits") as e:
            load_artifact(prefix)
        assert isinstance(e.value, GitregError)
        assert e.value.prefix == prefix
    assert load_artifact(a_id[:13]) == "a"  # more digits settle it
    assert registry_state(repo) == before


def test_an_exact_name_wins_over_an_id_prefix(repo: Path) -> None:
    other = save_artifact("the other artifact", "other")
    hexname = str(other.id)[:8]  # a valid name made only of hex digits
    save_artifact("by name", hexname)
    assert load_artifact(hexname) == "by name"
    assert Client().get_artifact_version(hexname).name == hexname


def test_unknown_artifacts_raise_not_found_and_do_not_initialise(repo: Path) -> None:
    with pytest.raises(ArtifactNotFoundError, match="'missing' not found"):
        load_artifact("missing")
    assert not has_branch(repo)  # reading never writes
    save_artifact(1, "present")
    with pytest.raises(ArtifactNotFoundError, match="'present' version '7' not found"):
        load_artifact("present", 7)
    with pytest.raises(ArtifactNotFoundError):
        Client().get_artifact_version(str(uuid.uuid4()))


def test_the_api_initialises_the_registry_on_first_use(repo: Path) -> None:
    assert not has_branch(repo)
    save_artifact("hello", "greeting")
    assert has_branch(repo)
    assert "schema: 1" in git(repo, "show", "gitreg:gitreg.yaml")
    dvc_config = git(repo, "show", "gitreg:.dvc/config")
    assert "remote = gitreg" in dvc_config
    assert str(repo) not in dvc_config  # the embedded remote's path is this machine's
    assert load_artifact("greeting") == "hello"
    assert (
        git(repo, "log", "--format=%s", "gitreg").split("\n")[-1] == "gitreg: initialise registry"
    )


def test_client_with_repo_path_works_from_another_cwd(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    c = Client(repo=repo)
    art = c.save_artifact([1, 2], "remote-save")
    assert c.load_artifact("remote-save") == [1, 2]
    assert Client(repo=str(repo / ".git")).get_artifact_version(art.id).name == "remote-save"
    (repo / "src").mkdir()
    assert Client(repo=repo / "src").load_artifact(art.id) == [1, 2]
    assert not (elsewhere / ".git").exists() and list(elsewhere.iterdir()) == []
    with pytest.raises(NotAGitRepositoryError, match="git init"):
        save_artifact(1, "nowhere")  # the active client follows the cwd
    monkeypatch.chdir(repo / "src")  # a subfolder finds the repository around it
    assert load_artifact("remote-save") == [1, 2]
    assert save_artifact(3, "from-subfolder").version == "1"
    assert Client(repo=repo).load_artifact("from-subfolder") == 3


# --------------------------------------------------------------------------- listing


def test_list_artifact_versions_filters_by_name_model_and_tag(repo: Path) -> None:
    a1 = save_artifact(1, "alpha", tags=["keep"])
    a2 = save_artifact(2, "alpha")
    b1 = save_artifact(3, "beta", tags=["keep", "other"])
    link_artifact_to_model(a2.id, model=Model("listed", "v1"))
    link_artifact_to_model(b1.id, model=Model("listed", "v1"))
    c = Client()

    def key(arts):  # type: ignore[no-untyped-def]
        return [(a.name, a.version) for a in arts]

    assert key(c.list_artifact_versions()) == [("alpha", "1"), ("alpha", "2"), ("beta", "1")]
    assert key(c.list_artifact_versions(name="alpha")) == [("alpha", "1"), ("alpha", "2")]
    assert key(c.list_artifact_versions(tag="keep")) == [("alpha", "1"), ("beta", "1")]
    assert key(c.list_artifact_versions(model="listed")) == [("alpha", "2"), ("beta", "1")]
    assert key(c.list_artifact_versions(model="listed", name="beta")) == [("beta", "1")]
    assert key(c.list_artifact_versions(model="listed", tag="keep")) == [("beta", "1")]
    assert c.get_artifact_version("alpha", 1) == a1
    assert c.list_artifacts() == ["alpha", "beta"]


# --------------------------------------------------------------------------- models


@pytest.fixture
def three_versions(repo: Path) -> dict[str, object]:
    data = save_artifact("d", "dataset")
    link_artifact_to_model(data.id, model=Model("clf", version="v1"))
    link_artifact_to_model(data.id, model=Model("clf", version="v2"))
    link_artifact_to_model(data.id, model=Model("clf"))  # a new numbered version: "3"
    return {"data": data}


def test_get_model_version_by_name_number_latest_and_stage(three_versions: dict) -> None:
    c = Client()
    assert c.get_model_version("clf", "v1").number == 1
    assert c.get_model_version("clf", 2).name == "v2"
    assert c.get_model_version("clf", "2").name == "v2"
    assert c.get_model_version("clf", "latest").name == "3"
    assert c.get_model_version("clf", ModelStages.LATEST).name == "3"
    assert c.get_model_version("clf").name == "3"
    v2 = c.get_model_version("clf", "v2")
    assert c.get_model_version("clf", v2.id).name == "v2"
    assert c.get_model_version("clf", str(v2.id)[:8]).name == "v2"

    Model("clf", "v1").set_stage("production")
    prod = c.get_model_version("clf", "production")
    assert (prod.name, prod.stage) == ("v1", "production")
    assert c.get_model_version("clf", ModelStages.PRODUCTION).name == "v1"
    assert Model("clf", ModelStages.PRODUCTION).number == 1

    with pytest.raises(ModelNotFoundError, match="'clf' version 'staging' not found"):
        c.get_model_version("clf", "staging")
    with pytest.raises(ModelNotFoundError, match="'clf' version '9' not found"):
        c.get_model_version("clf", 9)
    with pytest.raises(ModelNotFoundError, match="model 'nope' not found"):
        c.get_model_version("nope", "v1")


def test_one_version_per_stage_unless_forced(three_versions: dict, repo: Path) -> None:
    Model("clf", "v1").set_stage(ModelStages.PRODUCTION)
    before = registry_state(repo)
    with pytest.raises(StageError, match=r"already has version 'v1' in stage 'production'.*force"):
        Model("clf", "v2").set_stage("production")
    assert registry_state(repo) == before
    Model("clf", "v2").set_stage("production", force=True)
    c = Client()
    assert c.get_model_version("clf", "production").name == "v2"
    assert c.get_model_version("clf", "v1").stage == "archived"  # the old holder is archived
    with pytest.raises(StageError, match="'latest' is not a stage"):
        Model("clf", "v1").set_stage("latest")


def test_list_models_and_model_versions(three_versions: dict) -> None:
    link_artifact_to_model(three_versions["data"].id, model=Model("another", "a"))  # type: ignore[attr-defined]
    c = Client()
    assert [m.name for m in c.list_models()] == ["another", "clf"]
    clf = c.get_model("clf")
    assert clf.latest_version_name == "3"
    assert c.get_model(clf.id).name == "clf"
    versions = c.list_model_versions("clf")
    assert [(v.name, v.number) for v in versions] == [("v1", 1), ("v2", 2), ("3", 3)]
    assert [v.name for v in clf.versions] == ["v1", "v2", "3"]
    with pytest.raises(ModelNotFoundError, match="'ghost' not found"):
        c.get_model("ghost")


def test_a_stage_with_several_holders_resolves_to_the_newest(client: Client) -> None:
    for _ in range(10):
        client.create_model_version("many")
    Model("many", 9).set_stage("archived")
    Model("many", 10).set_stage("archived")
    assert client.get_model_version("many", "archived").name == "10"


def test_numbers_and_stage_names_only_fetch(client: Client, repo: Path) -> None:
    art = save_artifact(1, "x")
    before = registry_state(repo)
    for spec in (7, "7", "production", "staging", "latest"):
        with pytest.raises(ModelNotFoundError, match="only fetch existing versions"):
            link_artifact_to_model(art.id, model=Model("fresh", version=spec))
    assert registry_state(repo) == before


# --------------------------------------------------------------------------- links


def test_link_outside_a_step_creates_the_model_and_named_version(repo: Path) -> None:
    art = save_artifact([1, 2], "features")
    link = link_artifact_to_model(art.id, model=Model("forecaster", version="2024-q1"))
    assert (link.model_name, link.model_version, link.artifact, link.version) == (
        "forecaster",
        "2024-q1",
        "features",
        "1",
    )
    c = Client()
    mv = c.get_model_version("forecaster", "2024-q1")
    assert (mv.number, mv.model_name) == (1, "forecaster")
    assert [a.id for a in c.list_artifact_versions(model="forecaster")] == [art.id]
    assert Model("forecaster", "2024-q1").get_artifact("features") == art


def test_a_link_that_creates_its_version_is_one_commit(repo: Path) -> None:
    art = save_artifact([1], "features")
    model = Model("counted")
    before = int(git(repo, "rev-list", "--count", "gitreg"))
    link_artifact_to_model(art.id, model=model)
    assert int(git(repo, "rev-list", "--count", "gitreg")) == before + 1
    assert git(repo, "log", "-1", "--format=%s", "gitreg") == (
        "gitreg: create model version counted@1, link features@1 to counted@1"
    )
    assert model.version == "1"  # the Model now stands for the version the link made
    link_artifact_to_model(save_artifact([2], "features").id, model=model)
    assert [v.name for v in Client().list_model_versions("counted")] == ["1"]
    assert [a.version for a in Client().list_artifact_versions(model="counted")] == ["1", "2"]


def test_save_artifact_with_a_model_saves_and_links_in_one_commit(repo: Path) -> None:
    save_artifact(0, "other")  # initialises the registry
    before = int(git(repo, "rev-list", "--count", "gitreg"))
    model = Model("direct", "v1")
    art = save_artifact({"w": 1}, "weights", model=model, is_model_artifact=True)
    assert int(git(repo, "rev-list", "--count", "gitreg")) == before + 1
    assert model.get_model_artifact("weights") == art
    assert Client().get_model_version("direct", "v1").number == 1
    state = registry_state(repo)
    with pytest.raises(ModelNotFoundError, match="only fetch"):
        save_artifact(2, "weights", model=Model("direct", "production"))
    assert registry_state(repo) == state  # no byte was stored either


def test_linking_twice_is_a_no_op(repo: Path) -> None:
    art = save_artifact("x", "once")
    model = Model("linked", version="v1")
    link_artifact_to_model(art.id, model=model)
    head = tip(repo)
    link_artifact_to_model(art.id, model=model)
    link_artifact_to_model(art, model=Model("linked", version="v1"))  # a response works too
    link_artifact_to_model(str(art.id), model=Model("linked", version="v1"))
    assert tip(repo) == head
    assert len(Client().list_artifact_versions(model="linked")) == 1


def test_link_kind_follows_the_artifact_type(repo: Path) -> None:
    data = save_artifact([1], "train-data")
    model_art = save_artifact({"w": [0.1]}, "weights", artifact_type=ArtifactType.MODEL)
    service = save_artifact({"url": "http://x"}, "endpoint", artifact_type="service")
    forced = save_artifact("m", "forced-model")
    m = Model("kinds", "v1")
    for art in (data, model_art, service):
        link_artifact_to_model(art.id, model=m)
    link_artifact_to_model(forced.id, model=m, is_model_artifact=True)
    assert model_art.type is ArtifactType.MODEL and service.type is ArtifactType.SERVICE

    kinds = {link.artifact: link.kind.value for link in Client().list_links("kinds", "v1")}
    assert kinds == {
        "train-data": "data",
        "weights": "model",
        "endpoint": "deployment",
        "forced-model": "model",
    }
    m = Model("kinds", "v1")
    assert m.get_data_artifact("train-data") == data
    assert m.get_model_artifact("train-data") is None
    assert m.get_model_artifact("weights") == model_art
    assert m.get_deployment_artifact("endpoint") == service
    assert m.get_data_artifact("endpoint") is None
    assert m.get_model_artifact("forced-model") == forced
    assert m.get_artifact("nothing-linked") is None
    # a model link makes the model visible to DVC/GTO in dvc.yaml
    dvc_yaml = git(repo, "show", "gitreg:dvc.yaml")
    assert "kinds:" in dvc_yaml and forced.data_path in dvc_yaml


def test_model_get_and_load_artifact(repo: Path) -> None:
    v1 = save_artifact({"rows": 10}, "table")
    v2 = save_artifact({"rows": 20}, "table")
    m = Model("reader", "v1")
    link_artifact_to_model(v1.id, model=m)
    link_artifact_to_model(v2.id, model=m)
    m = Model("reader", "v1")
    assert m.get_artifact("table") == v2  # the newest linked version
    assert m.get_artifact("table", "1") == v1
    assert m.load_artifact("table") == {"rows": 20}
    assert m.load_artifact("table", "1") == {"rows": 10}
    mv = Client().get_model_version("reader", "v1")
    assert mv.load_artifact("table") == {"rows": 20}
    with pytest.raises(
        ArtifactNotFoundError, match="among the artifacts linked to model reader@v1"
    ):
        m.load_artifact("absent")


def test_link_outside_a_step_without_a_model_is_refused(client: Client, repo: Path) -> None:
    art = save_artifact(1, "lonely")
    before = registry_state(repo)
    with pytest.raises(GitregError, match="needs model=Model"):
        link_artifact_to_model(art.id)
    assert registry_state(repo) == before


@pytest.mark.parametrize("bad_id", ["lonely", "00000000-0000-4000-8000-000000000000"])
def test_linking_an_unknown_artifact_changes_nothing(
    client: Client, repo: Path, bad_id: str
) -> None:
    save_artifact(1, "lonely")
    before = registry_state(repo)
    with pytest.raises(ArtifactNotFoundError):
        link_artifact_to_model(bad_id, model=Model("m", "v1"))
    assert registry_state(repo) == before


# --------------------------------------------------------------------------- metadata


def test_model_metadata_later_value_wins_per_key(repo: Path) -> None:
    m = Model("meta", "v1")
    m.log_metadata({"accuracy": 0.8, "epochs": 3, "nested": {"a": 1}})
    m.log_metadata({"accuracy": 0.9})
    log_metadata({"epochs": 5, "notes": "tuned"}, model_name="meta", model_version="v1")
    expected = {"accuracy": 0.9, "epochs": 5, "nested": {"a": 1}, "notes": "tuned"}
    assert Model("meta", "v1").run_metadata == expected
    assert Client().get_model_version("meta", "v1").run_metadata == expected
    with pytest.raises(GitregError, match="needs a target outside a step"):
        log_metadata({"x": 1})


def test_a_loop_of_saves_reads_its_writes_back_without_parsing_and_keeps_only_the_last(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitreg.services import registry as registry_module

    parsed: list[str] = []
    real_parse = registry_module.parse
    monkeypatch.setattr(
        registry_module,
        "parse",
        lambda cls, data, path: parsed.append(path) or real_parse(cls, data, path),
    )
    client = Client(repo)
    client.init()
    cache = client.registry.parsed
    cache.written_limit = 12
    model = Model("bench", "1.0.0")
    first = client.save_artifact({"i": 0}, "ckpt")
    client.link_artifact_to_model(first.id, model)
    parsed.clear()
    for i in range(1, 40):
        a = client.save_artifact({"i": i}, "ckpt")
        client.link_artifact_to_model(a.id, model)
        assert client.get_artifact_version(a.id).version == str(i + 1)
    # Reads of what was just written parse nothing; the model's own files, written before
    # the loop and read by every link, are parsed again once after they leave the
    # written records, then kept as read ones.
    assert len(parsed) == len(set(parsed))  # links no longer read the model's manifest
    assert all(p.startswith("models/bench/") and "/links/" not in p for p in parsed)
    assert len(cache) <= 12 + len(parsed) + 2  # not the 160 records the loop wrote

    assert len(client.list_artifact_versions(model=Model("bench", "1.0.0"))) == 40
