"""The portal's HTTP API: a unit lists its granted datasets, pulls its extracts and reads its deliveries.

Every route but the health checks takes a unit's bearer token (:mod:`huiliu.portal.tokens`) and
answers only from that unit's own active grants; anything else answers exactly as what does not
exist. Downloads stream the file the pull path wrote (:mod:`huiliu.returnflow.pull`), are logged in
the chained access log and emit lineage to the unit. Routes are plain functions run on the server's
thread pool, since the store, the lake and argon2 all block.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import text
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Send

from huiliu.contracts import load_contracts
from huiliu.contracts.model import DatasetContract
from huiliu.errors import (
    AccessError,
    CorrectionError,
    CorrectionSheetError,
    DatasetBusyError,
    ExtractUnavailableError,
    NotFoundError,
)
from huiliu.lake.catalog import get_catalog
from huiliu.policy.accounts import Role, get_account
from huiliu.policy.grants import GrantView, active_grants
from huiliu.policy.loader import load_policy
from huiliu.policy.rules import ReturnPolicy
from huiliu.portal import problems
from huiliu.portal.attempts import FailedAttempts
from huiliu.portal.audit import PullRecord, log_pull
from huiliu.portal.problems import Problem, ProblemError
from huiliu.portal.schemas import (
    AttachmentBody,
    ColumnBody,
    CorrectionBody,
    CorrectionIn,
    CorrectionList,
    CorrectionStepBody,
    DatasetList,
    DecisionIn,
    DeliveryBody,
    GrantedDataset,
    Health,
    LatestDelivery,
    ProblemBody,
    StewardCorrection,
    StewardCorrectionList,
)
from huiliu.portal.tokens import Caller, TokenRefusedError, TokenState, authenticate, token_prefix
from huiliu.returnflow.correction_sheet import MAX_UPLOAD_BYTES
from huiliu.returnflow.corrections import (
    ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    Attachment,
    Correction,
    CorrectionStatus,
    attach,
    attachment_path,
    decide_correction,
    file_correction,
    file_correction_sheet,
    get_correction,
    list_corrections,
    sheet_delivery,
)
from huiliu.returnflow.export_formats import OutputFormat
from huiliu.returnflow.outbox import read_manifest
from huiliu.returnflow.pull import PulledExtract, pull_extract, record_pull_lineage
from huiliu.returnflow.push import fingerprint_key, grant_plans
from huiliu.returnflow.records import Delivery, DeliveryStatus, get_delivery, last_delivered
from huiliu.settings import Settings, get_settings
from huiliu.store.db import session_scope

LOG = logging.getLogger(__name__)
T = TypeVar("T")
DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DELIVERY_ID = re.compile(r"^D[0-9a-f]{16}$")
CORRECTION_ID = re.compile(r"^C[0-9a-f]{16}$")
CHUNK = 1 << 20
ROUTE_THREADS = 2
"""Threads serving quick routes (a token check, a few store queries): few threads in arrival order
answer a crowd faster than many taking turns on the interpreter."""
HEAVY_THREADS = 4
"""Threads for long work (writing an extract, reading a returned workbook, finding records)."""
LISTING_SECONDS = 10.0
LISTING_FRESH_SECONDS = 2.0
"""How long a unit's listing is reused (a grant approved or revoked shows within this; downloads
check the grant on every request)."""
"""How long the listing remembers the columns a tier gets (a new classification shows after this)."""
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {
    OutputFormat.CSV: "text/csv; charset=utf-8",
    OutputFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    OutputFormat.PARQUET: "application/vnd.apache.parquet",
}
ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ProblemBody} for status in (401, 404, 409, 422, 429, 503)
}


class PolicyInForce:
    """The return policy file, parsed again whenever it changes on disk (a new version is in force)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._policy: ReturnPolicy | None = None

    def get(self) -> ReturnPolicy:
        stat = self.path.stat()
        seen = (stat.st_mtime_ns, stat.st_size)
        if self._policy is None or seen != self._seen:
            self._policy, self._seen = load_policy(self.path), seen
        return self._policy


