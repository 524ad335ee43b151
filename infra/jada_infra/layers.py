"""Lambda layers: the `jada` package, the third-party dependencies (built with pip, no Docker),
and Powertools from its public layer (resolved at deploy time through SSM; no look-up at synth)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/*.egg-info"]
#: googleapiclient ships 600+ discovery documents (110 MB); static discovery needs only this one.
KEEP_DISCOVERY = {"sheets.v4.json"}


@jsii.implements(ILocalBundling)
class PipBundling:
    """Install requirements.txt for Lambda's platform with pip, on this machine (no Docker)."""

    def __init__(self, requirements: Path) -> None:
        self.requirements = requirements

    def try_bundle(self, output_dir: str, *, image: DockerImage | None = None, **_: object) -> bool:
        target = Path(output_dir) / "python"
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
            "-r", str(self.requirements), "--target", str(target),
            "--platform", "manylinux2014_aarch64", "--platform", "manylinux_2_28_aarch64",
            "--implementation", "cp", "--python-version", "3.13", "--only-binary=:all:",
        ]  # fmt: skip
        subprocess.run(command, check=True)  # noqa: S603
        trim_discovery_cache(target)
        return True


def trim_discovery_cache(site: Path) -> None:
    cache = site / "googleapiclient" / "discovery_cache" / "documents"
    if cache.is_dir():
        for doc in cache.iterdir():
            if doc.name not in KEEP_DISCOVERY:
                doc.unlink()
    for stale in site.glob("**/__pycache__"):
        shutil.rmtree(stale, ignore_errors=True)


class SharedLayers(Construct):
    def __init__(self, scope: Construct, cid: str, *, powertools_version: str) -> None:
        super().__init__(scope, cid)
        self.jada = lambda_.LayerVersion(
            self,
            "JadaLayer",
            code=lambda_.Code.from_asset(str(ROOT / "layers" / "jada"), exclude=ASSET_EXCLUDES),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="jada package: domain logic and adapters",
        )
        requirements = ROOT / "layers" / "deps" / "requirements.txt"
        self.dependencies = lambda_.LayerVersion(
            self,
            "DependencyLayer",
            code=lambda_.Code.from_asset(
                str(requirements.parent),
                bundling=BundlingOptions(
                    image=RUNTIME.bundling_image,
                    local=PipBundling(requirements),
                    command=["false"],  # never used: local bundling always succeeds or raises
                ),
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="anthropic, google-auth, google-api-python-client (sheets discovery only)",
        )
        parameter = f"/aws/service/powertools/python/arm64/python3.13/{powertools_version}"
        self.powertools = lambda_.LayerVersion.from_layer_version_arn(
            self, "Powertools", ssm.StringParameter.value_for_string_parameter(self, parameter)
        )
