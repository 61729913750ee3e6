"""``DynamoDBStore``: idempotency records as DynamoDB items (public as ``idempotency.DynamoDBStore``)."""

from __future__ import annotations

import math
from typing import Any, cast

from .._errors import publish
from ._base import ACQUIRED, COMPLETED, GC_SLACK_SECONDS, IN_PROGRESS, Claim, claim_answer

_NAMES = {"#state": "state", "#token": "token", "#expires_at": "expires_at"}
_HELD = "#state = :in_progress AND #token = :token"
_CONDITION_FAILED = "ConditionalCheckFailedException"


def _condition_failed(error: Exception) -> dict[str, Any] | None:
    """The old item a conditional write failed on (``{}`` when not returned), or ``None`` for other errors."""
    response: Any = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    found = cast("dict[str, Any]", response)
    details: Any = found.get("Error")
    if not isinstance(details, dict) or cast("dict[str, Any]", details).get("Code") != _CONDITION_FAILED:
        return None
    item: Any = found.get("Item")
    return cast("dict[str, Any]", item) if isinstance(item, dict) else {}


class DynamoDBStore:
    """Records as items of a DynamoDB table, through boto3's low-level client (``boto3.client("dynamodb")``).

    The table's partition key is the string attribute ``pk``; enable TTL on
    the number attribute ``expiration`` (epoch seconds) to have DynamoDB
    delete old items; expiry itself is decided in each write's condition.
    Each operation is one conditional ``put_item``/``update_item``/
    ``delete_item``; a claim that finds the key taken reads the holder from
    the failed condition (``ReturnValuesOnConditionCheckFailure``), or with
    one ``get_item`` where the server does not return it.  Give the client
    short timeouts: ``botocore.config.Config(connect_timeout=1,
    read_timeout=2, retries={"max_attempts": 2, "mode": "standard"})``.
    Completions are as durable as the table.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def claim(self, key: str, token: str, now: float, expires_at: float) -> Claim:
        for _ in range(3):  # a record released between the failed write and the read is claimed again
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=self._item(key, IN_PROGRESS, token, expires_at),
                    ConditionExpression=f"attribute_not_exists(pk) OR #expires_at <= :now OR ({_HELD})",
                    ExpressionAttributeNames=_NAMES,
                    ExpressionAttributeValues={
                        ":now": {"N": repr(now)},
                        ":in_progress": {"S": IN_PROGRESS},
                        ":token": {"S": token},
                    },
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except Exception as error:
                old = _condition_failed(error)
                if old is None:
                    raise
                if not old:
                    old = self._client.get_item(TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True).get(
                        "Item"
                    )
                if old and float(old["expires_at"]["N"]) > now:
                    return claim_answer(old["state"]["S"], old["token"]["S"], old["expires_at"]["N"], mine=token)
                continue
            return Claim(ACQUIRED, expires_at)
        raise RuntimeError(f"DynamoDBStore: the record {key!r} changed under three claims in a row")

    def complete(self, key: str, token: str, now: float, expires_at: float) -> bool:
        return self._fenced(
            self._client.update_item,
            key,
            token,
            UpdateExpression="SET #state = :completed, #expires_at = :expires_at, expiration = :expiration",
            ExpressionAttributeNames=_NAMES,
            values={
                ":completed": {"S": COMPLETED},
                ":expires_at": {"N": repr(expires_at)},
                ":expiration": {"N": str(math.ceil(expires_at) + GC_SLACK_SECONDS)},
            },
        )

    def release(self, key: str, token: str) -> bool:
        return self._fenced(
            self._client.delete_item, key, token, ExpressionAttributeNames={"#state": "state", "#token": "token"}
        )

    def _fenced(self, operation: Any, key: str, token: str, values: dict[str, Any] | None = None, **kw: Any) -> bool:
        """Run the write *operation* on *key* only while it holds *token* in progress; whether it ran."""
        try:
            operation(
                TableName=self._table,
                Key={"pk": {"S": key}},
                ConditionExpression=_HELD,
                ExpressionAttributeValues={
                    **(values or {}),
                    ":in_progress": {"S": IN_PROGRESS},
                    ":token": {"S": token},
                },
                **kw,
            )
        except Exception as error:
            if _condition_failed(error) is None:
                raise
            return False
        return True

    @staticmethod
    def _item(key: str, state: str, token: str, expires_at: float) -> dict[str, Any]:
        return {
            "pk": {"S": key},
            "state": {"S": state},
            "token": {"S": token},
            "expires_at": {"N": repr(expires_at)},
            "expiration": {"N": str(math.ceil(expires_at) + GC_SLACK_SECONDS)},
        }


publish([DynamoDBStore], "idempotency")  # named (repr, help, pickle) by its public home
