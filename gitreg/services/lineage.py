"""Lineage: what produced an artifact or model version, and what that consumed, to the roots."""

from __future__ import annotations

from dataclasses import dataclass, field

from gitreg.errors import GitregError, RunNotFoundError
from gitreg.services import artifacts, links, models
from gitreg.services.registry import Registry
from gitreg.services.runs import get_run
from gitreg.stores.git import Snapshot


@dataclass
class LineageNode:
    """An artifact version, or a model version, and what produced it."""

    kind: str  # "artifact" | "model" | "step"
    label: str
    id: str
    children: list[LineageNode] = field(default_factory=list)


def lineage_of_artifact(
    reg: Registry, art_id: str, snap: Snapshot, seen: set[str] | None = None
) -> LineageNode:
    seen = set() if seen is None else seen
    art = artifacts.get(reg, art_id, snap=snap).meta
    node = LineageNode("artifact", f"{art.name}@{art.version}", art.id)
    if art.id in seen:
        node.label += " (see above)"
        return node
    seen.add(art.id)
    producer = art.producer or {}
    run_id = producer.get("run")
    if not run_id:
        return node
    try:
        run = get_run(reg, run_id, snap)
    except RunNotFoundError:
        return node
    step_run = producer.get("step_run")
    step = next(
        (
            s
            for s in run.steps
            if (s.id == step_run if step_run else s.name == producer.get("step"))
        ),
        None,
    )
    if step is None:
        return node
    label = f"step {run.pipeline}/{step.name} (run {run.id[:8]}, {step.status})"
    if step.cached_from:
        label += f", cached from {step.cached_from[:8]}"
    step_node = LineageNode("step", label, step.id)
    node.children.append(step_node)
    for arg, input_id in sorted(step.inputs.items()):
        try:
            child = lineage_of_artifact(reg, input_id, snap, seen)
        except GitregError:
            child = LineageNode("artifact", f"{arg}: missing {input_id[:8]}", input_id)
        child.label = f"{arg} <- {child.label}"
        step_node.children.append(child)
    return node


def lineage_of_model_version(
    reg: Registry, model: str, version: str, snap: Snapshot
) -> LineageNode:
    mv = models.get_version(reg, model, version, snap=snap).file
    node = LineageNode("model", f"model {mv.model}@{mv.name}", mv.id)
    seen: set[str] = set()
    for link in links.links(reg, mv.model, mv.name, snap=snap):
        child = lineage_of_artifact(reg, link.file.artifact_id, snap, seen)
        child.label = f"[{link.file.kind.value}] {child.label}"
        node.children.append(child)
    return node


def to_mermaid(root: LineageNode) -> str:
    """A mermaid flowchart (renders on GitHub/GitLab): edges point from input to output."""
    lines = ["flowchart LR"]
    ids: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()

    def nid(node: LineageNode) -> str:
        if node.id not in ids:
            ids[node.id] = f"n{len(ids)}"
            shape = ("([", "])") if node.kind == "step" else ("[", "]")
            text = node.label.replace('"', "'")
            lines.append(f'  {ids[node.id]}{shape[0]}"{text}"{shape[1]}')
        return ids[node.id]

    def walk(node: LineageNode) -> None:
        me = nid(node)
        for child in node.children:
            edge = (nid(child), me)
            if edge not in edges:
                edges.add(edge)
                lines.append(f"  {edge[0]} --> {edge[1]}")
            walk(child)

    walk(root)
    return "\n".join(lines) + "\n"
