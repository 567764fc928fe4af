"""`ivr check`: graph and catalogue checks of a flow, each problem naming its node.

Pure: takes the flow, the prompt catalogue and (optionally) the directory, returns problems.
"""
from __future__ import annotations

from dataclasses import dataclass

from hotline.directory import Directory
from ivr.flow import SCRIPTS, TERMINAL, Callback, Condition, Flow, Goto, Menu, ReadChannel, Route, SetVars, Voicemail
from ivr.prompts import expand_texts, placeholders

# Nodes that never wait for the caller: a cycle made only of these spins without input.
SILENT = (Condition, SetVars, Goto, ReadChannel)


@dataclass(frozen=True)
class Problem:
    """One finding; `node` is None for flow-level findings."""

    severity: str  # "error" | "warning"
    node: str | None
    message: str

    def __str__(self) -> str:
        where = f"node {self.node!r}: " if self.node else ""
        return f"{self.severity}: {where}{self.message}"


def check_flow(flow: Flow, prompts: dict[str, str], directory: Directory | None = None) -> list[Problem]:
    """Every problem of the flow, errors first."""
    problems = _edges(flow) + _entries(flow) + _prompts(flow, prompts)
    if not any(p.severity == "error" for p in problems):
        problems += _reachability(flow) + _exits(flow) + _silent_loops(flow)
    if directory is not None:
        problems += _directory(flow, directory, prompts)
    return sorted(problems, key=lambda p: p.severity != "error")


def graph(flow: Flow) -> dict[str, list[str]]:
    """Node id → the node ids it can go to (edges to unknown nodes dropped)."""
    return {nid: [t for t in n.targets().values() if t in flow.nodes] for nid, n in flow.nodes.items()}


def _edges(flow: Flow) -> list[Problem]:
    out = []
    for nid, node in flow.nodes.items():
        for label, target in node.targets().items():
            if target not in flow.nodes:
                out.append(Problem("error", nid, f"{label} points to {target!r}, which is not a node"))
    return out


def _entries(flow: Flow) -> list[Problem]:
    out = [Problem("error", None, f"entry {script!r} points to {nid!r}, which is not a node")
           for script, nid in flow.entries.items() if nid not in flow.nodes]
    for action, nid in flow.decisions.items():
        if nid not in flow.nodes:
            out.append(Problem("error", None, f"decisions.{action} points to {nid!r}, which is not a node"))
    if flow.on_limit is not None and not isinstance(flow.nodes.get(flow.on_limit), Route):
        out.append(Problem("error", None, f"on_limit {flow.on_limit!r} must be a route node"))
    out += [Problem("warning", None, f"no entry for FastAGI script {script!r}; calls to it will hang up")
            for script in SCRIPTS if script not in flow.entries]
    return out


def _prompts(flow: Flow, prompts: dict[str, str]) -> list[Problem]:
    out = []
    for nid, node in flow.nodes.items():
        for pid in node.prompts_used():
            if pid not in prompts:
                out.append(Problem("error", nid, f"prompt {pid!r} is not in the prompt catalogue"))
    out += [Problem("error", None, f"announcement prompt {pid!r} is not in the prompt catalogue")
            for pid in flow.announcements if pid not in prompts]
    return out


def reachable(g: dict[str, list[str]], starts: list[str]) -> set[str]:
    """Nodes reachable from `starts` (depth-first)."""
    seen: set[str] = set()
    stack = [s for s in starts if s in g]
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(g[n])
    return seen


def _reachability(flow: Flow) -> list[Problem]:
    starts = list(flow.entries.values()) + ([flow.on_limit] if flow.on_limit else []) + list(flow.decisions.values())
    seen = reachable(graph(flow), starts)
    return [Problem("error", nid, "unreachable: no entry leads here") for nid in flow.nodes if nid not in seen]


def _exits(flow: Flow) -> list[Problem]:
    """Nodes from which no terminal node (route, callback, voicemail, survey, hangup) can be reached."""
    g = graph(flow)
    reverse: dict[str, list[str]] = {n: [] for n in g}
    for n, targets in g.items():
        for t in targets:
            reverse[t].append(n)
    can_finish = reachable(reverse, [n for n, node in flow.nodes.items() if isinstance(node, TERMINAL)])
    out = []
    for nid in flow.nodes:
        if nid in can_finish:
            continue
        cycle = _cycle_through(g, nid)
        if cycle:
            out.append(Problem("error", nid, "loop with no exit: " + " → ".join(cycle)))
        else:
            out.append(Problem("error", nid, "dead end: no path from here ends the call or hands it on"))
    return out


