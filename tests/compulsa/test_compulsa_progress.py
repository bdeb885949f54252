"""Progress of the compulsa, to-ledger and the Anexo 22 check: partidas and records of the Data Stage."""

from __future__ import annotations

from pathlib import Path

from immex.compulsa.service import anexo22_check, run_compulsa, to_ledger
from tests.progress_recorder import Recorder

from .compulsa_helpers import Par, Ped, Stage, import_row, read_differences, write_ledger, write_stage

PEDS = [Ped(), Ped(pedimento="6000002"), Ped(pedimento="6000003")]
PARS = [Par(PEDS[0]), Par(PEDS[0], secuencia=2), Par(PEDS[1]), Par(PEDS[2])]


def _stage(tmp_path: Path) -> Path:
    return write_stage(tmp_path / "ds.zip", Stage(PEDS, PARS))


def test_compulsa_counts_the_partidas_compared_and_the_differences_written(tmp_path: Path) -> None:
    ledger = write_ledger(tmp_path / "ledger", [import_row(PARS[0], qty="99"), import_row(PARS[1])])
    recorder = Recorder()
    result = run_compulsa(
        _stage(tmp_path), tmp_path / "out", input_dir=ledger, reports=False, progress=recorder
    )
    comparing = recorder.step("comparing the partidas")
    assert comparing.total == comparing.done == result.stage_partidas == len(PARS)
    written = recorder.step("writing differences.csv")
    assert written.total == written.done == len(read_differences(tmp_path / "out" / "differences.csv")) > 0
    assert recorder.names.index("comparing the partidas") > recorder.names.index("validating ds.zip")


def test_to_ledger_counts_every_partida_it_drafts_from(tmp_path: Path) -> None:
    recorder = Recorder()
    result = to_ledger(_stage(tmp_path), tmp_path / "out", progress=recorder)
    drafting = recorder.step("drafting ledger rows")
    assert drafting.total == drafting.done == result.imports + result.exports == len(PARS)


def test_anexo22_check_counts_the_records_it_checks(tmp_path: Path) -> None:
    recorder = Recorder()
    result = anexo22_check(_stage(tmp_path), tmp_path / "out", recorder)
    checking = recorder.step("checking codes")
    assert checking.total == checking.done == result.records > len(PARS)