class Portal:
    """What the routes share: settings, contracts, the policy in force and the failed-attempt counts."""

    def __init__(self, settings: Settings, attempts: FailedAttempts) -> None:
        self.settings = settings
        self.contracts: dict[str, DatasetContract] = load_contracts(settings.contracts_dir)
        self.policy = PolicyInForce(settings.return_policy)
        self.attempts = attempts
        self._listings: dict[str, tuple[float, bytes]] = {}
        self._columns: dict[tuple[str, str, str], tuple[float, tuple[str, list[ColumnBody]] | None]] = {}

    def caller(self, request: Request) -> Caller:
        """The unit the request's bearer token speaks for (failures counted and rate-limited)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        prefix = token_prefix(token)
        keys = [f"client:{request.client.host if request.client else ''}"]
        if prefix:
            keys.append(f"prefix:{prefix}")
        wait = self.attempts.retry_after(keys)
        if wait is not None:
            raise ProblemError(problems.TOO_MANY_FAILURES, headers={"Retry-After": str(wait)})
        if scheme.lower() != "bearer" or not token:
            self.attempts.fail(keys)
            raise ProblemError(problems.TOKEN_INVALID, headers={"WWW-Authenticate": "Bearer"})
        try:
            return authenticate(token)
        except TokenRefusedError as refused:
            self.attempts.fail(keys)
            problem = {
                TokenState.EXPIRED: problems.TOKEN_EXPIRED,
                TokenState.REVOKED: problems.TOKEN_REVOKED,
            }.get(refused.state or TokenState.ACTIVE, problems.TOKEN_INVALID)
            raise ProblemError(problem, headers={"WWW-Authenticate": "Bearer"}) from None

    def grants(self, caller: Caller) -> list[GrantView]:
        """The caller's own active grants of datasets this portal knows."""
        grants = active_grants(unit_code=caller.unit_code, with_history=False)
        return [g for g in grants if g.dataset in self.contracts]

    def listed_columns(
        self, contract: DatasetContract, grant: GrantView, policy: ReturnPolicy
    ) -> tuple[str, list[ColumnBody]] | None:
        """The policy version and the columns a grant's tier gets, for the listing (None: nothing).

        Remembered for :data:`LISTING_SECONDS` per dataset, tier and policy version, so a listing
        does not classify and plan on every request; downloads always plan afresh.
        """
        key = (contract.name, grant.unit_level, policy.label)
        remembered = self._columns.get(key)
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1]
        plans = grant_plans(contract, [grant], policy=policy, settings=self.settings)
        found = (
            (
                plans[0].policy_version,
                [ColumnBody(name=c.name, title_zh=c.description, action=c.action) for c in plans[0].columns],
            )
            if plans
            else None
        )
        self._columns[key] = (time.monotonic() + LISTING_SECONDS, found)
        return found

    def listing(self, caller: Caller) -> bytes:
        """The caller's listing as JSON, remembered for :data:`LISTING_FRESH_SECONDS` per unit."""
        remembered = self._listings.get(caller.unit_code)
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1]
        listing = (
            DatasetList(unit=caller.unit_code, datasets=_listed(self, caller)).model_dump_json().encode()
        )
        self._listings[caller.unit_code] = (time.monotonic() + LISTING_FRESH_SECONDS, listing)
        return listing

    def contract_of(self, name: str) -> DatasetContract:
        return self.contracts[name]

    def stewardship(self, caller: Caller) -> tuple[str, frozenset[str]]:
        """The steward account a token speaks for and the datasets of its departments; a unit's token,
        or an account no longer a steward, finds nothing here."""
        try:
            account = get_account(caller.account) if caller.account else None
        except NotFoundError:
            account = None
        if account is None:
            raise ProblemError(problems.NOT_FOUND)
        departments = {r.department for r in account.roles if r.role is Role.DEPARTMENT_STEWARD}
        if not departments:
            raise ProblemError(problems.NOT_FOUND)
        owned = frozenset(n for n, c in self.contracts.items() if c.owner.department_code in departments)
        return account.name, owned

    def grant(self, caller: Caller, dataset: str) -> tuple[DatasetContract, GrantView]:
        """The caller's active grant of ``dataset``; anything else is not found."""
        if DATASET_NAME.match(dataset) is None:
            raise ProblemError(problems.NOT_FOUND)
        for grant in self.grants(caller):
            if grant.dataset == dataset:
                return self.contracts[dataset], grant
        raise ProblemError(problems.NOT_FOUND)

    def delivery(self, caller: Caller, delivery_id: str) -> Delivery:
        """One of the caller's own deliveries; anything else is not found."""
        if DELIVERY_ID.match(delivery_id) is None:
            raise ProblemError(problems.NOT_FOUND)
        try:
            delivery = get_delivery(delivery_id)
        except NotFoundError:
            raise ProblemError(problems.NOT_FOUND) from None
        if delivery.unit_code != caller.unit_code:
            raise ProblemError(problems.NOT_FOUND)
        return delivery


