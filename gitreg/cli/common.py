"""What every command shares: the client for `-C`/`--branch`, `NAME@VERSION` refs, `--json`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from gitreg.api.client import Client

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def client_of(ctx: click.Context) -> Client:
    """The client the root options (`-C PATH`, `--branch`) name."""
    from gitreg.api.client import Client

    obj = ctx.find_root().obj or {}
    return Client(obj.get("repo"), obj.get("branch"))


def split_ref(ref: str) -> tuple[str, str | None]:
    """`NAME@VERSION` -> (NAME, VERSION); no `@` -> (NAME, None)."""
    name, sep, version = ref.partition("@")
    return name, (version if sep else None)


def when(t: Any) -> str:
    """A time as people read it in a table: to the second, UTC."""
    return str(t.isoformat(timespec="seconds")).replace("+00:00", "")
