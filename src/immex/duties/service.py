"""Use cases of ``immex duties``: read a case file, run the pure engine, shape the output.

The JSON shapes are those of the contract (``immex duties pedimento`` /
``immex duties tmec25``); input problems come back as :class:`CaseError`
carrying every ``PATH: message``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from immex.core.jsonfile import JsonFileError, read_json
from immex.duties.case import JsonNumber, parse_pedimento_case, parse_tmec25_case
from immex.duties.pedimento import compute_pedimento, resolve_dta
from immex.duties.rules_data import duty_rules
from immex.duties.tmec25 import compute_tmec25, resolve_tmec25
from immex.duties.values import (
    ContributionRow,
    DutyRules,
    FieldProblem,
    PedimentoResult,
    Tmec25Case,
    Tmec25Result,
)


class CaseError(Exception):
    """The case file has problems; nothing was computed."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


def load_case_json(path: Path) -> Any:
    """Parse a case file; a missing or unreadable file is a problem at path ``input``."""
    try:
        return read_json(path, parse_float=JsonNumber, parse_constant=JsonNumber)
    except JsonFileError as exc:
        reason = str(exc) if path.name in str(exc) else f"{path.name}: {exc}"  # say which file
        raise CaseError([FieldProblem("input", reason)]) from exc


def _row_json(row: ContributionRow, *, with_tipo: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"code": row.code, "abbr": row.abbr, "base": row.base, "rate": row.rate}
    if with_tipo:
        out["tipo_tasa"] = row.tipo_tasa
    out["amount"] = row.amount
    out["forma_pago"] = row.forma_pago
    return out


def pedimento_json(result: PedimentoResult) -> dict[str, Any]:
    return {
        "command": "pedimento",
        "clave": result.clave,
        "date": result.date.isoformat(),
        "lines": [
            {
                "line": line.line,
                "fraccion": line.fraccion,
                "customs_value": line.customs_value,
                "contributions": [_row_json(row) for row in line.contributions],
            }
            for line in result.lines
        ],
        "pedimento_contributions": [_row_json(result.dta, with_tipo=True)],
        "totals": {
            "customs_value": result.customs_value,
            "by_code": {str(code): amount for code, amount in result.by_code.items()},
            "cash": result.cash,
        },
    }


def tmec25_json(result: Tmec25Result) -> dict[str, Any]:
    return {
        "command": "tmec25",
        "applies": result.applies,
        "materials": [
            {
                "id": m.id,
                "included": m.included,
                "rate": format(m.rate, "f"),
                "rate_source": m.rate_source,
                "igi": m.igi,
            }
            for m in result.materials
        ],
        "mexican_igi": result.mexican_igi,
        "foreign_duty_mxn": result.foreign_duty_mxn,
        "exemption": result.exemption,
        "payable": result.payable,
        "contribution": {
            "code": result.contribution_code,
            "abbr": result.contribution_abbr,
            "forma_pago": result.contribution_forma_pago,
        },
        "identificador": {"clave": result.identificador_clave, "complemento": result.complemento},
        "due_date": result.due_date.isoformat() if result.due_date else None,
        "dta_complementario": result.dta_complementario,
    }


def pedimento_from_data(
    data: Any, rules: DutyRules | None = None, file: str | None = None
) -> PedimentoResult:
    """Contributions of a parsed case (from ``file``); raises :class:`CaseError` with every problem."""
    rules = rules or duty_rules()
    case, problems = parse_pedimento_case(data, file)
    if case is None:
        raise CaseError(problems)
    dta, problems = resolve_dta(case, rules)
    if dta is None:
        raise CaseError(problems)
    return compute_pedimento(case, dta, rules)


def tmec25_case_result(case: Tmec25Case, rules: DutyRules | None = None) -> Tmec25Result:
    rules = rules or duty_rules()
    resolved, problems = resolve_tmec25(case, rules)
    if problems:
        raise CaseError(problems)
    return compute_tmec25(case, resolved, rules)


def tmec25_from_data(data: Any, rules: DutyRules | None = None, file: str | None = None) -> Tmec25Result:
    """Art. 2.5 amounts of a parsed case (from ``file``); raises :class:`CaseError` with every problem."""
    case, problems = parse_tmec25_case(data, file)
    if case is None:
        raise CaseError(problems)
    return tmec25_case_result(case, rules)


def run_pedimento(path: Path) -> PedimentoResult:
    return pedimento_from_data(load_case_json(path), file=path.name)


def run_tmec25(path: Path) -> Tmec25Result:
    return tmec25_from_data(load_case_json(path), file=path.name)


def pedimento_text(result: PedimentoResult) -> str:
    out = [f"Pedimento {result.clave} of {result.date.isoformat()}"]
    out.append(
        f"{'line':>5} {'fraccion':<14} {'code':>4} {'abbr':<8} {'base':>16} "
        f"{'rate':>10} {'amount':>12} {'FP':>3}"
    )
    for line in result.lines:
        for row in line.contributions:
            out.append(
                f"{line.line:>5} {line.fraccion:<14} {row.code:>4} {row.abbr:<8} "
                f"{row.base:>16} {row.rate:>10} {row.amount:>12} {row.forma_pago:>3}"
            )
    dta = result.dta
    out.append(
        f"{'':>5} {'(pedimento)':<14} {dta.code:>4} {dta.abbr:<8} {dta.base:>16} "
        f"{dta.rate:>10} {dta.amount:>12} {dta.forma_pago:>3}"
    )
    out.append(f"customs value {result.customs_value}")
    for code, amount in result.by_code.items():
        out.append(f"  code {code:>2}: {amount}")
    out.append(f"cash (forma de pago 0): {result.cash}")
    return "\n".join(out)


def tmec25_text(result: Tmec25Result) -> str:
    out = [f"T-MEC Art. 2.5 applies: {'yes' if result.applies else 'no'}"]
    for m in result.materials:
        mark = "included" if m.included else "excluded"
        out.append(
            f"  {m.id!s:<12} {mark:<9} {m.rate_source:<7} rate {format(m.rate, 'f'):>8} IGI {m.igi:>14}"
        )
    out.append(f"Mexican IGI (M):       {result.mexican_igi}")
    foreign = "-" if result.foreign_duty_mxn is None else str(result.foreign_duty_mxn)
    out.append(f"US/CA duty in MXN (U): {foreign}")
    out.append(f"exemption:             {result.exemption}")
    out.append(f"payable (code {result.contribution_code}):     {result.payable}")
    out.append(f"identificador {result.identificador_clave} complemento {result.complemento}")
    out.append(f"due date:              {result.due_date.isoformat() if result.due_date else '-'}")
    out.append(f"DTA complementario:    {result.dta_complementario}")
    return "\n".join(out)