def _caller(request: Request) -> Caller:
    portal: Portal = request.app.state.portal
    return portal.caller(request)


Authorised = Annotated[Caller, Depends(_caller)]
"""The route's caller: the unit its bearer token speaks for."""


def _stream(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _listed(portal: Portal, caller: Caller) -> list[GrantedDataset]:
    policy = portal.policy.get()
    listed = []
    for grant in portal.grants(caller):
        contract = portal.contracts[grant.dataset]
        columns = portal.listed_columns(contract, grant, policy)
        if columns is None:
            continue  # the policy returns nothing of this dataset to the unit's tier
        last = last_delivered(grant.id)
        latest = (
            LatestDelivery(
                id=last.id,
                delivered_at=last.created_at,
                snapshot_id=last.snapshot_id,
                rows=last.rows,
                policy_version=last.policy_version,
            )
            if last
            else None
        )
        listed.append(
            GrantedDataset(
                name=contract.name,
                title_zh=contract.title,
                title_en=contract.title_en,
                department_zh=contract.owner.department,
                grant_id=grant.id,
                purpose=grant.purpose,
                grant_expires_at=grant.expires_at,
                policy_version=columns[0],
                latest_delivery=latest,
                rows=last.rows if last else None,
                columns=columns[1],
            )
        )
    return listed


def _download_headers(contract: DatasetContract, extract: PulledExtract) -> dict[str, str]:
    unit = extract.plan.grant.unit_code
    name = f"{contract.name}-{unit}-{extract.snapshot_id}.{extract.format.value}"
    return {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Huiliu-Snapshot": str(extract.snapshot_id),
        "X-Huiliu-Policy-Version": extract.plan.policy_version,
        "X-Huiliu-Rows": str(extract.rows),
        "X-Huiliu-SHA256": extract.sha256,
        "X-Huiliu-Delivery": extract.delivery_id,
        "Cache-Control": "no-store",
    }


def create_app(settings: Settings | None = None, *, attempts: FailedAttempts | None = None) -> FastAPI:
    """The portal app (``huiliu portal`` serves it; Airflow's API server can mount it as a plugin).

    Args:
        settings: where the store, lake, contracts and policy are (default: the environment's).
        attempts: the failed-attempt counts (default: a fresh window per app).
    """
    portal = Portal(settings or get_settings(), attempts or FailedAttempts())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # routes block (store, lake, argon2): a few threads serve them in arrival order, rather than
        # dozens taking turns on the interpreter and the store's connection pool
        anyio.to_thread.current_default_thread_limiter().total_tokens = ROUTE_THREADS
        app.state.heavy_threads = anyio.CapacityLimiter(HEAVY_THREADS)
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="huiliu 回流 portal",
        description="基层单位拉取回流数据 / receiving units pull the data returned to them",
        version="1",
    )
    app.state.portal = portal

    @app.exception_handler(ProblemError)
    def _problem(_request: Request, error: ProblemError) -> JSONResponse:
        return error.problem.response(headers=error.headers, field=error.field, details=error.details)

    @app.exception_handler(StarletteHTTPException)
    def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        known: dict[int, Problem] = {404: problems.NOT_FOUND, 405: problems.METHOD_NOT_ALLOWED}
        return known.get(error.status_code, problems.INVALID_REQUEST).response()

    @app.exception_handler(RequestValidationError)
    def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        fields = [str(e["loc"][-1]) for e in error.errors() if e.get("loc")]
        return problems.INVALID_REQUEST.response(field=fields[0] if fields else None)

    @app.exception_handler(Exception)
    def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        LOG.error("portal request failed: %s", type(error).__name__, exc_info=error)
        return problems.INTERNAL.response()

    @app.get("/healthz", response_model=Health)
    def healthz() -> Health:
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": ProblemBody}})
    def readyz() -> Health:
        try:
            with session_scope() as session:
                session.execute(text("SELECT 1"))
            get_catalog(portal.settings).list_namespaces()
        except Exception as exc:
            LOG.warning("portal not ready: %s", type(exc).__name__)
            raise ProblemError(problems.NOT_READY) from None
        return Health(status="ready")

    @app.get("/api/v1/datasets", response_model=DatasetList, responses=ERRORS)
    def datasets(caller: Authorised) -> Response:
        """您单位获授权的数据集 / the datasets your unit holds an active grant of.

        The listing is remembered for two seconds per unit; downloads check the grant every time.
        """
        return Response(portal.listing(caller), media_type="application/json")

    @app.get("/api/v1/datasets/{name}/download", response_class=StreamingResponse, responses=ERRORS)
    async def download(
        name: str,
        caller: Authorised,
        request: Request,
        format: Annotated[Literal["csv", "xlsx", "parquet"], Query()] = "csv",
        snapshot: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    ) -> Response:
        """下载您单位的数据提取 / download your unit's extract (the push path's scope, policy and guard)."""
        client = (request.client.host if request.client else "")[:64]
        contract, extract = await _heavy(
            request, _pull, portal, caller, name, OutputFormat(format), snapshot, client
        )
        return StreamingResponse(
            _stream(extract.file),
            media_type=MEDIA_TYPES[extract.format],
            headers=_download_headers(contract, extract),
            background=BackgroundTask(extract.discard),
        )

    @app.get("/api/v1/deliveries/{delivery_id}", response_model=DeliveryBody, responses=ERRORS)
    def delivery(delivery_id: str, caller: Authorised) -> DeliveryBody:
        """您单位的一次交付 / one delivery your unit received."""
        found = portal.delivery(caller, delivery_id)
        return DeliveryBody(
            id=found.id,
            dataset=found.dataset,
            grant_id=found.grant_id,
            status=found.status.value,
            snapshot_id=found.snapshot_id,
            policy_version=found.policy_version,
            rows=found.rows,
            suppressed=found.suppressed,
            content_sha256=found.content_sha256,
            manifest_sha256=found.manifest_sha256,
            delivered_at=found.created_at,
            withdrawn_at=found.withdrawn_at,
        )

    @app.get("/api/v1/deliveries/{delivery_id}/manifest", responses=ERRORS)
    def manifest(delivery_id: str, caller: Authorised) -> dict[str, object]:
        """交付清单（含每个文件的 SHA-256）/ the delivery's manifest, with every file's SHA-256."""
        found = portal.delivery(caller, delivery_id)
        if found.status is not DeliveryStatus.DELIVERED:
            raise ProblemError(problems.NOT_FOUND)
        read = read_manifest(portal.settings.outbox_path, found.unit_code, found.dataset, found.id)
        if read is None:
            raise ProblemError(problems.NOT_FOUND)
        return read.as_dict()

    @app.post("/api/v1/corrections", status_code=201, response_model=CorrectionBody, responses=ERRORS)
    async def file(body: CorrectionIn, caller: Authorised, request: Request) -> CorrectionBody:
        """提交纠错 / file a correction of a record your unit received (by delivery and row)."""
        return await _heavy(request, _file_one, portal, caller, body)

    @app.post(
        "/api/v1/corrections/xlsx",
        status_code=201,
        response_model=CorrectionList,
        responses={**ERRORS, 413: {"model": ProblemBody}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    )
    async def file_sheet(request: Request, caller: Authorised) -> CorrectionList:
        """交回填好“纠错”表的工作簿 / send back the delivered workbook with its 纠错 sheet filled in.

        The body is the XLSX file itself. Every row is filed, or none: a sheet with a bad row is
        refused with each bad row and why.
        """
        content = bytearray()
        async for part in request.stream():
            content += part
            if len(content) > MAX_UPLOAD_BYTES:
                raise ProblemError(problems.TOO_LARGE)
        return await _heavy(request, _file_sheet, portal, caller, bytes(content))

    @app.post(
        "/api/v1/corrections/{correction_id}/attachment",
        status_code=201,
        response_model=CorrectionBody,
        responses={**ERRORS, 413: {"model": ProblemBody}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in ATTACHMENT_TYPES},
            }
        },
    )
    async def add_attachment(correction_id: str, request: Request, caller: Authorised) -> CorrectionBody:
        """为纠错附上证明材料（PDF、JPEG、PNG，≤ 10 MB）/ attach a document to your submitted correction."""
        if CORRECTION_ID.match(correction_id) is None:
            raise ProblemError(problems.NOT_FOUND)
        content = bytearray()
        async for part in request.stream():
            content += part
            if len(content) > MAX_ATTACHMENT_BYTES:
                raise ProblemError(problems.TOO_LARGE)
        media_type = request.headers.get("content-type", "")
        return await _heavy(request, _attach, portal, caller, correction_id, bytes(content), media_type)

    @app.get("/api/v1/steward/corrections/{correction_id}/attachment", responses=ERRORS)
    def steward_attachment(correction_id: str, caller: Authorised) -> Response:
        """部门数据专员：下载纠错的证明材料 / for a steward: a correction's attached document."""
        _account, datasets = portal.stewardship(caller)
        found = _visible_correction(correction_id, lambda c: c.dataset in datasets)
        if found.attachment is None:
            raise ProblemError(problems.NOT_FOUND)
        path = attachment_path(portal.settings, found.attachment.sha256)
        return StreamingResponse(
            _stream(path), media_type=found.attachment.media_type, headers={"Cache-Control": "no-store"}
        )

    @app.get("/api/v1/steward/corrections", response_model=StewardCorrectionList, responses=ERRORS)
    def steward_corrections(
        caller: Authorised, status: Annotated[CorrectionStatus | None, Query()] = None
    ) -> StewardCorrectionList:
        """部门数据专员：本部门数据集收到的纠错 / for a steward: corrections of the department's datasets."""
        account, datasets = portal.stewardship(caller)
        found = [c for name in sorted(datasets) for c in list_corrections(dataset=name, status=status)]
        return StewardCorrectionList(account=account, corrections=[_steward_body(c) for c in found])

    @app.post(
        "/api/v1/steward/corrections/{correction_id}/decision",
        response_model=StewardCorrection,
        responses=ERRORS,
    )
    async def decide(
        correction_id: str, body: DecisionIn, caller: Authorised, request: Request
    ) -> StewardCorrection:
        """部门数据专员：采纳、驳回或撤回一条纠错 / for a steward: accept, reject or retire a correction."""
        return await _heavy(request, _decide, portal, caller, correction_id, body)

    @app.get("/api/v1/corrections", response_model=CorrectionList, responses=ERRORS)
    def corrections(caller: Authorised) -> CorrectionList:
        """您单位提交的纠错及其状态 / the corrections your unit filed, and where each stands."""
        own = list_corrections(unit_code=caller.unit_code)
        return CorrectionList(unit=caller.unit_code, corrections=[_correction_body(c) for c in own])

    @app.get("/api/v1/corrections/{correction_id}", response_model=CorrectionBody, responses=ERRORS)
    def correction(correction_id: str, caller: Authorised) -> CorrectionBody:
        """一条纠错 / one correction your unit filed."""
        return _correction_body(_visible_correction(correction_id, lambda c: c.unit_code == caller.unit_code))

    return app


