"""The packaged GN 11(o) rule data: counts, every rule through the grammar, docs in sync, regeneration."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from immex.origin import HsCode
from immex.origin.grammar import UNREADABLE
from immex.origin.rules_data import (
    all_facts,
    coverage,
    errata,
    find_rule,
    index,
    rule_table,
    unreadable_rules,
)
from tests.shared_data import shared_data_file

ROOT = Path(__file__).resolve().parents[2]

# Per-chapter counts of HTSUS (2025 Rev. 7) GN 11(o): numbered rules / chapter, heading and subheading rules
EXPECTED = """
01:1/0 02:1/0 03:2/1 04:3/0 05:1/0 06:1/0 07:4/1 08:1/1 09:17/1 10:1/0 11:1/1 12:9/1
13:4/1 14:1/0 15:3/0 16:1/0 17:2/0 18:5/0 19:11/0 20:6/4 21:15/0 22:11/0 23:4/0 24:1/0
25:1/0 26:1/0 27:19/5 28:1/0 29:1/0 30:7/0 31:1/0 32:8/1 33:8/0 34:3/0 35:4/0 36:1/0
37:2/0 38:5/0 39:2/0 40:20/12 41:18/0 42:11/0 43:3/0 44:1/0 45:4/0 46:2/0 47:1/0 48:11/0
49:1/0 50:3/0 51:5/2 52:2/0 53:3/0 54:3/0 55:5/1 56:3/0 57:4/2 58:3/2 59:6/0 60:1/0
61:19/7 62:10/8 63:5/2 64:3/0 65:2/0 66:3/0 67:2/0 68:6/0 69:1/0 70:11/3 71:9/0 72:12/0
73:28/24 74:15/0 75:7/0 76:11/0 78:3/0 79:6/0 80:3/0 81:11/0 82:12/0 83:11/2 84:254/25 85:120/32
86:9/8 87:62/16 88:3/0 89:4/0 90:82/5 91:9/0 92:2/0 93:3/0 94:12/2 95:6/0 96:16/1 97:1/0
"""

# Results of the grammar over the whole table; docs/origin.md states the same numbers
COVERAGE = {
    "rules": 1089,  # 1,053 numbered rules + 36 effective-dated rule sets
    "unreadable": 0,
    "alternatives_not_read": 0,
    "described_goods": 77,  # an alternative for goods named by description (good.description)
    "use": 31,  # an alternative for a use ("for use in a heavy truck": good.use)
    "described_materials": 70,  # a source or exception naming materials by description
    "weight_conditions": 20,  # a share by weight of (non-)originating materials, computed
    "asserted_conditions": 25,  # a fact of production a person states (good.conditions)
    "trade_notes": 10,  # trade-direction notes (destination)
}


def test_counts_per_chapter_match_the_official_text() -> None:
    chapters = index()["chapters"]
    expected = {}
    for item in EXPECTED.split():
        chapter, counts = item.split(":")
        numbered, other = counts.split("/")
        expected[int(chapter)] = {"numbered": int(numbered), "other": int(other)}
    assert {int(k): v for k, v in chapters.items()} == expected
    assert index()["totals"] == {"chapters": 96, "numbered": 1053, "other": 171}
    assert 77 not in expected


def test_every_rule_goes_through_the_grammar_and_none_is_unreadable() -> None:
    table = rule_table()
    assert len(table) == 1089
    assert unreadable_rules() == []
    for entry in table:
        assert entry.product is not None and entry.error is None, entry.id
        for alt in entry.product.rule.alternatives:
            assert not alt.unsupported, (entry.id, alt.label, alt.unsupported)
            assert not any(u.startswith(UNREADABLE) for u in alt.unsupported)
            assert alt.target, (entry.id, alt.label)
    assert coverage() == COVERAGE


def test_every_rule_has_citation_scope_and_dates() -> None:
    for entry in rule_table():
        assert re.match(r"HTSUS \(2025 Rev\. 7\) General Note 11\(o\), chapter \d+, ", entry.citation), (
            entry.id
        )
        assert entry.scope, entry.id
        assert entry.since >= dt.date(2020, 7, 1)
        assert entry.until is None or entry.until > entry.since


def test_numbered_rule_count_per_chapter_equals_table() -> None:
    numbered = [e for e in rule_table() if "rule" in e.citation and e.id.split("-")[1].isdigit()]
    assert len(numbered) == 1053


def test_docs_state_the_coverage_counts() -> None:
    docs = (ROOT / "docs" / "origin.md").read_text(encoding="utf-8")
    for key, number in COVERAGE.items():
        assert f"| `{key}` | {number:,} |" in docs, key


def test_errata_refer_to_rules_in_the_table() -> None:
    ids = {e.id for e in rule_table()}
    assert set(errata()) <= ids
    rule = find_rule(HsCode.parse("7306.30"), dt.date(2024, 1, 1))
    assert any(note.startswith("Erratum") for note in rule.notes)


def test_facts_thresholds_come_from_data() -> None:
    facts = all_facts()
    assert facts["USMCA"].de_minimis_limit == 10 and facts["NAFTA"].de_minimis_limit == 7
    assert facts["USMCA"].since == dt.date(2020, 7, 1)
    assert facts["NAFTA"].until == dt.date(2020, 6, 30)
    assert not facts["NAFTA"].rule_table


def test_find_rule_prefers_tariff_item_rule_when_code_is_given() -> None:
    item = find_rule(HsCode.parse("8504.40.40"), dt.date(2024, 1, 1))
    sub = find_rule(HsCode.parse("8504.40"), dt.date(2024, 1, 1))
    assert item.citation.endswith("rule 5") and sub.citation.endswith("rule 7")
    assert any("narrower codes" in n for n in sub.notes)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "regenerate_usmca_rules", ROOT / "scripts" / "regenerate_usmca_rules.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regeneration_refuses_another_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "gn11.pdf"
    fake.write_bytes(b"%PDF-1.4 not the official file")
    assert _script().main([str(fake), "--out", str(tmp_path / "out")]) == 2
    assert "Refusing" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


GN11_PDF = shared_data_file("IMMEX_GN11_PDF", "hts-2025-rev7-general-note-11.pdf")


@pytest.mark.skipif(GN11_PDF is None, reason="set IMMEX_GN11_PDF to the official GN 11 PDF")
def test_regeneration_reproduces_the_committed_data(tmp_path: Path) -> None:
    out = tmp_path / "usmca"
    assert _script().main([str(GN11_PDF), "--out", str(out)]) == 0
    committed = ROOT / "src" / "immex" / "rules" / "usmca"
    for path in sorted(out.glob("*.yaml")):
        assert path.read_text(encoding="utf-8") == (committed / path.name).read_text(encoding="utf-8"), (
            path.name
        )


def test_indexed_lookup_equals_the_full_scan() -> None:
    from immex.origin import OriginError
    from immex.origin.rules_data import find_rule_scan

    codes = sorted(
        {(r.low + "0000")[:6] for e in rule_table() for r in e.scope}
        | {r.low for e in rule_table() for r in e.scope if len(r.low) >= 6}
    )
    for code in codes[::3]:
        for day in (dt.date(2021, 1, 1), dt.date(2025, 7, 1)):
            hs = HsCode.parse(code)
            try:
                fast: object = find_rule(hs, day)
            except OriginError as exc:
                fast = str(exc)
            try:
                slow: object = find_rule_scan(hs, day)
            except OriginError as exc:
                slow = str(exc)
            assert fast == slow, (code, day)


def test_every_rule_scope_lies_in_its_own_chapter() -> None:
    # find_rule loads only the code's chapter file; this keeps that exact
    for entry in rule_table():
        for scope in entry.scope:
            assert int(scope.low[:2]) == entry.chapter == int(scope.high[:2]), entry.id


def test_every_readable_rule_decides_a_good_of_its_own_scope() -> None:
    from decimal import Decimal

    from immex.origin import Good, Material, OriginCase, OriginError, determine

    decided = 0
    for entry in rule_table():
        if entry.product is None:
            continue
        for scope in entry.scope:
            code = HsCode.parse((scope.low + "0000")[: max(6, len(scope.low))])
            if find_rule(code, entry.since).id != entry.id:
                continue  # a more specific rule governs this code
            case = OriginCase(
                "USMCA",
                entry.since,
                Good(code, Decimal(100), Decimal(90)),
                (Material("resin", HsCode.parse("3901.10"), Decimal(30), False),),
            )
            try:
                result = determine(case)
            except OriginError as exc:
                assert "automotive" in str(exc), (entry.id, str(exc))
                continue
            assert result.alternative is not None, entry.id
            decided += 1
    assert decided > 1000
