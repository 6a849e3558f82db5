"""Batch runs: a hostile 200-issue archive, kill -9 and resume, byte-identical re-runs,
config changes, output layouts, archive safety, page-per-file issues and continuations."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import opencc
import pytest
from conftest import FIXTURES, REPO, load_gold, norm_ws

from pipeline.batch import run_batch
from pipeline.config import ConfigError, load_config
from pipeline.continuations import link_continuations
from pipeline.document import Issue
from pipeline.io.assemble import assemble_issue
from pipeline.io.inputs import page_key, plan_inputs, read_issues, unsafe_member_reason
from pipeline.io.records import dumps, validate_record
from pipeline.io.writer import RecordWriter
from pipeline.registry import register_stage, unregister_stage
from pipeline.runner import Pipeline
from pipeline.stages.base import Stage
from pipeline.text import parse_page, same_page

PAGED = REPO / "tests" / "data" / "paged" / "2024-09-02"
# a small page-per-file issue of our own, used when the labelled one above is absent
P1 = (
    "甲市新建物流园开工\n\n本报讯（记者 王某） 9月1日，甲市物流园开工建设，总投资\n\n▶▶下转4版\n\n"
    "乙县茶叶丰收\n\n本报讯 乙县茶叶今年丰收。\n"
)
P4 = "▶▶上接第1版\n\n12亿元，预计明年建成投用。\n\n项目建成后将新增就业岗位3000个。\n\n丙镇修路\n\n本报讯 丙镇新修道路5公里。\n"
MAX_MB = 0.05  # fixtures are 10-19 kB; the oversized member is ~120 kB
N_PLAIN = 120
N_TAR = 40
N_ZIP = 32


# ---- corpus --------------------------------------------------------------------------------
def base_texts() -> list[str]:
    texts = []
    for p in sorted(FIXTURES.glob("*.txt")):
        data = p.read_bytes()
        try:
            texts.append(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            texts.append(data.decode("gb18030"))
    if not texts:  # our own small issues when the fixture set is absent
        texts = [P1, P4.replace("▶▶上接第1版", "丁区新闻")]
    return [t.replace("\r\n", "\n") for t in texts]


@dataclass
class Good:
    issue_id: str
    source: str
    text: str
    encoding: str


@dataclass
class Corpus:
    root: Path  # the directory given on the command line
    good: list[Good | str] = field(default_factory=list)  # "PAGED" marks the paged issue
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (source, stage, reason part)

    @property
    def n_issues(self) -> int:
        return len(self.good) + len(self.errors)


def _encode(text: str, i: int, s2t: opencc.OpenCC) -> tuple[bytes, str, str]:
    """Vary the encodings: GB18030, Big5 (Traditional), UTF-8 BOM, UTF-16 BOM, UTF-8."""
    if i % 10 == 3:
        data = text.encode("gb18030")
        return data, "gb18030", data.decode("gb18030")
    if i % 15 == 7:
        data = s2t.convert(text).encode("big5", errors="replace")
        return data, "big5", data.decode("big5")
    if i % 25 == 11:
        return text.encode("utf-8-sig"), "utf-8-sig", text
    if i % 40 == 21:
        return text.encode("utf-16"), "utf-16", text
    return text.encode("utf-8"), "utf-8", text


def build_corpus(root: Path) -> Corpus:
    """200 issues: plain files in mixed encodings, bad files, a paged issue, a tar.gz with
    unsafe members, a zip with an oversized member."""
    texts = base_texts()
    s2t = opencc.OpenCC("s2t")
    c = Corpus(root)
    plain = root / "a_plain"
    plain.mkdir(parents=True)
    for i in range(N_PLAIN):
        data, enc, decoded = _encode(texts[i % len(texts)], i, s2t)
        p = plain / f"issue_{i:03d}.txt"
        p.write_bytes(data)
        c.good.append(Good(f"a_plain/issue_{i:03d}", str(p), decoded, enc))
    bad = root / "b_bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (bad / "blank.txt").write_bytes(b"\n   \n\t\n")
    (bad / "empty.txt").write_bytes(b"")
    (bad / "noise_only.txt").write_text("沅州日报 2024年9月2日 星期一 01 要闻\n\n本版编辑/田雨 校对/吴静\n", encoding="utf-8")
    c.errors += [
        (str(bad / "binary.txt"), "decode", "binary"),
        (str(bad / "blank.txt"), "read", "empty"),
        (str(bad / "empty.txt"), "read", "empty"),
        (str(bad / "noise_only.txt"), "segment", "no articles"),
    ]
    dest = root / "c_paged" / PAGED.name
    if PAGED.exists():
        shutil.copytree(PAGED, dest)
    else:
        dest.mkdir(parents=True)
        (dest / "01.txt").write_text(P1, encoding="utf-8")
        (dest / "04.txt").write_text(P4, encoding="utf-8")
    c.good.append("PAGED")
    # a tar.gz read in place, with a `../` member and an absolute one in the middle
    tar_path = root / "d_pack.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tf:
        for i in range(N_TAR):
            if i == 10:
                _tar_add(tf, "../evil.txt", b"escape attempt")
                c.errors.append((f"{tar_path}!../evil.txt", "read", "'..'"))
            if i == 20:
                _tar_add(tf, "/etc/abs.txt", b"absolute")
                c.errors.append((f"{tar_path}!/etc/abs.txt", "read", "absolute"))
            data, enc, decoded = _encode(texts[(i + 3) % len(texts)], i + 1, s2t)
            _tar_add(tf, f"pack/issue_{i:03d}.txt", data)
            c.good.append(Good(f"pack/issue_{i:03d}", f"{tar_path}!pack/issue_{i:03d}.txt", decoded, enc))
    zip_path = root / "e_pack.zip"
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(N_ZIP):
            if i == 5:  # compresses to almost nothing, declared 120 kB: refused before reading
                zf.writestr("zpack/big.txt", ("重复" * 20000).encode("utf-8"))
                c.errors.append((f"{zip_path}!zpack/big.txt", "read", "limit"))
            data, enc, decoded = _encode(texts[(i + 5) % len(texts)], i + 2, s2t)
            zf.writestr(f"zpack/issue_{i:03d}.txt", data)
            c.good.append(Good(f"zpack/issue_{i:03d}", f"{zip_path}!zpack/issue_{i:03d}.txt", decoded, enc))
        zf.writestr("zpack/readme.md", b"not an issue: ignored")
    return c


def _tar_add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tf.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return build_corpus(tmp_path_factory.mktemp("batch") / "corpus")


def seg_config(*sets: str):
    return load_config(None, [f"input.max_file_mb={MAX_MB}", *sets], ["segment"])


@pytest.fixture(scope="module")
def reference(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, object]:
    """One uninterrupted run (2 workers): the output, its error list and the summary."""
    out = tmp_path_factory.mktemp("ref") / "out.jsonl"
    summary = run_batch([str(corpus.root)], out, seg_config(), workers=2, progress=False)
    return out.read_bytes(), (out.parent / "out.errors.jsonl").read_bytes(), summary


def expected_lines(corpus: Corpus, config) -> list[str]:
    """Records built straight from each good issue's text, bypassing the batch machinery."""
    pipeline = Pipeline(config)
    lines: list[str] = []
    for g in corpus.good:
        if g == "PAGED":
            lines.append("PAGED")
            continue
        assert isinstance(g, Good)
        issue = pipeline(Issue(g.issue_id, g.source, g.text.replace("\r\n", "\n"), g.encoding))
        lines += [dumps(r) for r in pipeline.records(issue)]
    return lines


