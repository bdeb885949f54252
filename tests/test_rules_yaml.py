"""The rules files read by libyaml's parser give exactly what PyYAML's pure-Python safe parser gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import immex
from immex.rules import parse_yaml

SHIPPED = sorted(Path(immex.__file__).parent.rglob("*.yaml"))


def test_every_shipped_yaml_file_is_found() -> None:
    assert len(SHIPPED) > 50  # rules, catalogs, labels: a wrong root would find none


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_parse_yaml_equals_the_pure_python_safe_loader(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert parse_yaml(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_parse_yaml_builds_no_arbitrary_objects() -> None:
    with pytest.raises(yaml.constructor.ConstructorError):
        parse_yaml("!!python/object/apply:os.system ['true']")
