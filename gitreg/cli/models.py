"""`gitreg models`, `gitreg model show` and `gitreg stage`: models and their versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from gitreg.cli import output
from gitreg.cli.common import at_option, client_of, json_option, split_ref, when


@click.command("models")
@at_option
@json_option
@click.pass_context
def models_cmd(ctx: click.Context, as_json: bool) -> None:
    """List models."""
    _list_models(
        ctx, None, as_json, "stages", lambda m: ", ".join(f"{v}: {s}" for v, s in m.stages.items())
    )


def _list_models(
    ctx: click.Context, tag: str | None, as_json: bool, column: str, cell: Callable[[Any], str]
) -> None:
    """`models` and `model list`: they differ in the fourth column (`column`, by `cell`)."""
    rows = client_of(ctx).list_models(tag=tag)
    if as_json:
        output.emit_json([m.to_dict() for m in rows])
        return
    output.table(
        None,
        ["name", "versions", "latest", column, "created"],
        [(m.name, m.version_count, m.latest_version_name, cell(m), when(m.created)) for m in rows],
        empty="no models",
    )


def _versions_table(title: str, versions: list[Any], empty: str | None = None) -> None:
    output.table(
        title,
        ["number", "version", "stage", "created"],
        [(v.number, v.name, v.stage, when(v.created)) for v in versions],
        empty=empty,
    )


@click.group()
def model() -> None:
    """Show one model or model version."""


@model.command("show")
@at_option
@click.argument("ref", metavar="NAME[@VERSION]")
@json_option
@click.pass_context
def model_show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Show a model's versions, or one version (name, number, 'latest' or stage) and its links."""
    name, version = split_ref(ref)
    client = client_of(ctx)
    if version is None:
        m = client.get_model(name)
        versions = client.list_model_versions(name)
        if as_json:
            output.emit_json({**m.to_dict(), "versions": [v.to_dict() for v in versions]})
            return
        card = {k: v for k, v in m.to_dict().items() if k not in ("versions", "stages") and v}
        output.fields(f"model {m.name}", card)
        _versions_table("versions", versions)
        return
    v = client.get_model_version(name, version)
    if as_json:
        links = [lk.to_dict() for lk in v.links]
        output.emit_json({**v.to_dict(), "metadata": v.run_metadata, "links": links})
        return
    code = v.code
    shown = None
    if code is not None and code.commit:
        shown = code.commit + (f" ({code.branch})" if code.branch else "")
        shown += " + uncommitted changes" if code.dirty else ""
    output.fields(
        f"{v.model_name}@{v.name}", {**v.to_dict(), "code": shown, "metadata": v.run_metadata}
    )
    output.table(
        "linked artifacts",
        ["artifact", "version", "kind", "id"],
        [(lk.artifact, lk.version, lk.kind.value, str(lk.artifact_id)[:8]) for lk in v.links],
    )


@click.command()
@click.argument("ref", metavar="MODEL@VERSION")
@click.argument("stage", type=click.Choice(["staging", "production", "archived", "none"]))
@click.option("--force", is_flag=True, help="Archive the version that holds STAGE now.")
@json_option
@click.pass_context
def stage(ctx: click.Context, ref: str, stage: str, force: bool, as_json: bool) -> None:
    """Put a model version in a stage (one version per stage; --force archives the holder)."""
    name, version = split_ref(ref)
    if version is None:
        raise click.UsageError("give the model version as MODEL@VERSION")
    mv = client_of(ctx).get_model_version(name, version)
    archived = mv.to_model_class().set_stage(stage, force=force)
    if as_json:
        output.emit_json({"model": name, "version": mv.name, "stage": stage, "archived": archived})
    else:
        extra = f" ({archived} archived)" if archived else ""
        output.line(f"{name}@{mv.name} is now in stage {stage}{extra}")


CARD_FIELDS = (
    "description",
    "license",
    "audience",
    "use_cases",
    "limitations",
    "trade_offs",
    "ethics",
)


def card_options(command: Any) -> Any:
    """`--description`, `--license`, ... : ZenML's model card fields, each a text option."""
    for field in reversed(CARD_FIELDS):
        command = click.option(f"--{field.replace('_', '-')}", field, default=None)(command)
    return command


@model.command("register")
@click.argument("name")
@card_options
@click.option("-t", "--tag", "tags", multiple=True, help="A tag (repeat for more).")
@click.option("--no-save-models-to-registry", is_flag=True)
@click.option("--version", "version", default=None, help="Also register this version of the model.")
@click.option(
    "--source",
    metavar="REF",
    default=None,
    help="With --version: the commit, tag or branch of this repository's code the version "
    "comes from (default: HEAD now).",
)
@json_option
@click.pass_context
def model_register(
    ctx: click.Context,
    name: str,
    tags: tuple[str, ...],
    no_save_models_to_registry: bool,
    version: str | None,
    source: str | None,
    as_json: bool,
    **card: Any,  # the card_options, by field name
) -> None:
    """Register a model with its card and no versions (ZenML: `zenml model register`), or
    with --version one version of it, made from the code at --source."""
    client = client_of(ctx)
    save_models = not no_save_models_to_registry
    if version is not None:
        from gitreg.api.client import model_card

        description = card.pop("description")
        mv = client.create_model_version(
            name, version, description, list(tags), source=source,
            model_card=model_card(**card, save_models_to_registry=save_models),
        )  # fmt: skip
        if as_json:
            output.emit_json(mv.to_dict())
        else:
            code = mv.code.commit[:10] if mv.code and mv.code.commit else "no commit"
            output.line(f"Registered {mv.model_name}@{mv.name} (code {code})")
        return
    if source is not None:
        raise click.UsageError("--source needs --version")
    m = client.create_model(name, **card, tags=list(tags), save_models_to_registry=save_models)
    if as_json:
        output.emit_json(m.to_dict())
    else:
        output.line(f"Registered model {m.name}")


