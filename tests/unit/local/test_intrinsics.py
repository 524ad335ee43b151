from __future__ import annotations

import pytest
from jada_tools.local.intrinsics import Resolver, UnresolvedReference


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(
        "us-east-1",
        refs={"Table": "Jada-Table", "Topic": "arn:aws:sns:us-east-1:123456789012:Jada-Topic"},
        attrs={("Fn", "Arn"): "arn:aws:lambda:us-east-1:123456789012:function:Jada-Fn"},
        parameters={"Param": "local-ssm:/x"},
    )


def test_ref_getatt_join_sub(resolver: Resolver) -> None:
    value = {
        "a": {"Ref": "Table"},
        "b": {"Fn::GetAtt": ["Fn", "Arn"]},
        "c": {"Fn::Join": ["", ['{"f":"', {"Fn::GetAtt": ["Fn", "Arn"]}, '"}']]},
        "d": {"Fn::Sub": "cdk-${AWS::AccountId}-${AWS::Region}-${Table}-${Fn.Arn}"},
        "e": {"Fn::Sub": ["${X}-${Param}", {"X": {"Ref": "Table"}}]},
        "f": {"Fn::Select": [1, {"Fn::Split": [":", {"Ref": "Topic"}]}]},
        "g": [{"Ref": "AWS::Partition"}, 3],
    }
    assert resolver.resolve(value) == {
        "a": "Jada-Table",
        "b": "arn:aws:lambda:us-east-1:123456789012:function:Jada-Fn",
        "c": '{"f":"arn:aws:lambda:us-east-1:123456789012:function:Jada-Fn"}',
        "d": "cdk-123456789012-us-east-1-Jada-Table-arn:aws:lambda:us-east-1:123456789012:function:Jada-Fn",
        "e": "Jada-Table-local-ssm:/x",
        "f": "aws",
        "g": ["aws", 3],
    }


def test_an_unknown_reference_is_an_error(resolver: Resolver) -> None:
    with pytest.raises(UnresolvedReference, match="Nope"):
        resolver.resolve({"Ref": "Nope"})
