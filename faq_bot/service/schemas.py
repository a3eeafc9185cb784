"""Request and response models of the HTTP API (what OpenAPI documents)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from faq_bot.content.merge import Drift, DriftEntry
from faq_bot.publishing.publisher import PublishResult, Version
from faq_bot.quality.explain import Explanation
from faq_bot.retrieval.contact import contact_link, refers_to_contact
from faq_bot.retrieval.decision import Decision, Reply, reply_data
from faq_bot.retrieval.params import DecisionParams
from faq_bot.service.diffs import EntryChangeOut

#: The documented upper bound of a message; ``max_message_chars`` can only make it stricter.
MAX_MESSAGE_CHARS = 2000

#: The longest visitor question that can become an alternate as it is (a longer one is a message, not a phrasing).
ALTERNATE_CHARS = 500


class ChatRequest(BaseModel):
    """A visitor's question."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"message": "クレジットカードは使えますか", "categories": ["契約"]}]},
    )

    message: str = Field(
        min_length=1, max_length=MAX_MESSAGE_CHARS, pattern=r"\S", description="訪問者の質問（前後の空白は無視）"
    )
    categories: list[str] | None = Field(default=None, description="この分類の中だけから答える", max_length=50)
    session_id: str | None = Field(default=None, max_length=100, description="会話をまとめるための任意のID")


class EntryRef(BaseModel):
    """An FAQ entry as a reference (no answer)."""

    id: str
    category: str
    question: str


class Escalation(BaseModel):
    """Where the visitor goes when the FAQ has no answer (with もしかして: when none of the candidates fits)."""

    text: str
    contact_url: str


class ChatReply(BaseModel):
    """The bot's reply to one question."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "answer",
                    "answer": "クレジットカードは、VISA、Master、JCB、AMEX、DINERSに対応しています。…",
                    "entry": {"id": "21", "category": "契約", "question": "クレジットカードは対応していますか"},
                    "confidence": 0.82,
                    "suggestions": [],
                    "escalation": None,
                    "related": [],
                    "request_id": "5f0c0e1d9a2b4c7e8f6a1b2c3d4e5f60",
                    "faq_version": "6bf6b4527c1d",
                    "contact_url": "https://example.com/contact?q=%E3%82%AF%E3%83%AC%E3%82%AB",
                    "refers_to_contact": True,
                }
            ]
        }
    )

    decision: Literal["answer", "suggest", "escalate", "smalltalk"] = Field(
        description="answer: 回答 / suggest: もしかして（候補） / escalate: 担当者へ案内 / smalltalk: あいさつへの返事"
    )
    answer: str = Field(description="回答文（suggest のときは空、smalltalk のときはあいさつの返事）")
    entry: EntryRef | None
    confidence: float = Field(ge=0, le=1)
    suggestions: list[EntryRef]
    escalation: Escalation | None
    related: list[EntryRef] = Field(
        default_factory=list, description="escalate のとき、参考になるかもしれないFAQの質問（回答ではない）"
    )
    request_id: str
    faq_version: str
    contact_url: str = Field(
        default="", description="この質問を添えたお問い合わせフォームのURL（👎のあと・担当者への案内で使う）"
    )
    refers_to_contact: bool = Field(
        default=False,
        description="この返答が訪問者をお問い合わせフォームへ案内している（担当者へ案内、またはそう書いた回答・あいさつ）",
    )

    @classmethod
    def of(cls, reply: Reply, request_id: str, faq_version: str, question: str, params: DecisionParams) -> ChatReply:
        """The API's view of an engine reply, with the contact link prefilled with the visitor's question."""
        data = {**reply_data(reply), "request_id": request_id, "faq_version": faq_version}
        # Small talk is no question for the form: its link (「あなたは誰？」 names the form) is not prefilled with it.
        talk = reply.decision == Decision.SMALLTALK
        link = contact_link(params.contact_url, "" if talk else question, request_id)
        if data["escalation"] is not None:
            data["escalation"] = {**data["escalation"], "contact_url": link}
        refers = reply.decision == Decision.ESCALATE or (
            reply.decision in (Decision.ANSWER, Decision.SMALLTALK)
            and refers_to_contact(reply.answer, params.escalation_text)
        )
        return cls.model_validate({**data, "contact_url": link, "refers_to_contact": refers})


class FaqAnswer(BaseModel):
    """One entry with its answer (a clicked suggestion)."""

    id: str
    category: str
    question: str
    answer: str
    faq_version: str
    contact_url: str = Field(default="", description="お問い合わせフォームのURL（質問を添えて）")
    refers_to_contact: bool = Field(default=False, description="回答がお問い合わせフォームへ案内している")


class Categories(BaseModel):
    """The categories of the published FAQ."""

    categories: list[str]
    faq_version: str


class FeedbackRequest(BaseModel):
    """👍 / 👎 on one reply."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"request_id": "5f0c0e1d9a2b4c7e8f6a1b2c3d4e5f60", "rating": "up"}]},
    )

    request_id: str = Field(min_length=1, max_length=64)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=1000)


