"""A wheel built from a clean copy of the sources, installed without -e into a fresh target, runs
`newspipe run` with the default configuration from a directory outside the repository, and no
record carries the path of the checkout or of the installation (issue 11)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow


def _clean_copy(dest: Path) -> None:
    """What a clean clone of this working tree holds: the files git tracks or would track."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode("utf-8").split("\0")  # fmt: skip
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def test_wheel_runs_outside_the_repository(tmp_path: Path) -> None:
    src, dist, site, work = (tmp_path / d for d in ("src", "dist", "site", "elsewhere"))
    for d in (src, dist, work):
        d.mkdir()
    _clean_copy(src)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
                   check=True, capture_output=True, cwd=tmp_path, timeout=300)  # fmt: skip
    (wheel,) = dist.glob("newspipe-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("pipeline/models/lexicon/default.yaml", "pipeline/models/linear/weights.safetensors",
                    "pipeline/models/backoff/model.json", "pipeline/models/backoff/weights.safetensors",
                    "pipeline/presets/mt5_xlsum.yaml", "pipeline/resources/article.schema.json"):  # fmt: skip
        assert shipped in names
    assert not any(n.startswith(("tests/", "scripts/")) for n in names)
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    shutil.copy(REPO / "examples" / "sample_issue.txt", work / "issue.txt")
    env = {**os.environ, "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    where = subprocess.run([sys.executable, "-c", "import pipeline; print(pipeline.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)  # fmt: skip
    assert where.stdout.strip().startswith(str(site))  # the wheel, not the checkout
    proc = subprocess.run([sys.executable, "-m", "pipeline", "run", "issue.txt", "-o", "out.jsonl"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = (work / "out.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) >= 3
    assert all(r["topic"] and r["summary"] for r in records)
    prov = records[0]["provenance"]
    assert prov["stage_details"]["classify"]["lexicon"] == "pipeline:models/lexicon/default.yaml"
    for produced in (text, (work / "out.manifest.jsonl").read_text(encoding="utf-8")):
        for machine_path in (str(REPO), str(site), str(src), str(work)):
            assert machine_path not in produced
    schema = json.loads((site / "pipeline" / "resources" / "article.schema.json").read_text(encoding="utf-8"))
    import jsonschema

    for r in records:
        jsonschema.validate(r, schema)
