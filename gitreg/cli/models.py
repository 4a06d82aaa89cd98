"""`gitreg models`, `gitreg model show` and `gitreg stage`: models and their versions."""

from __future__ import annotations

import click

from gitreg.cli import output
from gitreg.cli.common import at_option, client_of, json_option, split_ref, when


@click.command("models")
@at_option
@json_option
@click.pass_context
def models_cmd(ctx: click.Context, as_json: bool) -> None:
    """List models."""
    rows = client_of(ctx).list_models()
    if as_json:
        output.emit_json([m.to_dict() for m in rows])
        return
    output.table(
        None,
        ["name", "versions", "latest", "stages", "created"],
        [
            (m.name, m.version_count, m.latest_version_name,
             ", ".join(f"{v}: {s}" for v, s in m.stages.items()), when(m.created))
            for m in rows
        ],
    )  # fmt: skip


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
        output.table(
            "versions",
            ["number", "version", "stage", "created"],
            [(v.number, v.name, v.stage, when(v.created)) for v in versions],
        )
        return
    v = client.get_model_version(name, version)
    links = v.links
    if as_json:
        output.emit_json(
            {
                **v.to_dict(),
                "metadata": v.run_metadata,
                "links": [lk.to_dict() for lk in links],
            }
        )
        return
    output.fields(f"{v.model_name}@{v.name}", {**v.to_dict(), "metadata": v.run_metadata})
    output.table(
        "linked artifacts",
        ["artifact", "version", "kind", "id"],
        [(lk.artifact, lk.version, lk.kind.value, str(lk.artifact_id)[:8]) for lk in links],
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
