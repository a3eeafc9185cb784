"""The shipped decision model on FAQs it was never fitted on (written for measurement: a small municipal one
here, two larger ones with their questions in data/other_faqs/)."""

from __future__ import annotations

import pytest

from faq_bot.config import PROJECT_ROOT, Settings
from faq_bot.content.queries import read_queries
from faq_bot.quality.evaluate import evaluate
from faq_bot.retrieval.decision import Decision
from faq_bot.retrieval.engine import Engine
from faq_bot.runtime import open_engine

pytestmark = pytest.mark.integration
OTHER_FAQS = PROJECT_ROOT / "data" / "other_faqs"

MUNICIPAL_FAQ = """id\tcategory\tquestion\tanswer\talternates
1\tごみ\t粗大ごみはどうやって出せばよいですか\t粗大ごみ受付センターに申し込み、処理券を購入して指定日に出してください。\t大きな家具を捨てたい
2\tごみ\t資源ごみの収集日はいつですか\t地区ごとに異なります。ごみカレンダーをご確認ください。\t
3\t住民票\t住民票の写しはどこで取れますか\t市民課の窓口、各支所、マイナンバーカードをお持ちの方はコンビニで取得できます。\t
4\t住民票\t引っ越したときの手続きを教えてください\t転入の日から14日以内に市民課で転入届を出してください。\t転入届の出し方
5\t税金\t固定資産税の支払い方法を教えてください\t納付書による金融機関での支払い、口座振替、スマートフォン決済が利用できます。\t
6\t税金\t住民税の納付書をなくしました\t市民税課にご連絡いただければ再発行します。\t
7\t子育て\t児童手当の申請方法を教えてください\t出生や転入の翌日から15日以内に子育て支援課へ申請してください。\t
8\t子育て\t保育園の入園申込はいつからですか\t4月入園の一次申込は前年の11月に受け付けます。\t
9\t健康\t予防接種の予約方法を教えてください\t各医療機関に直接ご予約ください。\t
10\t健康\t健康診断の費用はいくらですか\t40歳以上の方は市の特定健診を500円で受けられます。\t
"""


@pytest.fixture(scope="module")
def municipal(real_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("municipal")
    (folder / "faq.tsv").write_text(MUNICIPAL_FAQ, encoding="utf-8")
    settings = Settings(faq_path=folder / "faq.tsv", index_dir=folder / "index", reply_cache_size=0)
    return open_engine(settings, real_engine.embedder)


@pytest.mark.parametrize(("question", "entry"), [("住民票をコンビニで取りたい", "3"), ("子どもの手当の申請", "7")])
def test_its_own_questions_in_other_words_are_answered(municipal: Engine, question: str, entry: str) -> None:
    reply = municipal.ask(question)
    assert reply.decision == Decision.ANSWER and reply.hit is not None and reply.hit.entry.id == entry


@pytest.mark.parametrize(
    "question", ["おすすめのレストランはありますか", "Pythonのエラーの直し方", "好きな食べ物は何？"]
)
def test_chatter_is_far_from_its_subject_and_escalates(municipal: Engine, question: str) -> None:
    reply = municipal.ask(question)
    assert reply.decision == Decision.ESCALATE
    top = reply.search.hits[0].signals
    assert top is not None and top.domain < -2  # in standard deviations of this FAQ's own questions
    assert reply.search.on_topic is not None and reply.search.on_topic < 0.2


@pytest.fixture(scope="module")
def measured(real_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Engine]:
    """data/other_faqs/: a municipal FAQ (150 entries, answers of median 312 characters, up to ~1,500, no
    categories) and a university's (120 entries, median 289, 10 categories), neither with alternates, each with
    questions in the bundled sets' styles, all written for measurement by people who saw neither the bundled
    FAQ's evaluation sets nor the decision; nothing is fitted on them."""
    out = {}
    for name in ("municipal", "university"):
        folder = tmp_path_factory.mktemp(name)
        settings = Settings(faq_path=OTHER_FAQS / name / "faq.tsv", index_dir=folder / "index", reply_cache_size=0)
        out[name] = open_engine(settings, real_engine.embedder)
    return out


def test_the_shipped_faq_is_served_as_fitted(real_engine: Engine) -> None:
    assert real_engine.current.model.faq_offset == 0.0  # its own near misses score what they scored in the fit


@pytest.mark.parametrize(
    ("name", "offset", "floors", "wrong"),
    [
        # Its own near misses score higher than the bundled FAQ's (median log-odds -0.004 against -0.643: 0.5 lower),
        # and its crossed questions more so (+1.171 against -0.334): answers are held to twice that, up to the
        # limit, 2.0; もしかして weighs the probabilities as fitted. Measured: top1 0.8966, answered 0.469, helpful
        # 0.9586, wrong 0.0348 (0.0826 lowered by the difference alone, 0.1783 as fitted), near misses safe 0.84,
        # chatter escalated 0.8857.
        ("municipal", -2.0, {"top1": 0.87, "helpful": 0.93, "answered_correctly": 0.44, "near_oos_safe": 0.8}, 0.045),
        # Its own near misses score lower (-1.008), its crossed questions higher (+0.479): answers held to 1.2.
        # Measured: top1 0.9167, answered 0.5333, helpful 0.9333, wrong 0.065 (0.095 by the difference alone, 0.135
        # as fitted), near misses safe 0.76, chatter escalated 1.0.
        ("university", -1.2, {"top1": 0.89, "helpful": 0.9, "answered_correctly": 0.5, "near_oos_safe": 0.72}, 0.075),
    ],
)
def test_faqs_it_was_never_fitted_on_stay_above_their_floors(
    measured: dict[str, Engine], name: str, offset: float, floors: dict[str, float], wrong: float
) -> None:
    engine = measured[name]
    assert engine.current.model.faq_offset == pytest.approx(offset)
    report = evaluate(engine, read_queries(OTHER_FAQS / name / "queries.tsv"))
    m = report.metrics
    assert all(m[figure] >= floor for figure, floor in floors.items()), m
    assert m["wrong_answers"] <= wrong
    assert {row["style"]: row for row in report.styles}["oos"]["oos_rejection"] >= 0.85
