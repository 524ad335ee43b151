"""Build the CDK App with the stack and cdk-nag's AwsSolutions checks."""

from __future__ import annotations

import os
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks
from jada.telemetry import STACK_NAME

from jada_infra.config import StackConfig
from jada_infra.stack import JadaStack

#: context key: `cdk synth -c skipBundling=true` synthesizes without building the dependency layer
SKIP_BUNDLING = "skipBundling"


def build_app(context: dict[str, Any] | None = None, *, outdir: str | None = None, nag: bool = True) -> App:
    """The app as `cdk synth` builds it. Tests pass `context` (skipping bundling) and an outdir."""
    validation = os.environ.get("CDK_VALIDATION", "").lower() not in {"false", "0", "no"}
    kwargs: dict[str, Any] = {"builtin_cloud_formation_validation": validation}
    if context is not None:
        kwargs["context"] = context
    if outdir is not None:
        kwargs["outdir"] = outdir
    app = App(**kwargs)
    if str(app.node.try_get_context(SKIP_BUNDLING) or "").lower() in {"true", "1", "yes"}:
        # The CDK CLI always asks to bundle (`-c aws:cdk:bundling-stacks=[]` is refused: user context
        # may not use the aws: prefix), and bundling the dependency layer needs PyPI. For an offline
        # `cdk synth -c skipBundling=true` the app itself turns bundling off. Never deploy such a synth.
        app.node.set_context("aws:cdk:bundling-stacks", [])
    config = StackConfig.from_context(app.node)
    JadaStack(app, STACK_NAME, config=config, description="jada: Claude agent sessions and port sheet sync")
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
