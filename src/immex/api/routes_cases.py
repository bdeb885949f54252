"""Origin and duty cases: the body is the contract's case JSON, the answer the CLI's JSON."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from immex.api.deps import Caller, caller, role
from immex.core.problems import InputError, Problem

router = APIRouter(prefix="/api/v1", tags=["cases"])
Who = Annotated[Caller, Depends(caller)]
CASE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "the case JSON of the contract (as for --input CASE.json)",
                }
            }
        },
    }
}
CASE_NAME = "case.json"


async def _with_case_file(request: Request, compute: Any) -> Any:
    """Write the body as the CLI's case file and compute from it (numbers parsed exactly as there)."""
    body = await request.body()
    with tempfile.TemporaryDirectory(prefix="immex-case-") as folder:
        path = Path(folder) / CASE_NAME
        path.write_bytes(body)
        return await run_in_threadpool(compute, path)


def _duty_problems(error: Any) -> InputError:
    return InputError(
        [
            Problem(CASE_NAME, None, getattr(p, "path", ""), getattr(p, "message", str(p)))
            for p in error.problems
        ]
    )


@router.post("/origin/qualify", openapi_extra=CASE_BODY)
async def origin_qualify(
    request: Request, who: Annotated[Caller, Depends(role("case.compute"))]
) -> dict[str, Any]:
    """Whether the good is originating, with its reasons: ``immex origin qualify --format json``."""
    from immex.origin import service

    result = await _with_case_file(request, service.qualify_file)
    answer: dict[str, Any] = service.determination_json(result)
    return answer


@router.post("/duties/pedimento", openapi_extra=CASE_BODY)
async def duties_pedimento(
    request: Request, who: Annotated[Caller, Depends(role("case.compute"))]
) -> dict[str, Any]:
    """Contributions of one import pedimento: ``immex duties pedimento --format json``."""
    from immex.duties import service

    try:
        result = await _with_case_file(request, service.run_pedimento)
    except service.CaseError as error:
        raise _duty_problems(error) from None
    answer: dict[str, Any] = service.pedimento_json(result)
    return answer


@router.post("/duties/tmec25", openapi_extra=CASE_BODY)
async def duties_tmec25(
    request: Request, who: Annotated[Caller, Depends(role("case.compute"))]
) -> dict[str, Any]:
    """IGI owed under T-MEC Art. 2.5 for one export case: ``immex duties tmec25 --format json``."""
    from immex.duties import service

    try:
        result = await _with_case_file(request, service.run_tmec25)
    except service.CaseError as error:
        raise _duty_problems(error) from None
    answer: dict[str, Any] = service.tmec25_json(result)
    return answer
