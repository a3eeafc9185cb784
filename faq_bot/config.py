"""Typed settings: one object, every field overridable as ``FAQ_BOT_<FIELD>``.

``Settings()`` reads the environment only. ``load_settings()`` (what the ``faq-bot``
command and ``create_app()`` use) also reads the settings file (``settings_file()``:
``FAQ_BOT_SETTINGS_FILE``, by default ``faq-bot.env``) that ``faq-bot calibrate --write``
writes; environment variables win over it. The layers
below take small parameter objects built here, never ``Settings`` itself.
"""

from __future__ import annotations

import json
import logging
import os
import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from faq_bot.errors import ConfigError
from faq_bot.model.params import EncoderParams
from faq_bot.retrieval.contact import check_contact_url
from faq_bot.retrieval.params import DecisionParams, IndexParams, RetrievalParams, SearchParams, StoreParams


def _project_root() -> Path:
    """The checkout holding ``faq_bot/`` and ``data/`` (an editable install), else the working folder."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "data").is_dir() else Path.cwd()


log = logging.getLogger("faq_bot.config")
#: Where relative defaults (``data/faq.tsv``, ``index/``, ``var/``) resolve.
PROJECT_ROOT = _project_root()

#: Optional settings file (written by `faq-bot calibrate --write`); not kept in git.
SETTINGS_FILE = PROJECT_ROOT / "faq-bot.env"
#: Where `faq-bot calibrate --write` puts a decision model fitted for this installation.
DEFAULT_MODEL_FILE = PROJECT_ROOT / "var" / "decision_model.json"


def settings_file() -> Path:
    """The settings file read at start-up and written by ``faq-bot calibrate --write``: ``FAQ_BOT_SETTINGS_FILE``,
    by default faq-bot.env in the project folder."""
    return Path(os.environ.get("FAQ_BOT_SETTINGS_FILE") or SETTINGS_FILE)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and the settings file (``settings_file``); a name in the file that is no
    setting (a typo: ``FAQ_BOT_ANSWR_THRESHOLD``) is warned of, not silently ignored."""
    path = settings_file()
    try:
        settings = Settings(_env_file=path if path.is_file() else None, **overrides)
        unknown = unknown_settings(path)
    except ValidationError as exc:  # one line a setting, not pydantic's traceback (and never a secret's value)
        raise ConfigError(settings_problem(exc, path)) from None
    except SettingsError as exc:  # a value that is no JSON where a list is expected (FAQ_BOT_SUBJECT_NAMES=notjson)
        raise ConfigError(f"設定が正しくありません（{_where(path)}）:\n  {exc}") from None
    except UnicodeDecodeError as exc:  # saved in Shift_JIS by a Windows editor
        raise ConfigError(
            f"設定ファイル {path} をUTF-8として読めません（{exc.start + 1}バイト目）。UTF-8で保存し直してください。"
        ) from None
    if unknown:
        log.warning("設定ファイル %s の %s は faq-bot の設定にない名前のため、使われません（綴りを確かめてください）。",
                    path, "・".join(unknown))  # fmt: skip
    return settings


#: Names a settings file may hold that are read elsewhere: the service unit's listening address, the file's own name.
NOT_SETTINGS = frozenset({"FAQ_BOT_LISTEN_HOST", "FAQ_BOT_SETTINGS_FILE"})


def unknown_settings(path: Path) -> list[str]:
    """The ``FAQ_BOT_…`` names in a settings file that are no setting (other variables are left alone: the file may
    serve a service unit too)."""
    if not path.is_file():
        return []
    known = {f"FAQ_BOT_{name.upper()}" for name in Settings.model_fields} | NOT_SETTINGS  # (read in any case)
    return [
        k for k in dotenv_values(path, encoding="utf-8") if k.upper().startswith("FAQ_BOT_") and k.upper() not in known
    ]


#: What is said of a setting that holds a secret instead of the validator's words (which may quote the value).
_SECRET_RULES = {
    "admin_token": "管理トークンは16文字以上にしてください（値は表示しません）",
    "database_url": "postgresql://ユーザー:パスワード@ホスト:5432/DB名 の形にしてください（値は表示しません）",
    "redis_url": "redis://ホスト:6379/0 の形にしてください（値は表示しません）",
}


