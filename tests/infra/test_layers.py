"""What ships: the synthesized `jada` layer and function assets hold runtime code only (imports read
with `ast`), and the runtime never imports the tooling. Then the dependency layer's local bundling
(pip, no Docker) and its discovery-cache trim. No downloads: pip installs a wheel built here, with
the package index switched off."""

from __future__ import annotations

import ast
import base64
import hashlib
import re
import sys
import zipfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_lambda as lambda_
from jada_infra.app import STACK_NAME, build_app
from jada_infra.layers import KEEP_DISCOVERY, ROOT, PipBundling, SharedLayers, trim_discovery_cache
from packaging.requirements import Requirement

RUNTIME_SOURCE = ROOT / "layers" / "jada" / "python"
#: packages that exist for the tooling (CLI, local cloud, fakes, CDK, tests): never in what Lambda runs
TOOLING = {
    "jada_tools", "jada_infra", "moto", "typer", "rich", "click", "aws_cdk", "constructs", "cdk_nag",
    "jsii", "time_machine", "werkzeug", "pytest", "hypothesis",
}  # fmt: skip
#: folder names of the tooling inside a package (they used to live in the runtime package)
TOOLING_FOLDERS = {"cli", "local", "fakes", "jada_tools", "jada_infra"}


def installed(*requirements: str) -> set[str]:
    """Top-level import names of these distributions and of all they depend on (as installed here):
    what a layer built from `requirements` with pip holds."""
    wanted = [Requirement(r) for r in requirements]
    seen: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        if normalized(requirement.name) in seen:
            continue
        seen.add(normalized(requirement.name))
        try:
            requires = distribution(requirement.name).requires or []
        except PackageNotFoundError:  # for another platform or Python; not importable here either
            continue
        extras = ["", *requirement.extras]
        for line in requires:
            dependency = Requirement(line)
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": e}) for e in extras):
                wanted.append(dependency)
    return {name for name, dists in packages_distributions().items() if seen & {normalized(d) for d in dists}}


def normalized(distribution_name: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution_name).lower()


def dependency_layer() -> set[str]:
    lines = (ROOT / "layers" / "deps" / "requirements.txt").read_text().splitlines()
    return installed(*(line.strip() for line in lines if line.strip()[:1].isalnum()))


#: what every function can import: Lambda's Python runtime and the Powertools public layer
RUNTIME_PROVIDED = installed("boto3")
POWERTOOLS_LAYER = installed("aws-lambda-powertools[parser]")