class FeedbackReply(BaseModel):
    """The feedback was recorded."""

    ok: bool = True


class Health(BaseModel):
    """Liveness / readiness."""

    status: Literal["ok", "loading", "database_unreachable", "behind"]
    faq_version: str | None = None
    entries: int | None = None


class LogStatus(BaseModel):
    """The question log: ``degraded`` while writes fail (rows queued and retried); chat answers either way."""

    status: Literal["ok", "degraded"]
    queued: int = Field(description="書き込み待ちの行数")
    written: int = Field(description="起動後に書き込んだ行数")
    lost: int = Field(description="起動後に失われた行数（再試行の期限切れ・キューあふれ）")
    reason: Literal["disk_full", "locked", "unavailable", "write_failed"] | None = None


class Readiness(Health):
    """Readiness: ``ok`` once the FAQ is loaded and, with a shared database, reachable and followed; the log's state."""

    log: LogStatus | None = None
    database: Literal["ok", "unreachable"] | None = Field(None, description="共有データベース（複数台構成のみ）")


class ErrorReply(BaseModel):
    """Every error: FastAPI's shape, a Japanese message for visitors."""

    detail: str
    max_chars: int | None = Field(None, description="メッセージが長すぎたとき: このサーバーが受け付ける文字数")


class Problem(BaseModel):
    """One problem of an uploaded FAQ file."""

    line: int | None
    column: str | None
    message: str


class RegressionChangeOut(BaseModel):
    """A regression question whose outcome changes."""

    query: str
    expected: list[str]
    before: str
    after: str
    verdict: str
    confirmed: bool = Field(False, description="質問ログで確認済みにした回答（回帰テストのファイルではなく）")
    categories: list[str] = Field(default_factory=list, description="この分類に絞って聞いた質問（空: FAQ全体）")


class OwnPhrasingMissOut(BaseModel):
    """A new or edited entry's question or alternate that the published FAQ would not answer with that entry."""

    entry_id: str
    text: str
    outcome: str = Field(description="公開後の判定（suggest:3,5 / escalate / answer:7）")
    before: str | None = Field(
        None, description="現在の公開版での判定（その項目に前からある質問・言い換えのとき。新しいものは null）"
    )
    worse: bool = Field(
        False, description="現在はその項目で回答しているのに、公開後は回答しなくなるとき true（この変更による悪化）"
    )
    as_written: bool = Field(
        False,
        description="書かれた文のままなら回答する（確率は回答のしきい値に届かない）とき true: 同じことを別の言い方で"
        "尋ねた質問には回答しない見込み",
    )


class DriftEntryOut(BaseModel):
    """An entry published since the file's origin."""

    entry_id: str
    question: str
    live_change: str = Field(description="その後の公開でのこのFAQの変化（added / changed / removed）")
    file_change: str = Field("", description="両方で変わったFAQで、このファイルでの変化（added / changed / removed）")


class DriftOut(BaseModel):
    """A workbook made from an older version: what was published since, and what the file would undo."""

    origin: str = Field(description="ファイルの元になった版（faq_version）")
    origin_built_at: str = Field("", description="その版の作成日時（ISO 8601。分からないときは空）")
    known: bool = Field(description="false: その版はもう保存されておらず、比べられない")
    since: int = Field(description="その後の公開で変わったFAQの数")
    undone: list[DriftEntryOut] = Field(description="このファイルを公開すると元に戻る、その後の変更")
    conflicts: list[DriftEntryOut] = Field(description="その後の公開とこのファイルの両方で、違う内容に変えたFAQ")
    order_undone: bool = Field(False, description="true: その後に公開された並び順の変更が、このファイルで元に戻る")

    @classmethod
    def of(cls, d: Drift) -> DriftOut:
        """The API's view of a drift."""

        def out(entries: Sequence[DriftEntry]) -> list[DriftEntryOut]:
            return [
                DriftEntryOut(entry_id=e.id, question=e.question, live_change=e.live_change, file_change=e.file_change)
                for e in entries
            ]

        return cls(
            origin=d.origin, origin_built_at=d.origin_built_at, known=d.known, since=d.since, undone=out(d.undone),
            conflicts=out(d.conflicts), order_undone=d.order_undone,
        )  # fmt: skip


