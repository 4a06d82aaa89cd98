"""`gitreg` commands. Each parses, makes one library call and renders through `output`."""

from __future__ import annotations

import sys
from typing import Any

import click

from gitreg.cli import output


class _Group(click.Group):
    """Turns every GitregError into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from gitreg.errors import GitregError

        try:
            return super().invoke(ctx)
        except GitregError as e:
            output.error(str(e))
            sys.exit(1)
        except OSError as e:
            output.error(f"{e.strerror or e}: {getattr(e, 'filename', '') or ''}".rstrip(": "))
            sys.exit(1)


def _client(ctx: click.Context) -> Any:
    from gitreg.api.client import Client

    obj = ctx.find_root().obj or {}
    return Client(obj.get("repo"), obj.get("branch"))


def _when(t: Any) -> str:
    return str(t.isoformat(timespec="seconds")).replace("+00:00", "")


def _split_ref(ref: str) -> tuple[str, str | None]:
    name, sep, version = ref.partition("@")
    return name, (version if sep else None)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "repo",
    metavar="PATH",
    default=None,
    help="Run as if started in PATH (any folder of a git repo).",
)
@click.option(
    "--branch",
    default=None,
    help="Registry branch (default: git config gitreg.branch, else 'gitreg').",
)
@click.version_option(package_name="gitreg", prog_name="gitreg")
@click.pass_context
def cli(ctx: click.Context, repo: str | None, branch: str | None) -> None:
    """gitreg: a git-native model and artifact registry.

    Model versions, artifact versions and links are YAML files on a registry branch of
    this repository; artifact bytes live in a DVC remote.
    """
    ctx.obj = {"repo": repo, "branch": branch}


@cli.command()
@click.option(
    "--remote",
    metavar="URL",
    default=None,
    help="DVC remote URL (default: an embedded local remote in .git/gitreg/remote).",
)
@click.option(
    "--branch",
    "init_branch",
    metavar="NAME",
    default=None,
    help="Name of the registry branch (default: gitreg).",
)
@click.option(
    "-o",
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A DVC remote option, e.g. endpointurl=http://127.0.0.1:5000.",
)
@json_option
@click.pass_context
def init(
    ctx: click.Context,
    remote: str | None,
    init_branch: str | None,
    options: tuple[str, ...],
    as_json: bool,
) -> None:
    """Create the registry branch (harmless to run again)."""
    from gitreg.api.client import Client

    obj = ctx.find_root().obj
    opts = {}
    for o in options:
        key, sep, value = o.partition("=")
        if not sep:
            raise click.BadParameter(f"{o!r} is not KEY=VALUE", param_hint="--option")
        opts[key] = value
    result = Client(obj.get("repo"), init_branch or obj.get("branch")).init(remote, opts or None)
    if as_json:
        output.emit_json(
            {"branch": result.branch, "remote": result.remote, "created": result.created}
        )
    elif result.created:
        output.line(f"Initialised registry on branch '{result.branch}' with remote {result.remote}")
    else:
        output.line(
            f"Registry on branch '{result.branch}' already initialised (remote {result.remote})"
        )


@cli.command("artifacts")
@click.option("--name", default=None, help="Only versions of this artifact.")
@click.option("--model", default=None, help="Only artifacts linked to MODEL[@VERSION].")
@click.option("--tag", default=None, help="Only versions with this tag.")
@json_option
@click.pass_context
def artifacts_cmd(
    ctx: click.Context, name: str | None, model: str | None, tag: str | None, as_json: bool
) -> None:
    """List artifact versions."""
    client = _client(ctx)
    m = None
    if model:
        from gitreg.api.model import Model

        mname, mver = _split_ref(model)
        m = Model(mname, mver or "latest")
    rows = client.list_artifact_versions(name=name, model=m, tag=tag)
    if as_json:
        output.emit_json([a.to_dict() for a in rows])
        return
    output.table(
        None,
        ["name", "version", "type", "data type", "size", "created", "id"],
        [
            (a.name, a.version, a.type.value, a.data_type, output.human_size(a.size),
             _when(a.created), str(a.id)[:8])
            for a in rows
        ],
    )  # fmt: skip


@cli.group()
def artifact() -> None:
    """Show or download one artifact version."""


@artifact.command("show")
@click.argument("ref", metavar="NAME[@VERSION]|ID")
@json_option
@click.pass_context
def artifact_show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Show one artifact version (latest when no version is given)."""
    name, version = _split_ref(ref)
    a = _client(ctx).get_artifact_version(name, version)
    data = a.to_dict()
    if as_json:
        output.emit_json(data)
    else:
        output.fields(f"{a.name}@{a.version}", data)


