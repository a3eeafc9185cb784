"""The content editors' API (bearer token, or a page session with its CSRF token): publish, versions, rollback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from faq_bot.content.faq import charset_of
from faq_bot.content.workbook import XLSX_MEDIA_TYPE, excel_tsv, write_workbook
from faq_bot.quality.unanswered import recheck_after_rollback
from faq_bot.service import schemas
from faq_bot.service.auth import AdminApiRoute
from faq_bot.service.deps import ChatLogDep, PublisherDep
from faq_bot.service.offload import in_background
from faq_bot.service.uploads import as_tsv, as_uploaded, origin_of, read_upload

ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.ErrorReply, "description": "認証が必要"},
    403: {"model": schemas.ErrorReply, "description": "トークンが正しくない・Cookie認証でCSRFトークンがない"},
    429: {"model": schemas.ErrorReply, "description": "認証の失敗が続いた（Retry-After 秒後に再試行）"},
    404: {"model": schemas.ErrorReply, "description": "指定されたバージョンやFAQがない"},
    413: {"model": schemas.ErrorReply, "description": "ファイルが大きすぎる"},
    422: {"model": schemas.FormatErrorReply, "description": "FAQファイルの問題（行・列つき）"},
    503: {"model": schemas.ErrorReply, "description": "管理機能が無効（トークン未設定）"},
}
# Credentials are checked before a body is read: an unauthenticated upload is refused unread.
publishing_api = APIRouter(prefix="/admin", tags=["admin"], responses=ADMIN_ERRORS, route_class=AdminApiRoute)


@publishing_api.post("/reload", summary="ディスク上のTSVを再読み込みして公開", response_model=schemas.PublishReply)
async def reload(publisher: PublisherDep, dry_run: Annotated[bool, Query()] = False) -> Any:
    """Validate the configured TSV, build off to the side, then swap (``dry_run=1``: only the preview)."""
    result = await in_background(lambda: publisher.reload(dry_run=dry_run))
    return schemas.PublishReply.of(result, dry_run)


@publishing_api.post(
    "/faq",
    summary="TSVをアップロードして公開",
    response_model=schemas.PublishReply,
    responses={
        409: {"model": schemas.StaleFileReply, "description": "ダウンロード後に公開された変更を元に戻すファイル"}
    },
)
async def upload(
    publisher: PublisherDep,
    file: Annotated[
        UploadFile,
        File(description="FAQ TSV（UTF-8、BOM付きUTF-8、CP932）またはExcel（.xlsx、FAQの見出し行があるシート）"),
    ],
    dry_run: Annotated[bool, Query()] = False,
    overwrite: Annotated[
        bool,
        Query(description="ダウンロードしたときより後に公開された変更を、このファイルが元に戻す場合も公開する"),
    ] = False,
) -> Any:
    """Publish an uploaded TSV or workbook; the file on disk (always TSV) is replaced only after success.

    A workbook downloaded from /admin/faq.xlsx knows the version it was made from: if publishing it would undo
    changes published since, it is refused (409) unless ``overwrite=1``; ``drift`` in the reply says which."""
    raw = await read_upload(file, publisher.paths.max_faq_bytes)
    name = file.filename or "upload.tsv"
    tsv, book = await in_background(as_tsv, raw, name)
    origin = await in_background(origin_of, raw, publisher.paths.max_faq_bytes)
    result = await in_background(
        lambda: publisher.publish_bytes(tsv, name, dry_run=dry_run, origin=origin, overwrite=overwrite)
    )
    return schemas.PublishReply.of(as_uploaded(result, book), dry_run)


@publishing_api.get("/versions", summary="保存されているバージョン", response_model=list[schemas.VersionOut])
async def versions(publisher: PublisherDep) -> Any:
    """Kept versions, newest first."""
    return [schemas.VersionOut.of(v) for v in await in_background(publisher.versions)]


@publishing_api.post("/rollback", summary="以前のバージョンに戻す", response_model=schemas.VersionOut)
async def rollback(body: schemas.RollbackRequest, publisher: PublisherDep, chatlog: ChatLogDep) -> Any:
    """Serve a kept version again, with the same atomic swap; the logged questions an alternate published since
    answered, and no longer does, go back on their list."""
    version = await in_background(publisher.rollback, body.build_id)
    await in_background(
        recheck_after_rollback, publisher.engine, chatlog, version.faq_version, version.built_seconds, publisher.recent
    )
    return schemas.VersionOut.of(version)


@publishing_api.get("/faq.tsv", summary="公開中のTSVをダウンロード", response_class=Response)
async def download(
    publisher: PublisherDep,
    excel: Annotated[bool, Query(description="Excel用: BOM付きUTF-8、数式に見えるセルの前に '")] = False,
) -> Response:
    """The TSV of the version being served, as it was published (``excel=1``: for Excel on Japanese Windows)."""
    loaded = publisher.engine.current
    if excel:
        data, charset = excel_tsv(loaded.index.entries), "utf-8"
    else:  # as published: in the encoding it was uploaded in (CP932 from Excel on Windows), and said so
        data = await in_background(publisher.current_tsv)
        charset = await in_background(charset_of, data)
    name = f"faq-{loaded.faq_version}{'-excel' if excel else ''}.tsv"
    return Response(
        data,
        media_type=f"text/tab-separated-values; charset={charset}",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@publishing_api.get("/faq.xlsx", summary="公開中のFAQをExcelでダウンロード", response_class=Response)
async def download_workbook(publisher: PublisherDep) -> Response:
    """The entries being served as an .xlsx (every cell text; upload it again as it is)."""
    loaded = publisher.engine.current
    published = await in_background(publisher.current_tsv)
    data = await in_background(write_workbook, loaded.index.entries, loaded.faq_version, published)
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="faq-{loaded.faq_version}.xlsx"'},
    )