# ---- the hostile archive ---------------------------------------------------------------------
def test_hostile_corpus_gives_exactly_the_expected_records_and_errors(corpus: Corpus, reference) -> None:
    assert corpus.n_issues == 200
    out, errors, summary = reference
    got = out.decode("utf-8").splitlines()
    want = expected_lines(corpus, seg_config())
    k = want.index("PAGED")
    paged = [json.loads(x) for x in got if '"issue_id":"c_paged/' in x]
    assert got[:k] == want[:k]
    assert got[k + len(paged) :] == want[k + 1 :]
    assert got[k : k + len(paged)] == [dumps(r) for r in paged]
    # the paged issue: one issue, the 下转/上接 pair joined, no orphan fragment
    assert {r["issue_id"] for r in paged} == {"c_paged/" + PAGED.name}
    assert any(r["continued_to"] and r["page"] in ("01", "1") for r in paged)
    assert not any(r["continued_from"] for r in paged)
    # errors: one line each, in input order, with source, stage and reason
    errs = [json.loads(x) for x in errors.decode("utf-8").splitlines()]
    assert [(e["source"], e["stage"]) for e in errs] == [(s, st) for s, st, _ in corpus.errors]
    for e, (_, _, part) in zip(errs, corpus.errors, strict=True):
        assert part in e["reason"] and "\n" not in e["reason"]
    assert (summary.done, summary.failed, summary.skipped) == (len(corpus.good), len(corpus.errors), 0)
    assert summary.articles == len(got)
    for line in got[:: max(1, len(got) // 40)]:
        validate_record(json.loads(line))
    encs = {json.loads(x)["provenance"]["encoding"] for x in got}
    assert {"utf-8", "gb18030", "big5", "utf-8-sig", "utf-16"} <= encs


def test_paged_issue_matches_its_gold(tmp_path: Path) -> None:
    if not PAGED.exists():
        pytest.skip("tests/data/paged is absent")
    src = PAGED
    out = tmp_path / "o.jsonl"
    summary = run_batch([str(src)], out, load_config(stages=["segment"]), workers=1, progress=False)
    assert summary.done == 1 and summary.failed == 0
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    gold = load_gold(src.with_name(src.name + ".txt"))
    assert [norm_ws(r["text"]) for r in recs] == [norm_ws(a["text"]) for a in gold["articles"]]
    assert [r["continued_to"] for r in recs] == [a["continued_to"] for a in gold["articles"]]
    assert [r["continued_from"] for r in recs] == [a["continued_from"] for a in gold["articles"]]
    assert recs[0]["issue_id"] == src.name and recs[0]["source"] == str(src)
    assert [r["article_index"] for r in recs] == list(range(len(recs)))


def test_paged_issue_accounts_for_every_line(corpus: Corpus) -> None:
    """Lossless accounting survives the join: every non-blank line is in one article or noise."""
    src = corpus.root / "c_paged" / PAGED.name
    raw = next(iter(read_issues(plan_inputs([str(src)]))))
    issue = assemble_issue(raw.parts, raw.source, raw.issue_id, load_config(stages=["segment"]).input)
    issue = Pipeline(load_config(stages=["segment"]))(issue)
    starts = [s for a in issue.articles for s, _ in a.line_roles] + [n.span[0] for n in issue.noise]
    assert len(starts) == len(set(starts))
    pos, want = 0, set()
    for line in issue.text.split("\n"):
        if line.strip():
            want.add(pos + len(line) - len(line.lstrip()))
        pos += len(line) + 1
    assert set(starts) == want
    assert [p for p, _, _ in issue.pages] == sorted(p for p, _, _ in issue.pages)


# ---- kill -9 and resume ------------------------------------------------------------------------
def _cli(corpus: Corpus, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "pipeline", "run", str(corpus.root), "-o", str(out), "--stages", "segment",
        "--set", f"input.max_file_mb={MAX_MB}", "--no-progress", *extra,
    ]  # fmt: skip


def _wait_no_process_mentions(text: str, timeout: float = 5.0) -> bool:
    """True once no process has `text` in its command line (Linux /proc; elsewhere: True)."""
    if not Path("/proc/self/cmdline").exists():
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if text.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    alive = True
                    break
            except OSError:
                continue
        if not alive:
            return True
        time.sleep(0.05)
    return False


def test_kill_9_at_several_points_then_resume_gives_the_same_output(corpus: Corpus, reference, tmp_path: Path) -> None:
    ref_out, ref_errors, _ = reference
    out = tmp_path / "out.jsonl"
    kills = 0
    # kill almost at once, then after ~15%, ~45%, ~80% of the records are on disk
    manifest = tmp_path / "out.manifest.jsonl"

    def committed() -> int:
        return manifest.read_bytes().count(b"\n") if manifest.exists() else 0

    for point in (0.0, 0.15, 0.45, 0.80):
        before = committed()
        proc = subprocess.Popen(_cli(corpus, out, "--workers", "2"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            size = out.stat().st_size if out.exists() else 0
            if point == 0.0 and size > 0:  # mid-way through the first commit, or just after it
                break
            if point > 0 and size >= point * len(ref_out) and committed() > before + 1:
                break
            time.sleep(0.002)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        proc.stderr.close()
        # whatever the moment, the file may end in a torn line; the next run repairs it
        assert _wait_no_process_mentions(str(out)), "a worker outlived its killed main process"
    final = subprocess.run(_cli(corpus, out, "--workers", "2"), capture_output=True, timeout=120)
    assert final.returncode == 1, final.stderr.decode()  # the corpus has failures
    assert kills >= 2
    data = out.read_bytes()
    assert data == ref_out  # every issue once, in order, no partial line, same records
    assert data.endswith(b"\n")
    ids = [(r["issue_id"], r["article_index"]) for r in map(json.loads, data.decode("utf-8").splitlines())]
    assert len(ids) == len(set(ids))
    assert (tmp_path / "out.errors.jsonl").read_bytes() == ref_errors
    summary_line = final.stderr.decode().strip().splitlines()[-1]
    assert "skipped" in summary_line and "skipped 0" not in summary_line


def test_torn_and_unvouched_tails_are_repaired(corpus: Corpus, reference, tmp_path: Path) -> None:
    """The states a kill can leave, made on purpose: records written but not yet in the manifest,
    a torn last record, a torn last manifest line."""
    ref_out, _, _ = reference
    cfg = seg_config()
    out = tmp_path / "out.jsonl"
    run_batch([str(corpus.root)], out, cfg, workers=1, progress=False)
    manifest = tmp_path / "out.manifest.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    # forget the last 30 issues in the manifest (their records stay: unvouched) ...
    keep = lines[: len(lines) - 30]
    last_end = json.loads(keep[-1])["end"]
    # ... then tear the next record and the next manifest line half-way
    manifest.write_bytes(b"".join(keep) + lines[len(keep)][:17])
    with open(out, "r+b") as fh:
        fh.truncate(last_end + 0)
        fh.seek(0, os.SEEK_END)
        fh.write(ref_out[last_end : last_end + 1234])  # a partial record line
    summary = run_batch([str(corpus.root)], out, cfg, workers=2, progress=False)
    assert out.read_bytes() == ref_out
    assert summary.skipped == len(keep) - 1  # minus the header
    assert summary.done == 30


# ---- determinism, config changes, layouts --------------------------------------------------------
def test_same_config_gives_byte_identical_output_for_any_worker_count(corpus: Corpus, tmp_path: Path) -> None:
    stages = ["segment", "summarize"]  # the summarizer runs in the main process
    sets = [f"input.max_file_mb={MAX_MB}", "summarizer.backend=extractive"]  # a deterministic one
    cfg = load_config(None, sets, stages)
    inputs = [str(corpus.root / "a_plain" / f"issue_{i:03d}.txt") for i in range(40)] + [str(corpus.root / "c_paged")]
    one = tmp_path / "one" / "o.jsonl"
    two = tmp_path / "two" / "o.jsonl"
    run_batch(inputs, one, cfg, workers=1, progress=False)
    s2 = run_batch(inputs, two, cfg, workers=2, progress=False)
    assert s2.failed == 0
    assert one.read_bytes() == two.read_bytes()
    if "summarize" in stages:  # the pooled main-process stage gives what the plain pipeline gives
        p = Pipeline(cfg)
        g = Path(inputs[0])
        issue = p(Issue(g.stem, str(g), g.read_bytes().decode("utf-8-sig"), "utf-8"))
        first = [dumps(r) for r in p.records(issue)]
        got = one.read_text(encoding="utf-8").splitlines()[: len(first)]
        assert [json.loads(x)["summary"] for x in got] == [json.loads(x)["summary"] for x in first]
        assert json.loads(got[0])["provenance"] == json.loads(first[0])["provenance"]
    again = run_batch(inputs, two, cfg, workers=2, progress=False)
    assert (again.done, again.skipped) == (0, 41)
    assert one.read_bytes() == two.read_bytes()


def test_changed_config_is_refused_and_overwrite_starts_fresh(corpus: Corpus, tmp_path: Path) -> None:
    inputs = [str(corpus.root / "a_plain" / f"issue_{i:03d}.txt") for i in range(6)]
    out = tmp_path / "o.jsonl"
    run_batch(inputs[:3], out, seg_config(), workers=1, progress=False)
    before = out.read_bytes()
    with pytest.raises(ConfigError, match="--overwrite"):
        run_batch(inputs, out, seg_config("segmenter.max_headline_chars=30"), workers=1, progress=False)
    assert out.read_bytes() == before
    # through the command line: exit status 2 and one line
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", *inputs, "-o", str(out), "--stages", "segment",
         "--set", "segmenter.max_headline_chars=30"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "--overwrite" in proc.stderr and "Traceback" not in proc.stderr
    s = run_batch(inputs, out, seg_config("segmenter.max_headline_chars=30"), workers=1, overwrite=True, progress=False)
    assert (s.done, s.skipped) == (6, 0)
    hashes = {json.loads(x)["provenance"]["config_hash"] for x in out.read_text(encoding="utf-8").splitlines()}
    assert hashes == {seg_config("segmenter.max_headline_chars=30").hash()}
    # the same config resumes: the first three are skipped, three more are appended
    out2 = tmp_path / "p.jsonl"
    run_batch(inputs[:3], out2, seg_config(), workers=1, progress=False)
    s = run_batch(inputs, out2, seg_config(), workers=1, progress=False)
    assert (s.done, s.skipped) == (3, 3)
    ref = tmp_path / "r.jsonl"
    run_batch(inputs, ref, seg_config(), workers=1, progress=False)
    assert out2.read_bytes() == ref.read_bytes()


def test_output_without_manifest_is_not_clobbered(tmp_path: Path, corpus: Corpus) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text("precious\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no manifest"):
        run_batch([str(corpus.root / "a_plain" / "issue_000.txt")], out, seg_config(), progress=False)
    assert out.read_text(encoding="utf-8") == "precious\n"


def test_per_group_layout_writes_one_file_per_input_group(corpus: Corpus, reference, tmp_path: Path) -> None:
    ref_out, _, _ = reference
    cfg = seg_config("output.layout=per_group")
    out = tmp_path / "by_group"
    s = run_batch([str(corpus.root)], out, cfg, workers=2, progress=False)
    names = sorted(p.name for p in out.glob("*.jsonl"))
    assert names == ["a_plain.jsonl", "c_paged.jsonl", "d_pack.jsonl", "e_pack.jsonl", "errors.jsonl", "manifest.jsonl"]
    ref = ref_out.decode("utf-8").splitlines()
    for name in ("a_plain", "c_paged", "d_pack", "e_pack"):
        lines = (out / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        sources = {json.loads(x)["source"] for x in lines}
        assert all(name in src for src in sources)
        want = [x for x in ref if any(f'"source":{json.dumps(src, ensure_ascii=False)}' in x for src in sources)]
        assert [json.loads(x)["article_id"] for x in lines] == [json.loads(x)["article_id"] for x in want]
    assert s.articles == len(ref)
    # a killed per-group run: the last 12 issues unvouched, a torn line, a file of someone else's
    snapshot = {p.name: p.read_bytes() for p in out.glob("*.jsonl") if p.name != "manifest.jsonl"}
    manifest = out / "manifest.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    manifest.write_bytes(b"".join(lines[:-12]))
    with open(out / "d_pack.jsonl", "ab") as fh:
        fh.write(b'{"issue_id":"torn')
    (out / "notes.jsonl").write_bytes(b'{"mine": true}\n')
    s = run_batch([str(corpus.root)], out, cfg, workers=2, progress=False)
    assert (s.done, s.skipped) == (12, len(lines) - 13)
    assert {p.name: p.read_bytes() for p in out.glob("*.jsonl") if p.name not in ("manifest.jsonl", "notes.jsonl")} == snapshot
    assert (out / "notes.jsonl").read_bytes() == b'{"mine": true}\n'
    with pytest.raises(ConfigError, match="directory"):
        RecordWriter(out, seg_config().hash(), seg_config().output, overwrite=False)  # single layout, -o DIR
    by_year = run_batch([str(corpus.root / "c_paged")], tmp_path / "y", seg_config("output.layout=per_group", "output.group_by=year"), progress=False)  # fmt: skip
    assert by_year.done == 1 and (tmp_path / "y" / "2024.jsonl").exists()


# ---- inputs, archives, encodings ------------------------------------------------------------------
def test_page_file_names() -> None:
    assert page_key("2024-09-01/01.txt") == ("2024-09-01", "01")
    assert page_key("x/20240901/A04.txt") == ("x/20240901", "A04")
    assert page_key("xxrb_20240901_04.txt") == ("xxrb_20240901", "04")
    assert page_key("d/xxrb-2024-09-01-p12.txt") == ("d/xxrb-2024-09-01", "12")
    assert page_key("01.txt", "2024-09-02") == (".", "01")
    assert page_key("2024-09-01.txt") is None
    assert page_key("zhuzhou_daily_20240901.txt") is None
    assert page_key("issues/07.txt") is None  # a numbered issue, not a page: no date around it
    assert parse_page("04") == parse_page("4") == parse_page("４") == parse_page("四") == parse_page("第4版") == ("", 4)
    assert same_page("A04", "4") and same_page("04", "4") and not same_page("A04", "B04") and not same_page("3", "4")


def test_unsafe_member_names() -> None:
    assert unsafe_member_reason("../x.txt") and unsafe_member_reason("a/../../x.txt")
    assert unsafe_member_reason("/etc/passwd") and unsafe_member_reason("C:\\x.txt") and unsafe_member_reason("..\\x")
    assert unsafe_member_reason("a/b..c.txt") is None and unsafe_member_reason("2024/01.txt") is None


def test_zip_member_lying_about_its_size_cannot_fill_memory(tmp_path: Path) -> None:
    big = ("株洲日报讯 " + "数据" * 40000).encode("utf-8")  # 240 kB, compresses to ~1 kB
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/lie.txt", big)
    # forge the declared size in both headers: 240000 -> 1000
    raw = bytearray(path.read_bytes())
    real = len(big).to_bytes(4, "little")
    assert raw.count(real) == 2
    raw[:] = raw.replace(real, (1000).to_bytes(4, "little"))
    path.write_bytes(bytes(raw))
    plans = plan_inputs([str(path)], max_bytes=50_000)
    assert plans[0].error is None  # the declared size passes ...
    raws = list(read_issues(plans, max_bytes=50_000))
    assert raws[0].error is not None  # ... but reading stops at the limit or the lie is caught
    assert not raws[0].parts


def test_globs_and_archives_are_read_in_place(corpus: Corpus, tmp_path: Path) -> None:
    before = set(os.listdir(corpus.root))
    plans = plan_inputs([str(corpus.root / "a_plain" / "issue_00*.txt"), str(corpus.root / "d_pack.tar.gz")])
    assert [p.issue_id for p in plans[:10]] == [f"issue_{i:03d}" for i in range(10)]
    raws = list(read_issues(plans))
    assert len(raws) == 10 + N_TAR + 2
    assert sum(r.error is not None for r in raws) == 2
    assert set(os.listdir(corpus.root)) == before  # nothing extracted


def test_reading_part_of_a_tar_stops_after_its_last_member_and_paths_resolve_from_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ray task reads a few issues of a tar archive: its pass ends at their last member, not at
    the end of the stream (here 4 MB of members after it); relative paths listed in one directory
    are read from another through `root`, and sources keep the paths as listed."""
    import gzip

    import pipeline.io.inputs as reader

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for k, data in enumerate([P1.encode()] * 2 + [os.urandom(1 << 20) for _ in range(4)]):
            info = tarfile.TarInfo(f"m_{k}.txt")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    (tmp_path / "pack.tar.gz").write_bytes(gzip.compress(buf.getvalue(), compresslevel=1))
    monkeypatch.chdir(tmp_path)
    plans = plan_inputs(["pack.tar.gz"])
    assert [p.issue_id for p in plans] == [f"m_{k}" for k in range(6)]
    monkeypatch.chdir(REPO)
    seen = [0]
    opened = reader._open_tar_stream

    def counting(path):  # type: ignore[no-untyped-def]
        stream = opened(path)
        read = stream.read

        def counted(n=-1):  # type: ignore[no-untyped-def]
            data = read(n)
            seen[0] += len(data)
            return data

        stream.read = counted
        return stream

    monkeypatch.setattr(reader, "_open_tar_stream", counting)
    raws = list(read_issues(plans[:2], root=str(tmp_path)))
    assert [r.error for r in raws] == [None, None] and raws[0].parts[0][2] == P1.encode()
    assert [r.source for r in raws] == ["pack.tar.gz!m_0.txt", "pack.tar.gz!m_1.txt"]
    assert seen[0] < 1 << 20  # the 4 MB after them were not inflated
    gone = list(read_issues(plans[:1], root=str(tmp_path / "elsewhere")))  # not found: named as listed
    assert gone[0].error is not None and "pack.tar.gz" in gone[0].error.reason
    assert str(tmp_path) not in gone[0].error.reason


def test_open_zips_parse_an_archive_once_across_reads_and_reopen_it_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tasks reading a few members each of one zip (a Ray worker) open it once; an archive
    rewritten since is opened again and read as it is now."""
    from pipeline.io.inputs import OpenZips

    path = tmp_path / "pack.zip"
    real = zipfile.ZipFile

    def write(texts: list[str]) -> None:
        with real(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for k, text in enumerate(texts):
                zf.writestr(f"m_{k}.txt", text)

    write([P1 + str(k) for k in range(6)])
    plans = plan_inputs([str(path)])
    opened: list[str] = []

    def counting(file, *a, **k):  # type: ignore[no-untyped-def]
        opened.append(str(file))
        return real(file, *a, **k)

    monkeypatch.setattr(zipfile, "ZipFile", counting)
    zips = OpenZips()
    got = [r for k in range(0, 6, 2) for r in read_issues(plans[k : k + 2], zips=zips)]
    assert [r.parts[0][2].decode() for r in got] == [P1 + str(k) for k in range(6)]
    assert opened == [str(path)]  # three reads, one open
    write(["changed " + P1 + str(k) for k in range(6)])
    again = list(read_issues(plans[:1], zips=zips))
    assert again[0].parts[0][2].decode() == "changed " + P1 + "0" and len(opened) == 2


def test_traditional_to_simplified_and_encoding_in_provenance(tmp_path: Path) -> None:
    text = base_texts()[0]
    trad = opencc.OpenCC("s2t").convert(text)
    src = tmp_path / "big5.txt"
    src.write_bytes(trad.encode("big5", errors="replace"))
    out = tmp_path / "o.jsonl"
    run_batch([str(src)], out, load_config(None, ["input.traditional_to_simplified=true"], ["segment"]), progress=False)
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert recs[0]["provenance"]["encoding"] == "big5"
    simplified = "".join(r["text"] + (r["headline"] or "") for r in recs)
    converted = [ch for ch in set(trad) if ch not in text]  # characters s2t changed
    assert len(converted) > 20
    assert not any(ch in simplified for ch in converted)  # all back in Simplified
    assert "电商" in simplified or "经济" in simplified


# ---- continuations (unit) ---------------------------------------------------------------------------
def test_link_continuations_pairs_by_page_and_headline() -> None:
    text = P1 + "\n\n" + P4
    issue = Issue("i", "s", text)
    issue.pages = [("01", 0, len(P1)), ("04", len(P1) + 2, len(text))]
    out = Pipeline(load_config(stages=["segment"]))(issue)
    heads = [a.headline for a in out.articles]
    assert heads == ["甲市新建物流园开工", "乙县茶叶丰收", "丙镇修路"]
    first = out.articles[0]
    assert first.text == "9月1日，甲市物流园开工建设，总投资12亿元，预计明年建成投用。\n项目建成后将新增就业岗位3000个。"
    assert (first.continued_to, first.continued_from) == ("4", None)
    # no page information: nothing is linked
    flat = link_continuations(Issue("j", "s", "x", articles=[]))
    assert flat.articles == []


def test_a_page_header_without_a_number_does_not_stop_a_jump_from_joining() -> None:
    """`禾西报 2023年8月29日 星期二` starts page 2 but names no page: the fragment after
    `▶▶上接1版` still carries page 1's label, and is joined all the same; a fragment on
    the story's own page that names another page is not."""
    from pipeline.document import Article

    def arts() -> list[Article]:
        return [
            Article(headline="甲", paragraphs=["第一部分，"], continued_to="2", page="1", span=(0, 5)),
            Article(headline="乙", paragraphs=["另一篇。"], page="1", span=(6, 9)),
            Article(paragraphs=["第二部分。"], continued_from="1", page="1", span=(10, 15)),
        ]

    out = link_continuations(Issue("k", "s", "x" * 16, articles=arts()))
    assert [a.headline for a in out.articles] == ["甲", "乙"]
    assert out.articles[0].paragraphs == ["第一部分，第二部分。"]
    other = arts()
    other[2].continued_from = "3"
    assert len(link_continuations(Issue("k", "s", "x" * 16, articles=other)).articles) == 3


# ---- a worker that dies ----------------------------------------------------------------------------
class CrashStage(Stage):
    """Kills its process on an issue containing 'CRASHME' (imported by the workers)."""

    requires = ("articles",)
    provides = ("crashed",)

    def pipe(self, issues):
        for issue in issues:
            if "CRASHME" in issue.text:
                os._exit(3)
            yield issue


@pytest.fixture
def crash_stage():
    register_stage("crash")(CrashStage)
    yield CrashStage
    unregister_stage("crash")


def test_a_worker_dying_fails_only_its_issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_stage) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    text = base_texts()[0]
    files = []
    for i in range(12):
        p = tmp_path / "in" / f"n{i:02d}.txt"
        p.parent.mkdir(exist_ok=True)
        p.write_text(text + ("\nCRASHME\n" if i == 5 else ""), encoding="utf-8")
        files.append(str(p))
    out = tmp_path / "o.jsonl"
    s = run_batch(files, out, load_config(stages=["segment", "crash"]), workers=2, progress=False)
    assert (s.done, s.failed) == (11, 1)
    assert s.failures[0]["source"].endswith("n05.txt") and s.failures[0]["stage"] == "worker"
    ids = [json.loads(x)["issue_id"] for x in out.read_text(encoding="utf-8").splitlines()]
    assert list(dict.fromkeys(ids)) == [f"n{i:02d}" for i in range(12) if i != 5]


def test_same_named_issues_from_two_inputs_get_distinct_ids(tmp_path):
    """`a/x.txt` and `b/x.txt` must not both become issue `x` (article ids would collide)."""
    from pipeline.io.inputs import plan_inputs

    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.txt").write_text("标题\n\n正文一段。\n", encoding="utf-8")
    single = plan_inputs([str(tmp_path / "a" / "x.txt")])
    assert [p.issue_id for p in single] == ["x"]  # unique names stay short
    plans = plan_inputs([str(tmp_path / "a"), str(tmp_path / "b")])
    ids = [p.issue_id for p in plans]
    assert len(set(ids)) == len(ids) == 2
    plans = plan_inputs([str(tmp_path / "a" / "x.txt"), str(tmp_path / "b" / "x.txt")])
    ids = [p.issue_id for p in plans]
    assert len(set(ids)) == 2 and all(i.endswith("x") for i in ids)
