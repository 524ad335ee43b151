from typing import Any
def test_hook_sees_scan(cloud: Any, dynamo_ops: Any) -> None:
    store = cloud.tasks()
    log = dynamo_ops(store.table)
    store.table.scan()
    store.get  # noqa
    assert log.operations == ["Scan"]
