"""Every error the portal answers with: an HTTP status, a stable code, a Chinese and an English message.

Messages never repeat what the caller sent (a path, a token, a value). "Not yours" and "does not
exist" are the same problem, :data:`NOT_FOUND`, for datasets, snapshots and deliveries alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import JSONResponse

from huiliu.errors import CorrectionError


@dataclass(frozen=True, kw_only=True)
class Problem:
    status: int
    code: str
    message_zh: str
    message_en: str

    def body(
        self, field: str | None = None, details: list[dict[str, object]] | None = None
    ) -> dict[str, object]:
        body: dict[str, object] = {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        if field:
            body["field"] = field
        if details is not None:
            body["problems"] = details
        return body

    def response(
        self,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        details: list[dict[str, object]] | None = None,
    ) -> JSONResponse:
        return JSONResponse(self.body(field, details), status_code=self.status, headers=headers)


class ProblemError(Exception):
    """Raised inside a route to answer with a problem (``field``: the input that is wrong)."""

    def __init__(
        self,
        problem: Problem,
        *,
        headers: dict[str, str] | None = None,
        field: str | None = None,
        details: list[dict[str, object]] | None = None,
    ) -> None:
        super().__init__(problem.code)
        self.problem = problem
        self.headers = headers
        self.field = field
        self.details = details


def invalid_correction(refused: CorrectionError) -> Problem:
    """A correction refused by its rules (row, column, value or reason), in the rule's own words."""
    return Problem(
        status=422, code="invalid_correction", message_zh=refused.message_zh, message_en=refused.message_en
    )


NOT_FOUND = Problem(
    status=404,
    code="not_found",
    message_zh="未找到：没有该资源，或它不属于您的单位",
    message_en="not found: no such resource, or it is not your unit's",
)
TOKEN_INVALID = Problem(
    status=401,
    code="token_invalid",
    message_zh="令牌缺失或无效：请在请求头中提供 Authorization: Bearer <令牌>",
    message_en="a missing or invalid token: send the header Authorization: Bearer <token>",
)
TOKEN_EXPIRED = Problem(
    status=401,
    code="token_expired",
    message_zh="令牌已过期：请联系数据局签发新令牌",
    message_en="the token has expired: ask the data bureau for a new one",
)
TOKEN_REVOKED = Problem(
    status=401,
    code="token_revoked",
    message_zh="令牌已被吊销：请联系数据局",
    message_en="the token was revoked: contact the data bureau",
)
TOO_MANY_FAILURES = Problem(
    status=429,
    code="too_many_failures",
    message_zh="失败尝试过多，请稍后再试（见 Retry-After）",
    message_en="too many failed attempts; try again later (see Retry-After)",
)
INVALID_REQUEST = Problem(
    status=422,
    code="invalid_request",
    message_zh="请求参数有误：format 须为 csv、xlsx 或 parquet，snapshot 须为快照编号",
    message_en="a request parameter is wrong: format is csv, xlsx or parquet; snapshot is a snapshot id",
)
METHOD_NOT_ALLOWED = Problem(
    status=405,
    code="method_not_allowed",
    message_zh="该地址不支持此请求方法",
    message_en="this method is not allowed here",
)
EXTRACT_HELD = Problem(
    status=409,
    code="extract_held",
    message_zh="您单位的数据提取因再识别风险待合规官审核，审核通过后即可下载",
    message_en="your unit's extract is held for a compliance officer's review (re-identification risk)",
)
EXTRACT_EMPTY = Problem(
    status=409,
    code="extract_empty",
    message_zh="该快照中没有您辖区的记录",
    message_en="the snapshot holds no record of your unit's area",
)
BUSY = Problem(
    status=503,
    code="busy",
    message_zh="服务繁忙，请稍后重试",
    message_en="the portal is busy; retry shortly",
)
NOT_READY = Problem(
    status=503,
    code="not_ready",
    message_zh="服务尚未就绪：治理库或数据湖不可用",
    message_en="not ready: the governance store or the lake cannot be reached",
)
INTERNAL = Problem(
    status=500,
    code="internal_error",
    message_zh="服务内部错误，已记录；请联系数据局",
    message_en="an internal error, logged; contact the data bureau",
)
TOO_LARGE = Problem(
    status=413,
    code="too_large",
    message_zh="上传的文件过大（上限 50 MB）",
    message_en="the uploaded file is too large (at most 50 MB)",
)
INVALID_SHEET = Problem(
    status=422,
    code="invalid_correction_sheet",
    message_zh="“纠错”表未被接收：见 problems 中每一行的问题，改正后整表重新交回",
    message_en="the 纠错 sheet was not accepted: see each row in problems, fix them and send the whole "
    "sheet again",
)
REASON_NEEDED = Problem(
    status=422,
    code="reason_needed",
    message_zh="驳回或撤回须说明理由（reason）",
    message_en="rejecting or retiring needs a reason (reason)",
)