def _where(path: Path) -> str:
    return f"環境変数または {path}" if path.is_file() else "環境変数"


def settings_problem(exc: ValidationError, path: Path) -> str:
    """What is wrong with the settings, one line per setting, named as it is set (``FAQ_BOT_<FIELD>``)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        field_name = ".".join(str(part) for part in error["loc"])
        named = f"FAQ_BOT_{field_name.upper()}" if field_name else "（設定全体）"
        said = _SECRET_RULES.get(field_name) or error["msg"].removeprefix("Value error, ")
        lines.append(f"  {named}: {said}")
    return f"設定が正しくありません（{_where(path)}）:\n" + "\n".join(lines)


def write_settings(values: dict[str, str], path: Path | None = None) -> Path:
    """Set ``FAQ_BOT_<KEY>=value`` lines in the settings file (``settings_file``), keeping its other lines; the
    file written."""
    path = path or settings_file()
    keys = {f"FAQ_BOT_{k.upper()}": v for k, v in values.items()}
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    kept = [ln for ln in lines if ln.split("=", 1)[0].strip() not in keys]
    path.write_text("\n".join([*kept, *(f"{k}={v}" for k, v in keys.items())]) + "\n", encoding="utf-8")
    return path


def _without_password(url: str) -> str:
    """A URL as it may be shown in an error message: its scheme and host, never what stands before the last ``@``
    (a password may hold ``/``, ``#`` or ``@`` that a URL parser reads as the path, the fragment or the host) nor
    the path and query after the host (``?password=…``, as libpq reads it)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "(URL)"  # no scheme: perhaps a pasted password
    _, at, after = rest.rpartition("@")
    host = re.split(r"[/?#]", after, maxsplit=1)[0]
    return f"{scheme}://{'***@' if at else ''}{host}"


def default_cache_dir() -> Path:
    """faq-bot's per-user cache (converted model, indexes of other FAQ files), outside git."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "faq-bot"


def default_model_dir() -> Path:
    """Where set-up puts the converted model."""
    return default_cache_dir() / "models" / "multilingual-e5-small"


#: The decision's defaults, kept in one place (``DecisionParams``): the settings offer each of them as it is there.
_DECISION = DecisionParams()
_REPLIES = dict(_DECISION.smalltalk_replies)


MAX_SUBJECT_NAMES = 20
MAX_SUBJECT_NAME = 100


class Settings(BaseSettings):
    """Everything that can be configured; see the README for what each field means."""

    # hide_input_in_errors: a refused value is not echoed (a database URL carries its password; the
    # validators' own messages show what is wrong with secrets masked).
    model_config = SettingsConfigDict(
        env_prefix="FAQ_BOT_", extra="ignore", frozen=True, env_file_encoding="utf-8", hide_input_in_errors=True
    )

    # Files
    faq_path: Path = PROJECT_ROOT / "data" / "faq.tsv"
    synonyms_path: Path = PROJECT_ROOT / "data" / "synonyms.tsv"
    index_dir: Path = PROJECT_ROOT / "index"
    model_dir: Path = Field(default_factory=default_model_dir)
    max_faq_bytes: int = Field(20_000_000, gt=0)

    # Retrieval
    index_type: Literal["flat", "hnsw"] = "flat"
    hnsw_m: int = Field(32, ge=4, le=256)
    hnsw_ef_construction: int = Field(200, ge=8)
    hnsw_ef_search: int = Field(128, ge=8)
    # HNSW only: entries outside the dense results re-scored exactly (speed vs recall of the
    # hybrid top 10 on 100k entries: 300 → 2.7 ms / 0.78, 3000 → 12.5 ms / 0.98).
    hnsw_rescore_cap: int = Field(3000, ge=10)
    dense_weight: float = Field(0.7, ge=0.0, le=1.0)
    # The dense side is the best cosine minus the query's mean cosine to the FAQ (mE5's raw
    # cosines are bunched in 0.80-0.95); this range of it maps onto 0..1 before mixing.
    dense_floor: float = Field(0.0, ge=-1.0, lt=1.0)
    dense_ceiling: float = Field(0.15, gt=-1.0, le=1.0)
    bm25_k1: float = Field(1.2, gt=0.0)
    bm25_b: float = Field(0.5, ge=0.0, le=1.0)
    candidates: int = Field(50, ge=1)
    encode_batch_size: int = Field(32, ge=1)
    # auto: ONNX Runtime fp32 when `make model` exported it (same vectors as torch, ~2x faster), else torch.
    encoder_backend: Literal["auto", "torch", "onnx", "onnx-int8"] = "auto"
    encoder_threads: int = Field(0, ge=0)  # 0: one per core
    max_seq_length: int = Field(256, ge=16, le=512)
    # Tokens of question + answer embedded as a passage (0: max_seq_length). Shorter passages build
    # faster; measured figures in docs/benchmarks.md.
    passage_max_length: int = Field(0, ge=0, le=512)
    micro_batch: bool = True  # coalesce concurrent questions into one encoder call
    reply_cache_size: int = Field(2048, ge=0)  # replies kept per FAQ version; 0 disables
    # What visitors call what the FAQ is about (the site, the service, the company): in the asking sentence of
    # a long message, context and not the topic. In the environment as JSON: FAQ_BOT_SUBJECT_NAMES='["…"]'.
    subject_names: tuple[str, ...] = ("NECソリューションイノベータ", "オンラインマーケット")

    # Decision
    # Probabilities that an entry answers the question, from the decision model (see the README).
    decision_model_path: Path | None = None  # None: the model shipped with faq-bot
    answer_threshold: float = Field(_DECISION.answer_threshold, ge=0.0, le=1.0)
    # The topic model's probability that one of the first candidates answers; with a decision model
    # file of format 1 (no topic model), the candidates' probabilities summed, as before (up to 3).
    suggest_threshold: float = Field(_DECISION.suggest_threshold, ge=0.0, le=3.0)
    candidate_threshold: float = Field(_DECISION.candidate_threshold, ge=0.0, le=1.0)
    answer_margin: float = Field(_DECISION.answer_margin, ge=0.0, le=1.0)
    # Escalate when the question asks for a time, a price or a number and the best entry names none.
    check_asked_kind: bool = _DECISION.check_asked_kind
    suggestion_count: int = Field(_DECISION.suggestion_count, ge=1, le=10)
    # An escalation still lists the entries scoring at least this as "関連するご質問" (small
    # talk scores at most ~0.30 on the dev set, so it gets none); show_related=false turns it off.
    related_threshold: float = Field(_DECISION.related_threshold, ge=0.0, le=1.0)
    show_related: bool = _DECISION.show_related
    escalation_text: str = _DECISION.escalation_text
    # Replies to greetings, thanks, goodbyes and "who are you?" (an empty text: treat that kind like any question;
    # a greeting's opening salutation is returned in kind: 「おはようございます。ご質問をどうぞ。」).
    smalltalk_greeting: str = _REPLIES["greeting"]
    smalltalk_thanks: str = _REPLIES["thanks"]
    smalltalk_goodbye: str = _REPLIES["goodbye"]
    smalltalk_about_bot: str = _REPLIES["about_bot"]
    # A message with no content word at all (「すみません」, 「はい」, 「？」, 「123」): nothing asked yet.
    smalltalk_no_question: str = _REPLIES["no_question"]
    # May hold {question} and {request_id}: the contact form opens with the visitor's question filled in.
    contact_url: str = _DECISION.contact_url

    # Publishing (content editors)
    admin_token: SecretStr | None = None
    keep_versions: int = Field(10, ge=2, le=1000)
    regression_path: Path = PROJECT_ROOT / "data" / "regression.tsv"
    faq_watch: bool = False
    watch_interval: float = Field(1.0, gt=0.0)
    admin_session_hours: float = Field(8.0, gt=0.0)
    # Live admin sessions (logout ends one at once), shared by the processes of this machine.
    session_path: Path = PROJECT_ROOT / "var" / "sessions.sqlite3"
    # Failed admin logins (login form or bearer token) per client before 429; empty disables.
    admin_login_limit: str = "10/15minutes"

    # Times on the admin pages and in CSV files (an IANA zone name)
    timezone: str = "Asia/Tokyo"

    # Several machines: PostgreSQL shared by the replicas (log, sessions, published versions), Redis for limits.
    # Unset: a SQLite file and the local index folder (one machine), per-process limits.
    database_url: SecretStr | None = None  # postgresql://user:password@host:5432/faq_bot
    redis_url: SecretStr | None = None  # redis://host:6379/0
    # On SIGTERM, requests in flight get this long to finish before the server closes.
    shutdown_seconds: float = Field(20.0, ge=0.0, le=600.0)

    # Chat service
    log_path: Path = PROJECT_ROOT / "var" / "chat.sqlite3"
    log_mask_personal_data: bool = True
    log_retention_days: int = Field(180, ge=0)  # 0 keeps everything
    # Rows wait in memory while the log is slow or failing (disk full, locked); past the queue size or
    # log_retry_seconds of failed retries they are dropped, counted and warned about. Chat never waits.
    log_queue_size: int = Field(50_000, ge=1)
    log_retry_seconds: float = Field(300.0, ge=0.0)
    max_message_chars: int = Field(1000, ge=1, le=2000)  # 2000: the bound documented in the API schema
    max_body_bytes: int = Field(16_384, ge=1024)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Sites allowed to show our pages in a frame (CSP frame-ancestors), e.g. "'self' https://shop.example".
    frame_ancestors: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["'self'"])
    rate_limit: str = "60/minute"  # per client on the visitor API; empty disables
    # Reverse proxies whose X-Forwarded-For hops are believed, e.g. "127.0.0.1,10.0.0.0/8"; empty: the peer
    # address is the client whatever the headers say. The client is the right-most hop not added by one of them.
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(default_factory=list)
    trust_forwarded_for: bool = False  # deprecated: true trusts a proxy on this machine (127.0.0.1, ::1)
    bot_title: str = "サポートチャット"
    greeting: str = "こんにちは。オンラインマーケットについてのご質問にお答えします。"
    example_questions: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "見積書の発行はできますか",
            "支払い方法について教えてください",
            "請求書はいつ発行されますか",
        ]
    )

    @field_validator("rate_limit", "admin_login_limit")
    @classmethod
    def _rate(cls, value: str, info: ValidationInfo) -> str:
        if value.strip():
            from limits import parse

            try:
                parse(value)
            except ValueError as exc:
                raise ValueError(f"{info.field_name} {value!r} is not like '30/minute': {exc}") from exc
        return value

    @field_validator("database_url", "redis_url", mode="before")
    @classmethod
    def _service_url(cls, value: object, info: ValidationInfo) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(text, str):
            return value
        if not text.strip():
            return None  # FAQ_BOT_DATABASE_URL="" means "one machine", like unset
        schemes = ("postgresql://", "postgres://", "postgresql+psycopg://")
        if info.field_name == "redis_url":
            schemes = ("redis://", "rediss://", "unix://")
        if not text.strip().startswith(schemes):
            raise ValueError(f"{info.field_name} {_without_password(text)!r} must start with {' or '.join(schemes)}")
        return text.strip()

    @field_validator("contact_url")
    @classmethod
    def _contact(cls, value: str) -> str:
        return check_contact_url(value.strip())

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone {value!r} is not a time zone name such as Asia/Tokyo or UTC") from exc
        return value

    @field_validator("cors_origins", "example_questions", "frame_ancestors", mode="before")
    @classmethod
    def _list(cls, value: object) -> object:
        # FAQ_BOT_CORS_ORIGINS="https://a.example, https://b.example" (or a JSON list)
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split("," if "," in text else "|") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        parts = value.split(",") if isinstance(value, str) else value
        if not isinstance(parts, list | tuple):
            return value
        networks = []
        for part in parts:
            if isinstance(part, IPv4Network | IPv6Network):
                networks.append(part)
            elif str(part).strip():
                try:
                    networks.append(ip_network(str(part).strip(), strict=False))
                except ValueError as exc:
                    raise ValueError(
                        f"trusted_proxies: {str(part).strip()!r} is not an IP address or network "
                        "(like 127.0.0.1 or 10.0.0.0/8)"
                    ) from exc
        return networks

    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The trusted proxies (the deprecated ``trust_forwarded_for`` means a proxy on this machine)."""
        if not self.trusted_proxies and self.trust_forwarded_for:
            return (ip_network("127.0.0.1/32"), ip_network("::1/128"))
        return tuple(self.trusted_proxies)

    @field_validator("admin_token", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None  # FAQ_BOT_ADMIN_TOKEN="" means "admin disabled", not an empty password
        if isinstance(value, str) and len(value.strip()) < 16:
            raise ValueError("admin_token must be at least 16 characters")
        return value

    @field_validator(
        "faq_path",
        "synonyms_path",
        "index_dir",
        "model_dir",
        "log_path",
        "regression_path",
        "session_path",
        "decision_model_path",
    )
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        # User-given relative paths mean "relative to where I am"; defaults are absolute already.
        return value.expanduser().resolve() if value is not None else None

    @field_validator("subject_names")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(n.strip() for n in value if n.strip()))
        if len(names) > MAX_SUBJECT_NAMES or any(len(n) > MAX_SUBJECT_NAME for n in names):
            longest = max(names, key=len)
            raise ValueError(
                f"subject_names: at most {MAX_SUBJECT_NAMES} names of at most {MAX_SUBJECT_NAME} characters "
                f"(given {len(names)}, the longest {len(longest)}: {longest[:20]!r})"
            )
        return names

    @model_validator(mode="after")
    def _ordered(self) -> Settings:
        if self.dense_floor >= self.dense_ceiling:
            raise ValueError(f"dense_floor ({self.dense_floor}) must be below dense_ceiling ({self.dense_ceiling})")
        return self

    def store_params(self) -> StoreParams:
        """Where the FAQ, its synonyms and its builds live."""
        return StoreParams(self.faq_path, self.index_dir, self.synonyms_path, self.max_faq_bytes, self.keep_versions)

    def retrieval_params(self) -> RetrievalParams:
        """What the retrieval core needs, and nothing else."""
        return RetrievalParams(
            store=self.store_params(),
            index=IndexParams(
                self.index_type, self.hnsw_m, self.hnsw_ef_construction, self.bm25_k1, self.bm25_b,
                self.encode_batch_size,
            ),
            search=SearchParams(
                self.dense_weight, self.dense_floor, self.dense_ceiling, self.candidates, self.hnsw_ef_search,
                self.hnsw_rescore_cap, self.subject_names,
            ),
            decision=DecisionParams(
                answer_threshold=self.answer_threshold, suggest_threshold=self.suggest_threshold,
                candidate_threshold=self.candidate_threshold, answer_margin=self.answer_margin,
                check_asked_kind=self.check_asked_kind, suggestion_count=self.suggestion_count,
                related_threshold=self.related_threshold, show_related=self.show_related,
                escalation_text=self.escalation_text, contact_url=self.contact_url,
                smalltalk_replies=(
                    ("greeting", self.smalltalk_greeting), ("thanks", self.smalltalk_thanks),
                    ("goodbye", self.smalltalk_goodbye), ("about_bot", self.smalltalk_about_bot),
                    ("no_question", self.smalltalk_no_question),
                ),
            ),
            decision_model=self.decision_model_path,
            reply_cache_size=self.reply_cache_size,
        )  # fmt: skip

    def encoder_params(self, micro_batch: bool | None = None) -> EncoderParams:
        """Which model and encoder backend, and how it runs."""
        return EncoderParams(
            self.model_dir, self.encoder_backend, self.encode_batch_size, self.max_seq_length, self.encoder_threads,
            self.micro_batch if micro_batch is None else micro_batch, self.passage_max_length or None,
        )  # fmt: skip