# --- reading imports ----------------------------------------------------------------------------
class ImportNames(ast.NodeVisitor):
    """Every module name a file imports, at any depth (lazy imports count), except under
    `if TYPE_CHECKING:`. `from a.b import c` yields `a.b` and `a.b.c` (c may be a module)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.names: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.names |= {alias.name for alias in node.names}

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parent = ".".join(self.package.split(".")[: len(self.package.split(".")) - node.level + 1])
            base = f"{parent}.{base}".strip(".")
        self.names.add(base)
        self.names |= {f"{base}.{alias.name}" for alias in node.names}


def imports_of(path: Path, module: str = "") -> set[str]:
    visitor = ImportNames(module, is_package=path.name == "__init__.py")
    visitor.visit(ast.parse(path.read_text(), filename=str(path)))
    return visitor.names


def module_file(root: Path, name: str) -> Path | None:
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@dataclass
class Reach:
    """The modules a set of entry files loads through `root` and the outside packages they import."""

    modules: dict[str, Path]
    outside: dict[str, set[str]]  # top-level package -> modules importing it


def reach(entries: list[Path], root: Path, local: str = "jada") -> Reach:
    modules: dict[str, Path] = {}
    outside: dict[str, set[str]] = {}
    queue = [(f"<{p.name}>", p) for p in entries]
    while queue:
        name, path = queue.pop()
        for imported in imports_of(path, name):
            top = imported.split(".")[0]
            if top in sys.stdlib_module_names:
                continue
            if top != local:
                outside.setdefault(top, set()).add(name)
                continue
            parts = imported.split(".")
            for depth in range(1, len(parts) + 1):  # importing a.b.c runs a and a.b too
                prefix = ".".join(parts[:depth])
                found = module_file(root, prefix)
                if found is not None and prefix not in modules:
                    modules[prefix] = found
                    queue.append((prefix, found))
    return Reach(modules, outside)


def every_module(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


# --- the synthesized assets ---------------------------------------------------------------------
@dataclass
class FunctionAsset:
    path: str
    directory: Path
    with_dependencies: bool


@dataclass
class Assets:
    layer: Path  # the staged jada layer (its python/ folder holds the package)
    functions: list[FunctionAsset]


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> Assets:
    outdir = tmp_path_factory.mktemp("cdk.out")
    context = {
        "aws:cdk:bundling-stacks": [],
        "alertEmail": "ops@example.com",
        "aws:cdk:enable-asset-metadata": True,
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDK_VALIDATION", "false")
        app = build_app(context=context, outdir=str(outdir), nag=False)
        stack = app.node.find_child(STACK_NAME)
        resources = app.synth().get_stack_by_name(STACK_NAME).template["Resources"]

    def staged(construct: Any) -> tuple[str, dict[str, Any]]:
        logical_id = stack.get_logical_id(construct.node.default_child)
        resource = resources[logical_id]
        return logical_id, resource | {"dir": outdir / resource["Metadata"]["aws:asset:path"]}

    shared = next(c for c in stack.node.find_all() if isinstance(c, SharedLayers))
    _, layer = staged(shared.jada)
    dependency_id, _ = staged(shared.dependencies)
    functions = []
    for construct in stack.node.find_all():
        if isinstance(construct, lambda_.Function):
            _, function = staged(construct)
            layers = function["Properties"].get("Layers", [])
            functions.append(
                FunctionAsset(construct.node.path, function["dir"], {"Ref": dependency_id} in layers)
            )
    return Assets(layer["dir"], functions)


def test_the_app_ships_the_jada_layer_and_four_functions(assets: Assets) -> None:
    # (the tests below check these directories, so they must be the real, non-empty assets)
    assert sorted(p.name for p in (assets.layer / "python").iterdir()) == ["jada"]
    assert len(every_module(assets.layer)) > 20
    assert sorted(f.path.rsplit("/", 1)[-1] for f in assets.functions) == [
        "Poll",
        "SessionEnd",
        "SyncFunction",
        "TurnBatch",
    ]
    assert all((f.directory / "handler.py").is_file() for f in assets.functions)


def test_the_jada_layer_holds_no_tooling_folder_and_imports_no_tooling(assets: Assets) -> None:
    # Given the jada layer as staged for upload
    root = assets.layer / "python"
    # Then it has no CLI, local-cloud or fakes folder
    folders = {p.name for p in root.rglob("*") if p.is_dir()}
    assert not folders & TOOLING_FOLDERS
    # And no module imports a tooling package; every outside import is a runtime dependency
    allowed = RUNTIME_PROVIDED | POWERTOOLS_LAYER | dependency_layer()
    outside = reach(every_module(root), root).outside
    assert not set(outside) & TOOLING, {k: outside[k] for k in set(outside) & TOOLING}
    assert set(outside) <= allowed, {k: outside[k] for k in set(outside) - allowed}


def test_each_function_imports_only_jada_and_its_layers(assets: Assets) -> None:
    # Given each function's staged code and the layers it is configured with
    layer_root = assets.layer / "python"
    for function in assets.functions:
        allowed = RUNTIME_PROVIDED | POWERTOOLS_LAYER
        if function.with_dependencies:
            allowed |= dependency_layer()
        # Then its code holds no tooling folder
        assert not {p.name for p in function.directory.rglob("*")} & TOOLING_FOLDERS, function.path
        # And everything it loads, through the jada layer, comes from those layers
        reached = reach(every_module(function.directory), layer_root)
        assert reached.modules, f"{function.path} loads no jada module"
        assert set(reached.outside) <= allowed, (function.path, set(reached.outside) - allowed)


def test_the_poll_function_never_loads_anthropic_or_the_google_client(assets: Assets) -> None:
    # (cold start: the poll ships without the dependency layer)
    poll = next(f for f in assets.functions if f.path.endswith("/Poll"))
    assert not poll.with_dependencies
    reached = reach([poll.directory / "handler.py"], assets.layer / "python")
    assert "jada.orchestration.poll" in reached.modules
    assert not {"anthropic", "googleapiclient", "google"} & set(reached.outside)


def test_the_runtime_source_never_imports_the_tooling() -> None:
    # No import cycle between runtime and tooling: jada_tools -> jada_infra -> jada, never back
    offenders = {
        str(path.relative_to(RUNTIME_SOURCE)): sorted(names)
        for path in every_module(RUNTIME_SOURCE / "jada")
        if (names := {n for n in imports_of(path) if n.split(".")[0] in TOOLING})
    }
    assert offenders == {}


def test_the_import_reader_catches_tooling_however_it_is_imported(tmp_path: Path) -> None:
    # Given a package whose modules import tooling lazily, relatively and through a re-export
    package = tmp_path / "jada"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import helper\n")
    (package / "sub" / "helper.py").write_text("def f():\n    import moto.core\n")
    (package / "top.py").write_text(
        "from jada.sub import thing\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import aws_cdk\nelse:\n    import rich\n"
    )
    entry = tmp_path / "handler.py"
    entry.write_text("from jada.top import x\nimport jada_tools.cli as cli\n")
    # When its imports are followed from the entry point
    reached = reach([entry], tmp_path)
    # Then every module is reached, each tooling import is found, the type-checking one is not
    assert set(reached.modules) == {"jada", "jada.top", "jada.sub", "jada.sub.helper"}
    assert set(reached.outside) == {"moto", "rich", "jada_tools"}


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
