#!/usr/bin/env python3
"""The CDK app: `cdk synth` / `cdk deploy` run this (see cdk.json)."""

from jada_infra.app import build_app

build_app().synth()