class StaleFileReply(BaseModel):
    """A workbook refused because publishing it would undo changes published after it was downloaded."""

    detail: str
    reason: Literal["stale_file"]
    undone: list[str] = Field(description="このファイルを公開すると、その後の変更が元に戻るFAQのid")
    conflicts: list[str] = Field(description="その後の公開とこのファイルの両方で、違う内容に変えたFAQのid")
    origin_known: bool = Field(description="false: 元になった版がもう保存されておらず、比べられない")
    order_undone: bool = Field(False, description="true: その後に公開された並び順の変更が、このファイルで元に戻る")


class VersionOut(BaseModel):
    """A kept FAQ version."""

    build_id: str
    faq_version: str
    built_at: str
    entries: int
    source: str
    current: bool = Field(description="このサーバーが今配信している版")
    problem: str | None = Field(None, description="CURRENT が指しているのに配信できない理由（壊れた版）")

    @classmethod
    def of(cls, version: Version) -> VersionOut:
        """The API's view of a kept version."""
        return cls(**asdict(version))


class PublishReply(BaseModel):
    """What a publish (or dry run) did."""

    published: bool
    dry_run: bool
    encoding: str
    entries: int
    added: int
    removed: int
    changed: int
    changes: list[EntryChangeOut]
    lookalike: list[str] = Field(
        default_factory=list, description="見た目が同じ文字（〜/～ など）だけが違うため変更に数えないFAQのid"
    )
    moved: list[str] = Field(
        default_factory=list, description="並び順の変更で、ほかのFAQに対して位置が変わるFAQのid（新しい順で）"
    )
    category_order: list[str] | None = Field(
        None, description="チャットの分類ボタンの順が変わるとき、変更後の順（FAQに最初に出てくる順）"
    )
    regressions: list[RegressionChangeOut]
    regression_total: int = Field(description="回帰テストで確かめた質問の数（ファイルの質問と、確認済みにした回答）")
    regression_confirmed: int = Field(0, description="regression_total のうち、質問ログで確認済みにした回答の数")
    confirmed_unread: bool = Field(False, description="質問ログを読めず、確認済みにした回答を確かめていないとき true")
    regression_problem: str = Field(
        "", description="回帰テストのファイルがない・読めないとき、その理由（ファイルの質問は確かめていません）"
    )
    own_misses: list[OwnPhrasingMissOut] = Field(
        default_factory=list,
        description="追加・変更したFAQの質問・言い換えのうち、公開後にそのFAQで回答されないもの",
    )
    drift: DriftOut | None = Field(
        None, description="ダウンロードしたときより後に公開があった.xlsxのとき: その後の変更との関係"
    )
    warnings: list[Problem]
    version: VersionOut | None
    seconds: float
    settled: list[str] = Field(
        default_factory=list, description="言い換えの追加で回答できるようになり、未回答の一覧から外した質問"
    )
    still_open: list[str] = Field(default_factory=list, description="追加後もまだ回答できず、一覧に残した質問")
    log_note: str | None = Field(None, description="公開はできたが質問ログを更新できなかったとき、その説明")

    @classmethod
    def of(cls, result: PublishResult, dry_run: bool) -> PublishReply:
        """The API's view of a publish (or a dry run)."""
        p = result.preview
        counts = p.counts()
        return cls(
            published=result.published,
            dry_run=dry_run,
            encoding=p.faq.encoding,
            entries=len(p.faq.entries),
            added=counts["added"],
            removed=counts["removed"],
            changed=counts["changed"],
            changes=[EntryChangeOut.of(c) for c in p.changes],
            lookalike=list(p.lookalike),
            moved=list(p.order.moved) if p.order else [],
            category_order=list(p.order.categories_after) if p.order and p.order.categories_moved else None,
            regressions=[
                RegressionChangeOut(
                    query=r.query,
                    expected=list(r.expected),
                    before=r.before,
                    after=r.after,
                    verdict=r.verdict,
                    confirmed=r.confirmed,
                    categories=list(r.categories),
                )
                for r in p.regressions
            ],
            regression_total=p.regression_total,
            regression_confirmed=p.regression_confirmed,
            confirmed_unread=p.confirmed_unread,
            regression_problem=p.regression_problem,
            own_misses=[
                OwnPhrasingMissOut(
                    entry_id=m.entry_id,
                    text=m.text,
                    outcome=m.outcome,
                    before=m.before,
                    worse=m.worse,
                    as_written=m.as_written,
                )
                for m in p.own_misses
            ],
            drift=DriftOut.of(p.drift) if p.drift is not None else None,
            warnings=[Problem(line=w.line, column=w.column, message=w.message) for w in result.warnings],
            version=VersionOut.of(result.version) if result.version else None,
            seconds=round(result.seconds, 3),
        )


