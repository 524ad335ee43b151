"""The `sites` setting: validated with errors naming the site and the field, normalized."""

from __future__ import annotations

from typing import Any

import pytest
from jada.errors import ConfigurationError
from jada.settings import Settings
from jada.sites.config import sites_of, validate_sites

GOOD = {"bucket": "sailjada-site", "distributionId": "E2QWRUHAPOMQZL"}


def test_a_site_is_normalized_with_approval_auto_by_default() -> None:
    assert validate_sites({"sailjada.com": GOOD}) == {"sailjada.com": {**GOOD, "approval": "auto"}}
    [config] = sites_of(validate_sites({"sailjada.com": {**GOOD, "approval": "operator"}})).values()
    assert (config.bucket, config.distribution_id, config.needs_approval) == (
        "sailjada-site", "E2QWRUHAPOMQZL", True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("sites", "message"),
    [
        ({"Sail Jada": GOOD}, "site name 'Sail Jada' must be a lower-case host name"),
        ({"a.com": {**GOOD, "bucket": "Bad_Bucket"}}, "site 'a.com': bucket must be an S3 bucket name"),
        ({"a.com": {**GOOD, "bucket": "ab"}}, "bucket must be an S3 bucket name"),
        ({"a.com": {**GOOD, "bucket": "192.168.1.1"}}, "bucket must be an S3 bucket name"),
        ({"a.com": {**GOOD, "bucket": "a..b"}}, "bucket must be an S3 bucket name"),
        ({"a.com": {**GOOD, "bucket": "xn--site"}}, "no xn-- prefix"),
        ({"a.com": {"distributionId": "E2QWRUHAPOMQZL"}}, "bucket is required"),
        ({"a.com": {**GOOD, "distributionId": "d123.cloudfront.net"}}, "distributionId must be a CloudFront"),
        ({"a.com": {**GOOD, "approval": "manual"}}, "approval must be one of auto, operator, got 'manual'"),
        ({"a.com": {**GOOD, "region": "eu-west-1"}}, "unknown field region"),
        ({"a.com": "sailjada-site"}, "must be an object"),
        ({"a.com": GOOD, "b.com": GOOD}, "two sites share one bucket"),
    ],
)
def test_a_bad_site_is_refused_naming_the_site_and_field(sites: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_sites(sites)


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(ValueError) as err:
        validate_sites({"a.com": {"bucket": "B", "distributionId": "x", "approval": "no"}})
    assert all(f in str(err.value) for f in ("bucket", "distributionId", "approval"))


def test_the_functions_read_the_sites_from_their_environment_naming_the_variable() -> None:
    env = Settings(sites={"a.com": GOOD}).environment("turn_batch")
    assert Settings.from_env(env).sites == {"a.com": {**GOOD, "approval": "auto"}}
    with pytest.raises(ConfigurationError, match=r"SITES site 'a\.com': distributionId"):
        Settings.from_env({"SITES": '{"a.com": {"bucket": "a-site", "distributionId": "?"}}'})
