"""`gitreg`: the root group. Each command (one module per group of commands) parses, makes
one library call and renders through `output`."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from gitreg.cli import artifacts, gc, history, links, models, output, registry, sync, tags


class _Warnings(logging.Handler):
    """gitreg's warnings (e.g. a broken manifest a listing skipped) as `gitreg: warning:`
    lines on stderr, counted for `--strict`."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        output.warning(record.getMessage())


class _Group(click.Group):
    """Turns every GitregError into one line on stderr and exit code 1 (the whole traceback
    with `--traceback`); with `--strict`, a warning also exits 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from gitreg.errors import GitregError

        warnings = _Warnings()
        logger = logging.getLogger("gitreg")
        logger.addHandler(warnings)
        try:
            result = super().invoke(ctx)
            if warnings.count and (ctx.obj or {}).get("strict"):
                output.error(f"{warnings.count} warning(s) with --strict")
                sys.exit(1)
            return result
        except (GitregError, OSError) as e:
            if (ctx.obj or {}).get("traceback"):
                raise
            if isinstance(e, GitregError):
                output.error(str(e))
            else:
                output.error(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "))
            sys.exit(1)
        finally:
            logger.removeHandler(warnings)


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
@click.option(
    "--traceback", is_flag=True, help="On an error, show the whole traceback (for bug reports)."
)
@click.option(
    "--strict", is_flag=True, help="Exit 1 after a warning too (e.g. a broken manifest skipped)."
)
@click.version_option(package_name="gitreg", prog_name="gitreg")
@click.pass_context
def cli(
    ctx: click.Context, repo: str | None, branch: str | None, traceback: bool, strict: bool
) -> None:
    """gitreg: a git-native model and artifact registry.

    Model versions, artifact versions and links are YAML files on a registry branch of
    this repository; artifact bytes live in a DVC remote.
    """
    ctx.obj = {"repo": repo, "branch": branch, "traceback": traceback, "strict": strict}


for command in (
    registry.init,
    artifacts.artifacts_cmd,
    artifacts.artifact,
    models.models_cmd,
    models.model,
    links.link,
    links.lineage,
    models.stage,
    tags.tag,
    tags.tags_cmd,
    registry.validate,
    gc.gc,
    registry.runs_cmd,
    history.log,
    history.diff,
    registry.demo,
    sync.push,
    sync.pull,
    sync.merge,
    sync.merge_file,
    sync.remote,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="gitreg")


if __name__ == "__main__":  # pragma: no cover
    main()
