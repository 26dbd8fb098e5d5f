"""Dependencies with short Annotated aliases, so route signatures stay readable."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from mediamill.api.auth import authorize
from mediamill.services.context import Services
from mediamill.services.keys import KeyInfo


async def get_services(request: Request) -> Services:
    return request.app.state.services


async def _submitter(request: Request) -> KeyInfo:
    return await authorize(request, "submit")


async def _reader(request: Request) -> KeyInfo:
    return await authorize(request, "read")


async def _admin(request: Request) -> KeyInfo:
    return await authorize(request, "admin")


ServicesDep = Annotated[Services, Depends(get_services)]
SubmitKey = Annotated[KeyInfo, Depends(_submitter)]
ReadKey = Annotated[KeyInfo, Depends(_reader)]
AdminKey = Annotated[KeyInfo, Depends(_admin)]
