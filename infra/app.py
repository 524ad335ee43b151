#!/usr/bin/env python3
"""The CDK app: `cdk synth` / `cdk deploy` run this (see cdk.json)."""

import sys

from jada_infra.app import build_app
from jada_infra.config import ContextError

try:
    app = build_app()
except ContextError as exc:  # a bad or missing context value: one line, no traceback
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)
app.synth()