class RollbackRequest(BaseModel):
    """Which kept version to serve again."""

    model_config = ConfigDict(extra="forbid")
    build_id: str = Field(min_length=1, max_length=100)


class FormatErrorReply(BaseModel):
    """A FAQ file was refused: ``detail`` says why, ``problems`` where."""

    detail: str
    encoding: str | None = None
    problems: list[Problem] = []


class ContributionOut(BaseModel):
    """One signal's value and its share of the decision's log-odds (+ toward answering)."""

    name: str
    label: str
    value: float
    contribution: float


class ExplainedHitOut(BaseModel):
    """One top entry in the test console."""

    rank: int
    id: str
    category: str
    question: str
    score: float
    dense: float
    lexical: float
    probability: float = Field(description="このFAQ項目が質問に答えている確率（判定モデル）")
    matched: str
    matched_text: str
    shared_tokens: list[str]
    contributions: list[ContributionOut]


class ExplainReply(BaseModel):
    """The test console's view of one question."""

    query: str
    normalized: str
    focus: str | None = Field(description="複数の文のメッセージで、尋ねている文")
    tokens: list[str]
    unknown_words: list[str] = Field(description="質問の語のうち、FAQ全体のどこにも出てこない語")
    unknown_elsewhere: list[str] = Field(
        description="unknown_words のうち、尋ねている文にはなく、ほかの文（あいさつ・事情の説明）にだけある語"
        "（「FAQにない語の割合」には数えない）"
    )
    mended_words: list[str] = Field(
        description="入力の変換違い（海員→会員、小さい「っ」の抜けた主張→出張など）を、同じ読みのFAQの語に読み替えた語"
    )
    reading: str
    decision: Literal["answer", "suggest", "escalate", "smalltalk"]
    confidence: float
    answer_threshold: float
    suggest_threshold: float
    candidate_threshold: float = Field(
        description="もしかしての候補に示す、候補ごとの確率の下限（このFAQに合わせた補正の前の確率で比べる）"
    )
    intercept: float = Field(
        description="回答の判定モデルの基準の対数オッズ（切片ではなく、どの信号もないとき。語の一致の割合とメッセージの長さは"
        "学習データの平均）。各信号の寄与はここから足します"
    )
    faq_offset: float = Field(
        description="このFAQ向けの一律の補正（対数オッズ、0 なら補正なし）: FAQが答えていない質問（項目の質問を"
        "別の項目で引いたもの、ある質問の主語に別の質問の述語をつないだもの）の確率が判定モデルを学習したFAQより高く出るとき、"
        "どの質問のどの候補にも加えて回答を控えめにする"
    )
    on_topic: float = Field(description="上位の候補のどれかが答えである確率（もしかしての判定モデル）")
    topic_intercept: float = Field(
        description="もしかしての判定モデルの基準の対数オッズ（1位の確率は学習データの平均、ほかは0のとき）"
    )
    topic_contributions: list[ContributionOut]
    off_subject: bool = Field(
        description="1位の確率は回答しきい値に届いたが、FAQの主題から遠いと判定されたため回答しなかった"
    )
    no_shared_words: bool = Field(
        description="共通の語がないことが判定を変えた（1位の項目と共通の語がないため回答しなかった、"
        "または上位の候補のどれとも共通の語がないため候補を出さなかった）"
    )
    unanswered: list[str] = Field(
        description="質問が求める情報（時期・料金・数など）のうち、最上位の回答に書かれていないもの"
    )
    reason: str = Field(description="確率以外で回答しなかった理由（一括テストの結果と同じ文。なければ空）")
    hits: list[ExplainedHitOut]
    faq_version: str

    @classmethod
    def of(cls, explanation: Explanation) -> ExplainReply:
        """The API's view of an explanation."""
        data = asdict(explanation)
        data.pop("reply")
        return cls(**data)


