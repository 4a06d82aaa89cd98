"""Where each registry fact lives on the branch.

Collections that can grow to thousands of entries are fanned out two levels deep by a
hash of the key, so a commit rewrites a few small trees, never one huge one.
"""

from __future__ import annotations

import re
from hashlib import md5

CONFIG = "gitreg.yaml"
DVC_CONFIG = ".dvc/config"
DVC_YAML = "dvc.yaml"
GITATTRIBUTES = ".gitattributes"
ARTIFACTS = "artifacts"
MODELS = "models"
IDS = "ids"
RUNS = "runs"
CACHE = "cache"


def escape(name: str) -> str:
    """A registry name as one path component (`::` is not allowed in a path)."""
    return name.replace("::", "+")


def unescape(component: str) -> str:
    return component.replace("+", "::")


def shard(key: str) -> str:
    h = md5(key.encode()).hexdigest()
    return f"{h[0]}/{h[1]}"


def artifact_dir(name: str) -> str:
    return f"{ARTIFACTS}/{escape(name)}"


def artifact_entity(name: str) -> str:
    return f"{artifact_dir(name)}/artifact.yaml"


def artifact_versions_dir(name: str) -> str:
    return f"{artifact_dir(name)}/versions"


def artifact_version(name: str, version: str) -> str:
    """The DVC pointer of one artifact version; its data path drops the `.dvc`."""
    return f"{artifact_versions_dir(name)}/{shard(version)}/{version}.dvc"


def model_dir(name: str) -> str:
    return f"{MODELS}/{name}"


def model_entity(name: str) -> str:
    return f"{model_dir(name)}/model.yaml"


def model_versions_dir(name: str) -> str:
    return f"{model_dir(name)}/versions"


def model_version_dir(name: str, version: str) -> str:
    return f"{model_versions_dir(name)}/{shard(version)}/{version}"


def model_version(name: str, version: str) -> str:
    return f"{model_version_dir(name, version)}/version.yaml"


def model_links_dir(name: str, version: str) -> str:
    return f"{model_version_dir(name, version)}/links"


def model_artifact_links_dir(name: str, version: str, artifact: str) -> str:
    """The links of one model version to the versions of one artifact."""
    return f"{model_links_dir(name, version)}/{escape(artifact)}"


def model_link(name: str, version: str, artifact: str, artifact_version: str) -> str:
    base = model_artifact_links_dir(name, version, artifact)
    return f"{base}/{shard(artifact_version)}/{artifact_version}.yaml"


def model_numbers_dir(name: str) -> str:
    """Version numbers as empty files named `<number>@<version name>`: a listing of names
    and numbers reads trees only."""
    return f"{model_dir(name)}/numbers"


def model_number(name: str, number: int, version: str) -> str:
    return f"{model_numbers_dir(name)}/{shard(str(number))}/{number}@{version}"


def metadata_dir(owner_dir: str) -> str:
    return f"{owner_dir}/metadata"


def id_entry(obj_id: str) -> str:
    return f"{IDS}/{obj_id[:2]}/{obj_id[2:4]}/{obj_id}"


def run_manifest(run_id: str) -> str:
    return f"{RUNS}/{run_id[:2]}/{run_id}.yaml"


def cache_entry(key: str) -> str:
    return f"{CACHE}/{key[:2]}/{key}.yaml"


def artifact_metadata_dir(name: str, version: str) -> str:
    return f"{artifact_dir(name)}/metadata/{shard(version)}/{version}"


# The same paths read back: what a changed file is (history, replay, tags). Groups are the
# escaped names and versions, in path order.
_SEG = r"[^/]+"
_FAN = rf"{_SEG}/{_SEG}"
MODEL_ENTITY_RE = re.compile(rf"{MODELS}/({_SEG})/model\.yaml")
MODEL_VERSION_RE = re.compile(rf"{MODELS}/({_SEG})/versions/{_FAN}/({_SEG})/version\.yaml")
MODEL_LINK_RE = re.compile(
    rf"{MODELS}/({_SEG})/versions/{_FAN}/({_SEG})/links/({_SEG})/{_FAN}/({_SEG})\.yaml"
)
ARTIFACT_ENTITY_RE = re.compile(rf"{ARTIFACTS}/({_SEG})/artifact\.yaml")
ARTIFACT_VERSION_RE = re.compile(rf"{ARTIFACTS}/({_SEG})/versions/{_FAN}/({_SEG})\.dvc")
ARTIFACT_METADATA_RE = re.compile(rf"{ARTIFACTS}/({_SEG})/metadata/{_FAN}/({_SEG})/(.+\.yaml)")
MODEL_NUMBER_RE = re.compile(rf"{MODELS}/({_SEG})/numbers/{_FAN}/(\d+)@({_SEG})")
MODEL_VERSION_FILE_RE = re.compile(rf"{MODELS}/({_SEG})/versions/{_FAN}/({_SEG})/(.+)")
MODEL_METADATA_RE = re.compile(rf"{MODELS}/({_SEG})/versions/{_FAN}/({_SEG})/metadata/(.+\.yaml)")
ID_RE = re.compile(rf"{IDS}/{_FAN}/({_SEG})")
RUN_RE = re.compile(rf"{RUNS}/{_SEG}/({_SEG})\.yaml")
CACHE_RE = re.compile(rf"{CACHE}/{_SEG}/({_SEG})\.yaml")
