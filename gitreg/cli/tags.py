"""`gitreg tag`: add or remove tags of artifacts, artifact versions, models and model
versions after the fact."""

from __future__ import annotations

import click

from gitreg.cli import output
from gitreg.cli.common import client_of, json_option, split_ref


@click.command()
@click.argument("kind", type=click.Choice(["artifact", "model"]))
@click.argument("ref", metavar="NAME[@VERSION]|ID")
@click.argument("tags", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove TAGS instead of adding them.")
@json_option
@click.pass_context
def tag(
    ctx: click.Context, kind: str, ref: str, tags: tuple[str, ...], remove: bool, as_json: bool
) -> None:
    """Add (or with --remove, remove) TAGS on an artifact or model, or one of their versions
    (NAME@VERSION, or an artifact version's ID); listings filter by them with --tag."""
    client = client_of(ctx)
    name, version = split_ref(ref)
    add, drop = ([], list(tags)) if remove else (list(tags), [])
    if kind == "artifact" and version is None and name not in client.list_artifacts():
        result = client.update_artifact_version(name, None, add, drop)
        label, now = f"{result.name}@{result.version}", result.tags
    elif kind == "artifact" and version is None:
        art = client.update_artifact(name, add_tags=add, remove_tags=drop)
        label, now = art.name, art.tags
    elif kind == "artifact":
        av = client.update_artifact_version(name, version, add, drop)
        label, now = f"{av.name}@{av.version}", av.tags
    elif version is None:
        m = client.update_model(name, add_tags=add, remove_tags=drop)
        label, now = m.name, m.tags
    else:
        mv = client.update_model_version(name, version, add_tags=add, remove_tags=drop)
        label, now = f"{mv.model_name}@{mv.name}", mv.tags
    if as_json:
        output.emit_json({"target": label, "tags": now})
    else:
        output.line(f"{label}: tags {', '.join(now) or '(none)'}")