@artifact.command("get")
@click.argument("ref", metavar="NAME[@VERSION]|ID")
@click.option("-o", "--out", "out", required=True, metavar="PATH", help="Where to write the bytes.")
@json_option
@click.pass_context
def artifact_get(ctx: click.Context, ref: str, out: str, as_json: bool) -> None:
    """Write an artifact version's stored bytes (a file or a folder) to PATH."""
    name, version = _split_ref(ref)
    client = _client(ctx)
    a = client.get_artifact_version(name, version)
    with output.Progress(f"{a.name}@{a.version}", a.size) as progress:
        client.export_artifact_version(a, out, progress)
    if as_json:
        output.emit_json({**a.to_dict(), "path": out})
    else:
        output.line(f"Wrote {a.name}@{a.version} ({output.human_size(a.size)}) to {out}")


@cli.command("models")
@json_option
@click.pass_context
def models_cmd(ctx: click.Context, as_json: bool) -> None:
    """List models."""
    rows = _client(ctx).list_models()
    if as_json:
        output.emit_json([m.to_dict() for m in rows])
        return
    output.table(
        None,
        ["name", "versions", "latest", "stages", "created"],
        [
            (m.name, m.version_count, m.latest_version_name,
             ", ".join(f"{v}: {s}" for v, s in m.stages.items()), _when(m.created))
            for m in rows
        ],
    )  # fmt: skip


@cli.group()
def model() -> None:
    """Show one model or model version."""


@model.command("show")
@click.argument("ref", metavar="NAME[@VERSION]")
@json_option
@click.pass_context
def model_show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Show a model's versions, or one version (name, number, 'latest' or stage) and its links."""
    name, version = _split_ref(ref)
    client = _client(ctx)
    if version is None:
        m = client.get_model(name)
        versions = client.list_model_versions(name)
        if as_json:
            output.emit_json({**m.to_dict(), "versions": [v.to_dict() for v in versions]})
            return
        output.table(
            f"model {m.name}",
            ["number", "version", "stage", "created"],
            [(v.number, v.name, v.stage, _when(v.created)) for v in versions],
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


@cli.command()
@click.argument("artifact_ref", metavar="ARTIFACT[@VERSION]|ID")
@click.argument("model_ref", metavar="MODEL@VERSION")
@click.option(
    "--kind",
    type=click.Choice(["data", "model", "deployment"]),
    default=None,
    help="Link kind (default: from the artifact type).",
)
@json_option
@click.pass_context
def link(
    ctx: click.Context, artifact_ref: str, model_ref: str, kind: str | None, as_json: bool
) -> None:
    """Link an artifact version to a model version (a new version name is created)."""
    from gitreg.api.model import Model

    client = _client(ctx)
    aname, aver = _split_ref(artifact_ref)
    art = client.get_artifact_version(aname, aver)
    mname, mver = _split_ref(model_ref)
    if mver is None:
        raise click.UsageError("give the model version as MODEL@VERSION")
    rec = client.link_artifact_to_model(
        art.id,
        Model(mname, mver),
        is_model_artifact=kind == "model",
        is_deployment_artifact=kind == "deployment",
    )
    if as_json:
        output.emit_json(rec.to_dict())
    else:
        output.line(
            f"Linked {rec.artifact}@{rec.version} to {rec.model_name}@{rec.model_version} "
            f"as {rec.kind.value}"
        )


@cli.command()
@click.argument("ref", metavar="NAME[@VERSION]|ID")
@click.option(
    "--model", "is_model", is_flag=True, help="REF names a model version, not an artifact."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["tree", "mermaid", "json"]),
    default="tree",
    show_default=True,
)
@click.pass_context
def lineage(ctx: click.Context, ref: str, is_model: bool, fmt: str) -> None:
    """What produced an artifact or model version, and what that consumed, up to the roots."""
    name, version = _split_ref(ref)
    node = _client(ctx).lineage(name, version, model=is_model)
    if fmt == "mermaid":
        from gitreg.services.lineage import to_mermaid

        output.line("```mermaid\n" + to_mermaid(node) + "```")
    elif fmt == "json":
        import dataclasses

        output.emit_json(dataclasses.asdict(node))
    else:
        output.tree(node)