def _pull(
    portal: Portal, caller: Caller, name: str, fmt: OutputFormat, snapshot: int | None, client: str
) -> tuple[DatasetContract, PulledExtract]:
    """The caller's extract, written and logged (the access log and lineage), ready to stream."""
    contract, grant = portal.grant(caller, name)
    try:
        extract = pull_extract(
            contract, grant, fmt, settings=portal.settings, policy=portal.policy.get(), snapshot_id=snapshot
        )
    except NotFoundError:
        raise ProblemError(problems.NOT_FOUND) from None
    except ExtractUnavailableError as unavailable:
        raise ProblemError(problems.EXTRACT_HELD if unavailable.held else problems.EXTRACT_EMPTY) from None
    try:
        log_pull(
            PullRecord(
                token_id=caller.token_id,
                unit_code=caller.unit_code,
                dataset=contract.name,
                grant_id=grant.id,
                snapshot_id=extract.snapshot_id,
                policy_version=extract.plan.policy_version,
                file_format=extract.format.value,
                rows=extract.rows,
                file_sha256=extract.sha256,
                client=client,
            )
        )
        record_pull_lineage(extract, contract)
    except DatasetBusyError:
        extract.discard()
        raise ProblemError(problems.BUSY) from None
    except BaseException:
        extract.discard()
        raise
    return contract, extract


