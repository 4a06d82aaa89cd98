"""The seed document's three code blocks as runnable scripts (`zenml` -> `gitreg`).

`gitreg demo` runs them; `examples/` links to them. Each runs in the current directory's
git repository.
"""

from __future__ import annotations

from pathlib import Path

SCRIPTS = sorted(Path(__file__).parent.glob("seed_*.py"))
