"""Build the CDK App with the stack and cdk-nag's AwsSolutions checks."""

from __future__ import annotations

import os
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from jada_infra.config import StackConfig
from jada_infra.stack import JadaStack

STACK_NAME = "Jada"


def build_app(context: dict[str, Any] | None = None, *, outdir: str | None = None, nag: bool = True) -> App:
    """The app as `cdk synth` builds it. Tests pass `context` (skipping bundling) and an outdir."""
    validation = os.environ.get("CDK_VALIDATION", "").lower() not in {"false", "0", "no"}
    kwargs: dict[str, Any] = {"builtin_cloud_formation_validation": validation}
    if context is not None:
        kwargs["context"] = context
    if outdir is not None:
        kwargs["outdir"] = outdir
    app = App(**kwargs)
    config = StackConfig.from_context(app.node)
    JadaStack(app, STACK_NAME, config=config, description="jada: Claude agent sessions and port sheet sync")
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
