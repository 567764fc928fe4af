"""The declarative IVR flow format: YAML → validated pydantic model.

A flow is a graph of named nodes; each FastAGI script (``ivr``, ``after-queue``, ``survey``,
``callback-ivr``) enters it at its own node. Menus of the service catalogue can be generated from
the directory (``catalogue:``) so the digits callers press never drift from the skills routing
queues on.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotline.directory import Directory
from ivr.nodes import (  # noqa: F401  (the flow format's public names live here too)
    ACTIONS, DIGITS, NODE_ID, OPS, PROMPT_ID, SCRIPTS, TERMINAL, VAR_NAME, Branch, Callback, Catalogue, Collect,
    Condition, FlowError, Goto, Hangup, Menu, Node, Play, ReadChannel, Route, SetVars, Survey, Test, Voicemail,
    _check_prompt,
)


class Flow(BaseModel):
    """A whole flow: entry node per FastAGI script, nodes by id, runtime limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    entries: dict[str, str] = Field(min_length=1)
    nodes: dict[str, Node] = Field(min_length=1)
    max_steps: int = Field(60, ge=5, le=1000)
    on_limit: str | None = None
    decisions: dict[Literal["callback", "voicemail", "hangup"], str] = {}
    announcements: list[str] = []
    command_timeout: float = Field(180.0, gt=0, le=3600)

    _an = field_validator("announcements")(lambda cls, v: [_check_prompt(p) for p in v])

    @field_validator("entries")
    @classmethod
    def _entries(cls, v: dict[str, str]) -> dict[str, str]:
        for script in v:
            if script not in SCRIPTS:
                raise ValueError(f"unknown FastAGI script {script!r} (use {', '.join(SCRIPTS)})")
        return v

    @field_validator("nodes")
    @classmethod
    def _ids(cls, v: dict[str, Any]) -> dict[str, Any]:
        for k in v:
            if not NODE_ID.match(k):
                raise ValueError(f"node id must be [a-z][a-z0-9_]*: {k!r}")
        return v


def parse_flow(raw: Any, source: str = "<flow>") -> Flow:
    """Validate a decoded YAML document; raise FlowError naming the node and field."""
    if not isinstance(raw, dict):
        raise FlowError(f"{source}: a flow file must be a mapping")
    try:
        return Flow.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            if len(loc) >= 2 and loc[0] == "nodes":
                where = f"node {loc[1]!r}" + (f" field {'.'.join(loc[3:])}" if len(loc) > 3 else "")
            else:
                where = ".".join(loc) or "(top level)"
            lines.append(f"  {where}: {err['msg']}")
        raise FlowError(f"{source}: invalid flow\n" + "\n".join(lines)) from exc


def load_flow(path: Path | str, directory: Directory | None = None) -> Flow:
    """Read a flow file; with a directory, expand catalogue menus into choices and route nodes."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FlowError(f"{path}: cannot read flow file: {exc}") from exc
    flow = parse_flow(raw, str(path))
    return expand_catalogue(flow, directory) if directory is not None else flow


def default_flow_path() -> Path:
    """The built-in 12348 flow."""
    return Path(__file__).resolve().parent / "flows" / "default.yaml"


def category_route_id(category_id: str) -> str:
    """Generated route node for a category, e.g. consult.labor → route_consult_labor."""
    return "route_" + re.sub(r"[^a-z0-9]", "_", category_id)


def expand_catalogue(flow: Flow, directory: Directory) -> Flow:
    """Fill `catalogue: {categories_of: X}` menus from the directory (digit → generated route node).

    Hand-written choices win over generated ones, so a flow may override one digit on purpose.
    """
    nodes: dict[str, Any] = dict(flow.nodes)
    for node_id, node in flow.nodes.items():
        if not isinstance(node, Menu) or node.catalogue is None or not node.catalogue.categories_of:
            continue
        skill = directory.skill(node.catalogue.categories_of)
        if skill is None:
            raise FlowError(f"node {node_id!r}: catalogue skill {node.catalogue.categories_of!r} is not in the directory")
        choices = {}
        for cat in skill.categories:
            if cat.ivr_digit is None:
                continue
            rid = category_route_id(cat.id)
            nodes.setdefault(rid, Route(type="route", skill=skill.id, category=cat.id,
                                        priority=node.catalogue.priority, prompt=node.catalogue.route_prompt,
                                        note=cat.name))
            choices[cat.ivr_digit] = rid
        choices.update(node.choices)
        nodes[node_id] = node.model_copy(update={"choices": choices})
    return flow.model_copy(update={"nodes": nodes})
