"""`gitreg init`, `validate`, `runs` and `demo`: the registry branch as a whole."""

from __future__ import annotations

import dataclasses
import sys

import click

from gitreg.cli import output
from gitreg.cli.common import at_option, client_of, json_option, remote_options


@click.command()
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
@remote_options
@json_option
@click.pass_context
def init(
    ctx: click.Context,
    remote: str | None,
    init_branch: str | None,
    options: dict[str, str] | None,
    as_json: bool,
) -> None:
    """Create the registry branch (harmless to run again)."""
    result = client_of(ctx, init_branch).init(remote, options)
    if as_json:
        output.emit_json(dataclasses.asdict(result))
        return
    if result.created:
        output.line(f"Initialised registry on branch '{result.branch}' with remote {result.remote}")
    else:
        output.line(
            f"Registry on branch '{result.branch}' already initialised (remote {result.remote})"
        )
    if result.single_copy:
        output.line(
            "Note: this default remote shares the local cache's files, so there is one copy "
            "of your bytes until you set a remote: gitreg init --remote URL"
        )


@click.command()
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
    report = client_of(ctx).validate(rev, remote=check_remote)
    if as_json:
        problems = [str(p) for p in report.problems]
        output.emit_json({"ok": report.ok, **dataclasses.asdict(report), "problems": problems})
    else:
        for p in report.problems:
            output.line(str(p))
        summary = f"{report.files} files, {report.artifact_versions} artifact versions"
        if check_remote:
            summary += f", {report.objects_checked} objects checked in the remote"
        output.line(("OK: " if report.ok else f"{len(report.problems)} problem(s): ") + summary)
        if report.single_copy:
            shown = ", ".join(report.single_copy[:5]) + (
                ", ..." if len(report.single_copy) > 5 else ""
            )
            output.line(
                f"Note: {len(report.single_copy)} object(s) have a single copy (the default "
                f"remote shares the cache's files): {shown}. Set a remote: gitreg init --remote URL"
            )
    if not report.ok:
        sys.exit(1)


@click.command("runs")
@at_option
@click.option("-n", "limit", type=int, default=20, show_default=True, help="How many runs.")
@json_option
@click.pass_context
def runs_cmd(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Recent pipeline runs, newest first."""
    runs = client_of(ctx).list_runs()[::-1][: max(limit, 0)]
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
        empty="no pipeline runs",
    )  # fmt: skip


@click.command()
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