def _cycle_through(g: dict[str, list[str]], start: str, allowed: set[str] | None = None) -> list[str] | None:
    """A shortest cycle start → … → start within `allowed`, or None."""
    frontier = [[start]]
    seen = {start}
    while frontier:
        nxt = []
        for path in frontier:
            for t in g[path[-1]]:
                if allowed is not None and t not in allowed:
                    continue
                if t == start:
                    return path + [start]
                if t not in seen:
                    seen.add(t)
                    nxt.append(path + [t])
        frontier = nxt
    return None


def _silent_loops(flow: Flow) -> list[Problem]:
    """Cycles through condition/set/goto/read nodes only: they would spin without waiting for the caller."""
    silent = {nid for nid, n in flow.nodes.items() if isinstance(n, SILENT)}
    g = graph(flow)
    out, reported = [], set()
    for nid in sorted(silent):
        if nid in reported:
            continue
        cycle = _cycle_through(g, nid, allowed=silent)
        if cycle:
            reported.update(cycle)
            out.append(Problem("error", nid, "loop without caller input: " + " → ".join(cycle)))
    return out


def _directory(flow: Flow, directory: Directory, prompts: dict[str, str]) -> list[Problem]:
    out = _spoken_menus(flow, prompts, directory)
    for nid, node in flow.nodes.items():
        out += _route_skill(nid, node, directory)
        if isinstance(node, Menu) and node.catalogue is not None:
            if node.catalogue.categories_of and directory.skill(node.catalogue.categories_of) is None:
                out.append(Problem("error", nid, f"catalogue skill {node.catalogue.categories_of!r} is not in the directory"))
            if node.catalogue.skills:
                out += _skill_menu(flow, nid, node, directory)
    return out


def _spoken_menus(flow: Flow, prompts: dict[str, str], directory: Directory) -> list[Problem]:
    """A catalogue menu's prompt must be filled from the directory, or its spoken digits may drift."""
    out = []
    for nid, node in flow.nodes.items():
        if not isinstance(node, Menu) or node.catalogue is None or node.prompt not in prompts:
            continue
        want = "skills" if node.catalogue.skills else f"categories:{node.catalogue.categories_of}"
        if want not in placeholders(prompts[node.prompt]):
            out.append(Problem("error", nid, f"prompt {node.prompt!r} does not contain {{{want}}}: its spoken digits may drift from the directory"))
    for pid, text in prompts.items():
        try:
            expand_texts({pid: text}, directory)
        except ValueError as exc:
            out.append(Problem("error", None, f"prompt {pid!r}: {exc}"))
    return out


def _route_skill(nid: str, node, directory: Directory) -> list[Problem]:
    out = []
    skill = getattr(node, "skill", None)
    if isinstance(node, (Route, Callback, Voicemail)) and skill and directory.skill(skill) is None:
        out.append(Problem("error", nid, f"skill {skill!r} is not in the directory"))
    if isinstance(node, Route) and node.category:
        cat_skill = next((s.id for s in directory.skills for c in s.categories if c.id == node.category), None)
        if cat_skill is None:
            out.append(Problem("error", nid, f"category {node.category!r} is not in the directory"))
        elif node.skill and cat_skill != node.skill:
            out.append(Problem("error", nid, f"category {node.category!r} belongs to skill {cat_skill!r}, not {node.skill!r}"))
    return out


def _skill_menu(flow: Flow, nid: str, menu: Menu, directory: Directory) -> list[Problem]:
    """The main menu's digit d must lead only to routes of the skill whose ivr_digit is d."""
    g = graph(flow)
    out = []
    for skill in directory.skills:
        target = menu.choices.get(skill.ivr_digit)
        if target is None:
            out.append(Problem("error", nid, f"directory skill {skill.id!r} ({skill.name}) has digit {skill.ivr_digit} but the menu has no such choice"))
            continue
        skills = _skills_behind(flow, g, target, stop=nid)
        wrong = sorted(skills - {skill.id})
        if wrong:
            out.append(Problem("error", nid, f"choice {skill.ivr_digit} should lead to skill {skill.id!r} ({skill.name}) but reaches {', '.join(wrong)}"))
        elif not skills:
            out.append(Problem("error", nid, f"choice {skill.ivr_digit} never reaches a seat for skill {skill.id!r} ({skill.name})"))
    return out


def _skills_behind(flow: Flow, g: dict[str, list[str]], start: str, stop: str) -> set[str]:
    """Skills of the route nodes reachable from `start` without passing other menus' fallbacks or `stop`."""
    seen, stack, skills = set(), [start], set()
    while stack:
        n = stack.pop()
        if n in seen or n == stop or n not in flow.nodes:
            continue
        seen.add(n)
        node = flow.nodes[n]
        if isinstance(node, Route) and node.skill and not node.duty:
            skills.add(node.skill)
        if isinstance(node, Menu):
            stack.extend(t for k, t in node.choices.items() if k not in "*")
        else:
            stack.extend(g[n])
    return skills