@cli.command()
@click.argument("ref", metavar="MODEL@VERSION")
@click.argument("stage", type=click.Choice(["staging", "production", "archived", "none"]))
@click.option("--force", is_flag=True, help="Archive the version that holds STAGE now.")
@json_option
@click.pass_context
def stage(ctx: click.Context, ref: str, stage: str, force: bool, as_json: bool) -> None:
    """Put a model version in a stage (one version per stage; --force archives the holder)."""
    name, version = _split_ref(ref)
    if version is None:
        raise click.UsageError("give the model version as MODEL@VERSION")
    mv = _client(ctx).get_model_version(name, version)
    archived = mv.to_model_class().set_stage(stage, force=force)
    if as_json:
        output.emit_json({"model": name, "version": mv.name, "stage": stage, "archived": archived})
    else:
        extra = f" ({archived} archived)" if archived else ""
        output.line(f"{name}@{mv.name} is now in stage {stage}{extra}")


@cli.command()
@click.argument("rev", required=False, metavar="[REV]")
@click.option(
    "--remote",
    "check_remote",
    is_flag=True,
    help="Also check every object in the DVC remote (md5).",
)
@json_option
@click.pass_context
def validate(ctx: click.Context, rev: str | None, check_remote: bool, as_json: bool) -> None:
    """Check the registry branch (or REV): schemas, references and, with --remote, the bytes."""
    report = _client(ctx).validate(rev, remote=check_remote)
    if as_json:
        output.emit_json(
            {"ok": report.ok, "revision": report.revision, "files": report.files,
             "artifact_versions": report.artifact_versions, "objects_checked": report.objects_checked,
             "problems": [str(p) for p in report.problems]}
        )  # fmt: skip
    else:
        for p in report.problems:
            output.line(str(p))
        summary = f"{report.files} files, {report.artifact_versions} artifact versions"
        if check_remote:
            summary += f", {report.objects_checked} objects checked in the remote"
        output.line(("OK: " if report.ok else f"{len(report.problems)} problem(s): ") + summary)
    if not report.ok:
        sys.exit(1)


@cli.command("log")
@click.option("-n", "limit", type=int, default=20, show_default=True, help="How many runs.")
@json_option
@click.pass_context
def log_cmd(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Recent pipeline runs, newest first."""
    runs = _client(ctx).list_runs()[::-1][: max(limit, 0)]
    if as_json:
        output.emit_json([r.model_dump(mode="json", by_alias=True) for r in runs])
        return
    output.table(
        None,
        ["run", "pipeline", "status", "model", "steps", "started", "code"],
        [
            (r.id[:8], r.pipeline, r.status, r.model, len(r.steps), r.start[:19],
             (r.code.commit or "")[:8] + ("+dirty" if r.code.dirty else ""))
            for r in runs
        ],
    )  # fmt: skip


@cli.command()
@click.option(
    "--dir",
    "directory",
    default=None,
    metavar="PATH",
    help="Where to make the scratch repo (default: a new temp folder).",
)
@click.pass_context
def demo(ctx: click.Context, directory: str | None) -> None:
    """Make a scratch git repo, run the seed document's examples in it, show what was registered."""
    from gitreg.demo import run_demo

    result = run_demo(directory)
    output.line(f"Scratch repository: {result.repo}")
    for why in result.skipped:
        output.line(f"Skipped {why}")
    output.line(
        f"Registry branch: {result.branch} (try: git -C {result.repo} log --stat {result.branch})"
    )
    output.table(
        "artifact versions",
        ["name", "version", "type", "data type", "id"],
        [(a.name, a.version, a.type.value, a.data_type, str(a.id)[:8]) for a in result.artifacts],
    )
    for mv in result.model_versions:
        links = result.links[(mv.model_name, mv.name)]
        output.table(
            f"model {mv.model_name}@{mv.name} (number {mv.number})",
            ["artifact", "version", "kind"],
            [(lk.artifact, lk.version, lk.kind.value) for lk in links],
        )


def main() -> None:
    cli(prog_name="gitreg")


if __name__ == "__main__":  # pragma: no cover
    main()
