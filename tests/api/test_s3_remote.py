"""End to end against a real S3 API (moto's server on 127.0.0.1) as the DVC remote."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import boto3

from gitreg import Client, Model


def test_save_link_load_and_validate_through_s3(
    repo: Path, s3_server: str, s3_bucket: str, tmp_path: Path
) -> None:
    client = Client(repo)
    client.init(f"s3://{s3_bucket}/store", {"endpointurl": s3_server})
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha")
    (folder / "sub" / "b.bin").write_bytes(bytes(range(256)))

    small = client.save_artifact({"lr": 0.1}, "config")
    tree = client.save_artifact(folder, "data")
    client.link_artifact_to_model(small.id, Model("m", "v1"))

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert f"store/files/md5/{small.md5[:2]}/{small.md5[2:]}" in keys  # DVC 3 layout
    assert f"store/files/md5/{tree.md5[:2]}/{tree.md5[2:]}" in keys  # the .dir object
    assert tree.md5.endswith(".dir") and tree.nfiles == 2

    # a fresh cache: everything comes back from S3, verified
    shutil.rmtree(repo / ".git" / "gitreg" / "cache")
    fresh = Client(repo)
    assert fresh.load_artifact("config") == {"lr": 0.1}
    loaded = fresh.load_artifact("data")
    assert (loaded / "a.txt").read_text() == "alpha"
    assert (loaded / "sub" / "b.bin").read_bytes() == bytes(range(256))
    report = fresh.validate(remote=True)
    assert report.ok, report.problems
    assert report.objects_checked == 4  # config, the .dir and its two files


def test_validate_remote_reports_an_object_missing_from_s3(
    repo: Path, s3_server: str, s3_bucket: str
) -> None:
    client = Client(repo)
    client.init(f"s3://{s3_bucket}/store", {"endpointurl": s3_server})
    art = client.save_artifact("payload", "p")
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").delete_object(
        Bucket=s3_bucket, Key=f"store/files/md5/{art.md5[:2]}/{art.md5[2:]}"
    )
    report = Client(repo).validate(remote=True)
    assert not report.ok
    assert any("missing from the remote" in str(p) for p in report.problems)
    proc = subprocess.run(
        [sys.executable, "-m", "gitreg.cli.main", "-C", str(repo), "validate", "--remote"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "missing from the remote" in proc.stdout
