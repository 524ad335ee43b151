"""The dependency layer's local bundling (pip, no Docker) and its discovery-cache trim. No downloads:
pip installs a wheel built here, with the package index switched off."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest
from jada_infra.layers import KEEP_DISCOVERY, PipBundling, trim_discovery_cache

DOCS = ("sheets.v4.json", "drive.v3.json", "gmail.v1.json", "youtube.v3.json")


def fake_site(root: Path) -> Path:
    """A pip --target tree shaped like googleapiclient's, plus bytecode caches."""
    documents = root / "googleapiclient" / "discovery_cache" / "documents"
    documents.mkdir(parents=True)
    for name in DOCS:
        (documents / name).write_text("{}")
    (root / "googleapiclient" / "discovery.py").write_text("# code\n")
    (root / "googleapiclient" / "__pycache__").mkdir()
    (root / "googleapiclient" / "__pycache__" / "discovery.cpython-313.pyc").write_bytes(b"\0")
    (root / "anthropic" / "types" / "__pycache__").mkdir(parents=True)
    (root / "anthropic" / "types" / "__init__.py").write_text("")
    return root


def test_trim_keeps_only_the_sheets_document_and_drops_bytecode(tmp_path: Path) -> None:
    # Given an installed tree with four discovery documents and __pycache__ folders
    site = fake_site(tmp_path / "python")
    # When trimmed
    trim_discovery_cache(site)
    # Then only sheets.v4.json is left, the code is untouched, and no __pycache__ remains
    documents = site / "googleapiclient" / "discovery_cache" / "documents"
    assert sorted(p.name for p in documents.iterdir()) == sorted(KEEP_DISCOVERY) == ["sheets.v4.json"]
    assert (site / "googleapiclient" / "discovery.py").read_text() == "# code\n"
    assert (site / "anthropic" / "types" / "__init__.py").exists()
    assert not list(site.glob("**/__pycache__"))


def test_trim_of_a_tree_without_googleapiclient_is_harmless(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "x.py").write_text("")
    trim_discovery_cache(tmp_path)
    assert (tmp_path / "pkg" / "x.py").exists()


def build_wheel(directory: Path) -> Path:
    """A pure-Python wheel shipping a fake googleapiclient with discovery documents."""
    files = {
        "googleapiclient/__init__.py": b"",
        **{f"googleapiclient/discovery_cache/documents/{n}": b"{}" for n in DOCS},
    }
    dist = "fakeclient-1.0.dist-info"
    files[f"{dist}/METADATA"] = b"Metadata-Version: 2.1\nName: fakeclient\nVersion: 1.0\n"
    files[f"{dist}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )

    def record(path: str, data: bytes) -> str:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        return f"{path},sha256={digest},{len(data)}"

    lines = [record(p, d) for p, d in files.items()] + [f"{dist}/RECORD,,"]
    files[f"{dist}/RECORD"] = ("\n".join(lines) + "\n").encode()
    wheel = directory / "fakeclient-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def test_try_bundle_installs_for_lambda_into_python_and_trims(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a requirements file naming a local wheel, and pip unable to reach any index
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"{build_wheel(tmp_path)}\n")
    output = tmp_path / "asset"
    output.mkdir()
    # When CDK asks the local bundler to bundle
    bundled = PipBundling(requirements).try_bundle(str(output))
    # Then it reports success, the package sits under python/ (the layer layout), trimmed
    assert bundled is True
    documents = output / "python" / "googleapiclient" / "discovery_cache" / "documents"
    assert [p.name for p in documents.iterdir()] == ["sheets.v4.json"]
    assert (output / "python" / "fakeclient-1.0.dist-info").is_dir()


def test_try_bundle_fails_loudly_when_pip_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a requirement pip cannot satisfy offline
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("surely-not-a-package-jada==0.0.1\n")
    # Then bundling raises (CDK must not fall back to Docker, nor ship an empty layer)
    import subprocess

    with pytest.raises(subprocess.CalledProcessError):
        PipBundling(requirements).try_bundle(str(tmp_path / "asset"))


def test_the_bundler_is_a_jsii_local_bundling() -> None:
    # Without @jsii.implements(ILocalBundling) CDK rejects the object (no __jsii_type__)
    from aws_cdk import ILocalBundling

    assert ILocalBundling in getattr(PipBundling, "__jsii_ifaces__", [])
