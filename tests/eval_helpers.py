"""A small synthetic fixture and a stand-in pipeline for the evaluation tests.

`write_fixture` lays out gold articles as a raw issue (recording the line where each
article and each paragraph starts); `StandInPipeline` builds `Article`s straight from the
gold (a perfect prediction), optionally perturbed (merge two articles, split one, swap a
topic, drop a byline) so the tests can check which figures each error lowers.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline.document import Article, Issue

LABELS = ["trade", "logistics", "civic", "history", "education"]

ARTICLES: list[dict[str, Any]] = [
    {
        "kicker": None,
        "headline": "湘潭一季度外贸进出口增长12.5%",
        "subheadline": None,
        "byline": "本报讯(记者 王敏 通讯员 李华)",
        "captions": [],
        "topic": "trade",
        "paragraphs": [
            "4月10日,记者从湘潭海关获悉,一季度全市外贸进出口总值达86.3亿元,同比增长12.5%。",
            "其中,出口58.1亿元,增长15.2%;进口28.2亿元,增长6.8%。机电产品出口占出口总值的六成以上。",
            "海关有关负责人介绍,全市有进出口实绩的企业达412家,比去年同期增加37家。",
            "民营企业进出口61.4亿元,占全市外贸总值的71.2%,继续发挥外贸主力军作用。",
            "东盟保持全市第一大贸易伙伴地位,对东盟进出口19.7亿元,增长23.1%。",
            "与此同时,跨境电商等新业态加快发展,一季度跨境电商交易额达3.6亿元。",
            "下一步,湘潭海关将持续优化通关流程,推动更多企业享受便利化措施。",
            "业内人士认为,全年外贸有望保持稳中向好的态势。",
        ],
        "reference_summary": "一季度湘潭外贸进出口86.3亿元,同比增长12.5%,民营企业和东盟贸易表现突出。",
    },
    {
        "kicker": "打通铁水联运“最后一公里”",
        "headline": "岳阳港新开两条集装箱航线",
        "subheadline": "每月可增运力2000标箱",
        "byline": "本报记者 陈立",
        "captions": ["城陵矶港区集装箱码头一角。记者 陈立 摄"],
        "topic": "logistics",
        "paragraphs": [
            "5月6日,岳阳城陵矶港新开通至上海洋山港、南京龙潭港的两条集装箱直航航线。",
            "新航线每周各开行2班,可为沿线企业节省物流成本约15%。",
            "港口运营方表示,航线开通后每月可新增运力2000标箱。",
        ],
        "reference_summary": "岳阳城陵矶港开通两条集装箱直航航线,每周各2班,每月新增运力2000标箱。",
    },
    {
        "kicker": None,
        "headline": "老旧小区加装电梯 今年再启动150台",
        "subheadline": None,
        "byline": "本报讯(记者 刘芳)",
        "captions": [],
        "topic": "civic",
        "paragraphs": [
            "记者从市住建局获悉,今年全市计划启动老旧小区加装电梯150台,目前已完成签约89台。",
            "市住建局将简化审批流程,对每台电梯给予最高20万元补贴。",
            "居民可通过社区服务中心咨询申请事宜。",
        ],
        "reference_summary": "全市今年计划为老旧小区加装电梯150台,已签约89台,每台最高补贴20万元。",
    },
    {
        "kicker": None,
        "headline": "一张老车票里的湘江往事",
        "subheadline": None,
        "byline": "周明",
        "captions": [],
        "topic": "history",
        "paragraphs": [
            "1958年,一张从长沙开往株洲的轮渡船票,票价只有0.35元。",
            "这张泛黄的船票如今陈列在市档案馆,见证了湘江航运的兴衰。",
            "老船员回忆,当年轮渡每天往返4趟,码头上总是人声鼎沸。",
        ],
        "reference_summary": "市档案馆陈列的1958年轮渡船票票价0.35元,记录了湘江航运当年的繁忙景象。",
    },
    {
        "kicker": None,
        "headline": "我市新增公办学位8600个",
        "subheadline": None,
        "byline": "本报讯(记者 张雪 通讯员 赵明)",
        "captions": ["新建的学校教学楼。通讯员供图"],
        "topic": "education",
        "paragraphs": [
            "9月1日,我市6所新建、改扩建学校投入使用,新增公办学位8600个。",
            "市教育局负责人介绍,今年城区义务教育阶段入学人数预计达3.2万人。",
            "新校均配备了标准化实验室和图书馆。",
        ],
        "reference_summary": "9月1日6所新建改扩建学校启用,全市新增公办学位8600个,缓解城区入学压力。",
    },
    {
        "kicker": None,
        "headline": "港口集团签下3个冷链物流项目",
        "subheadline": None,
        "byline": "本报记者 陈立",
        "captions": [],
        "topic": "logistics",
        "paragraphs": [
            "6月18日,港口集团与3家企业签约冷链物流项目,总投资达5.6亿元。",
            "项目建成后,冷库容量将增加4万吨,可服务周边农产品外运。",
        ],
        "reference_summary": "港口集团签约3个冷链物流项目,总投资5.6亿元,建成后冷库容量增加4万吨。",
    },
]

HEADER = "湘江晚报 2024年9月3日 星期二 A02 要闻"
EDITOR = "本版编辑/王某 校对/李某"


def layout(articles: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """Raw issue text, gold articles, and per-article line numbers (start, paragraph lines)."""
    lines: list[str] = [HEADER, ""]
    gold: list[dict[str, Any]] = []
    places: list[dict[str, Any]] = []
    for idx, a in enumerate(articles):
        start = len(lines)
        for key in ("kicker", "headline", "subheadline"):
            if a[key]:
                lines += [a[key], ""]
        glued = a["byline"].startswith("本报讯")
        para_lines = []
        if not glued:
            lines += [a["byline"], ""]
        for c in a["captions"]:
            lines += [c, ""]
        for j, p in enumerate(a["paragraphs"]):
            para_lines.append(len(lines))
            lines += [(a["byline"] + " " + p) if glued and j == 0 else p, ""]
        lines.append("")
        places.append({"start": start, "end": len(lines), "para_lines": para_lines})
        text = "\n".join(a["paragraphs"])
        gold.append(
            {
                "index": idx,
                "kicker": a["kicker"],
                "headline": a["headline"],
                "subheadline": a["subheadline"],
                "column": None,
                "byline": a["byline"],
                "captions": list(a["captions"]),
                "topic": a["topic"],
                "text": text,
                "body_first": text[:12],
                "body_last": text[-12:],
                "continued_to": None,
                "continued_from": None,
                "reference_summary": a["reference_summary"],
            }
        )
    lines += [EDITOR, ""]
    return "\n".join(lines), gold, places


def write_fixture(
    directory: Path, name: str = "xiangjiang_a02", articles: list[dict[str, Any]] | None = None
) -> tuple[Path, dict[str, Any], list[dict[str, Any]]]:
    text, gold_articles, places = layout(articles if articles is not None else ARTICLES)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.txt").write_text(text, encoding="utf-8")
    gold = {
        "issue_id": name,
        "newspaper": "湘江晚报",
        "date": "2024-09-03",
        "noise_lines": [HEADER, EDITOR],
        "articles": gold_articles,
    }
    (directory / f"{name}.gold.json").write_text(
        json.dumps(gold, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return directory, gold, places


def line_offset(text: str, line: int) -> int:
    return sum(len(x) + 1 for x in text.split("\n")[:line])


def _scores(topic: str) -> dict[str, float]:
    rest = [lab for lab in LABELS if lab != topic]
    out = {topic: 0.8, rest[0]: 0.12}
    out.update({lab: 0.02 for lab in rest[1:]})
    return out


def perfect_articles(text: str, gold: dict[str, Any], places: list[dict[str, Any]]) -> list[Article]:
    arts = []
    for g, pl in zip(gold["articles"], places, strict=True):
        start = line_offset(text, pl["start"])
        end = line_offset(text, pl["end"] - 1)
        arts.append(
            Article(
                kicker=g["kicker"],
                headline=g["headline"],
                subheadline=g["subheadline"],
                byline=g["byline"],
                captions=list(g["captions"]),
                paragraphs=g["text"].split("\n"),
                span=(start, end),
                line_roles=[(pl["start"], "headline")],
                topic=g["topic"],
                topic_scores=_scores(g["topic"]),
                summary=g["reference_summary"],
            )
        )
    return arts


# ----------------------------------------------------------------------------- perturbations


def merge(i: int) -> Callable[[str, list[Article], list[dict[str, Any]]], list[Article]]:
    """Article i swallows article i+1 (keeps i's headline, byline, topic and summary)."""

    def f(text: str, arts: list[Article], places: list[dict[str, Any]]) -> list[Article]:
        a, b = arts[i], arts[i + 1]
        a.paragraphs = a.paragraphs + b.paragraphs
        a.captions = a.captions + b.captions
        a.span = (a.span[0], b.span[1])
        return arts[: i + 1] + arts[i + 2 :]

    return f


def split(i: int) -> Callable[[str, list[Article], list[dict[str, Any]]], list[Article]]:
    """Article i is cut in two at its middle paragraph; the tail has no headline or byline."""

    def f(text: str, arts: list[Article], places: list[dict[str, Any]]) -> list[Article]:
        a = arts[i]
        cut = len(a.paragraphs) // 2 + 1
        tail_line = places[i]["para_lines"][cut]
        tail_off = line_offset(text, tail_line)
        tail = Article(
            paragraphs=a.paragraphs[cut:],
            span=(tail_off, a.span[1]),
            line_roles=[(tail_line, "body")],
            topic=a.topic,
            topic_scores=dict(a.topic_scores or {}),
            summary=a.summary,
        )
        a.paragraphs = a.paragraphs[:cut]
        a.span = (a.span[0], tail_off - 1)
        return arts[: i + 1] + [tail] + arts[i + 1 :]

    return f


def swap_topic(i: int, to: str) -> Callable[[str, list[Article], list[dict[str, Any]]], list[Article]]:
    def f(text: str, arts: list[Article], places: list[dict[str, Any]]) -> list[Article]:
        arts[i].topic = to
        arts[i].topic_scores = _scores(to)
        return arts

    return f


def drop_byline(i: int) -> Callable[[str, list[Article], list[dict[str, Any]]], list[Article]]:
    def f(text: str, arts: list[Article], places: list[dict[str, Any]]) -> list[Article]:
        arts[i].byline = None
        return arts

    return f


class StandInPipeline:
    """Builds each issue's articles from its gold (perfect), then applies the perturbations."""

    def __init__(
        self,
        golds: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]],
        perturbations: Iterable[Callable[..., list[Article]]] = (),
        summaries: bool = True,
        topics: bool = True,
    ) -> None:
        self.golds = golds
        self.perturbations = list(perturbations)
        self.summaries = summaries
        self.topics = topics

    def pipe(self, issues: Iterable[Issue]) -> Iterator[Issue]:
        for issue in issues:
            gold, places = self.golds[issue.issue_id]
            arts = perfect_articles(issue.text, copy.deepcopy(gold), places)
            for p in self.perturbations:
                arts = p(issue.text, arts, places)
            for a in arts:
                if not self.summaries:
                    a.summary = None
                if not self.topics:
                    a.topic = None
                    a.topic_scores = None
            issue.articles = arts
            yield issue

    def provenance(self) -> dict[str, Any]:
        return {
            "config_hash": "standin0000000000",
            "stages": ["segment", "classify", "summarize"],
            "stage_details": {
                "segment": {"name": "segment", "backend": "gold"},
                "classify": {"name": "classify", "backend": "gold"},
                "summarize": {"name": "summarize", "backend": "gold", "model": "reference-copy"},
            },
        }
