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
    if kind == "artifact" and (version is not None or name not in client.list_artifacts()):
        av = client.update_artifact_version(name, version, add, drop)  # NAME@VERSION, or an ID
        label, now = f"{av.name}@{av.version}", av.tags
    elif kind == "artifact":
        art = client.update_artifact(name, add_tags=add, remove_tags=drop)
        label, now = art.name, art.tags
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


@click.command("tags")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Re-derive gitreg's tags from the manifests and history first: create missing "
    "ones, re-point wrong ones, delete stray ones (other tags are left alone).",
)
@json_option
@click.pass_context
def tags_cmd(ctx: click.Context, rebuild: bool, as_json: bool) -> None:
    """List the git tags gitreg owns: GTO's NAME@vX.Y.Z (a model version) and
    NAME#STAGE#N / NAME#STAGE!#N (a stage assigned / left), so `gto show` and
    `dvc artifacts get` see the registry."""
    client = client_of(ctx)
    result = client.rebuild_tags() if rebuild else None
    rows = client.list_tags()
    if as_json:
        doc: dict[str, object] = {"tags": [t.to_dict() for t in rows]}
        if result is not None:
            doc.update(created=result.created, deleted=result.deleted,
                       problems=[f"{p.tag}: {p.message}" for p in result.problems])  # fmt: skip
        output.emit_json(doc)
        return
    if result is not None:
        output.line(f"rebuilt tags: {len(result.created)} written, {len(result.deleted)} deleted")
        for p in result.problems:
            output.warning(f"{p.tag}: {p.message}")
    output.table(
        None,
        ["tag", "commit", "model", "version", "stage"],
        [
            (t.name, (t.commit or "-")[:10], t.model or "-", t.version or "-",
             f"{t.stage}{'' if t.assign else ' (left)'}" if t.stage else "-")
            for t in rows
        ],
        empty="no tags",
    )  # fmt: skip
