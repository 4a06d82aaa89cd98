"""What every command shares: the client for `-C`/`--branch`, `NAME@VERSION` refs, `--json`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from gitreg.api.client import Client

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _key_values(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str] | None:
    opts = {}
    for o in values:
        key, sep, value = o.partition("=")
        if not sep:
            raise click.BadParameter(f"{o!r} is not KEY=VALUE", ctx, param)
        opts[key] = value
    return opts or None


remote_options = click.option(
    "-o",
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_key_values,
    help="A DVC remote option, e.g. endpointurl=http://127.0.0.1:5000.",
)  # `options` arrives as a dict (None if none was given)


def _remember_at(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta["gitreg.at"] = value


at_option = click.option(
    "--at",
    metavar="REV|DATE",
    expose_value=False,
    callback=_remember_at,
    help="Read the registry as it was at a commit, tag, branch or date (e.g. gitreg~3, "
    "2026-12-01, '3 days ago').",
)


def client_of(ctx: click.Context, branch: str | None = None) -> Client:
    """The client the root options (`-C PATH`, `--branch`, unless `branch` is given) and
    `--at` name."""
    from gitreg.api.client import Client

    obj = ctx.find_root().obj or {}
    return Client(obj.get("repo"), branch or obj.get("branch"), at=ctx.meta.get("gitreg.at"))


def split_ref(ref: str) -> tuple[str, str | None]:
    """`NAME@VERSION` -> (NAME, VERSION); no `@` -> (NAME, None)."""
    name, sep, version = ref.partition("@")
    return name, (version if sep else None)


def when(t: Any) -> str:
    """A time as people read it in a table: to the second, UTC."""
    return str(t.isoformat(timespec="seconds")).replace("+00:00", "")
