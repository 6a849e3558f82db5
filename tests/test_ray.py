"""The Ray engine (`--engine ray`) on a local Ray instance: the local engine's records on the
fixtures and on a generated 500-issue archive, resume, the error file, a worker killed mid-run
(retried by Ray, every record exactly once), an issue that always kills its worker, and the one
line a user without Ray gets."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES
from typer.testing import CliRunner

from pipeline.batch import run_batch
from pipeline.cli import app
from pipeline.config import load_config
from pipeline.executor import make_executor
from pipeline.executor.base import ExecutorError, IssueTask
from pipeline.io.inputs import IssuePlan, PartRef
from pipeline.registry import register_stage, unregister_stage
from pipeline.stages.base import Stage

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray Data's own deprecated settings

from pipeline.executor.ray import RayExecutor  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def ray_instance():
    """One local Ray instance (2 CPUs) for the module; the stage classes defined here travel to
    the workers by value (the workers cannot import a test module)."""
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def records(path: Path) -> dict[str, dict]:
    """Records by article_id; each id exactly once."""
    recs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    ids = Counter(r["article_id"] for r in recs)
    assert not [i for i, n in ids.items() if n > 1], "duplicate records"
    return {r["article_id"]: r for r in recs}


def small_issue(i: int) -> str:
    return (
        f"第{i}号 城市新闻\n\n甲市新建学校{i}所\n\n本报讯 记者王明报道 甲市今年新建学校{i}所，新增学位{i * 120}个，"
        f"预计{2020 + i % 5}年全部投入使用。\n\n乙县茶叶丰收\n\n本报讯 乙县茶叶今年丰收，产量达到{i * 3}万吨，"
        f"茶农收入增加{i % 9 + 1}成。\n\n丙镇修路{i}公里\n\n本报讯 丙镇新修道路{i}公里，方便群众出行。\n"
    )


def archive(root: Path, n: int, extra: dict[int, str] | None = None) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"issue_{i:04d}.txt").write_text(small_issue(i) + (extra or {}).get(i, ""), encoding="utf-8")
    return [str(root)]


def test_fixtures_give_the_local_engines_records_and_errors(tmp_path: Path) -> None:
    cfg = load_config(None, ["summarizer.backend=extractive"], ["segment", "classify", "summarize"])
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    inputs = [str(FIXTURES), str(bad)]
    local, other = tmp_path / "local" / "out.jsonl", tmp_path / "ray" / "out.jsonl"
    a = run_batch(inputs, local, cfg, workers=1, progress=False)
    res = CliRunner().invoke(
        app,
        ["run", *inputs, "-o", str(other), "--engine", "ray", "--actors", "1", "--no-progress",
         "--stages", "segment,classify,summarize", "--set", "summarizer.backend=extractive"],
    )  # fmt: skip
    assert res.exit_code == 1, res.output  # one input failed, the rest is written
    assert f"issues done {a.done}, skipped 0, failed 1; articles written {a.articles}" in res.output
    assert records(local) == records(other) and len(records(local)) == a.articles > 0
    assert local.read_bytes() == other.read_bytes()  # in input order, as the local engine writes
    errors = [json.loads(x) for x in other.with_name("out.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["source"], e["stage"]) for e in errors] == [(str(bad), "read")]


def test_500_issue_archive_equals_the_local_engine_and_resumes(tmp_path: Path) -> None:
    cfg = load_config(None, [], ["segment", "classify"])
    # a first run over the 300 issues the archive holds, then over the 500 it holds later: the 300
    # are skipped, not redone
    other = tmp_path / "ray" / "out.jsonl"
    inputs = archive(tmp_path / "in", 300)
    first = run_batch(inputs, other, cfg, executor=RayExecutor(cfg), progress=False)
    assert (first.done, first.failed) == (300, 0)
    archive(tmp_path / "in", 500)
    local = tmp_path / "local.jsonl"
    a = run_batch(inputs, local, cfg, workers=1, progress=False)
    b = run_batch(inputs, other, cfg, executor=RayExecutor(cfg), progress=False)
    assert (b.done, b.skipped, b.failed) == (200, 300, 0)
    assert a.done == 500 and records(local) == records(other) and len(records(other)) == a.articles == 1500


def _zip_with_a_corrupt_member(path: Path) -> None:
    """Four issues; the third's deflate stream is corrupt: only reading it finds that out."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(4):
            zf.writestr(f"z/zip_{i}.txt", small_issue(100 + i))
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[2]
    raw[info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)] = 0xFF
    path.write_bytes(bytes(raw))


