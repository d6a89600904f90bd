"""AWS answers moto does not give, played at botocore's own seam (the `before-call` event).

moto emulates IAM, S3, STS and CloudWatch Logs in process, but not the IAM policy simulator,
and it accepts any credentials. These helpers answer those calls as AWS would, for the clients
of one boto3 session: the simulator decides from the policies moto holds for the user (with
moto's own policy evaluator), and an error answer stands for AWS refusing a call.
"""

from __future__ import annotations

import boto3
from botocore.awsrequest import AWSResponse
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.access_control import IAMPolicy, IAMUserAccessKey, PermissionResult
from moto.iam.models import iam_backends


def _answer(status: int, body: dict) -> tuple[AWSResponse, dict]:
    body.setdefault("ResponseMetadata", {"HTTPStatusCode": status, "HTTPHeaders": {}})
    return AWSResponse("https://aws.invalid/", status, {}, None), body


def policy_simulator(session: boto3.Session) -> None:
    """Answer SimulatePrincipalPolicy for IAM users from the policies moto stores for them."""

    def simulate(params: dict, **_) -> tuple[AWSResponse, dict]:
        body = params["body"]  # the query-protocol request: ActionNames.member.1=...

        def members(name: str) -> list[str]:
            return [v for k, v in body.items() if k.startswith(f"{name}.member.")]

        backend = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
        user = backend.get_user(body["PolicySourceArn"].rsplit("/", 1)[1])
        key = IAMUserAccessKey(DEFAULT_ACCOUNT_ID, "aws", user.access_keys[0].access_key_id, {})
        results = []
        for action in members("ActionNames"):
            for resource in members("ResourceArns"):
                verdicts = {
                    IAMPolicy(p).is_action_permitted(action, resource)
                    for p in key.collect_policies()
                }
                if PermissionResult.DENIED in verdicts:
                    decision = "explicitDeny"
                elif PermissionResult.PERMITTED in verdicts:
                    decision = "allowed"
                else:
                    decision = "implicitDeny"
                results.append(
                    {
                        "EvalActionName": action,
                        "EvalResourceName": resource,
                        "EvalDecision": decision,
                    }
                )
        return _answer(200, {"EvaluationResults": results, "IsTruncated": False})

    session.events.register("before-call.iam.SimulatePrincipalPolicy", simulate)


def refuse(session: boto3.Session, event: str, code: str, message: str, status: int = 403) -> None:
    """Make AWS answer `event` ("sts.GetCallerIdentity") with an error, as for a refusal."""

    def answer(**_) -> tuple[AWSResponse, dict]:
        return _answer(status, {"Error": {"Code": code, "Message": message}})

    session.events.register(f"before-call.{event}", answer)