class BatchRow(BaseModel):
    """One question of a batch test."""

    query: str
    expected: str
    got: str
    decision: str
    rank: int | None
    score: float
    dense: float
    lexical: float
    ok: bool
    categories: list[str] = Field(
        default_factory=list, description="この分類に絞って聞いた質問（ファイルの「絞り込み」列）"
    )
    reason: str = Field("", description="確率以外で回答しなかった理由（テストコンソールと同じ文。なければ空）")
    style: str = Field("", description="ファイルの「文体」列")
    line: int = Field(0, description="質問がファイルの何行目にあるか（.xlsxではExcelの行番号）")


class ThresholdProposal(BaseModel):
    """Thresholds proposed from a batch and what they give on it."""

    answer: float
    suggest: float
    answered_correctly: float
    wrong_answers: float
    oos_rejection: float
    helpful: float = 0.0
    suggest_proposed: bool = Field(
        True,
        description="false: この質問集では もしかして のしきい値を決められません（0% しか出ません）。"
        "suggest は今のしきい値で、数字は提案した回答のしきい値とそれを使った場合のものです",
    )


class BatchReply(BaseModel):
    """A batch coverage test."""

    metrics: dict[str, float | int]
    styles: list[dict[str, str | float | int]] = Field(default_factory=list, description="書き方（style 列）ごとの集計")
    categories: list[dict[str, str | float | int]]
    confused: list[tuple[str, str, int]]
    rows: list[BatchRow]
    proposal: ThresholdProposal | None = Field(
        None, description="しきい値の提案（答えられる質問と答えられない質問の両方がないときは null）"
    )
    no_proposal: str | None = Field(None, description="提案がないとき、その理由")


class QuestionGroupOut(BaseModel):
    """Similar questions the FAQ did not answer."""

    representative: str
    count: int
    examples: list[str]
    last_seen: float
    nearest_entry: str | None
    request_ids: list[str] = Field(default_factory=list, description="この群の質問（まとめて「対応不要」にするとき）")
    suggested: int = Field(0, description="count のうち、「もしかして」を出した質問の数（残りは担当者へ案内）")
    turned_down: int = Field(
        0, description="suggested のうち、訪問者が候補を見て「どれにも当てはまらない」を選んだ（👎をつけた）質問の数"
    )
    down: int = Field(0, description="担当者へ案内した質問のうち、訪問者が👎をつけたものの数")
    comments: list[str] = Field(default_factory=list, description="訪問者が👎とともに書いたコメント（新しい順）")


class DoubtfulAnswerOut(BaseModel):
    """An answered question to check: a low probability or a 👎 (the same words with the same entry counted once)."""

    message: str
    entry_id: str
    categories: list[str] = Field(description="訪問者が絞り込んだ分類（空: FAQ全体）")
    confidence: float = Field(description="回答したときの確率（いちばん低かったもの）")
    count: int
    down: int = Field(description="👎の数")
    up: int = Field(description="👍の数")
    comments: list[str]
    last_seen: float
    request_ids: list[str] = Field(description="この質問の記録（確認済みとして一覧から外すとき）")


class EntryCommentOut(BaseModel):
    """A visitor's comment on a reply with the entry, and the question it was the reply to."""

    question: str = Field(description="訪問者の質問")
    comment: str = Field(description="訪問者のコメント")


class EntryStatsOut(BaseModel):
    """Use and ratings of one entry."""

    id: str
    question: str
    answered: int
    clicked: int
    up: int
    down: int
    comments: list[EntryCommentOut]


class DismissRequest(BaseModel):
    """Take logged questions off their list: the unanswered list (dismissed), or the answers to check (dismissed,
    or confirmed: the answer was right, and later publishes are checked against it)."""

    model_config = ConfigDict(extra="forbid")
    request_ids: list[str] = Field(min_length=1, max_length=10_000)
    reason: Literal["dismissed", "confirmed"] = Field(
        "dismissed", description="dismissed: 対応不要／confirmed: 回答は正しい（以後の公開の回帰テストに加わる）"
    )


class DismissReply(BaseModel):
    """How many questions were taken off the list."""

    dismissed: int


class AlternateRequest(BaseModel):
    """Add a visitor's wording as an alternate question of an entry."""

    model_config = ConfigDict(extra="forbid")
    entry_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=ALTERNATE_CHARS)
    dry_run: bool = False
    request_ids: list[str] = Field(
        default_factory=list,
        max_length=10_000,
        description="公開後にこのFAQ（entry_id）で回答されるようになった質問を、未回答の一覧・確認したい回答から外す",
    )