async def _heavy(request: Request, work: Callable[..., T], *args: Any) -> T:
    """Run long work (writing an extract, reading a workbook, looking records up) on the portal's
    own threads, so quick routes never wait behind it."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "heavy_threads", None)
    if limiter is None:  # mounted under another app (Airflow's API server), whose lifespan it is
        limiter = request.app.state.heavy_threads = anyio.CapacityLimiter(HEAVY_THREADS)
    return await anyio.to_thread.run_sync(functools.partial(work, *args), limiter=limiter)


def _file_one(portal: Portal, caller: Caller, body: CorrectionIn) -> CorrectionBody:
    try:
        found = portal.delivery(caller, body.delivery_id)
        contract, _grant = portal.grant(caller, found.dataset)
        filed = file_correction(
            contract,
            unit_code=caller.unit_code,
            filed_by=f"token:{caller.token_id}",
            delivery_id=found.id,
            row=body.row,
            field=body.field,
            value=body.value,
            reason=body.reason,
            settings=portal.settings,
            fingerprint_key=fingerprint_key(portal.settings),
        )
    except NotFoundError:
        raise ProblemError(problems.NOT_FOUND) from None
    except CorrectionError as refused:
        raise ProblemError(problems.invalid_correction(refused), field=refused.field) from None
    return _correction_body(filed)


def _file_sheet(portal: Portal, caller: Caller, content: bytes) -> CorrectionList:
    try:
        form, delivery_id = sheet_delivery(content)
        found = portal.delivery(caller, delivery_id)
        contract, _grant = portal.grant(caller, found.dataset)
        filed = file_correction_sheet(
            contract,
            form,
            unit_code=caller.unit_code,
            filed_by=f"token:{caller.token_id}",
            settings=portal.settings,
            fingerprint_key=fingerprint_key(portal.settings),
        )
    except NotFoundError:
        raise ProblemError(problems.NOT_FOUND) from None
    except CorrectionSheetError as refused:
        raise ProblemError(problems.INVALID_SHEET, details=refused.problems) from None
    except CorrectionError as refused:
        raise ProblemError(problems.invalid_correction(refused), field=refused.field) from None
    return CorrectionList(unit=caller.unit_code, corrections=[_correction_body(c) for c in filed])


def _visible_correction(correction_id: str, visible: Callable[[Correction], bool]) -> Correction:
    """The correction, when the caller may see it; anything else is not found."""
    if CORRECTION_ID.match(correction_id) is None:
        raise ProblemError(problems.NOT_FOUND)
    try:
        found = get_correction(correction_id)
    except NotFoundError:
        raise ProblemError(problems.NOT_FOUND) from None
    if not visible(found):
        raise ProblemError(problems.NOT_FOUND)
    return found


def _decide(portal: Portal, caller: Caller, correction_id: str, body: DecisionIn) -> StewardCorrection:
    account, datasets = portal.stewardship(caller)
    _visible_correction(correction_id, lambda c: c.dataset in datasets)
    try:
        decided = decide_correction(
            body.decision, correction_id, portal.contract_of, by=account, reason=body.reason
        )
    except NotFoundError:
        raise ProblemError(problems.NOT_FOUND) from None
    except AccessError:
        raise ProblemError(problems.REASON_NEEDED, field="reason") from None
    except CorrectionError as refused:
        raise ProblemError(problems.invalid_correction(refused), field=refused.field) from None
    return _steward_body(decided)


def _steward_body(correction: Correction) -> StewardCorrection:
    return StewardCorrection(**_correction_body(correction).model_dump(), unit=correction.unit_code)


def _attach(
    portal: Portal, caller: Caller, correction_id: str, content: bytes, media_type: str
) -> CorrectionBody:
    try:
        attached = attach(
            correction_id,
            content,
            media_type,
            unit_code=caller.unit_code,
            actor=f"token:{caller.token_id}",
            settings=portal.settings,
        )
    except NotFoundError:
        raise ProblemError(problems.NOT_FOUND) from None
    except CorrectionError as refused:
        raise ProblemError(problems.invalid_correction(refused), field=refused.field) from None
    return _correction_body(attached)


def _attachment_body(attachment: Attachment | None) -> AttachmentBody | None:
    if attachment is None:
        return None
    return AttachmentBody(sha256=attachment.sha256, media_type=attachment.media_type, bytes=attachment.bytes)


def _correction_body(correction: Correction) -> CorrectionBody:
    return CorrectionBody(
        id=correction.id,
        dataset=correction.dataset,
        delivery_id=correction.delivery_id,
        row=correction.row,
        field=correction.field,
        proposed_value=correction.proposed_value,
        reason=correction.reason,
        status=correction.status.value,
        created_at=correction.created_at,
        decided_at=correction.decided_at,
        decision_reason=correction.decision_reason,
        history=[CorrectionStepBody(action=s.action.value, at=s.at, note=s.note) for s in correction.history],
        attachment=_attachment_body(correction.attachment),
    )


class PortalOnFirstRequest:
    """The portal as an ASGI app built on its first request.

    Airflow imports plugins in every component; this keeps the import light and builds the portal
    (contracts, policy) only in the API server that mounts it.
    """

    def __init__(self) -> None:
        self._app: FastAPI | None = None
        self._lock = threading.Lock()

    def app(self) -> FastAPI:
        with self._lock:
            if self._app is None:
                self._app = create_app()
            return self._app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        await self.app()(scope, receive, send)
