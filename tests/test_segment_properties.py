"""Property tests: on any text the segmenter never raises, spans are sane, nothing is lost."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from conftest import SHARED_SAMPLE, fixture_issues
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import load_config
from pipeline.document import Issue
from pipeline.io.decode import decode_bytes
from pipeline.segmentation.augment import wrap
from pipeline.stages.segment import SegmentStage

# both backends, with the stage's own post-processing (continuations joined)
SEGMENTERS = {
    b: SegmentStage(load_config(None, [f"segmenter.backend={b}"], ["segment"])) for b in ("crf", "rules")
}
BACKENDS = pytest.mark.parametrize("backend", sorted(SEGMENTERS))


def _fixture_lines() -> list[str]:
    paths = fixture_issues()
    if SHARED_SAMPLE.exists():
        paths.append(SHARED_SAMPLE)
    lines: list[str] = []
    for p in paths:
        text, _ = decode_bytes(p.read_bytes(), str(p))
        lines.extend(text.split("\n"))
    return lines or ["标题", "", "本报讯(记者 王某) 8月1日,某市召开会议。", "", "正文第二段。"]


LINES = _fixture_lines()
NONBLANK = [ln for ln in LINES if ln.strip()]


def check_invariants(text: str, backend: str) -> None:
    issue = SEGMENTERS[backend].process(Issue("t", "t", text))
    n = len(text)
    # spans in bounds and non-overlapping, in reading order
    prev_end = 0
    for a in issue.articles:
        s, e = a.span
        assert 0 <= s < e <= n
        assert s >= prev_end
        prev_end = e
    # every non-blank line lands exactly once in an article field or in the noise
    starts = []
    pos = 0
    for raw in text.split("\n"):
        if raw.strip():
            starts.append(pos + len(raw) - len(raw.lstrip()))
        pos += len(raw) + 1
    used = Counter(start for a in issue.articles for start, _ in a.line_roles)
    used.update(nl.span[0] for nl in issue.noise)
    assert used == Counter(starts)
    # ... and no character is lost or invented (whitespace aside)
    out_parts: list[str] = [nl.text for nl in issue.noise]
    for a in issue.articles:
        # a label printed once over several briefs is consumed by the first brief only
        own_column = a.column if any(role == "column" for _, role in a.line_roles) else ""
        out_parts += [a.kicker or "", a.headline or "", a.subheadline or "", own_column or "", a.byline or ""]
        out_parts += a.captions + a.paragraphs + a.markers
        assert a.text == "\n".join(a.paragraphs)
    strip = re.compile(r"\s+")
    assert Counter(strip.sub("", "".join(out_parts))) == Counter(strip.sub("", text))
    # never an article without body text
    assert all(a.text.strip() for a in issue.articles)


NEWSY = st.sampled_from(
    list("株洲日报讯记者通讯员下转上接版摄供图本报。，,！？“”()（）/ 0123456789年月日\n\n\n▶")
)


@BACKENDS
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=NEWSY, max_size=400))
def test_invariants_on_newsy_noise(text: str, backend: str) -> None:
    check_invariants(text, backend)


@BACKENDS
@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300))
def test_invariants_on_arbitrary_unicode(text: str, backend: str) -> None:
    check_invariants(text, backend)


@BACKENDS
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.sampled_from(LINES), max_size=120))
def test_invariants_on_shuffled_fixture_lines(lines: list[str], backend: str) -> None:
    check_invariants("\n".join(lines), backend)


@BACKENDS
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.sampled_from(NONBLANK), min_size=1, max_size=40), width=st.integers(12, 30), blanks=st.booleans())
def test_invariants_on_hard_wrapped_lines(lines: list[str], width: int, blanks: bool, backend: str) -> None:
    """PDF/OCR layouts: every line cut every `width` cells, with or without blank lines."""
    wrapped = [piece for line in lines for piece in wrap(line.strip(), width)]
    check_invariants(("\n\n" if blanks else "\n").join(wrapped), backend)


@BACKENDS
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_invariants_on_fixtures_with_lines_dropped_or_duplicated(data: st.DataObject, backend: str) -> None:
    lines = list(LINES)
    ops = data.draw(st.lists(st.tuples(st.sampled_from(["drop", "dup", "swap"]), st.integers(0, 10**6)), max_size=30))
    for op, k in ops:
        if not lines:
            break
        i = k % len(lines)
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        else:
            j = (k // 7) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
    check_invariants("\n".join(lines), backend)


@BACKENDS
def test_a_second_glued_byline_on_a_continuation_is_kept(backend: str) -> None:
    """Found by the property above: a `本报讯(记者 …) …` paragraph swapped to just after
    `(上接第1版)` made a continuation with its own glued byline; joined to a first part that
    has a byline, that byline's characters were lost."""
    lines = list(LINES)
    lines.insert(0, lines[0])
    i, j = 1765 % len(lines), (1765 // 7) % len(lines)
    lines[i], lines[j] = lines[j], lines[i]
    check_invariants("\n".join(lines), backend)