def _tar_gz(path: Path, members: list[tuple[str, str]]) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, text in members:
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            tf.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buf.getvalue(), mtime=0))


def test_the_driver_only_lists_the_workers_read_hash_skip_and_fail_as_the_local_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative inputs (files, a zip, a tar.gz with a paged issue) are listed on the driver into
    tasks without bytes; a read on the driver fails the test. The workers read them with the local
    engine's reader: the same records, and the same error records for a member that is corrupt
    (found reading, on a worker), one over input.max_file_mb (found listing) and an empty file;
    a re-run skips what is written, reports an edited issue (stage `resume`) and adds a new one."""
    monkeypatch.chdir(tmp_path)  # relative paths: the workers' own directory is not this one
    cfg = load_config(None, ["input.max_file_mb=0.05"], ["segment", "classify"])
    archive(Path("in"), 6)
    Path("in/empty.txt").write_bytes(b"")
    Path("in/huge.txt").write_text(small_issue(7) * 200, encoding="utf-8")  # 70 kB: over 50
    _zip_with_a_corrupt_member(Path("pack.zip"))
    pages = [("2024-09-01/01.txt", small_issue(201)), ("t/tar_0.txt", small_issue(202))]
    pages += [("2024-09-01/02.txt", small_issue(203)), ("t/tar_1.txt", small_issue(204))]
    _tar_gz(Path("pack.tar.gz"), pages)
    inputs = ["in", "pack.zip", "pack.tar.gz"]
    Path("local").mkdir()
    Path("ray").mkdir()
    a = run_batch(inputs, Path("local/out.jsonl"), cfg, workers=1, progress=False)

    import pipeline.io.inputs as reader

    driver, read = os.getpid(), reader._Budget.read

    def no_read_here(self, fh, source, hint=None):  # type: ignore[no-untyped-def]
        assert os.getpid() != driver, f"the driver read {source}"
        return read(self, fh, source, hint)

    shipped: list[IssueTask] = []
    execute = RayExecutor.execute

    def spy(self, chunks, limit=None):  # type: ignore[no-untyped-def]
        shipped.extend(t for c in chunks for t in c)
        return execute(self, chunks, limit)

    monkeypatch.setattr(reader._Budget, "read", no_read_here)
    monkeypatch.setattr(RayExecutor, "execute", spy)
    b = run_batch(inputs, Path("ray/out.jsonl"), cfg, executor=RayExecutor(cfg, chunk_size=2), progress=False)
    assert shipped and all(not t.parts and t.plan is not None for t in shipped)  # no bytes left the driver
    assert len(shipped) == 6 + 1 + 4 + 3  # all but the one refused while listing
    assert (b.done, b.failed, b.articles) == (a.done, a.failed, a.articles) == (12, 3, 39)
    assert Path("ray/out.jsonl").read_bytes() == Path("local/out.jsonl").read_bytes()
    errors = Path("ray/out.errors.jsonl").read_text(encoding="utf-8")
    assert errors == Path("local/out.errors.jsonl").read_text(encoding="utf-8")
    assert {json.loads(x)["source"] for x in errors.splitlines()} == {
        "in/empty.txt", "in/huge.txt", "pack.zip!z/zip_2.txt"
    }  # fmt: skip
    assert Path("ray/out.manifest.jsonl").read_bytes() == Path("local/out.manifest.jsonl").read_bytes()

    # a re-run: one issue edited, one added; the workers hash and settle, the driver still reads nothing
    edited = small_issue(2) + "\n丁村修桥\n\n本报讯 丁村新修桥一座。\n"
    Path("in/issue_0002.txt").write_text(edited, encoding="utf-8")
    Path("in/issue_0099.txt").write_text(small_issue(99), encoding="utf-8")
    monkeypatch.setattr(reader._Budget, "read", read)
    a2 = run_batch(inputs, Path("local/out.jsonl"), cfg, workers=1, progress=False)
    monkeypatch.setattr(reader._Budget, "read", no_read_here)
    shipped.clear()
    ex = RayExecutor(cfg, chunk_size=2)
    b2 = run_batch(inputs, Path("ray/out.jsonl"), cfg, executor=ex, progress=False)
    assert all(not t.parts for t in shipped)
    assert (b2.done, b2.skipped, b2.failed) == (a2.done, a2.skipped, a2.failed) == (1, 11, 4)
    assert Path("ray/out.jsonl").read_bytes() == Path("local/out.jsonl").read_bytes()
    assert Path("ray/out.manifest.jsonl").read_bytes() == Path("local/out.manifest.jsonl").read_bytes()
    errors = Path("ray/out.errors.jsonl").read_text(encoding="utf-8")
    assert errors == Path("local/out.errors.jsonl").read_text(encoding="utf-8")
    errors = [json.loads(x) for x in errors.splitlines()]
    assert ("in/issue_0002.txt", "resume") in {(e["source"], e["stage"]) for e in errors}


def test_a_stretch_of_one_tar_archive_is_read_by_few_tasks_files_by_many() -> None:
    """A task can only read a tar member by passing through the stream before it: a stretch of one
    tar archive becomes at most two units per CPU (each read in one pass), files and zip members
    units of `size` issues, in input order, every task exactly once."""
    ex = RayExecutor(load_config(None, [], ["segment"]))
    ex.cpus = 2

    def task(i: int, kind: str, archive: str | None) -> IssueTask:
        ref = PartRef(f"s{i}", archive or f"f{i}.txt")
        plan = IssuePlan(f"i{i}", f"s{i}", "g", [ref], None, archive, kind)
        return IssueTask(i, f"i{i}", f"s{i}", "g", plan=plan)

    tasks = [task(i, "file", None) for i in range(10)]
    tasks += [task(i, "tar", "a.tar.gz") for i in range(10, 110)]
    tasks += [task(i, "zip", "b.zip") for i in range(110, 117)]
    tasks += [task(i, "tar", "c.tar") for i in range(117, 120)]
    units = ex.units(tasks, 4)
    assert [t.index for u in units for t in u] == list(range(120))
    tars = [({t.plan.archive for t in u if t.plan}, len(u)) for u in units if _kind(u) == "tar"]
    assert tars == [({"a.tar.gz"}, 25)] * 4 + [({"c.tar"}, 3)]
    assert [len(u) for u in units if _kind(u) != "tar"] == [4, 4, 2, 4, 3]


def _kind(unit: list[IssueTask]) -> str:
    kinds = {t.plan.kind for t in unit if t.plan is not None}
    assert len(kinds) == 1
    return kinds.pop()


# ---- faults ----------------------------------------------------------------------------------------
class KillOnce(Stage):
    """Kills its worker process the first time it runs anywhere (a marker file remembers)."""

    requires = ("articles",)
    provides = ("killed_once",)
    marker = ""

    def pipe(self, issues):
        issues = list(issues)
        if issues and not os.path.exists(self.marker):
            Path(self.marker).write_text("killed", encoding="utf-8")
            os._exit(9)
        yield from issues


class KillAlways(Stage):
    """Kills its worker on an issue containing 'CRASHME', every time."""

    requires = ("articles",)
    provides = ("crashed",)

    def pipe(self, issues):
        for issue in issues:
            if "CRASHME" in issue.text:
                os._exit(3)
            yield issue


@pytest.fixture
def fault_stages():
    register_stage("killonce")(KillOnce)
    register_stage("killalways")(KillAlways)
    yield
    unregister_stage("killonce")
    unregister_stage("killalways")


def test_a_worker_killed_mid_run_is_retried_and_every_record_written_once(tmp_path: Path, fault_stages) -> None:
    KillOnce.marker = str(tmp_path / "killed.marker")
    cfg = load_config(None, [], ["segment", "killonce", "classify"])
    inputs = archive(tmp_path / "in", 60)
    out = tmp_path / "ray.jsonl"
    ex = RayExecutor(cfg, chunk_size=4)
    s = run_batch(inputs, out, cfg, executor=ex, progress=False)
    assert Path(KillOnce.marker).exists()  # a worker did die
    assert ex.redone == 0  # Ray's own retry redid its task
    assert (s.done, s.failed) == (60, 0)
    local = tmp_path / "local.jsonl"
    run_batch(inputs, local, cfg, workers=1, progress=False)
    assert records(out) == records(local) and len(records(out)) == 180


def test_an_issue_that_always_kills_its_worker_fails_alone(tmp_path: Path, fault_stages) -> None:
    cfg = load_config(None, [], ["segment", "killalways"])
    inputs = archive(tmp_path / "in", 12, {5: "\nCRASHME\n"})
    out = tmp_path / "ray.jsonl"
    ex = RayExecutor(cfg, chunk_size=4, max_retries=0)
    s = run_batch(inputs, out, cfg, executor=ex, progress=False)
    assert (s.done, s.failed) == (11, 1)
    assert ex.redone == 4  # its chunk's four issues, one per task: only the killer fails
    assert s.failures[0]["source"].endswith("issue_0005.txt") and s.failures[0]["stage"] == "worker"
    errors = (tmp_path / "ray.errors.jsonl").read_text(encoding="utf-8")
    assert "issue_0005.txt" in errors
    assert len(records(out)) == 33


# ---- no Ray ------------------------------------------------------------------------------------------
def test_without_ray_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ExecutorError, match=r"pip install 'newspipe\[ray\]'"):
        make_executor("ray", load_config(None, [], ["segment"]))
    res = CliRunner().invoke(app, ["run", str(FIXTURES), "-o", str(tmp_path / "o.jsonl"), "--engine", "ray"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "pip install 'newspipe[ray]'" in res.output and not list(tmp_path.iterdir())


def test_a_cluster_that_cannot_be_reached_touches_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**kwargs):
        raise ConnectionError("Could not find any running Ray instance.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refuse)
    res = CliRunner().invoke(
        app, ["run", str(FIXTURES), "-o", str(tmp_path / "o.jsonl"), "--engine", "ray", "--address", "auto"]
    )
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "cannot start or join the Ray cluster (auto): ConnectionError" in res.output
    assert not list(tmp_path.iterdir())


def test_summarizer_actors_take_one_gpu_each_where_the_cluster_has_gpus() -> None:
    ex = RayExecutor(load_config(None, [], ["segment", "summarize"]))
    ex.cpus, ex.gpus = 16, 4
    assert ex.finisher_options() == (4, {"num_gpus": 1, "num_cpus": 1})
    ex.actors = 2
    assert ex.finisher_options() == (2, {"num_gpus": 1, "num_cpus": 1})
    cpu = RayExecutor(load_config(None, ["summarizer.device=cpu"], ["segment", "summarize"]))
    cpu.cpus, cpu.gpus = 16, 4
    assert cpu.finisher_options() == (8, {"num_cpus": 1})
    cpu.actors = 40  # never all the CPUs: the tasks that feed the actors need one
    assert cpu.finisher_options() == (15, {"num_cpus": 1})
    cpu.cpus, cpu.actors = 1, None
    assert cpu.finisher_options() == (1, {"num_cpus": 0})
    assert [c.name for c in ex.driver_stages] == ["summarize"]  # the stage the actors run
