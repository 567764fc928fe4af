"""`ivr check`: the default flow passes; each kind of broken flow fails with the node named."""
from __future__ import annotations

import copy

import pytest
import yaml

from ivr.flow import FlowError, default_flow_path, expand_catalogue, parse_flow
from ivr.prompts import load_catalogue
from ivr.validate import check_flow

BASE = {
    "name": "t",
    "entries": {"ivr": "menu", "after-queue": "bye", "survey": "rate", "callback-ivr": "bye"},
    "nodes": {
        "menu": {"type": "menu", "prompt": "main-menu", "choices": {"1": "seat"}, "fallback": "seat"},
        "seat": {"type": "route", "skill": "consult"},
        "rate": {"type": "survey", "prompt": "survey", "thanks_prompt": "survey-thanks"},
        "bye": {"type": "hangup", "prompt": "goodbye"},
    },
}


def problems(raw, directory=None):
    return [str(p) for p in check_flow(parse_flow(raw), load_catalogue(), directory)]


def with_nodes(**nodes):
    raw = copy.deepcopy(BASE)
    raw["nodes"].update(nodes)
    return raw


def test_default_flow_passes_check_with_the_directory(default_flow, directory):
    assert check_flow(default_flow, load_catalogue(), directory) == []


def test_minimal_flow_passes():
    assert problems(BASE) == []


def test_choice_pointing_nowhere_names_node_and_choice():
    raw = with_nodes(menu={"type": "menu", "prompt": "main-menu", "choices": {"1": "seat", "2": "nowhere"}, "fallback": "seat"})
    assert problems(raw) == ["error: node 'menu': choice 2 points to 'nowhere', which is not a node"]


def test_unreachable_node_is_named():
    raw = with_nodes(orphan={"type": "hangup"})
    assert problems(raw) == ["error: node 'orphan': unreachable: no entry leads here"]


def test_loop_with_no_exit_is_named_with_its_path():
    raw = with_nodes(
        menu={"type": "menu", "prompt": "main-menu", "choices": {"1": "seat", "2": "a"}, "fallback": "seat"},
        a={"type": "play", "prompts": ["welcome"], "next": "b"},
        b={"type": "play", "prompts": ["goodbye"], "next": "a"},
    )
    out = problems(raw)
    assert "error: node 'a': loop with no exit: a → b → a" in out
    assert "error: node 'b': loop with no exit: b → a → b" in out


def test_dead_end_is_named():
    raw = with_nodes(
        menu={"type": "menu", "prompt": "main-menu", "choices": {"1": "seat", "2": "a"}, "fallback": "seat"},
        a={"type": "play", "prompts": ["welcome"], "next": "b"},
        b={"type": "play", "prompts": ["goodbye"], "next": "c"},
        c={"type": "play", "prompts": ["goodbye"], "next": "c"},
    )
    out = problems(raw)
    assert "error: node 'a': dead end: no path from here ends the call or hands it on" in out
    assert "error: node 'c': loop with no exit: c → c" in out


def test_loop_of_conditions_without_caller_input_is_refused():
    raw = with_nodes(
        menu={"type": "menu", "prompt": "main-menu", "choices": {"1": "seat", "2": "c1"}, "fallback": "seat"},
        c1={"type": "condition", "branches": [{"if": [{"fact": "hours.open", "eq": True}], "goto": "seat"}], "else": "c2"},
        c2={"type": "goto", "target": "c1"},
    )
    assert "error: node 'c1': loop without caller input: c1 → c2 → c1" in problems(raw)


def test_missing_prompt_is_named():
    raw = with_nodes(bye={"type": "hangup", "prompt": "no-such-prompt"})
    assert problems(raw) == ["error: node 'bye': prompt 'no-such-prompt' is not in the prompt catalogue"]


def test_missing_entry_for_a_dialplan_script_is_a_warning():
    raw = copy.deepcopy(BASE)
    del raw["entries"]["callback-ivr"]
    assert problems(raw) == ["warning: no entry for FastAGI script 'callback-ivr'; calls to it will hang up"]


def test_route_to_unknown_skill_or_category_is_refused(directory):
    raw = with_nodes(seat={"type": "route", "skill": "divorce"}, bye={"type": "route", "skill": "aid", "category": "consult.labor"})
    out = problems(raw, directory)
    assert "error: node 'seat': skill 'divorce' is not in the directory" in out
    assert "error: node 'bye': category 'consult.labor' belongs to skill 'consult', not 'aid'" in out


def test_main_menu_digit_must_match_the_directory_skill_digit(directory):
    raw = yaml.safe_load(default_flow_path().read_text(encoding="utf-8"))
    raw["nodes"]["main_menu"]["choices"]["3"] = "route_complaint"
    raw["nodes"]["main_menu"]["choices"]["5"] = "route_mediation"
    flow = expand_catalogue(parse_flow(raw), directory)
    out = [str(p) for p in check_flow(flow, load_catalogue(), directory)]
    assert "error: node 'main_menu': choice 3 should lead to skill 'mediation' (人民调解) but reaches complaint" in out
    assert "error: node 'main_menu': choice 5 should lead to skill 'complaint' (投诉建议) but reaches mediation" in out


def test_main_menu_missing_a_directory_skill_is_refused(directory):
    raw = yaml.safe_load(default_flow_path().read_text(encoding="utf-8"))
    del raw["nodes"]["main_menu"]["choices"]["4"]
    flow = expand_catalogue(parse_flow(raw), directory)
    out = [str(p) for p in check_flow(flow, load_catalogue(), directory)]
    assert any("directory skill 'guide'" in p and "has digit 4 but the menu has no such choice" in p for p in out)


def test_consult_submenu_is_generated_from_the_directory_categories(default_flow, directory):
    menu = default_flow.nodes["consult_menu"]
    for cat in directory.skill("consult").categories:
        route = default_flow.nodes[menu.choices[cat.ivr_digit]]
        assert (route.skill, route.category) == ("consult", cat.id)


@pytest.mark.parametrize("node, message", [
    ({"type": "menu", "prompt": "main-menu", "choices": {"12": "seat"}, "fallback": "seat"}, "choice key must be one of"),
    ({"type": "menu", "prompt": "Main Menu", "fallback": "seat"}, "prompt id must be"),
    ({"type": "collect", "prompt": "x", "var": "n", "min_digits": 5, "max_digits": 3, "next": "seat", "fallback": "seat"}, "min_digits is greater"),
    ({"type": "condition", "branches": [{"if": [{"fact": "hours.open"}], "goto": "seat"}], "else": "seat"}, "needs exactly one of"),
    ({"type": "teleport"}, "does not match any of the expected tags"),
])
def test_malformed_node_fails_to_load_naming_the_node(node, message):
    with pytest.raises(FlowError) as exc:
        parse_flow(with_nodes(broken=node))
    assert "node 'broken'" in str(exc.value) and message in str(exc.value)


def test_catalogue_menu_with_a_hand_written_prompt_is_refused(default_flow, directory):
    prompts = {**load_catalogue(), "consult-menu": "婚姻家庭请按1；劳动争议请按2。"}
    out = [str(p) for p in check_flow(default_flow, prompts, directory)]
    assert out == ["error: node 'consult_menu': prompt 'consult-menu' does not contain {categories:consult}: "
                   "its spoken digits may drift from the directory"]


def test_unknown_prompt_placeholder_is_refused(default_flow, directory):
    prompts = {**load_catalogue(), "goodbye": "{categories:divorce}再见。"}
    assert "error: prompt 'goodbye': unknown prompt placeholder {categories:divorce}" in [
        str(p) for p in check_flow(default_flow, prompts, directory)]