@model.command("list")
@at_option
@click.option("--tag", default=None, help="Only models with this tag.")
@json_option
@click.pass_context
def model_list(ctx: click.Context, tag: str | None, as_json: bool) -> None:
    """List models (ZenML: `zenml model list`)."""
    _list_models(ctx, tag, as_json, "tags", lambda m: ", ".join(m.tags))


@model.command("delete")
@click.argument("ref", metavar="NAME[@VERSION]")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def model_delete(ctx: click.Context, ref: str, yes: bool) -> None:
    """Delete a model (all its versions and links) or one version: one registry commit,
    so `gitreg log` and `--at` still show it. Artifacts stay."""
    name, version = split_ref(ref)
    client = client_of(ctx)
    target = client.get_model_version(name, version) if version else client.get_model(name)
    if not yes:
        click.confirm(f"Delete {ref}?", abort=True)
    if version:
        client.delete_model_version(target.id)
    else:
        client.delete_model(name)
    output.line(f"Deleted {ref}")


@model.group("version")
def model_version() -> None:
    """Model versions: list, update."""


@model_version.command("list")
@at_option
@click.argument("name")
@click.option("--stage", default=None, help="Only the version in this stage.")
@click.option("--tag", default=None, help="Only versions with this tag.")
@json_option
@click.pass_context
def model_version_list(
    ctx: click.Context, name: str, stage: str | None, tag: str | None, as_json: bool
) -> None:
    """List the versions of a model (ZenML: `zenml model version list`)."""
    rows = client_of(ctx).list_model_versions(name, tag=tag, stage=stage)
    if as_json:
        output.emit_json([v.to_dict() for v in rows])
    else:
        _versions_table(f"model {name}", rows, empty="no versions")


@model_version.command("update")
@click.argument("name")
@click.argument("version")
@click.option("--stage", default=None, help="Put the version in this stage.")
@click.option("--force", is_flag=True, help="Archive the version that holds the stage now.")
@click.option("--description", default=None)
@click.option("-t", "--tag", "add", multiple=True, help="Add a tag (repeat for more).")
@click.option("-r", "--remove-tag", "remove", multiple=True, help="Remove a tag.")
@json_option
@click.pass_context
def model_version_update(
    ctx: click.Context,
    name: str,
    version: str,
    stage: str | None,
    force: bool,
    description: str | None,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    as_json: bool,
) -> None:
    """Change a version's stage, description or tags (ZenML: `zenml model version update`)."""
    mv = client_of(ctx).update_model_version(
        name, version, stage, force, description=description, add_tags=list(add),
        remove_tags=list(remove),
    )  # fmt: skip
    if as_json:
        output.emit_json(mv.to_dict())
    else:
        output.line(f"Updated {mv.model_name}@{mv.name} (stage: {mv.stage or 'none'})")


def _artifacts_of(kind: str) -> None:
    @model.command(f"{kind}_artifacts", help=f"The {kind} artifacts linked to a model version.")
    @at_option
    @click.argument("name")
    @click.option("--version", default=None, help="Model version (default: latest).")
    @json_option
    @click.pass_context
    def command(ctx: click.Context, name: str, version: str | None, as_json: bool) -> None:
        links = client_of(ctx).get_model_version(name, version).links
        rows = [lk for lk in links if lk.kind.value == kind]
        if as_json:
            output.emit_json([lk.to_dict() for lk in rows])
            return
        output.table(
            None,
            ["artifact", "version", "id"],
            [(lk.artifact, lk.version, str(lk.artifact_id)) for lk in rows],
            empty=f"no {kind} artifacts",
        )


for _kind in ("data", "model", "deployment"):
    _artifacts_of(_kind)


@model.command("update")
@click.argument("name")
@card_options
@click.option("-t", "--tag", "add", multiple=True, help="Add a tag (repeat for more).")
@click.option("-r", "--remove-tag", "remove", multiple=True, help="Remove a tag.")
@json_option
@click.pass_context
def model_update(
    ctx: click.Context,
    name: str,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    as_json: bool,
    **card: Any,  # the card_options, by field name
) -> None:
    """Change a model's card fields and tags (ZenML: `zenml model update`)."""
    m = client_of(ctx).update_model(name, **card, add_tags=list(add), remove_tags=list(remove))
    if as_json:
        output.emit_json(m.to_dict())
    else:
        output.line(f"Updated model {m.name} (tags: {', '.join(m.tags) or 'none'})")
