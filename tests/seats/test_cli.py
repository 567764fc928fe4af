"""`hotline12348 seats list`: every seat with center, state, skills, languages and queues with penalties."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_seats_list_shows_queues_with_penalties_for_one_center(db_url, monkeypatch):
    from hotline import cli
    from hotline.settings import get_settings

    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        cli._register_subcommands()
        result = CliRunner().invoke(cli.app, ["seats", "list", "--center", "410100"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["1001", "1002", "1007"]
    first = lines[0].split("\t")
    assert first[1:3] == ["坐席1001", "410100"] and first[5] == "zh/henan"
    assert first[6] == "q-410100-consult(p0), q-410100-aid(p1)"
