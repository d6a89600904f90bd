"""The classifier on real learners' text: thread context, and the failure modes real text showed.

Every quoted message is from the real development corpus (tests/data/real/dev.jsonl), cut to
the lines that decide it, with its source address; the expected labels are the corpus's.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from support.learner_text import UPLOAD_FAILED

from classifiers import Context, classify, classify_thread, in_context
from classifiers.labelled import load_examples

REAL_DEV = Path(__file__).parent / "data" / "real" / "dev.jsonl"

# ---------------------------------------------------------------- thread context


def read(*messages: tuple[str, str]) -> list[tuple[bool, str | None]]:
    """A thread of (role, text), read in order: per message, incident? and signature."""
    results = classify_thread(classify, [(text, role) for role, text in messages])
    return [(r.is_incident, r.signature) for r in results]


def test_a_helpers_answer_quoting_the_error_is_not_a_new_incident():
    answer = (
        "You get `NoSuchBucket: The specified bucket does not exist` because the bucket name "
        "has a typo, check the name in your script"
    )
    assert read(("asker", UPLOAD_FAILED), ("helper", answer)) == [
        (True, "s3.no_such_bucket"),
        (False, None),
    ]


def test_the_askers_self_resolution_quoting_the_error_closes_rather_than_reports():
    # https://github.com/ekristen/aws-nuke/issues/507 (the asker, after a Lambda timeout)
    closing = (
        "Woops! Closing this issue. Answer is [here](https://stackoverflow.com/questions/"
        "62948910/aws-lambda-errormessage-task-timed-out-after-3-00-seconds)"
    )
    mine = "I was calling the wrong bucket, sorry: NoSuchBucket was my typo. Fixed now."
    assert read(("asker", UPLOAD_FAILED), ("asker", mine)) == [
        (True, "s3.no_such_bucket"),
        (False, None),
    ]
    result = in_context(classify(mine, reply=True), Context(True, True, "s3.no_such_bucket"))
    assert result.says_resolved  # so the ledger resolves the incident by the asker's word
    assert read(("asker", "Task timed out after 3.00 seconds"), ("asker", closing))[1] == (
        False,
        None,
    )


def test_plus_one_and_same_here_from_others_are_not_incidents():
    # https://github.com/CulturalMe/meteor-slingshot/issues/107 (another learner)
    stuck_too = (
        "@gsuess I'm stuck on this one too. I have a policy just as you've shown here but i'm "
        "still getting 403'd."
    )
    # https://github.com/awslabs/amazon-ecr-credential-helper/issues/49 (another learner)
    same_error = (
        "I just updated to the current Docker for Mac … and got the same error: … $ "
        "docker-compose up -d … ERROR: Get <redacted>: no basic auth credentials"
    )
    for reply in (stuck_too, same_error, "+1, same here"):
        assert read(("asker", UPLOAD_FAILED), ("other", reply))[1] == (False, None)
    # Read without knowing who wrote it, the same words look like a report.
    assert classify(same_error, reply=True).is_incident


def test_the_askers_new_error_in_a_reply_is_a_report_of_its_own():
    # https://github.com/rusher81572/cloudExplorer/issues/54, message 1 (the asker)
    new_error = (
        "Fixed by using a different version of java (openjdk instead of Oracle), but now "
        "getting a different issue. … Error Message: The authorization header is malformed; "
        "the region 'us-east-1' is wrong; expecting 'eu-west-2' (Service: Amazon S3; Status "
        "Code: 400; Error Code: AuthorizationHeaderMalformed;"
    )
    assert read(("asker", UPLOAD_FAILED), ("asker", new_error))[1] == (True, "s3.wrong_region")
    # The same error again is the open incident, not a second one.
    still = "still getting it: NoSuchBucket The specified bucket does not exist"
    assert read(("asker", UPLOAD_FAILED), ("asker", still))[1] == (False, None)


def test_thanks_at_the_end_of_a_real_report_does_not_cancel_it():
    # https://github.com/aws/aws-cli/issues/351
    report = (
        "AWSCLI -- discovery of the week! Thanks very much\nHave set up the config file - "
        "mint-linux-15 -- in ~/.aws but get\nUnable to locate credentials\nwhen trying to "
        "access any command which requires actual AWS access\n … \n# Tried so far\n1. pip "
        "upgrade\n … \nAny tip welcome\nThanks very much"
    )
    assert (classify(report).is_incident, classify(report).signature) == (
        True,
        "iam.credentials",
    )
    cheers = "My deploy fails: ROLLBACK_COMPLETE on the stack, no idea why. Cheers, thanks!"
    assert classify(cheers).signature == "cloudformation.stack_failed"


# A later message by the asker naming the layer the trouble came from moves the incident there.
LAMBDA_IN_A_VPC = [  # https://github.com/SamVerschueren/aws-sns-publish/issues/2
    (
        "asker",
        "Tried using this library to send an SMS directly to a phone number in a lambda "
        "function. It always times out.",
    ),
    ("helper", "What went wrong? Was it the library? Was it something else?"),
    (
        "asker",
        "Turned out that since my lambda was in vpc I need to add a nat gateway(that's in a "
        "subnet that routes to an internet gateway) to the lamba subnets. So the library isn't "
        "at fault.",
    ),
]
A_USERS_POLICY = [  # https://github.com/aws-samples/aws-nodejs-sample/issues/3
    (
        "asker",
        "Error: no such bucket\nI followed the instructions for getting started and encountered "
        "this error. … > { [NoSuchBucket: The specified bucket does not exist] … code: "
        "'NoSuchBucket', … statusCode: 404, … }",
    ),
    (
        "asker",
        "This was a permissions issue. Not a big fan of the error message. For anyone else "
        "getting started, you have to set up a policy on your user. IAM Management Console -> "
        "Users -> Click user -> Permissions -> Attach Policy -> Administrator Access",
    ),
]


THE_FUNCTIONS_ROLE = [  # https://github.com/jameshy/pgdump-aws-lambda/issues/41
    (
        "asker",
        "> 2022-06-03T17:08:18.467Z … ERROR\tAccessDenied: Access Denied\n>     at "
        "Request.extractError (/var/runtime/node_modules/aws-sdk/lib/services/s3.js:710:35)",
    ),
    (
        "asker",
        "Solved by these steps.\n\n1. In AWS Lambda in your Lambda function, go to the "
        "Configuration tab\n2. Click on the role name that executes the lambda\n3. That brings "
        "you to IAM\n4. In the Permissions tab, expand the policy that was already there.",
    ),
]
A_TYPO_IN_THE_ROLE = [  # https://github.com/nathanpeck/aws-cloudformation-fargate/issues/13
    (
        "asker",
        "I am following your example for private subnet public load balancer. However I am "
        "getting error: CannotPullContainer AccessDenied, when using an image hosted on ECR. … "
        "The private subnet has outbound internet access via NAT Gateway hosted in the public "
        "subnet.",
    ),
    ("asker", "Closing this... Finally found the issue, had a typo in the ExecutionRole!"),
]


@pytest.mark.parametrize(
    ("thread", "before", "after"),
    [
        (LAMBDA_IN_A_VPC, "lambda.timeout", "vpc"),
        (A_USERS_POLICY, "s3.no_such_bucket", "iam"),
        (THE_FUNCTIONS_ROLE, "s3.access_denied", "iam"),
        (A_TYPO_IN_THE_ROLE, "vpc.connectivity", "iam"),
    ],
    ids=["lambda-in-a-vpc", "a-users-policy", "solved-by-the-functions-role", "a-typo-in-the-role"],
)
def test_the_cause_the_asker_found_later_moves_the_incident_to_its_layer(thread, before, after):
    assert read(thread[0])[0] == (True, before)
    incident, *replies = classify_thread(classify, [(text, role) for role, text in thread])
    assert (incident.is_incident, incident.domain) == (True, after)
    assert not any(r.is_incident for r in replies)  # the explanation is no report of its own


def test_the_askers_explanation_naming_a_failure_is_no_new_report():
    timed_out = "lab 5: my lambda fails with Task timed out after 10.00 seconds calling S3"
    found = "Turned out my lambda was in a VPC without a NAT gateway"
    assert classify(found).is_incident  # read alone, it names a failure
    assert read(("asker", timed_out), ("asker", found))[1] == (False, None)


def test_a_cause_someone_else_suggests_moves_nothing():
    """A helper's explanation is a guess until the asker says so."""
    root, _, (_, explanation) = LAMBDA_IN_A_VPC
    assert read(root, ("helper", explanation))[0] == (True, "lambda.timeout")


# ---------------------------------------------------------------- failure modes of real text

REAL = [
    # CloudWatch alarm, metric and dashboard problems described in prose.
    (
        "https://github.com/aws-samples/aws-eda-slurm-cluster/issues/50",
        "**Describe the bug**\n\nAll of the CloudWatch dashboards have no data found messages.",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/boto/boto3/issues/486",
        "Am trying to create cloud watch alarms using the code below: … alarm = "
        "ec2_cloud.put_metric_alarm( AlarmName=AlarmName, MetricName='NetworkOut', … ) … The "
        "alarms gets created but says 'Insufficient Data' forever. … Is this a known issue and is "
        "it resolved ?",
        "cloudwatch.alarm_or_metric",
    ),
    # An S3 denial that went away when the identity's own policy gained the action is IAM's.
    (
        "https://github.com/gorilla-co/s3pypi/issues/77",
        "I find that without this, PutObject fails with Access Denied.  Removing the ACL from "
        "the PutObject succeeds.  Adding this permission to the role succeeds.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/remotely-save/remotely-save/issues/564",
        "[Bug]: AWS S3 user's policy configuration gives me 403 … hit `An error occurred "
        "(AccessDenied) when calling the ListObjectsV2 operation: Access Denied` … This policy "
        "fixed it for me: … I added `s3:ListBucket` because it's required by `ListObjectsV2`",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws/aws-cli/issues/2408",
        "I kept on getting the error message `fatal error: An error occurred (AccessDenied) when "
        "calling the ListObjects operation: Access Denied`. … Once I edited the Policy to allow "
        "`ListBucket` it all started working.",
        "iam.missing_permission",
    ),
    # Block Public Access named in the denial is the bucket's setting, not the identity's policy.
    (
        "https://github.com/vercel/examples/issues/971",
        "<Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::271583835787:user/yash-google"
        ' is not authorized to perform: s3:CreateBucket on resource: "arn:aws:s3:::google-lens-1"'
        " because public access control lists (ACLs) are blocked by the BlockPublicAcls block "
        "public access setting.</Message> … </Error>",
        "s3.access_denied",
    ),
    # "CORS" alone names what was being set up; the failure is the 500.
    (
        "https://github.com/serverless/serverless/issues/4585",
        'while Enabling the cors i\'m getting an response 500 : "Internal Server Error" > { '
        '"message": "Internal server error" }',
        "apigateway.bad_gateway",
    ),
    # A named failure (SES) is not outranked by a generic error re-read elsewhere by its cues.
    (
        "https://github.com/danilop/LambdAuth/issues/64",
        'does anyone know what I might be doing wrong here ? `{ "errorMessage": "Error in '
        "sendVerificationEmail: MessageRejected: Email address is not verified. The following "
        'identities failed the check in region US-WEST-2: … " }`',
        "other.other",
    ),
    # Lambda's own refusal (a retired runtime, a package too large) names the stack's cause.
    (
        "https://github.com/Beartime234/aws-mfa-entity-already-exists-fix/issues/2",
        "Python Version no longer supported by AWS\nWhen running the CloudFormation stack I get "
        'the error: ``` Resource handler returned message: "The runtime parameter of python3.7 '
        "is no longer supported for creating or updating AWS Lambda functions. ```",
        "lambda.other",
    ),
    (
        "https://github.com/viktorfa/strapi-4-serverless-guide/issues/3",
        'Resource handler returned message: "Unzipped size must be smaller than 262144000 '
        'bytes"\n… when creating a lambda function, it returns an error like below',
        "lambda.other",
    ),
    # Reaching an AWS endpoint timed out: the network path, not the SDK's configuration.
    (
        "https://github.com/aws-samples/aws-codepipeline-third-party-git-repositories/issues/1",
        "code pipeline lambda errors\n@kirankumar15  I receive the following errors in lambda "
        "logs when implementing this solution: Error in Function: Connect timeout on endpoint "
        'URL: "https://codepipeline.us-east-1.amazonaws.com/". Any ideas?',
        "vpc.connectivity",
    ),
    (
        "https://github.com/cattle-ops/terraform-aws-gitlab-runner/issues/1284",
        'Observe the following error in its logs "[ERROR] ConnectTimeoutError: Connect timeout '
        'on endpoint URL: "https://ec2.eu-central-1.amazonaws.com/""',
        "vpc.connectivity",
    ),
    # A Logs Insights query that answers nothing is not a missing log.
    (
        "https://github.com/aws/aws-sdk-go/issues/2316",
        "CloudWatchLogs GetQueryResults always returning empty\n… After creating a new "
        "CloudWatch Insights query via `StartQuery` and then passing that `QueryId` into "
        "`GetQueryResults` it always returns an empty object with no error set.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/boto/boto3/issues/2438",
        "Aws cloudwatch logs getQueryResults returns empty when tried with boto3\nUsing boto3 of "
        "aws, I am trying to run start query and get the results using query id. but it didnt "
        "work as expected in python script.",
        "cloudwatch.other",
    ),
    # A role or policy said to need or miss an API action is the identity's.
    (
        "https://github.com/aws/chalice/issues/242",
        "Default policy generated for S3 putObject missing PutObjectAcl for unauthenticated "
        'requests\n… access via CURL will always yield "PutObject operation: Access Denied"',
        "iam.missing_permission",
    ),
    (
        "https://github.com/shinesolutions/aem-aws-stack-builder/issues/24",
        "author standby role needs putmetricdata action permission … 403 Client Error: Forbidden "
        "for url: https://monitoring.ap-southeast-2.amazonaws.com/?Action=PutMetricData"
        "&MetricData.member.",
        "iam.missing_permission",
    ),
    # No region configured, said in words.
    (
        "https://github.com/tbenthompson/anti_forgetful/issues/1",
        '"No region specified" in boto request\nRunning on `Archlinux`, with `Python 3.6.5`, '
        "`boto3-1.7.14` … ec2_resource = boto3.resource('ec2')",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/awslabs/windows-web-app-migration-assistant/issues/10",
        "If you do not have a region set, then you will get the following error: [AWS "
        "Migration] [FATAL] ERROR: Please make sure that your AWS credentials are correct, and "
        "the AWS managed policy IAMReadOnlyAccess is attached to the current user",
        "lambda.sdk_config",
    ),
    # The account's VPC quota, in words.
    (
        "https://github.com/inspec/inspec-aws/issues/253",
        "Maximum number of VPC reached (Integration Test)\n# Describe the problem\n\nWhile doing "
        "an integration test it fails if you have a vpc in your aws account already",
        "vpc.other",
    ),
    (
        "https://github.com/vanvalenlab/kiosk-console/issues/67",
        "This is what you see when you have too many VPCs on your AWS account: … We need to 1) "
        "document this in the troubleshooting document and, potentially, 2) start deleting VPCs "
        "upon AWS cluster shutdown, since each AWS cluster gets its own VPC. This is the second "
        "time I've seen this error come up.",
        "vpc.other",
    ),
    # A root's words that read like advice ("if you need more context", "has to be public")
    # weigh little against the failure it reports.
    (
        "https://github.com/litespeedtech/lscache_wp/issues/218",
        "Hi, \n\nI am looking to set up this new EC2 instance using lscache Wordpress and I am "
        "not able to connect to the server as instructed [here](https://docs.litespeedtech.com/"
        "cloud/images/wordpress/#quick-start).\n\nPlease lmk if you need more context, thank "
        "you!",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/miztiik/AWS-Demos/issues/10",
        "cant make index.html public as showed\nHi\nAs showed in the video the bucket has to be "
        "private, however index.html file has to be public. I am unable to make my index.html "
        'public. please see snapshot below\n … \ncan you please suggest why "make public" '
        "option is grayed out",
        "s3.access_denied",
    ),
    # Elastic IPs a stack could not create: the account's quota, not the stack.
    (
        "https://github.com/aws-samples/aws-refarch-moodle/issues/42",
        "When creating the stack, I get the following error:\nEmbedded stack arn:aws:"
        "cloudformation:us-east-2:004749571273:stack/MoodleLink2-vpc-4WE3TZH1DORN/"
        "3ff97630-c822-11ed-bc0e-02905d19378a was not successfully created: The following "
        "resource(s) failed to create: [NatEIP0, NatEIP1].",
        "ec2.capacity_limit",
    ),
    (
        "https://github.com/aws-samples/ecs-refarch-cloudformation/issues/24",
        "it fails in the VPC step with the following error:\n\n> Embedded stack arn:aws:"
        "cloudformation:us-east-1:REDACTED:stack/my-environment-VPC-SOME_ID/"
        "42f61810-7b94-11e7-812e-50d5ca6e601e was not successfully created: The following "
        "resource(s) failed to create: "
        "[PrivateSubnet2RouteTableAssociation, PrivateSubnet1RouteTableAssociation, "
        "NatGateway1EIP, PublicSubnet1RouteTableAssociation, NatGateway2EIP, DefaultPublicRoute, "
        "PublicSubnet2RouteTableAssociation].",
        "ec2.capacity_limit",
    ),
    # Quotas and size limits in plain words: the limit is the cause, not the stack.
    (
        "https://github.com/F5Networks/f5-aws-cloudformation/issues/23",
        "From AWS Console-> Template validation error: Template may not exceed 460800 bytes in "
        "size.",
        "cloudformation.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/429",
        "I tried creating vpc using VPC module in terraform. … Error: Error creating VPC: "
        "VpcLimitExceeded: The maximum number of VPCs has been reached. status code: 400",
        "vpc.other",
    ),
    (
        "https://github.com/aws/amazon-sagemaker-examples/issues/1543",
        "ResourceLimitExceeded: An error occurred (ResourceLimitExceeded) when calling the "
        "CreateTrainingJob operation: The account-level service limit 'ml.p3.8xlarge for "
        "training job usage' is 2 Instances, with current utilization of 3 Instances",
        "other.other",
    ),
    # Errors from tools around AWS: ssh / mssh, Docker.
    (
        "https://github.com/aws/aws-ec2-instance-connect-config/issues/23",
        'I have installed "ec2-install-connect" on my ubuntu16. Got "Permission denied '
        '(publickey)" after "Successfully pushed the public key", but I don\'t know how to fix '
        "it. I was accidentally successful fixed the setup in similar situation … `mssh -r "
        "us-east-1 -d -u <my_profile_name> ubuntu@<my-instance-id>`",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/aws-samples/aws-modern-application-workshop/issues/1",
        "I am instructed to enter the command: ``` docker push "
        "111111111111.dkr.ecr.us-east-1.amazonaws.com/mythicalmysfits/service:latest ``` "
        "However, I get the error message: no basic auth credentials.",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/amazon-ecs-firelens-examples/issues/28",
        "When I try to pull this image, I get below error; ``` docker pull "
        "533243300146.dkr.ecr.us-east-1.amazonaws.com/newrelic/logging-firelens-fluentbit Using "
        "default tag: latest Error response from daemon: Get https://533243300146.dkr.ecr."
        "us-east-1.amazonaws.com/v2/newrelic/logging-firelens-fluentbit/manifests/latest: no "
        "basic auth credentials ```",
        "other.other",
    ),
    # CORS wording is never IAM, even with a 403 and "not allowed access".
    (
        "https://github.com/aws/aws-sdk-js/issues/432",
        "I just tried InvokeAsync in a local test webpage: … XMLHttpRequest cannot load "
        "https://lambda.us-east-1.amazonaws.com/2014-11-13/functions/myLambdaFunction/"
        "invoke-async/. No 'Access-Control-Allow-Origin' header is present on the requested "
        "resource. Origin 'null' is therefore not allowed access. The response had HTTP status "
        "code 403.",
        "apigateway.cors",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/8219",
        "I'm using a REST API that triggers Lambda functions but I keep getting a CORS policy "
        "error: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
        "apigateway.cors",
    ),
    # SES and other services outside the domain list go to other, not S3 or Lambda.
    (
        "https://github.com/WPManageNinja/fluent-smtp/issues/103",
        "SimpleEmailService::sendRawEmail(): Sender - MessageRejected: Email address is not "
        "verified. The following identities failed the check in region US-EAST-1: … What does "
        "this mean?",
        "other.other",
    ),
    (
        "https://github.com/WPManageNinja/fluent-smtp/issues/61",
        'When sending a test mail, I get the following error: { "code": 400, "message": '
        '"SimpleEmailService::sendRawEmail(): Sender - MessageRejected: Email address is not '
        "verified. The following identities failed the check in region EU-CENTRAL-1: … What to "
        "do? Many thanks in advance!",
        "other.other",
    ),
    # botocore's parameter validation is a code/SDK mistake, not the network ("VpcConfig").
    (
        "https://github.com/boto/botocore/issues/963",
        "botocore.exceptions.ParamValidationError: Parameter validation failed: Unknown "
        'parameter in input: "Runtime", must be one of: FunctionName, Role, Handler, '
        "Description, Timeout, MemorySize, VpcConfig",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/nficano/python-lambda/issues/51",
        "when i follow the instructions in the README and lambda deploy , I get the following "
        'stack trace: … Unknown parameter in input: "Environment", must be one of: '
        "FunctionName, Runtime, Role, Handler, Code, Description, Timeout, MemorySize, Publish, "
        "VpcConfig",
        "lambda.sdk_config",
    ),
    # Non-English messages, classified by their error text.
    (
        "https://github.com/cloudreve/cloudreve/issues/959",
        "使用 S3 存储策略时上传文件失败。 … 下一步往 aws 直传时返回 403\uff0c响应体如下 … "
        "<Error> <Code>AccessDenied</Code> <Message>Invalid according to Policy: Extra input "
        "fields: name</Message> … </Error>",
        "s3.access_denied",
    ),
    (
        "https://github.com/aws-samples/bedrock-chat/issues/625",
        "[BUG]Bedrock Claude Chatで最初の質問から、「回答中にエラーが発生しました。」で先に"
        "進めません。",
        "other.other",
    ),
    # Round 3. Capacity and vCPU quotas in plain words, with no error code.
    (
        "https://github.com/runs-on/runs-on/issues/73",
        "Many times a day we are getting a message similar to: ```We currently do not have "
        "sufficient m7a.xlarge capacity in the Availability Zone you requested (us-east-1c). "
        "Our system will be working on provisioning additional capacity. You can currently get "
        "m7a.xlarge capacity by not specifying an Availability Zone in your request or choosing "
        "us-east-1a, us-east-1b, us-east-1d, us-east-1f.``` Which results in our action hanging "
        "with the following message.",
        "ec2.capacity_limit",
    ),
    (
        "https://github.com/secdevops-cuse/CyberRange/issues/73",
        "I established a new dedicated account to build out the range. I am hitting ec2 vCPU "
        "limits in us-east-1 and need to request increase, looking for guidance on the current "
        "required number based on resources.",
        "ec2.capacity_limit",
    ),
    # Credentials that cannot be found, or a key id AWS does not know, in the user's words.
    (
        "https://github.com/aws/aws-toolkit-vscode/issues/1529",
        "I have managed to install the AWS Toolkit but when I go to create a new S3 bucket I get "
        "the error attached. 'The AWS Acess Key ID provided does not exist in our records'. Can "
        "you help me solve this please?",
        "iam.credentials",
    ),
    (
        "https://github.com/openfaas/faas/issues/1586",
        "When I run this python script on my ec2, it works with no issues.  Once I run it on "
        "docker swarm Openfaas on the same ec2 it cannot find AWS credentials.  I don't have aws "
        "credentials othen than the ones that are granted to the EC2.",
        "iam.credentials",
    ),
    (
        "https://github.com/aws-samples/aws-genai-llm-chatbot/issues/454",
        "During the deployment via 'npx cdk deploy' in Cloud9 environment I get the following "
        "warning messages: … current credentials could not be used to assume "
        "'arn:aws:iam::XXXXXXXXXXXX:role/cdk-hnb659fds-deploy-role-XXXXXXXXXXXX-YYYYYYYYY', but "
        "are for the right account. Proceeding anyway. … and the deployment rolls back.",
        "iam.credentials",
    ),
    # Services outside the domain list refusing in their own words: a Bedrock model not enabled
    # (an AccessDeniedException, a 403) is neither IAM nor S3; SageMaker's quotas are not EC2's.
    (
        "https://github.com/aws-samples/sample-agentic-frameworks-on-aws/issues/44",
        "But I am repeatedly getting AccessDenied exception: Error generating response: An error "
        "occurred (AccessDeniedException) when calling the Converse operation: You don't have "
        "access to the model with the specified model ID.",
        "other.other",
    ),
    (
        "https://github.com/gaiin-platform/amplify-genai-backend/issues/62",
        'When creating a chat prompt, waiting for reply. Error in the logs is below. … "msg": '
        "\"Error invoking Bedrock Anthropic:  PermissionDeniedError: 403 You don't have access to "
        "the model with the specified model ID.",
        "other.other",
    ),
    (
        "https://github.com/data-science-on-aws/data-science-on-aws/issues/200",
        "ResourceLimitExceeded: An error occurred (ResourceLimitExceeded) when calling the "
        "CreateTrainingJob operation: The account-level service limit 'Number of instances "
        "across all processing jobs' is 4 Instances … Changing instance type?",
        "other.other",
    ),
    (
        "https://github.com/jupyterlab/jupyterlab/issues/8759",
        "when I try to change my instance type from medium to any other large instance, I get "
        "this error. Please help, thanks! > `Failed to change to instance ml.m5.12xlargeAn error "
        "occurred (ResourceLimitExceeded) when calling the CreateApp operation: The account-level "
        "service limit 'KernelGateway Apps running on ml.m5.12xlarge instance' is 0 Apps, with "
        "current utilization of 0 Apps and a request delta of 1 Apps. Please contact AWS support "
        "to request an increase for this limit.`",
        "other.other",
    ),
    # A generic wording is read in its own domain when the domain's own evidence is there:
    # DynamoDB's "Requested resource not found" beside a region line, S3's AccessDenied
    # beside the SDK's "ClientError".
    (
        "https://github.com/pmuens/serverless-dynamodb-streams/issues/1",
        '"Requested resource not found" error while following the instruction c:\\>serverless '
        "deploy ... region: us-west-2 … c:\\>serverless invoke --function updateProfile --path "
        'event.json { "errorMessage": "Requested resource not found", "errorType": '
        '"ResourceNotFoundException", "stackTrace": [ "Request.extractError '
        '(/var/task/node_modules/aws-sdk/lib/protocol/json.js:43:27)"',
        "dynamodb.resource_not_found",
    ),
    (
        "https://github.com/aws-samples/aws-rds-snapshot-management/issues/6",
        'When I go to run the test via Step Functions I get the following: ``` { "error": '
        '"ClientError", "cause": { "errorMessage": "An error occurred (AccessDenied) when calling '
        'the GetObject operation: Access Denied", "errorType": "ClientError", … "obj = '
        's3.get_object(Bucket = BUCKET, Key = KEY)"',
        "s3.access_denied",
    ),
    # A stated cause beats its neighbours: no region is not networking (the metadata address
    # in the log), a bad key pair or principal is not the stack, ssh's refusal is not IAM.
    (
        "https://github.com/jimjkelly/lambda-deploy/issues/5",
        "Having issues deploying, getting NoRegionError even though region is specified … "
        "INFO:botocore.vendored.requests.packages.urllib3.connectionpool: Starting new HTTP "
        "connection (1): 169.254.169.254 Traceback (most recent call last): … self.client = "
        "boto3.client('lambda')",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/2429",
        "I am trying to create new instance in aws. My template file is like below: resource "
        '"aws_instance" "myInstance" { … key_name = "my-key-pair" … } However after terraform '
        "apply it shows error like: Error launching source instance: Invalid key pair:not found",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/aws-samples/aws-blog-codepipeline-third-party-git-build-status/"
        "issues/6",
        "I'm getting the following error when trying to create the stack: ``` Policy contains a "
        "statement with one or more invalid principals ```",
        "iam.malformed_policy",
    ),
    (
        "https://github.com/widdix/aws-ec2-ssh/issues/100",
        "1) created iam role and instance profile 2) created ec2 with that IAM role 3) added pub "
        "key to user … 6) tried to ssh and got permission denied … What am I missing?",
        "ec2.ssh_access",
    ),
    # A template body over the API's length limit is the template's size, not a failed stack.
    (
        "https://github.com/mapbox/cfn-config/issues/16",
        "Working with a very large template will return this: ``` 'templateBody' failed to "
        "satisfy constraint: Member must have length less than or equal to 51200 ```",
        "cloudformation.other",
    ),
    (
        "https://github.com/widdix/aws-cf-templates/issues/169",
        "aws cloudformation create-stack --stack-name one-cluster --parameters "
        "file:///$PWD/environments/one/infrastructure/cluster.json --template-body "
        "file:///$PWD/infrastructure/cluster.yml 'templateBody' failed to satisfy constraint: "
        "Member must have length less than or equal to 51200",
        "cloudformation.other",
    ),
    # "Timed out" alone is the function's own timeout: every Lambda timeout says it.
    (
        "https://github.com/ashiina/lambda-local/issues/173",
        "Time out Error - uncaughtException: Task timed out\nThis library gives an error what "
        "ever the lamda that im excuting is ( even simple lambda with console log gives following "
        "error ) ` > uncaughtException: Task timed out after 3.00 seconds",
        "lambda.timeout",
    ),
    (
        "https://github.com/boto/boto3/issues/2721",
        "after creating a client in boto3 and trying to list listeners `describe_listeners` its "
        "giving time out … you will get a timeout. I have tried with 60-second also … "
        '"errorMessage": "… Task timed out after 3.00 seconds"',
        "lambda.timeout",
    ),
    # An SDK error's "StatusCode: 400" is no API Gateway response.
    (
        "https://github.com/runs-on/runs-on/issues/88",
        'CreateFeet error: "MaxFleetCountExceeded" … operation error EC2: CreateFleet, https '
        "response error StatusCode: 400, … api error MaxFleetCountExceeded: You've reached your "
        "quota for maximum Fleet Requests for this account.",
        "ec2.capacity_limit",
    ),
    (
        "https://github.com/yiliqi78/TOKENICODE/issues/59",
        "[Bug] AWS Bedrock 渠道报错 invalid beta flag … API Error: 400 "
        '{"error":{"type":"","message":"InvokeModelWithResponseStream: operationerror Bedrock '
        "Runtime: InvokeModelWithResponseStream, https response error StatusCode:400, "
        'ValidationException: invalid beta flag"},"type":"error"}',
        "other.other",
    ),
    # A connection timing out from inside a VPC, in any client's words; "not in a VPC,
    # everything works" is the contrast that blames the VPC, not a VPC ruled out.
    (
        "https://github.com/aws/aws-sdk-go/issues/4154",
        "Sts connection timeout from VPC … When I will move my lambda to VPC even if there is a "
        "Private Link to Sts I will receive a connection error. … RequestError: send request "
        "failed … caused by: Post … https://sts.amazonaws.com/ … dial tcp 52.46.149.173:443: i/o "
        "timeout … 1. Lambda without VPC will receive creds but will not connect to proxy",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/aws-sdk-pandas/issues/2760",
        "I have a lambda function within a VPC … I get the error message Connect timeout on "
        'endpoint URL: "https://sts.amazonaws.com/". … When I run the same function outside the '
        "VPC there is no problems. … [ERROR] ConnectTimeoutError: Connect timeout on endpoint "
        'URL: "https://sts.amazonaws.com/" Traceback (most recent call last):',
        "vpc.connectivity",
    ),
    (
        "https://github.com/jeremydaly/lambda-warmer/issues/5",
        "When the concurrency parameter is greater than one, if the lambda function is not in a "
        "VPC, everything works normally, but if it is in a VPC the promise is never resolved.",
        "vpc.connectivity",
    ),
    # A presigned URL refused for its signature was made or used wrongly: S3's, not the keys'.
    (
        "https://github.com/aws-samples/amazon-s3-presigned-urls-aws-sam/issues/7",
        "Presigned URL throwing SignatureDoesNotMatch error\nHi, After deploying the stack and "
        "hitting the API URL, I was not able to upload JPG file to S3 using the presigned URL and "
        "was getting SignatureDoesNotMatch.",
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-php/issues/239",
        "SignatureDoesNotMatch with presigned URL … $signedUrl = "
        "$command->createPresignedUrl('+5 minutes'); … When trying to use curl command I'm "
        "getting and error _SignatureDoesNotMatch_ with message _The request signature we "
        "calculated does not match the signature you provided. Check your key and signing "
        "method._",
        "s3.other",
    ),
    # The policy editor refusing a Principal element: a document that does not validate.
    (
        "https://github.com/Netflix/consoleme/issues/8968",
        'Unable to create trust policy for central account - Prohibited field "Principal" … '
        "Amazon reports the following error: > This policy contains the following error: Has "
        "prohibited field Principal",
        "iam.malformed_policy",
    ),
    (
        "https://github.com/willbengtson/trailblazer-aws/issues/6",
        'problem with attaching policy … "Principal": { "AWS": "arn:aws:iam::<account_number>:'
        'role/trailblazer" }, "Action": "sts:AssumeRole" … Ln 6, Col 19 Unsupported Principal: '
        "The policy type IDENTITY_POLICY does not support the Principal element.",
        "iam.malformed_policy",
    ),
    # Waiting on port 22 is SSH.
    (
        "https://github.com/ansible/community/issues/289",
        'Ansible AWS EC2 create scripts gives this error:: "Timeout when waiting for '
        'X.X.X.X:22"} My Ansible AWS EC2 instance creation script gives this error. "Timeout '
        'when waiting for 172.31.25.6:22"}',
        "ec2.ssh_access",
    ),
    (
        "https://github.com/zodern/meteor-up/issues/1000",
        "mup.cmd setup fails with message: events.js:160 throw er; // Unhandled 'error' event ^ "
        "Error: connect ETIMEDOUT 54.244.81.198:22 at Object.exports._errnoException",
        "ec2.ssh_access",
    ),
    # A launch EC2 refused is why nobody could log in.
    (
        "https://github.com/gardener/gardener-extension-provider-aws/issues/694",
        "SSH to machines of type amd64 does not work … failed to run instance: "
        "InvalidParameterValue: The architecture 'x86_64,i386' of the specified instance type "
        "does not match the architecture 'arm64' of the specified AMI.",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/mitchellh/vagrant-aws/issues/468",
        "The security group 'sg-xyz' does not exist (Fog::Compute::AWS::NotFound) … So I've "
        "changed my security_group to the ID, since I'm using VPC … The security group "
        "'sg-011e817a' does not exist (Fog::Compute::AWS::NotFound)",
        "ec2.invalid_resource",
    ),
    # The SDK's own configuration and parameter checks, in Python and JavaScript.
    (
        "https://github.com/rackerlabs/lambda-uploader/issues/110",
        "getting config exception in lambda.. … The specified config file "
        "(/home/sbx_user1051/.aws/config) could not be found.: ConfigNotFound Traceback (most "
        "recent call last): s3 = boto3.client('s3')",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/binoculars/aws-lambda-ffmpeg/issues/34",
        'gulp aws:update error "InvalidParameterType: Expected params.FunctionName to be a '
        "string\" … 'aws:updateCode' errored after 465 ms",
        "lambda.sdk_config",
    ),
    # No default VPC to launch into is the account's network setup, not traffic.
    (
        "https://github.com/ryanmurakami/hbfl/issues/40",
        "VPCIdNotSpecified\nhbfl-main\\scripts\\module_02>node create-ec2-instance.js\nFailed to "
        "create instance with: VPCIdNotSpecified: No default VPC for this user",
        "vpc.other",
    ),
    (
        "https://github.com/brikis98/terraform-up-and-running-code/issues/54",
        "Chapter 2 error\nI get an error doing the first example (one-server):\n\nError "
        "launching source instance: VPCIdNotSpecified: No defau\nlt VPC for this user\n\nAny "
        "hints?",
        "vpc.other",
    ),
    # CloudWatch Events, now EventBridge, is CloudWatch's (taxonomy.md, amended in issue 13).
    (
        "https://github.com/TerraConstructs/base/issues/88",
        "aws/notify: EventBridge Rule with target has the wrong event bus … Error: creating "
        "EventBridge Target (test-rule-Target0): operation error EventBridge: PutTargets, https "
        "response error StatusCode: 400, … ResourceNotFoundException: Rule test-rule does not "
        "exist on EventBus default.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-eventbridge/issues/55",
        "EventBridge rule doesn't trigger Lambda\nThis is really more of a question because I did "
        'manage to get this working eventually. I had created an EventBridge "resource" that '
        "created a rule that was triggered on S3 object creation. … # This simply enables "
        "EventBridge events being emitted from the S3 bucket resource "
        '"aws_s3_bucket_notification" "enable_s3_bucket_eventbridge_notification" { bucket = '
        "data.aws_s3_bucket.inbound.id eventbridge = true }",
        "cloudwatch.other",
    ),
    # A volume and an instance in different zones do not fit together: a resource that does not
    # fit, as a wrong key pair or instance profile is.
    (
        "https://github.com/BD2KGenomics/cgcloud/issues/95",
        "Mounting ebs volume fails with mismatched availability zones\nFrom "
        "/var/log/upstart/mesosbox.log … volume.attach( self.instance_id, device_ext )",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/kubernetes/kops/issues/199",
        "Timeout on attaching EBS volumes when using multiple Zones\nThe cause is that the pods "
        "are being scheduled to run on nodes that are running not on the same AZ as the EBS "
        "volume specified",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/katosys/kato/issues/54",
        "Invalid IAM Instance Profile name\n```\n[0] ~ >> ./kato-ec2 home INFO[0000] Setup the "
        'EC2 environment cmd="ec2:deploy" … INFO[0002] Waiting until kato profile exists',
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-ec2-instance/issues/329",
        "key_pair does not exists issue\nHi I placed my key pair in currect directoy name as "
        "yeshwanth.pem … but in terraform validate gots key pair not exist issue … can you help ?",
        "ec2.invalid_resource",
    ),
    # An account that may not launch yet (a Marketplace AMI not subscribed) fails the stack.
    (
        "https://github.com/StreisandEffect/streisand/issues/86",
        "Instance creation failed => OptInRequired: In order to use this AWS Marketplace product "
        "you need to accept terms and subscribe.\nThe new AMI needs to accept terms and subscribe "
        "on web. How can I do this on command line?",
        "ec2.other",
    ),
    (
        "https://github.com/awslabs/harmonix/issues/22",
        "Installer fails with the following error - accept terms and subscribe - Gitlab\n7:23:52 "
        "PM | CREATE_FAILED | AWS::EC2::Instance | GitlabHostingConstructGitlabHost08D9CB4A\nIn "
        "order to use this AWS Marketplace product you need to accept terms and subscribe. … "
        "(Service: AmazonEC2; Status Code: 401; Error Code: OptInRequired;",
        "ec2.other",
    ),
    # A bucket with ACLs disabled refuses an ACL whoever asks: the bucket's setting, not a policy.
    (
        "https://github.com/shallwefootball/upload-s3-action/issues/65",
        "Failure if credentials lack permission to set ACL\nI have a rather limited user. It "
        "obviously lacks permission to set the ACL:\n\n> Error: AccessControlListNotSupported: "
        "The bucket does not allow ACLs",
        "s3.access_denied",
    ),
    (
        "https://github.com/ryanto/next-s3-upload/issues/64",
        "AWS ACL Error after following setup docs\nHi,\nI followed the setup instructions but I "
        'am getting an error on upload: "AccessControlListNotSupported: The bucket does not allow '
        'ACLs" along with a 400 on PUT. I copied the bucket settings and created the IAM new '
        "policy as the docs said.",
        "s3.access_denied",
    ),
    # API Gateway may not invoke the function: the function's resource policy lacks the grant.
    (
        "https://github.com/CodeGenieApp/serverless-express/issues/247",
        "Execution failed due to configuration error: Invalid permissions on Lambda "
        "function\nChecked this pull #185 - updated …",
        "lambda.other",
    ),
    (
        "https://github.com/amazon-archives/aws-apigateway-importer/issues/170",
        "Execution failed due to configuration error: Invalid permissions on Lambda "
        "function\nHi,\n\nI exported a fully working API …",
        "lambda.other",
    ),
    # Bedrock model access is the account's, granted in Bedrock's console: outside the list.
    (
        "https://github.com/aws-samples/amazon-bedrock-workshop/issues/109",
        "Not Authorized to invoke this API operation: "
        "02_Summarization/02.long-text-summarization-titan.ipynb\n…\nWhen I run below "
        'code\n\n```\nmodelId = "amazon.titan-tg1-large"\noutput = ""\ntry:\n    \n    output '
        "= summary_chain.run(docs)\n … \n```\n    \ngetting following error. (model id is : "
        'modelId = "amazon.titan-tg1-large")\n\n`\nError raised by bedrock service: An error '
        "occurred (AccessDeniedException) when calling the InvokeModel operation: Your account is "
        "not authorized to invoke this API operation.",
        "other.other",
    ),
    (
        "https://github.com/coder/code-server/issues/7959",
        "AccessDeniedException\nADD ISSUE DESCRIPTION HERE I\u2019m working on the “Exercise: FAQ "
        "Assistant with Evaluation” lab.\nMy Bedrock Runtime client is set to us-east-1, "
        "and I\u2019m invoking a versioned managed prompt ARN as modelId.\n"
        "The script reaches invoke_model, but AWS returns:\nAccessDeniedException: Your "
        "account is not authorized to invoke this API operation with …",
        "other.other",
    ),
    # An expired registry login token (ECR) is not the AWS keys.
    (
        "https://github.com/aws/aws-cli/issues/6580",
        "I am getting this error , not able to resolved after research.\ndenied: Your "
        "authorization token has expired. …",
        "other.other",
    ),
    (
        "https://github.com/buildkite/elastic-ci-stack-for-aws/issues/178",
        "agent failing on ecr get-login\nEspecially in the morning, you may see: ERROR: denied: "
        "Your Authorization Token has …",
        "other.other",
    ),
    # SQS refuses a trigger whose visibility timeout is shorter than the function's timeout.
    (
        "https://github.com/aws-samples/siem-on-amazon-opensearch-service/issues/473",
        "SQS Visibility Time out for Security Lake.\nWhen deploying with SecurityLake integration "
        "I get the following error:\n\nInvalid request provided: Queue visibility …",
        "other.other",
    ),
    (
        "https://github.com/aws/serverless-application-model/issues/3445",
        "Set Visibility timeout of the SQS with reference to the timeout of the function\n### "
        "Description\n\nI deploy …",
        "other.other",
    ),
    # An EBS volume encrypted with a KMS key the launch cannot use: KMS, outside the list.
    (
        "https://github.com/aws-samples/eks-workshop-v2/issues/1542",
        "[Bug]: One or more of the attached Amazon EBS volumes are encrypted with an inaccessible "
        "AWS KMS key.\n### Installation …",
        "other.other",
    ),
    (
        "https://github.com/CiscoDevNet/cloud-cml/issues/8",
        "No EBS encryption support\nIf your default EC2 security settings are set to encrypt all "
        "new EBS volumes, the Terraform job will fail with the following error:\n\n```\n│ Error: "
        "waiting for EC2 Instance (i-XXXXXXXXXXXXX) create: unexpected state 'shutting-down', "
        "wanted target 'running'. \n│ last error: Client.InvalidKMSKey.InvalidState: The KMS key "
        "provided is in …",
        "other.other",
    ),
    # An Elastic IP associated without its allocation id (InvalidParameterCombination: the call's
    # parameters do not fit), and launch configurations a new account cannot use.
    (
        "https://github.com/NixOS/nixops/issues/297",
        "nixops elastic IP does not seem compatible with VPC (Amazon EC2 backend) … "
        "<Code>InvalidParameterCombination</Code><Message>You must specify an allocation id when "
        "mapping an address to a VPC instance",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/lithiumtech/ha-nat/pull/2",
        "I had an issue where my VPC EIP failed to associate to my instance. … "
        "<Code>InvalidParameterCombination</Code><Message>You must specify an allocation id when "
        "mapping an address to a VPC instance",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/m-chandler/factorio-spot-pricing/issues/30",
        "CREATE_FAILED\nI folowed the instruction and make sure to chose an instance type that is "
        'availible in my region but got this error\n\n> Resource handler returned message: "The '
        "Launch Configuration creation operation is not available in your …",
        "ec2.other",
    ),
    # A user-data script that never ran.
    (
        "https://github.com/RhinoSecurityLabs/cloudgoat/issues/20",
        "When creating the environment with ./start.sh <ip-here> it runs as intended however the "
        "instance is later unreachable as the User-Data is not executed on the …",
        "ec2.other",
    ),
    (
        "https://github.com/clearlinux/micro-config-drive/issues/38",
        "ec2 cloud-init: user-data script not being executed\nI'm using an AWS AMI, "
        "ami-032138b8a0ee244c9 (N. Virginia), which is …",
        "ec2.other",
    ),
    # Windows instances: RDP and the administrator password.
    (
        "https://github.com/clong/DetectionLab/issues/594",
        "Can't RDP into DC created by AWS Terraform\nI have DC deployed by AWS Terraform.\nIt was "
        "created successfully, but I …",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/acantril/learn-cantrill-io-labs/issues/71",
        "AWS SSM LAB2, Stage 3 - needs review for Windows AMI/password "
        'retrieval\n…\n\n----------------\n\nUnable to connect to the simulated "OnPrem" '
        'windows instance (apparently is a "feature/bug" by AWS) - not able to retrieve the '
        "password for a Windows instance …",
        "ec2.ssh_access",
    ),
    # A subnet id that does not exist is a launch naming something missing.
    (
        "https://github.com/jschementi/riker/issues/42",
        "SubnetId notfound\nI don't know if it's a real issue, but I'm facing a problem "
        "here.\n\nI use a riker config and, after put my aws credentials, it ask me a VPC ID and "
        "VPC Subnet ID.\n\nI put both but always get the answer: "
        "\n\n[...]InvalidSubnetID.NotFound</Code><Message>The subnet ID …",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/openshift/openshift-ansible/issues/1053",
        "README_AWS needs more details re ec2_vpc_subnet config setting\nI'm not sure how to "
        "configure this setting, and leaving it unconfigured returns the following "
        "error:\n\n```\nTASK: [Launch instance(s)] "
        "**************************************************** \nfailed: [localhost] => …",
        "ec2.invalid_resource",
    ),
    # Delivering logs elsewhere: CloudTrail into a log group, subscription filters.
    (
        "https://github.com/aws/aws-cli/issues/5098",
        "InvalidCloudWatchLogsLogGroupArnException\nI followed [this](… …",
        "cloudwatch.other",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/148",
        "InvalidCloudWatchLogsRoleArnException when updating aws_cloudtrail\n_This issue was "
        "originally opened by @wnkz as …",
        "cloudwatch.other",
    ),
    (
        "https://github.com/ClaudioWaldvogel/cloudwatch-loki-shipper/issues/6",
        "Failed to create log subscription - An error occurred (InvalidParameterException) when "
        "calling the PutSubscriptionFilter operation … Could not execute the lambda function. Make "
        "sure you have given CloudWatch Logs permission to execute your function.",
        "lambda.other",
    ),
    (
        "https://github.com/localstack/localstack/issues/10198",
        "Log subscription filter example not working\nI'm trying to following the log "
        "subscription kinesis example …",
        "cloudwatch.other",
    ),
    # SNS is its own service, not a CloudWatch alarm's cue.
    (
        "https://github.com/aws/aws-sdk-js/issues/2057",
        "SMS not delivered to India number using SNS\nI have configured SNS for the region "
        "'us-east-1' and trying to send the SMS …",
        "other.other",
    ),
    # Things never created or skipped are blockers even without an error.
    (
        "https://github.com/serverless-operations/serverless-step-functions/issues/421",
        "EventBridge // CloudWatch Event Rules Not Being Created\nThe service deploys fine but "
        "completely ignores/skips over …",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/14019",
        "(@aws-cdk/aws-cloudfront-origins): S3 OAI & bucket policy are not created for CloudFront "
        "Distribution\nWhen I create a Cloudfront Distribution with a new S3 bucket which is not "
        "accessible to the …",
        "s3.access_denied",
    ),
    # Logs said not to reach CloudWatch, in the words people use.
    (
        "https://github.com/cloud-custodian/cloud-custodian/issues/6951",
        "c7n-mailer logs are not getting logged in cloudwatch, whereas same worked for "
        "custodian scripts and updates too when \u2026",
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/localstack/localstack/issues/1401",
        "lambda not pushing logs to cloudwatch log\nDoes localstack support pushing lambda logs "
        "to Cloudwatch logs?",
        "cloudwatch.no_logs",
    ),
    # An instance that never signals success times its stack out.
    (
        "https://github.com/aws/aws-cdk/issues/12749",
        "(aws-ec2): userDataCausesReplacement timeouts, if resourceSignalTimeout is set\nIf "
        "userDataCausesReplacement is set to \u2026",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws-quickstart/quickstart-microsoft-rdgateway/issues/7",
        "Stack fails while trying to create auto scaling group\n\u2026 I have also tried deploying "
        "in a different region where we do not have anything else deployed and I am getting the "
        "same result. \u2026 CREATE_FAILED | AWS::AutoScaling::AutoScalingGroup | "
        "RDGWAutoScalingGroup | Received 0 SUCCESS signal(s) out of 1.",
        "cloudformation.stack_failed",
    ),
    # "Wrong/different region" alone is a guess or a workaround tried, not S3's failure.
    (
        "https://github.com/hashicorp/packer/issues/1841",
        "Tutorial source ID wrong region\nI might be wrong but in your intro packer tutorial, "
        'the source AMI "source_ami": \u2026',
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/aws/aws-toolkit-vscode/issues/1530",
        "Amplify shows Access denied at S3 on push even though permissions are set\n\u2026 The "
        "error I am getting now after trying a lot of fixes is an Access denied error for S3. "
        "\u2026 - Opened a completely new amplify app in a different region and push the code "
        "there \u2026",
        "s3.access_denied",
    ),
    # A log group nobody created: the function had nowhere to write.
    (
        "https://github.com/garnaat/kappa/issues/27",
        "Not sure what to make of this one.\n\n    $ kappa MyEvent.yaml tail\n    tailing "
        "logs...\n\t    log group /aws/lambda/MyEvent has not been created yet\n    \u2026",
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/serverless-components/aws-lambda/issues/6",
        "it's working well after creating a log group with corresponding name manually",
        "cloudwatch.no_logs",
    ),
    # A CloudWatch Events / EventBridge rule that never fires or matches.
    (
        "https://github.com/hashicorp/terraform/issues/19080",
        "Cloudwatch Event Rule does not trigger Lambda\n### Terraform Version\n\n```\nTerraform "
        "v0.11.8\n```\n\n### Terraform \u2026",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/serverless-application-model/issues/2406",
        "Bug: Serverless::StateMachine EventBridgeRule Pattern not matching when bucket name is "
        "supplied\n### Description:\nWhen \u2026",
        "cloudwatch.other",
    ),
    # A launch naming a key pair or an image that does not exist, in learners' words (a key
    # pair's "key not found" is not S3's).
    (
        "https://github.com/hashicorp/terraform/issues/28403",
        "Keypair not found error\n\u2026 I have created key pair  in ec2 console of aws and given "
        "right path is terraform "
        "variables.\nNow when i call apply , ec2 instance creation is failing key not found 400 "
        "error.",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/stormfleet/cloudcat/issues/1",
        "ami image not exist\nami-0ee246e709782b1be is not a valid images in aws",
        "ec2.invalid_resource",
    ),
    # Round 9 (EC2 and VPC): launches refused, instances lost at launch, VPC settings and paths.
    # An Auto Scaling group's launch template that is invalid, at a bad version, or gone.
    (
        "https://github.com/7Factor/terraform-aws-concourse/issues/28",
        "Error creating AutoScaling Group: ValidationError: Invalid launch template version: "
        "either '$Default', '$Latest', or a numeric version are allowed.",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/aws-samples/aws-refarch-moodle/issues/52",
        "The launch template associated with this Auto Scaling group cannot be found.",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/ryanmurakami/hbfl/issues/58",
        "Failed to create auto scaling group with: Error [ValidationError]: You must use a "
        "valid fully-formed launch template. Value () for parameter groupId is invalid.",
        "ec2.invalid_resource",
    ),
    # A launch or an attach refusing a value: the instance profile name, the EBS device name.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/24281",
        "iamInstanceProfile.name is invalid Error … Error: Error launching source instance",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/sous-chefs/aws/issues/384",
        "Unable to create/attach `/dev/nvme1n1` EBS volume to Nitro-based instance … "
        "/dev/nvme1n1 is not a valid EBS device name",
        "ec2.invalid_resource",
    ),
    # A Windows instance whose administrator password cannot be fetched: no way to log in.
    (
        "https://github.com/test-kitchen/kitchen-ec2/issues/211",
        "Windows create fails fetching password … I am having trouble retrieving passwords for "
        "Windows instances.",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/acantril/learn-cantrill-io-labs/issues/71",
        "not able to retrieve the password for a Windows instance launched from a custom AMI",
        "ec2.ssh_access",
    ),
    # Ansible's wait for the SSH banner timing out: the instance never answered on SSH.
    (
        "https://github.com/StreisandEffect/streisand/issues/820",
        "Timeout when waiting for search string OpenSSH in",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/ansible/community/issues/289",
        '"Timeout when waiting for 172.31.25.6:22"',
        "ec2.ssh_access",
    ),
    # Instances terminated right after launch (Client.InternalError: Client error on launch).
    (
        "https://github.com/aws-samples/aws-genomics-workflows/issues/109",
        'EC2 immediately terminate with "Client.InternalError: Client error on launch" error.',
        "ec2.other",
    ),
    (
        "https://github.com/aws-quickstart/quickstart-redhat-openshift/issues/130",
        "the etcd instances are being created (via autoscaling group) but immediately terminated.",
        "ec2.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/12953",
        "aws_instance - terminating automatically",
        "ec2.other",
    ),
    # EBS volumes named /dev/nvme* on Nitro instances, not the device name asked for.
    (
        "https://github.com/gruntwork-io/terraform-aws-couchbase/issues/73",
        "EBS volumes fail to format … I'm able to manually format the nvme device",
        "ec2.other",
    ),
    (
        "https://github.com/NixOS/nixops-aws/issues/59",
        "due to the difference in nvme device names.",
        "ec2.other",
    ),
    # Networking refusals: a subnet that does not exist or does not fit, a route across networks.
    (
        "https://github.com/hashicorp/terraform/issues/16768",
        'allocation_id = "${element(aws_eip.eip.*.id, count.index)}" … Error creating NAT '
        "Gateway: InvalidSubnet: Subnet 10.0.2.0/24 was not found",
        "vpc.other",
    ),
    (
        "https://github.com/openshift/hypershift/issues/711",
        "failed to create infra: cannot create NAT gateway: InvalidSubnet … bin/hypershift "
        "create cluster aws --pull-secret ~/token.ocm --aws-creds ~/.aws/credentials",
        "vpc.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/2185",
        "InvalidParameterValue: route table rtb-73011816 and network gateway pcx-e0f00089 "
        "belong to different networks",
        "vpc.other",
    ),
    (
        "https://github.com/oomichi/try-kubernetes/issues/136",
        '"code": "Ec2SubnetInvalidConfiguration",',
        "vpc.other",
    ),
    # The VPC's DNS hostnames setting off: private names do not resolve.
    (
        "https://github.com/F5Networks/f5-aws-cloudformation/issues/10",
        "cluster fails when DNS hostnames not enabled … If the VPC does not have DNS hostnames "
        "enabled this will fail.",
        "vpc.other",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/pull/7589",
        "one needs to enable both `enable_dns_support` and `enable_dns_hostnames`. … I tried "
        "resolving the private zone from my ec2 machine but couldn't.",
        "vpc.other",
    ),
    # A dial to an AWS endpoint timing out from a private network.
    (
        "https://github.com/eksctl-io/eksctl/issues/3147",
        'failed to run Kubelet: could not init cloud provider "aws": error finding instance '
        "Post https://ec2.eu-west-1.amazonaws.com/: dial tcp timeout",
        "vpc.connectivity",
    ),
    (
        "https://github.com/AndrewGuenther/fck-nat/issues/99",
        "dial tcp <SOME_IP>:443: i/o timeout",
        "vpc.connectivity",
    ),
    # A public subnet that assigns no public IP (MapPublicIpOnLaunch off): no way out.
    (
        "https://github.com/JulieElkinsAWS/CFtemplates/pull/2",
        "need to make subnet apply public ip by default without MapPublicIpOnLaunch: true the "
        "WebServerInstance fails when creating the stack",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws-samples/dify-self-hosted-on-aws/issues/2",
        "Because we set `mapPublicIpOnLaunch: false` on pubic subnets, a nat instance does not "
        "get public IP address",
        "vpc.connectivity",
    ),
    # EKS worker nodes that never join the cluster: they could not reach its endpoint. (EKS's own
    # NodeCreationFailure alone names no layer: other.other, taxonomy.md's conventions.)
    (
        "https://github.com/aws-samples/amazon-eks-cicd-codebuild/issues/8",
        "kubectl get nodes I am getting No resources found. … This means my nodes have not "
        "joined the cluster.",
        "vpc.connectivity",
    ),
    # A security group that blocks what the code needs; tasks in private subnets that cannot pull.
    (
        "https://github.com/cloudreach/aws-lambda-es-cleanup/issues/15",
        "Current security group doesn't allow DNS requests, therefor lambda function can't "
        "resolve ES cluster DNS name.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/amazon-ecs-agent/issues/3035",
        "CannotPullContainerError: inspect image has been retried 5 time(s): … under private "
        "subnets i am experiencing this issues , where ecs was not able to pull an image from",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/amazon-ecs-agent/issues/1246",
        "Can't create Fargate services in a private networking environment. … "
        "CannotPullContainerError: API error (500): Get "
        "https://XXX.dkr.ecr.us-east-1.amazonaws.com/v2/: net/http: request canceled while "
        "waiting for connection",
        "vpc.connectivity",
    ),
    # Round 9 (IAM, S3, services outside the list, CloudFormation): real learners' wording.
    # A profile the SDK cannot find or read (an SSO profile missing its settings): credentials.
    (
        "https://github.com/PredictMobile/aws-sso-credentials-getter/issues/7",
        "I'm trying with this command: `ssocred default ` but it is allways returning \"Profile "
        'not found", Do I need to do something previously?',
        "iam.credentials",
    ),
    (
        "https://github.com/boto/boto3/issues/3175",
        "Getting profile not found with AWS SSO profile in aws/config … "
        'boto.provider.ProfileNotFoundError: Profile "demo" not found!',
        "iam.credentials",
    ),
    (
        "https://github.com/linaro-its/aws2-wrap/issues/68",
        "Getting an error: `'sso_start_url' not found in profile:",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-elastic-beanstalk-cli-setup/issues/139",
        "`eb init --profile <profile_name>` does not work, it shows me this error: … "
        '`ERROR: InvalidConfigError - The profile "AdministratorAccess" is configured to use '
        "SSO but is missing required configuration: sso_start_url, sso_region`",
        "iam.credentials",
    ),
    # An MFA code the call refused, even inside an AssumeRole call: the session never began.
    (
        "https://github.com/99designs/aws-vault/issues/676",
        "aws-vault: error: exec: Failed to get credentials for account2: AccessDenied: "
        "MultiFactorAuthentication failed, unable to validate MFA code.",
        "iam.credentials",
    ),
    (
        "https://github.com/cloud-custodian/cloud-custodian/issues/3974",
        "It always return `ClientError: An error occurred (AccessDenied) when calling the "
        "AssumeRole operation: MultiFactorAuthentication failed with invalid MFA one time pass "
        "code. `",
        "iam.credentials",
    ),
    (
        "https://github.com/glassechidna/awsweb/issues/23",
        "Assume Role MFA token code: 123456\nSecond attempt also failed. Error is not due to MFA "
        "code reuse.",
        "iam.credentials",
    ),
    # Expired, root or absent credentials refused by AssumeRole are the caller's, not a trust.
    (
        "https://github.com/spotify/luigi/issues/2725",
        "An error occurred (ExpiredToken) when calling the AssumeRole operation: The security "
        "token included in the request is expired",
        "iam.credentials",
    ),
    (
        "https://github.com/kubeflow/testing/pull/961",
        "An error occurred (AccessDenied) when calling the AssumeRole operation: Roles may not be "
        "assumed by root accounts.",
        "iam.credentials",
    ),
    (
        "https://github.com/n8n-io/n8n/issues/23584",
        "(Failed to assume role: System AWS credentials are required for role assumption.",
        "iam.credentials",
    ),
    # The provider chain finds nothing: instance metadata (IMDSv2), an instance or pod role.
    (
        "https://github.com/aws/amazon-ssm-agent/issues/544",
        "The amazon-ssm-agent service is failing to retrieve credentials on startup due to a "
        "missing IAM role for the EC2 instance.",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/3913",
        "I'm getting the following error when attempting to make the first AWS service call "
        "with `secretsManager.getSecretValue`: … ProviderError: Error response received from "
        "instance metadata service",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/5155",
        "But still I get `Error: Credential is missing`",
        "iam.credentials",
    ),
    (
        "https://github.com/cognitect-labs/aws-api/issues/243",
        "This means aws-api cannot authenticate with Instance Profile Credentials",
        "iam.credentials",
    ),
    (
        "https://github.com/CaseyLabs/aws-ec2-ebs-automatic-snapshot-bash/issues/20",
        "credentials not found … It is not able to find credentials.",
        "iam.credentials",
    ),
    (
        "https://github.com/jcberquist/aws-cfml/issues/92",
        'Doesn\'t work if IMDSv2 is set to "Required"\n'
        "`169.254.169.254/latest/meta-data/iam/security-credentials/` will return 401 error",
        "iam.credentials",
    ),
    # Web identity (IRSA): a credential error, unless the cluster's OIDC provider is missing.
    (
        "https://github.com/aws/amazon-eks-pod-identity-webhook/issues/233",
        "WebIdentityErr on KOps cluster … Seeing WebIdentityErr on credential retrieval.",
        "iam.credentials",
    ),
    (
        "https://github.com/aws-samples/aws-secret-sidecar-injector/issues/30",
        "WebIdentityError: Failed to retrieve credentials. caused by Invalid Identity token: No "
        "OpenIDConnect provider found in account",
        "iam.trust_policy",
    ),
    # A service's missing service-linked role is created, not trusted.
    (
        "https://github.com/aws-samples/aws-modern-application-workshop/issues/99",
        "Unable to assume the service linked role. Please verify that the ECS service linked role "
        "exists.",
        "iam.other",
    ),
    (
        "https://github.com/nathanpeck/aws-cloudformation-fargate/issues/3",
        "Trouble with service linked role … ```Unable to assume the service linked role. Please "
        "verify that the ECS service linked role exists.",
        "iam.other",
    ),
    # A bucket policy's bad Principal: the document S3 refuses, not a role's trust.
    (
        "https://github.com/cloud-custodian/cloud-custodian/issues/4948",
        "An error occurred (MalformedPolicy) when calling the PutBucketPolicy operation: Invalid "
        "principal in policy",
        "iam.malformed_policy",
    ),
    (
        "https://github.com/aws/aws-sdk-net/issues/1317",
        "I am creating a bucket and bucket policy using aws-sdk for .net dll. … Invalid principal "
        "in policy",
        "iam.malformed_policy",
    ),
    (
        "https://github.com/ministryofjustice/modernisation-platform-environments/pull/590",
        "Error: Error putting S3 policy: MalformedPolicy: Invalid principal in… … policy",
        "iam.malformed_policy",
    ),
    # An API action named as what the identity needs: its policy lacked it.
    (
        "https://github.com/acantril/aws-sa-pro/pull/19",
        'user B gets an error "Access control list (ACL) not supported", … Apparently, you need '
        '"s3:GetBucketOwnershipControls" (now) in order to upload successfully from the Console.',
        "iam.missing_permission",
    ),
    (
        "https://github.com/awsdocs/amazon-cloudwatch-logs-user-guide/issues/17",
        "Need to  add `s3:PutObjectACL` for SendingAccount",
        "iam.missing_permission",
    ),
    (
        "https://github.com/thephpleague/flysystem-aws-s3-v3/issues/149",
        'I get the message `Error executing "ListObjects" ... 403 Forbidden`. I tried to add '
        "s3:listObjects as a permission in my iam and s3 settings",
        "iam.missing_permission",
    ),
    # A permission scoped to one region (Lambda@Edge logs everywhere): elsewhere it is missing.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-lambda/issues/34",
        "Logging permission for Lambda@Edge restricted to us-east-1",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws-samples/aws-control-tower-securityhub-enabler/issues/2",
        "On the SecurityHubEnablerRole resource for the log permissions the region is hard-coded "
        'to "us-east-1".',
        "iam.missing_permission",
    ),
    # A bucket's event notification that never fires its Lambda.
    (
        "https://github.com/serverless/serverless/issues/1024",
        "S3 event not calling lambada function",
        "s3.other",
    ),
    (
        "https://github.com/aws-samples/powertools-for-aws-lambda-workshop/issues/2",
        "After a file is uploaded by the client for the first time, via pre-signed url, we want to "
        "perform some actions. … I have configured an event notification on the S3 bucket where "
        "the objects are uploaded but the Lambda function doesn't get triggered",
        "s3.other",
    ),
    (
        "https://github.com/aws-samples/aws-serverless-workshop-innovator-island/issues/60",
        "After creating the photo composting Lambda function and uploading image with same "
        "filename, the Lambda is not triggered",
        "s3.other",
    ),
    # A presigned URL's SignatureDoesNotMatch, however the SDK spells it, is S3's.
    (
        "https://github.com/amazon-archives/aws-sdk-core-ruby/issues/183",
        "SignatureDoesNotMatch using Aws::S3::Object#presigned_url",
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-go-v2/issues/1134",
        "SignatureDoesNotMatch error with presigned URL provided by PresignPutObject",
        "s3.other",
    ),
    # Deleting a bucket "with this name" is no name clash.
    (
        "https://github.com/defparam/lemma/issues/3",
        "S3 Bucket does not exist … I fixed my permission policy and then deleted a bucket with "
        "this name",
        "s3.no_such_bucket",
    ),
    (
        "https://github.com/PinkyJie/aws-transcribe-demo/issues/2",
        "error says that the bucket already exists but when I check the S3, there is no bucket "
        "with this name?",
        "s3.bucket_name",
    ),
    # The CDK bootstrap stack failing on its own leftover StagingBucket.
    (
        "https://github.com/anomalyco/sst/issues/780",
        "CREATE_FAILED        | AWS::S3::Bucket       | StagingBucket "
        "cdk-xxxxx-assets-xxxxxx-ap-east-1 already exists",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws-samples/solution-for-deploying-dify-on-aws/issues/11",
        "CREATE_FAILED        | AWS::S3::Bucket            | StagingBucket Resource handler "
        'returned message: "cdk-hnb659fds-assets-526372922310-us-east-2 already exists',
        "cloudformation.stack_failed",
    ),
    # Services outside the list, as Java SDK errors name them.
    (
        "https://github.com/awsdocs/amazon-athena-user-guide/pull/4",
        "Invalid location s3:////CloudFront_bucket_name/AWSLogs/Account_ID/ for table. Only S3 "
        "locations are allowed (Service: AmazonAthena; Status Code: 400; Error Code: "
        "InvalidRequestException;",
        "other.other",
    ),
    (
        "https://github.com/scientifichackers/flutter_cognito_plugin/issues/24",
        "Unable to verify secret hash for client 6npouauc8jt1fioujvblmvpise (Service: "
        "AmazonCognitoIdentityProvider; Status Code: 400; Error Code: NotAuthorizedException;",
        "other.other",
    ),
    # A container log driver ECS or Docker will not run.
    (
        "https://github.com/aws/amazon-ecs-cli/issues/820",
        "awslogs logDriver not supported",
        "other.other",
    ),
    (
        "https://github.com/aws/amazon-ecs-agent/issues/624",
        'Unable to take container logs using ["json-file","awslogs"] … Invalid format for '
        '"ECS_AVAILABLE_LOGGING_DRIVERS" environment variable;',
        "other.other",
    ),
    # A KMS key whose key policy does not admit the service using it: KMS's side, outside the list.
    (
        "https://github.com/awslabs/landing-zone-accelerator-on-aws/issues/31",
        "CloudWatch Alarms does not have authorization to access the SNS topic encryption key",
        "other.other",
    ),
    (
        "https://github.com/ministryofjustice/modernisation-platform/issues/7870",
        "api error AccessDeniedException: The specified KMS key does not exist or is not allowed "
        "to be used with Arn 'arn:aws:logs:eu-west-2:***:log-group:delius-jitbit-ecs'",
        "other.other",
    ),
    # An SNS subscription its endpoint never confirmed.
    (
        "https://github.com/mettle/sendportal/issues/283",
        "AmazonSNS Subscription Pending Confirmation … While adding the subscription, they are now "
        "showing pending confirmation and when i try to confirm them it asks for a url for "
        "confirmation.",
        "other.other",
    ),
    (
        "https://github.com/mettle/sendportal/issues/54",
        "still stuck at pending confirmation.",
        "other.other",
    ),
    # Round 9 (CloudWatch, Lambda and Boto3, and messages wrongly taken for incidents or missed):
    # CloudWatch's other failures name themselves (an export task, PutLogEvents' order, a
    # schedule that does nothing): above "no logs" and "alarm or metric" (priority 59).
    (
        "https://github.com/boto/boto3/issues/1604",
        "Successful export using boto3 create_export_task only creates aws-logs-write-test in S3 "
        "bucket - no log group log directory … the actual log group logs do not show up.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/segmentio/ecs-logs/pull/22",
        "dropping message batch of 12 messages to app-canary::ecs-app-canary-244-app-canary-xxx "
        "(cloudwatchlogs: InvalidParameterException: Log events in a single PutLogEvents request "
        "must be in chronological order.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/5789",
        "Serverless schedule events dont do anything … When I add events schedule to a function "
        "nothing at all results in cloudwatch rules:",
        "cloudwatch.other",
    ),
    # A rule "not invoking" or "not firing" the target, as well as "does not trigger".
    (
        "https://github.com/hashicorp/terraform/issues/19080",
        "Cloudwatch Event Rule does not trigger Lambda",
        "cloudwatch.other",
    ),
    # The same, once the function is shown to have no resource-based policy: Lambda's.
    (
        "https://github.com/aws/aws-cdk/issues/15323",
        "(@aws: EventBridge): fixed rate scheduler rule not invoking lambda via CDK deployment … "
        "when I run: ``` aws lambda get-policy --function-name [functionName] --region "
        "ap-southeast-2 ``` I get the following error: ``` An error occurred "
        "(ResourceNotFoundException) when calling the GetPolicy operation: The resource you "
        "requested does not exist. ```",
        "lambda.other",
    ),
    # PutLogEvents refusing the events themselves (too old, an empty message).
    (
        "https://github.com/fluent/fluent-bit/issues/3242",
        "AWS: Cloudwatch example leading to tooOldLogEventEndIndex … The log group and log stream "
        "are created but the upload of the logs fails with tooOldLogEventEndIndex",
        "cloudwatch.other",
    ),
    (
        "https://github.com/fluent-plugins-nursery/fluent-plugin-cloudwatch-logs/issues/140",
        "validation errors detected: Value '' at 'logEvents.1.member.message' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1",
        "cloudwatch.other",
    ),
    # The CloudWatch agent itself will not start, or stops: its config, not missing logs.
    (
        "https://github.com/Cloud-Yeti/aws-ec2-course/issues/6",
        "then I attempt to run the agent via below code … Suddenly I am receiving email error "
        "======== Error Log ======== … Error running agent: Error parsing "
        "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.toml, open "
        "/usr/share/collectd/types.db: no such file or directory",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/803",
        "E! Cannot translate JSON config into TOML, ERROR is exit status 1 … on EC2 startup the "
        "Cloudwatch agent errors and does not start. … I've noticed in the log it detects the "
        "instance as OnPremise … Contents of C:\\ProgramData\\Amazon\\AmazonCloudWatchAgent\\Logs",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/833",
        "Shuts down after a few hours while system is still running. … After a number of hours, "
        "the cloudwatch agent simply shuts down. … Cloudwatch agent start up, and continuously "
        "send logs and metrics without stopping.",
        "cloudwatch.other",
    ),
    # A tool that fails because the function's log group was never created (never invoked).
    (
        "https://github.com/aws/chalice/issues/1252",
        "If you deploy a lambda function but have not invoked it yet, `chalice logs` will raise a "
        "resourcenotfound error because the log group has not been created yet:",
        "cloudwatch.log_group_missing",
    ),
    (
        "https://github.com/stratiformdigital/serverless-online/issues/3",
        "Sls online command fails when no logs exist for function … The command will fail, "
        "because a log group for that function has not been created, because the function has "
        "not yet been invoked.",
        "cloudwatch.log_group_missing",
    ),
    # A compiled library needing a newer GLIBC (or GLIBCXX) than the Lambda runtime has.
    (
        "https://github.com/apple/turicreate/issues/1083",
        "Unable to deploy turicreate to AWS Lambda … I'm getting `/var/task/libstdc++.so.6: "
        "version GLIBCXX_3.4.21 not found` error",
        "lambda.import_error",
    ),
    (
        "https://github.com/minepy/minepy/issues/31",
        "how to apply for aws lambda layer … in minepy, mine.cpython-36m-x86_64-linux-gnu.so this "
        "file required GLIBC 2.29 version but, lambda do not support GLIBC 2.29 they only 2.27 "
        "version.",
        "lambda.import_error",
    ),
    # "NoRegion error" written apart, as well as NoRegionError.
    (
        "https://github.com/amazon-science/auto-rag-eval/issues/3",
        "NoRegion error I get this error when I run this command on my windows … "
        'self.bedrock = boto3.client(service_name="bedrock", config=Config(read_timeout=1000))',
        "lambda.sdk_config",
    ),
    (
        "https://github.com/jimjkelly/lambda-deploy/issues/5",
        "Having issues deploying, getting NoRegionError even though region is specified",
        "lambda.sdk_config",
    ),
    # Dimensions belong to metrics: an EMF blob's dimensions are a metric's trouble.
    (
        "https://github.com/aws-powertools/powertools-lambda-python/issues/5526",
        "Bug: dimension value not being validated for empty strings or `None` … Observe that the "
        "EMF blob emitted has an empty dimension 3. Verify that the processed metric in CloudWatch "
        "does not include any dimensions",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/aws-powertools/powertools-lambda-java/issues/1128",
        "I am trying to push CloudWatch metrics with the same namespace name, metrics name and "
        "dimension name inside a lambda handler function. However, even though it does not raise "
        "any error, it fails to record any value for the `putMetric()` call.",
        "cloudwatch.alarm_or_metric",
    ),
    # Output that "does not show up in Lambda Console" is a log that never arrives.
    (
        "https://github.com/aws/aws-lambda-dotnet/issues/66",
        "Logging info using Console.WriteLine does not show up in Lambda Console … When using "
        "`Console.WriteLine`, the written info should be shown in the Lambda console.",
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/kislyuk/watchtower/issues/49",
        "I tried using watchtower to send my Log-Events from Python Scripts to CloudWatch and they "
        "are not showing up in CloudWatch Console.",
        "cloudwatch.no_logs",
    ),
    # Data "not send" (or not transferred) to CloudWatch, as well as not sent or not shipped.
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/670",
        "Log file monitoring data is not send to cloudwatch[windows]",
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/localstack/localstack/issues/1401",
        "lambda not pushing logs to cloudwatch log",
        "cloudwatch.no_logs",
    ),
    # "I do not see any disk metrics", as well as "can't see ... metrics".
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/1496",
        "Only some CloudWatch metrics are being pushed by the agent … I only see memory related "
        "metrics. I do not see any disk metrics",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/prometheus/cloudwatch_exporter/issues/361",
        "CWAgent metrics error Exporter can't see CloudWatch Agent metrics, EC2 metrics are ok.",
        "cloudwatch.alarm_or_metric",
    ),
    # A rule's schedule written wrongly: an invalid cron expression.
    (
        "https://github.com/aws/aws-sdk/issues/161",
        "`PutRule` accepts invalid cron expressions Origin: https://github.com/boto/boto3/issues/"
        "2876, requester: @HCharlie",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/4212",
        "EventBridge - Rule - Parameter ScheduleExpression is not valid",
        "cloudwatch.other",
    ),
    # Creating a log group that already exists.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/8413",
        "Creating CloudWatch Log Group failed: ResourceAlreadyExistsException: The specified log "
        "group already exists",
        "cloudwatch.other",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/9783",
        "aws_cloudwatch_log_group.rest_api unable set retention for API Gateway: The specified "
        "log group already exists",
        "cloudwatch.other",
    ),
    # CDK's LogRetention custom resource failing a stack is CloudWatch's, not the stack's.
    (
        "https://github.com/aws/aws-cdk/issues/26837",
        "Deploying multiple stacks with a lot of Lambda functions, results in a lot of CloudWatch "
        "Log groups being created by CDK. … LogRetentionRateLimitStack3 | 57/183 | 11:34:35 AM | "
        "CREATE_FAILED | Custom::LogRetention | hello_11/LogRetention "
        "(hello11LogRetention0EC20DD0) Received response status [FAILED] from custom resource. "
        "Message returned: Rate exceeded",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/31338",
        "We are creating 70-80 lambdas with log retention enabled. The legacy log retention "
        "creates a custom lambda resource to create log group and set log retention. … While "
        "doing so, our stack is failing with the error:",
        "cloudwatch.other",
    ),
    # An alarm that notifies wrongly: "no alarms are sent", "triggers a false alarm".
    (
        "https://github.com/virtualjj/cis-aws-benchmark-section-3-monitoring-remediate/issues/5",
        "32MgmtConsoleNoMFAMetricFilter not linked to alarm … No alarms are sent to the SNS topic "
        "until the alarm is deleted and recreated",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/cds-snc/notification-terraform/pull/294",
        "Fix alarm when no data … Until the service does work, no data gets collected. This "
        "triggers a false alarm in our slack channels.",
        "cloudwatch.alarm_or_metric",
    ),
    # Round 10 (services outside the list, CloudFormation, IAM, CloudWatch): services outside
    # the list that name their own failure (priority 59, above the surfacing service's).
    # Kinesis reads throttled per shard: not DynamoDB's ProvisionedThroughputExceeded.
    (
        "https://github.com/rclark/kinesis-readable/issues/4",
        "Getting ProvisionedThroughputExceededException error … "
        "[ProvisionedThroughputExceededException: Rate exceeded for shard "
        "shardId-000000000000 in stream xxxxxx under account xxxxxxxxx.]",
        "other.other",
    ),
    (
        "https://github.com/vmware-archive/vmware-go-kcl/issues/46",
        "Recording a lot of ProvisionedThroughputExceededException Been recording a lot of `Error "
        "getting records from shard ProvisionedThroughputExceededException`.",
        "other.other",
    ),
    # Step Functions' own failures: a callback task token, a task state's States.* error.
    (
        "https://github.com/flocasts/serverless-offline-step-functions/issues/16",
        "Error: Lambda function not found: invoke.waitForTaskToken",
        "other.other",
    ),
    (
        "https://github.com/codetheweb/serverless-step-functions-local/issues/13",
        "Resource: arn:aws:states:::lambda:invoke.waitForTaskToken Parameters: FunctionName: "
        "functionArn … Which is failing with error message: `An error occurred while executing the "
        "state '' (entered at the event id #2).",
        "other.other",
    ),
    (
        "https://github.com/HumanCellAtlas/data-store/issues/1788",
        '"error": "States.TaskFailed", "cause": "An attempt was made to invoke the Lambda '
        "function.",
        "other.other",
    ),
    # Cognito's hosted UI refusing the callback URL.
    (
        "https://github.com/fourTheorem/ai-as-a-service/issues/2",
        'error "redirect_mismatch" when clicking "login" in Chapter 3 front end app … I found that '
        'I had to click on my user pool, and find an "edit" button to get to a screen that looked '
        "like t",
        "other.other",
    ),
    (
        "https://github.com/amazon-archives/amazon-cognito-auth-js/issues/85",
        "Keep getting redirect_mismatch",
        "other.other",
    ),
    # Cognito's app client created with a secret the SDK does not send.
    (
        "https://github.com/wolfeidau/cognito-vue-bootstrap/issues/14",
        "Unable to verify secret hash for client Hello, I'm trying to use this app with my Cognito "
        "user pool. But im getting the following error while signin and signup. `Unable to verify "
        'secret hash for client "Client ID"` Can you help to troubleshoot this',
        "other.other",
    ),
    (
        "https://github.com/jonsaw/amazon-cognito-identity-dart/issues/18",
        "Unable to verify secret hash for client xxxxxxx … Thanks for putting up this package :) "
        "Nice work! … Is it the secret that is generated in the AWS Cognito console, under the "
        'pool\'s "App Clients" section ?',
        "other.other",
    ),
    # SSM Parameter Store and Secrets Manager: the parameter or secret is not there.
    (
        "https://github.com/localstack/localstack/issues/9701",
        "bug: Get-Parameter results in ParameterNotFound error … I have tried both Boto3 and the "
        "CLI. … The parameter should be returned.",
        "other.other",
    ),
    (
        "https://github.com/awslabs/aws-simple-cicd/issues/10",
        "An error occurred (ParameterNotFound) when calling the GetParameter operation:",
        "other.other",
    ),
    (
        "https://github.com/Uniswap/uniswapx-service/pull/126",
        "getting `ResourceNotFoundException: Secrets Manager can't find the specified secret.` in "
        "IntegTest stage",
        "other.other",
    ),
    # SES's SMTP login refused: SMTP credentials, not the AWS keys (iam.credentials vetoed).
    (
        "https://github.com/sandstorm-io/sandstorm/issues/2734",
        'Error while trying to send test email: {"code":"EAUTH","response":"535 Authentication '
        'Credentials Invalid","responseCode":535,"command":"AUTH PLAIN"}',
        "other.other",
    ),
    (
        "https://github.com/fleetdm/fleet/issues/9609",
        'SMTP using Amazon SES fails with "535 Authentication Credentials Invalid" on sending '
        "invites to new users",
        "other.other",
    ),
    (
        "https://github.com/mautic/mautic/issues/3704",
        'Failed to authenticate on SMTP server with username "dhumbert" using 1 possible '
        "authenticators",
        "other.other",
    ),
    # Glue's crawlers and jobs, also as a stack's AWS::Glue::Crawler.
    (
        "https://github.com/aws-samples/coast-grafana-cost-intelligence-dashboards/issues/12",
        "Glue Crawler not creating tables for existing CUR - When deploying COAST pointing to an "
        "existing CUR, it won't create the data tables",
        "other.other",
    ),
    (
        "https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/817",
        "AWS::Glue::Crawler updates should not fail while Crawler is running If a glue crawler is "
        "running when the stack is updated, the stack update fails with:",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/data-engineering-for-aws-immersion-day/issues/25",
        "But there is no table created by the workflow. … Cannot Save the Glue jobs because cannot "
        "find the path to store scripts, history in S3.",
        "other.other",
    ),
    # ECS's stopped reasons name themselves: CannotCreateContainerError beside CannotPull...
    (
        "https://github.com/aws/amazon-ecs-cli/issues/194",
        "STOPPED (CannotCreateContainerError: API error (500): Untar) I m facing this issue from "
        "today.",
        "other.other",
    ),
    (
        "https://github.com/aws/amazon-ecs-agent/issues/1185",
        "Status reason | CannotPullContainerError: API error (404)",
        "other.other",
    ),
    # KMS's own refusal (its key policy), not the identity's policy: iam.missing_permission vetoed.
    (
        "https://github.com/external-secrets/kubernetes-external-secrets/issues/838",
        "AccessDeniedException when using non default encryption key in AWS Secret Manager … "
        "AccessDeniedException: Access to KMS is not allowed",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-nitro-enclaves-sdk-c/issues/157",
        "is not authorized to perform: kms:Decrypt on resource: "
        "arn:aws:kms:eu-central-1:xxxxxxxxxxxx:key/e7b0fb1b-8903-4a44-afd9-baa76f246adc with an "
        "explicit deny in a resource-based policy",
        "other.other",
    ),
    # Elastic Beanstalk's own 502/503: Beanstalk's app, not API Gateway's (its 502 vetoed).
    (
        "https://github.com/ryanmurakami/pizza-luvrs/issues/47",
        "502 Bad Gateway when fired the elastic beanstalk environment!",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-elastic-beanstalk-express-js-sample/issues/43",
        "got a 502 Bad Gateway Error when checking my AWS ElasticBeanstalk environment.",
        "other.other",
    ),
    # Names of services outside the list weigh for `other` as a signature's cues weigh for its
    # domain: Beanstalk's Severe health, CodeDeploy, Firehose, CodeBuild.
    (
        "https://github.com/aws/elastic-beanstalk-roadmap/issues/243",
        "AWS elastic beanstalk environment health is severe . … The health of the environment "
        "appears as SEVERE and below errors are seen in the log file. … Below are the logs from "
        "the elastic beanstalk environment",
        "other.other",
    ),
    (
        "https://github.com/DataTalksClub/machine-learning-zoomcamp/issues/391",
        "HTTP ERROR 503 on elastic beanstalk after deployment. … For reference here's me asking "
        "the same question on stack if anyone wants to help:",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-codedeploy-agent/issues/383",
        "here is no error message in codedeploy-agent.aws_wire.log. Codedeploy can sometimes be "
        "deployed successfully, but most of them fail this time. At first, I thought it was an S3 "
        "access problem",
        "other.other",
    ),
    (
        "https://github.com/awslabs/lambda-streams-to-firehose/issues/47",
        "Firehose delivery missing? … The CloudWatch log is the only evidence I can find.",
        "other.other",
    ),
    (
        "https://github.com/meanjs/mean/issues/1865",
        "While running Amazons CodeBuild using the Meanjs github repo,i am getting an error "
        "message in the 'Download Source\" phase: … Message: YAML file does not exist",
        "other.other",
    ),
    # IAM: InsufficientPermissionsException is the words "insufficient permissions" run together.
    (
        "https://github.com/cloud-custodian/cloud-custodian/issues/3530",
        "I have a CloudCustodian policy with a mode statement as follows: … "
        "InsufficientPermissionsException: An error occurred (InsufficientPermissionsException) "
        "when calling the PutConfigRule operation:",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws-samples/aws-genai-llm-chatbot/issues/661",
        "the creation of Step Functions state machines is failing due to insufficient IAM "
        "permissions.",
        "iam.missing_permission",
    ),
    # CloudFormation: an Fn::ImportValue whose export no stack provides, and Amplify's push on a
    # stack that did not update, fail the stack. ("Private Subnet - D … Made changes" no longer
    # reads as a private subnet that hangs: "hang" needs its word start.)
    (
        "https://github.com/widdix/aws-s3-virusscan/issues/22",
        "No Exports Found For Cloud formation build from this template fails. No export named "
        '"ParentVPC" found',
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/widdix/aws-cf-templates/issues/87",
        "Private Subnet - C / Private Subnet - D and Public Subnet - A / Public Subnet - B Made "
        "changes on code to support then … No export named -Private Subnet - C found. Rollback "
        "requested by user.",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws-amplify/amplify-category-api/issues/685",
        "Push Failure: Resource is not in the state stackUpdateComplete … No but I ran drift "
        "reports and found that two resources (policy) had drifted.",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/5737",
        "Resource is not in the state stackUpdateComplete",
        "cloudformation.stack_failed",
    ),
    # A Ref to a resource the template lacks is the template's (Template format error), not a
    # stack that failed.
    (
        "https://github.com/architect/architect/issues/1047",
        "Template format error: Unresolved resource dependencies [StaticBucket] in the Resources "
        "block of the template",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws-solutions/media-insights-on-aws/issues/145",
        "Stack deployment of https://github.com/awslabs/aws-media-insights-engine/tree/v0.1.5 with "
        "DeployAnalyticsPipeline: false causes error: Template format error: Unresolved resource "
        "dependencies [Analytics] in the Resources block of the template",
        "cloudformation.other",
    ),
    # Round 10 (S3, Lambda and Boto3, API Gateway, DynamoDB, and messages wrongly taken for
    # incidents or missed): real learners' wording.
    # A bucket that is not empty cannot be deleted: S3's, above the stack that surfaced it.
    (
        "https://github.com/F5Networks/f5-aws-cloudformation/issues/52",
        'aws_cloudformation_stack.bigip: DELETE_FAILED: ["The following resource(s) failed to '
        'delete: [S3Bucket]. " "The bucket you tried to delete is not empty (Service: Amazon '
        "S3; Status Code: 409; Error Code: BucketNotEmpty;",
        "s3.other",
    ),
    (
        "https://github.com/aws-samples/aws-scalable-big-blue-button-example/issues/98",
        "bbb-stack-Sources: DELETE_FAILED | The following resource(s) failed to delete: "
        "[BBBStackBucket]. BBBStackBucket: DELETE_FAILED | The bucket you tried to delete is not "
        "empty. You must delete all versions in the bucket.",
        "s3.other",
    ),
    # A bucket notification whose destination S3 cannot validate (PutBucketNotification...): the
    # function's resource-based policy does not let S3 invoke it, Lambda's.
    (
        "https://github.com/aws/aws-cdk/issues/18090",
        "(aws-s3-notifications): Unable to validate the following destination configurations. … "
        "Cloudwatch Log Stream didn't seem to have further details.",
        "lambda.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/19756",
        "Unable to validate the following destination configurations … Addition a lambda function "
        "notification to S3 bucket is failing",
        "lambda.other",
    ),
    # A multipart upload that no longer exists (NoSuchUpload) is no missing object.
    (
        "https://github.com/aws/aws-sdk-java-v2/issues/2111",
        "Issue in UploadPartRequest upload 404 software.amazon.awssdk.services.s3.model."
        "NoSuchUploadException … The specified upload does not exist. The upload ID may be "
        "invalid, or the upload may have been aborted or completed",
        "s3.other",
    ),
    (
        "https://github.com/piskvorky/smart_open/issues/628",
        "An error occurred (NoSuchUpload) when calling the CompleteMultipartUpload operation: The "
        "specified multipart upload does not exist.",
        "s3.other",
    ),
    # A zip or layer over Lambda's size limits is Lambda's refusal, whatever modules it holds.
    (
        "https://github.com/0xpetersatoshi/aws-lambda-py3.6-pandas-numpy/issues/2",
        "I really appreciate that you zipped a lambda working numpy and pandas. … when I add a few "
        "more libraries I cannot upload it to lamda anymore. Looks like there is a size limit at "
        "50MB.",
        "lambda.other",
    ),
    (
        "https://github.com/0xpetersatoshi/aws-lambda-py3.6-pandas-numpy/issues/5",
        "The compressed file size is still too large for lambda … It is 73MB which is greater than "
        "the 50MB limit of a zip upload on lambda. Before zipping, numpy+pandas is greater than "
        "the limit of 250MB uncompressed",
        "lambda.other",
    ),
    (
        "https://github.com/aws-samples/amazon-textract-textractor/issues/426",
        "Prebuilt Lambda layer with Pandas too large The maximum size for a layer zip is 50MB",
        "lambda.other",
    ),
    # Environment variables that never reach the function (a deploy tool's config, an invoke).
    (
        "https://github.com/nficano/python-lambda/issues/61",
        "Environment variables are not loaded during invoke … Any script that relies on the "
        "variables will fail with a KeyError.",
        "lambda.other",
    ),
    (
        "https://github.com/motdotla/node-lambda/issues/105",
        "Specifying environment and config file prepends undefined process variable … "
        "Unfortunately `staging` is not defined which makes the script fail when trying to run it "
        "on lambda.",
        "lambda.other",
    ),
    # A presigned URL as people name it (presignURL, getSimpleUploadUrl()): how the URL was made
    # and used, not whose credentials signed it.
    (
        "https://github.com/JoernBerkefeld/s3SignedUpload/issues/2",
        "getting presignURL from serverside … when i am uploading the file getting error … "
        "<Code>SignatureDoesNotMatch</Code> <Message> The request signature we calculated does "
        "not match the signature you provided. Check your key and signing method.",
        "s3.other",
    ),
    (
        "https://github.com/UniSharp/s3-presigned/issues/3",
        "I've used the function getSimpleUploadUrl() to generate a URL to upload files to … Each "
        "time I try to upload a file I get the message 'SignatureDoesNotMatch', 'The request "
        "signature we calculated does not match the signature you provided.",
        "s3.other",
    ),
    # Invocations throttled: Lambda's own rate limit, or EC2's for a function in a VPC.
    (
        "https://github.com/fyoorer/ShadowClone/issues/25",
        'Any way to fix rate limit error, ``` Exception: Error 429: {"Reason":'
        '"CallerRateLimitExceeded","Type":"User","message":"Rate exceeded"}',
        "lambda.other",
    ),
    (
        "https://github.com/aws/aws-sdk-java/issues/1473",
        "EC2ThrottledException on aws lambda call … > Lambda was throttled while using the Lambda "
        "Execution Role to set up for the Lambda function.",
        "lambda.other",
    ),
    # API Gateway's own 29-30 s integration limit, whatever the function's timeout.
    (
        "https://github.com/serverless/serverless/issues/4500",
        "We have lambda functions that query slow customer wordpress instances causing API gateway "
        "to timeout. … Api gate has a hard 30 second restriction",
        "apigateway.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/5430",
        "I am using AWS lambda + API Gateway. … I read in AWS document that there is limitation in "
        "API Gateway up to 29 seconds.",
        "apigateway.other",
    ),
    # API Gateway's own refusals: {"message": "forbidden"}, MissingAuthenticationTokenException.
    (
        "https://github.com/aws-samples/aws-serverless-workshop-innovator-island/issues/96",
        "403 Forbidden when accessing API Gateway Endpoint from step 1 … When accessing the API "
        'using the PROD or STAGE stages for `/Prod/InitState` I see a 403 `{ "message": '
        '"forbidden" }` response.',
        "apigateway.other",
    ),
    (
        "https://github.com/brain-power/Brain-Power-Amazon-Fidgetology/issues/29",
        "403 Forbidden - MissingAuthenticationTokenException … HTTP/1.1 **403 Forbidden** … "
        "x-amzn-ErrorType: **MissingAuthenticationTokenException**",
        "apigateway.other",
    ),
    # A VPC link (API Gateway's private integration) that fails or never becomes available.
    (
        "https://github.com/hashicorp/terraform/issues/25344",
        "aws_api_gateway_vpc_link.main: Error waiting for APIGateway Vpc Link status to be "
        '"AVAILABLE": timeout while waiting',
        "apigateway.other",
    ),
    (
        "https://github.com/anomalyco/sst/issues/5510",
        "ApiGatewayV2 for Private Resources not working … BadRequestException: For VpcLink "
        "VPC_LINK, integration uri should be a valid ELB listener ARN or a valid Cloud Map "
        "service ARN.",
        "apigateway.other",
    ),
    # A browser refused by the bucket itself (an S3 endpoint named): the bucket's CORS rules.
    (
        "https://github.com/chriskiehl/Dropler/issues/5",
        "upload to S3 problem Hi, after uploading I get an error(console): Response to preflight "
        "request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is "
        "present on the requested resource. … In response, the image url is "
        "https://Bucket.s3-ap-southeast-1.amazonaws.com/sample.jpeg (image file failed to "
        "upload)",
        "s3.other",
    ),
    (
        "https://github.com/willwebberley/FlaskDirectUploader/issues/5",
        "XMLHttpRequest cannot load https://none.s3.amazonaws.com/default_name?AWSAccessKeyId="
        "AKIAIXJKZPM6QPUKGSTA&Expires=1415740199&Signature=gRuJtBb5CbvyC7bt5mNTcl8y5uk%3D. No "
        "'Access-Control-Allow-Origin' header is present on the requested resource.",
        "s3.other",
    ),
    # CloudFormation's wording for a template S3 refuses: "S3 error: Access Denied".
    (
        "https://github.com/phonghuule/connect-lex-integration-bookappointment/issues/2",
        'S3 access denied hi, when access the link " Launch Stack into the Sydney Region with '
        'CloudFormation" to create stack, and encountered the error S3 error: Access Denied',
        "s3.access_denied",
    ),
    (
        "https://github.com/aws-samples/aws-ml-data-lake-workshop/issues/1",
        "Hi I try to replicate this workshop but I got the following error. S3 error: Access "
        "Denied For more information check "
        "http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html",
        "s3.access_denied",
    ),
    # Round 10 (VPC and EC2): the network's own failures named, above "in the VPC".
    # A load balancer the cluster could not place: no subnet qualifies (untagged, two in one AZ).
    (
        "https://github.com/aws-quickstart/quickstart-redhat-openshift/issues/138",
        "Error when creating public service: Could not find any suitable subnets for creating "
        "the ELB … It would be of great help if CloudFormation could take care of this for a new "
        "VPC.",
        "vpc.other",
    ),
    (
        "https://github.com/kubernetes-sigs/cluster-api-provider-aws/issues/1008",
        "E0813 18:59:18.479595 1 service_controller.go:219] error processing service "
        "default/test1 (will retry): failed to ensure load balancer for service default/test1: "
        "could not find any suitable subnets for creating the ELB",
        "vpc.other",
    ),
    (
        "https://github.com/kubernetes/kubernetes/issues/12381",
        "kube-controller-manager[2132]: E0806 02:44:42.322509 2132 servicecontroller.go:173] "
        "Failed to process service delta. Retrying: failed to create external load balancer for "
        "service default/mycustomservice: InvalidConfigurationRequest: ELB cannot be attached to "
        "multiple subnets in the same AZ.",
        "vpc.other",
    ),
    # A transit gateway attachment refused: one per VPC, associated with one route table.
    (
        "https://github.com/awsdocs/aws-transit-gateway-guide/issues/13",
        "Transit Gateway Attachment tgw-attach-064dcf3c96f3fbb9f is already associated to a "
        "route table.",
        "vpc.other",
    ),
    (
        "https://github.com/Juniper/vSRX-AWS/issues/13",
        "Not able to connect this Transit VPC to Transit Gateway as VPC attachment.",
        "vpc.other",
    ),
    # Security groups and subnets of different VPCs given together.
    (
        "https://github.com/smoketurner/serverless-vpc-plugin/issues/765",
        "Security Groups are required to be in the same VPC Getting this error while setting up "
        "a VPC using this plugin:",
        "vpc.other",
    ),
    (
        "https://github.com/docker-archive-public/docker.machine/issues/663",
        "EC2: Seems like same VPC isn't used for subnet and security groups",
        "vpc.other",
    ),
    # A network object that will not go away (ranked above vpc.connectivity's "in Vpc").
    (
        "https://github.com/pulumi/pulumi-cloud/issues/138",
        "Lambda in VPC prevents tear down of VPC … it will fail because the subnet can't be "
        "deleted because it has outstanding ENIs associated.",
        "vpc.other",
    ),
    (
        "https://github.com/gruntwork-io/cloud-nuke/issues/316",
        "If have chained-security-group in Vpc and trying to delete vpc resource, occur error "
        "like below. … DependencyViolation: resource sg-07e70ed691d14d9aa has a dependent object",
        "vpc.other",
    ),
    (
        "https://github.com/legion-platform/legion/issues/1057",
        "Error deleting security group",
        "vpc.other",
    ),
    # A gateway asked for where the VPC has no public subnet to hold it.
    (
        "https://github.com/aws/aws-cdk/issues/34069",
        "(aws-cdk-lib/aws_ec2): (Can't create Internet Gateway without public subnets)",
        "vpc.other",
    ),
    (
        "https://github.com/terraform-community-modules/tf_aws_vpc/issues/61",
        "So, I don't have a public subnet in my vpc...i think that's why i'm having this problem",
        "vpc.other",
    ),
    # The VPC's DNS set up wrongly: DHCP options, endpoints' private DNS, private hosted zones.
    (
        "https://github.com/aws/sagemaker-python-sdk/issues/3955",
        "Sagemaker Pipeline DHCP error in VPC config … ClientError: ClientError: expected DHCP "
        "options to include keys domain-name-servers and domain-name",
        "vpc.other",
    ),
    (
        "https://github.com/aws-samples/amazon-mwaa-examples/issues/76",
        "private-dns-enabled cannot be set because there is already a conflicting DNS domain "
        "for states.us-east-1.amazonaws.com in the VPC vpc-0d301afa40a5768ca",
        "vpc.other",
    ),
    (
        "https://github.com/nicolaka/ddc-aws/issues/41",
        "using private hosted zone doesn't work This is due to a dependency issue where hosted "
        "zone must be created and associated to a vpc after the vpc is",
        "vpc.other",
    ),
    # A stack whose launch found no VPC is no Elastic IP quota ([AWSEBEIP, ...] cancelled).
    (
        "https://github.com/awslabs/windows-web-app-migration-assistant/issues/11",
        "Creating EIP: 54.84.10.172 failed. Reason: Resource creation cancelled … Creating "
        "security group failed Reason: No default VPC for this user (Service: AmazonEC2; Status "
        "Code: 400; Error Code: VPCIdNotSpecified; … The following resource(s) failed to create: "
        "[AWSEBEIP, AWSEBSecurityGroup].",
        "vpc.other",
    ),
    (
        "https://github.com/ryanmurakami/hbfl/issues/40",
        "Failed to create instance with: VPCIdNotSpecified: No default VPC for this user",
        "vpc.other",
    ),
    # A Java SDK call to an AWS endpoint that never connected ("failed: connect timed out").
    (
        "https://github.com/awslabs/aws-athena-query-federation/issues/1337",
        "[BUG] SSM connection error with connector oracle connector … "
        "Unable to execute HTTP request: Connect to secretsmanager.eu-west-1.amazonaws.com:443 "
        "[secretsmanager.eu-west-1.amazonaws.com/34.240.33.6, "
        "secretsmanager.eu-west-1.amazonaws.com/34.254.79.238, "
        "secretsmanager.eu-west-1.amazonaws.com/52.16.54.217] failed: connect timed out",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/aws-msk-iam-auth/issues/35",
        "Failed to find AWS IAM Credentials [Caused by com.amazonaws.SdkClientException: Unable "
        "to execute HTTP request: Connect to sts.amazonaws.com:443 "
        "[sts.amazonaws.com/54.239.21.217] failed: connect timed out])",
        "vpc.connectivity",
    ),
    # A connection to a port other than SSH's that timed out: the path, not a login.
    (
        "https://github.com/redis/redis-py/issues/1001",
        "Error 60 connecting to ***.use1.cache.amazonaws.com:6379. Operation timed out.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/rethinkdb/rethinkdb/issues/6088",
        "I'm having an issue with AWS Lambda who got timeout without explicit reason when trying "
        "to connect to an EC2 RethinkDB instance. … Could not connect to MY-ELASTIC-IP:28015, "
        "operation timed out.",
        "vpc.connectivity",
    ),
    # Fargate could not fetch the task's secrets or registry auth: no path to those endpoints.
    (
        "https://github.com/docker-archive/compose-cli/issues/1510",
        "TaskFailedToStart: ResourceInitializationError: unable to pull secrets or registry "
        "auth: execution resource retrieval failed: unable to retrieve secret from asm: service "
        "call has been retried 1 time(s)",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws-samples/aws-fargate-pipeline-lambda-autoscaling/issues/3",
        "ResourceInitializationError: unable to pull secrets or registry auth: execution "
        "resource retrieval failed: unable to retrieve ecr registry auth: service call has been "
        "retried 1 time(s)",
        "vpc.connectivity",
    ),
    # Elastic Beanstalk's own diagnosis: the instances never reported back through the VPC.
    (
        "https://github.com/aws/aws-toolkit-visual-studio/issues/305",
        "The EC2 instances failed to communicate with AWS Elastic Beanstalk, either because of "
        "configuration problems with the VPC or a failed EC2 instance. … Current state: "
        "'CREATE_FAILED' Reason: The following resource(s) failed to create: "
        "[AWSEBInstanceLaunchWaitCondition].",
        "vpc.connectivity",
    ),
    (
        "https://github.com/ryanmurakami/pizza-luvrs/issues/8",
        "ERROR The EC2 instances failed to communicate with AWS Elastic Beanstalk, either "
        "because of configuration problems with the VPC or a failed EC2 instance.",
        "vpc.connectivity",
    ),
    # An image pull timing out on the way is the network's, not the container service's.
    (
        "https://github.com/deepfence/terraform-aws-cloud-scanner/issues/13",
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to "
        "resolve ref quay.io/deepfenceio/cloud-scanner:latest: failed to do request: Head "
        '"https://quay.io/v2/deepfenceio/cloud-scanner/manifests/latest": dial tcp '
        "3.210.148.47:443: i/o timeout",
        "vpc.connectivity",
    ),
    # "None of them can get outside the VPC" is the failure, not a VPC ruled out.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/237",
        "Unable to access internet from EC2's within VPC subnets … I have tried different "
        "AMI's the `public` subnets, none of them are able to get outside the VPC.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/aws-sdk-pandas/issues/2760",
        "When I run the same function outside the VPC there is no problems.",
        "vpc.connectivity",
    ),
    # A private IP the launch asks for that another interface already holds.
    (
        "https://github.com/aws/aws-cli/issues/7178",
        "An error occurred (InvalidIPAddress.InUse) when calling the RunInstances operation: "
        "Address 10.xxx.xxx.xxx is in use.",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/brikis98/terraform-up-and-running-code/issues/41",
        "Error: Error launching source instance: InvalidAMIID.NotFound: The image id "
        "'[ami-0c55b159cbfafe1f0]' does not exist",
        "ec2.invalid_resource",
    ),
    # Round 11 (CloudWatch, S3, Lambda and Boto3, and messages wrongly taken for incidents or
    # missed): a log's timestamps and ARNs are no emoji (chatter).
    (
        "https://github.com/awslabs/aws-embedded-metrics-node/issues/102",
        "Missing metric … 2021-10-27T14:14:17.648Z 6210176a-a746-425b-843b-ac8e3bba7eb4 INFO",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/222",
        "some cloudwatch alarms stack in Insufficient data . … 2021/06/04 15:01:11 I! I! "
        "Detected the instance is EC2",
        "cloudwatch.alarm_or_metric",
    ),
    # The asker's own attempt ("when I try to ...") reports; it is no advice ("try").
    (
        "https://github.com/AndrewGuenther/fck-nat/issues/76",
        "I'm stuck trying to setup fck-nat, I can get the EC2 Instance working, but the second I "
        "assign the 0.0.0.0/0 route to my existing route table instead of internet gateway … "
        "when I try and set the route table route to the instance, it automatically changes it "
        "to the network interface. It doesn't mention anything about that on the docs so I'm not "
        "sure if its supposed to, and if not how do I stop it from changing to ENI?",
        "vpc.connectivity",
    ),
    (
        "https://github.com/ManivannanMurugavel/selenium-python-aws-lambda/issues/12",
        "I'm trying to run this file on lambda, but this error showed up … Task timed out",
        "lambda.timeout",
    ),
    # A bucket's notification configuration S3 refuses: overlapping filters, a destination.
    (
        "https://github.com/awslabs/aws-lambda-redshift-loader/issues/171",
        "I can't get the lambda to be called … InvalidArgument: Configuration is ambiguously "
        "defined. Cannot have overlapping suffixes in",
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/632",
        "I'm trying to add bucket notification to a bucket but failing with error : `Unable to "
        "validate the following destination configurations`",
        "lambda.other",
    ),
    # A region error from CreateBucket when the name is taken elsewhere is the name's.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/19043",
        "if the bucket already exits by some one else, there should be a better message like "
        '"Bucket with the same name already exists". … Error: Error creating S3 bucket: '
        "AuthorizationHeaderMalformed: The authorization header is malformed; the region "
        "'us-east-1' is wrong; expecting 'us-west-2'",
        "s3.bucket_name",
    ),
    (
        "https://github.com/NixOS/nixops-aws/issues/88",
        "Unable to create an s3 bucket in the EU … An error occurred "
        "(IllegalLocationConstraintException) when calling the CreateBucket operation",
        "s3.wrong_region",
    ),
    # Metrics a collector does not publish or read back (telegraf, an exporter).
    (
        "https://github.com/influxdata/telegraf/issues/2523",
        "Cloudwatch output is blocked by metric values close to 0 … Suddenly in the last 2 days we "
        "do see an inconsistency where metrics are not being pushed to cloudwatch output",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/influxdata/telegraf/issues/4384",
        "Cloudwatch Input plugin returns no results … ### Actual behavior: No metrics returned.",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/prometheus/cloudwatch_exporter/issues/252",
        "AWS metrics not showing anything for AWS/NATGateway namespace … The issue is - I'm not "
        "seeing aws_* type metrics - just CloudWatch exporter metadata metrics.",
        "cloudwatch.alarm_or_metric",
    ),
    # High or maximum memory usage read as the cause.
    (
        "https://github.com/ryfeus/lambda-packs/issues/2",
        "Max memory usage - Internal server error … the function gives an error (Internal server "
        "error) and i can see in cloudWatch that its because of max memory usage.",
        "lambda.out_of_memory",
    ),
    (
        "https://github.com/aws-solutions-library-samples/cloud-intelligence-dashboards-data-collection/issues/201",
        "Lambda log messages showing the high memory usage before the error: … Memory Size: "
        "2688 MB Max Memory Used: 2581 MB",
        "lambda.out_of_memory",
    ),
    # The Serverless Framework's bare "Access Denied" on deploy: its deployment bucket.
    (
        "https://github.com/serverless/serverless/issues/11086",
        "Deployment Error: Access Denied … `npx sls deploy` command creates the Cloudformation "
        "stack successfully but the command returns **Access Denied** error.",
        "s3.access_denied",
    ),
    (
        "https://github.com/serverless/serverless/issues/4981",
        "ServerlessError: Access Denied but no errors on CloudFormation events … I get an error "
        "message when trying to deploy (`SLS_DEBUG=* serverless deploy -v`): ``` Serverless Error "
        "--------------------------------------- Access Denied",
        "s3.access_denied",
    ),
    # A schedule that does not fire or keeps its old rate after a deploy.
    (
        "https://github.com/serverless/serverless/issues/2936",
        "Scheduled event not triggering. … handler: test.test",
        "cloudwatch.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/5668",
        "Lambda schedule not updating … handler: "
        "functions/ingestAirportSchedule.ingestAirportSchedule timeout: 30",
        "cloudwatch.other",
    ),
    # Round 11 (VPC and EC2): the network's failures in real wording, above the login, stack or
    # wrapper that surfaced them.
    # kubectl's "Unable to connect to the server: <error>" is the cluster's endpoint, not a login.
    (
        "https://github.com/eksctl-io/eksctl/issues/7929",
        "I have a EKS cluster having private end point, on the same VPC, deployed a ec2 instance "
        "to connect to that server. … Unable to connect to the server: dial tcp "
        "10.0.XXX.XXX:443: i/o timeout",
        "vpc.connectivity",
    ),
    (
        "https://github.com/eksctl-io/eksctl/issues/5702",
        "and when I run the kubectl commands then I get `Unable to connect to the server: "
        "net/http: request canceled while waiting for connection (Client.Timeout exceeded while "
        "awaiting headers)`",
        "vpc.connectivity",
    ),
    # "dial tcp ... i/o timeout" around an address written with spaces ("<control plan ip>:443");
    # the rule's other wording is tested above (fck-nat/issues/99).
    (
        "https://github.com/eksctl-io/eksctl/issues/1835",
        "it is still not allowing us to connect and keep saying **Unable to connect to the server: "
        "dial tcp <control plan ip>:443: i/o timeout**.",
        "vpc.connectivity",
    ),
    # Vagrant and docker-machine waiting on a new instance's SSH that never answers.
    (
        "https://github.com/mitchellh/vagrant-aws/issues/259",
        "it will launch the instance on aws sucessfully. Im even able to ssh in from another "
        'terminal. But from the terminal I launched "vagrant up --provider=aws" from it just sits '
        "at \"Waiting for SSH to become available...\" indefinitely. … aws.keypair_name = 'name' "
        "aws.ami = 'ami-fb8e9292' aws.instance_type = 'm1.small'",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/docker-archive-public/docker.machine/issues/4745",
        "while starting it gets stuck on waiting for SSH to be available:",
        "ec2.ssh_access",
    ),
    # cloud-init spelled "cloudinit": user data that never ran.
    (
        "https://github.com/canonical/cloud-init/issues/5533",
        "Specifically, `runcmd` isn't run, while everything else is... even though logs seem to "
        "reflect that nothing was run. The version of cloudinit that was working on Amazon Linux 2 "
        "is `19.3-46.amzn2.0.1`",
        "ec2.other",
    ),
    (
        "https://github.com/clearlinux/micro-config-drive/issues/38",
        "ec2 cloud-init: user-data script not being executed",
        "ec2.other",
    ),
    # "within a VPC" says where the code runs as "in a VPC" does.
    (
        "https://github.com/aws/aws-sdk-js/issues/3441",
        "Not able to send email from NodeJS Lambda to SES from within a VPC **Describe the bug** I "
        "am using a lambda function with a VPC which is using two endpoints: (1) one for dynamoDB "
        "(which works perfectly) and **(2) one for SES**. This latter is always giving timeout "
        "errors.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/brefphp/bref/issues/612",
        "sending emails hello, First of all, fantastic platform! Very good documentation. One "
        "question that I would have is around sending emails. I've been looking into this for few "
        "days but can't seem to find a way of sending emails from laravel using Notifications "
        "or even simply sending emails. Lambda sits within VPC.",
        "vpc.connectivity",
    ),
    # AWS APIs reached from a VPC only through interface endpoints the setup lacks.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/37223",
        "_waiting for MWAA Environment (airflow-environment) create: unexpected state 'PENDING', "
        "wanted target 'AVAILABLE', last error: %!s(<nil>)_ … MWAA required VPC endpoints needs to "
        "be managed by CUSTOMER.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/amazon-sagemaker-examples/issues/3430",
        "sagemaker Processing Jobs don't have access it seems to any internal AWS services despite "
        "operating within a VPC. This is normal behaviour and you need to create VPC Endpoints "
        "within your VPC … No log output from Papermill as the cell execution just hangs.",
        "vpc.connectivity",
    ),
    # What runs in a private subnet and cannot reach a service's endpoint.
    (
        "https://github.com/mmehta-10/selenium-grid-fargate/issues/3",
        "Not able to conncet to public network from private subnet As you mentioned that we have "
        "to use separate NAT for each private subnet to connect with the public network, and "
        "according to my understanding you already set it up in the private subnet",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/aws-ec2-instance-connect-config/issues/18",
        "Fail to connect to ec2-instance-connect.{region}.amazonaws.com in a private subnet My EC2 "
        "machine is inside a private subnet, and API calls are not allowed, except if a VPC "
        "endpoint was configured. Is there a VPC endpoint for the API call "
        "https://ec2-instance-connect.{region}.amazonaws.com/PutEC2HostKeys/ ?",
        "vpc.connectivity",
    ),
    # A security group that lets no traffic in: NLB health checks, a listener port with no rule.
    (
        "https://github.com/Guimove/terraform-aws-bastion/issues/52",
        "When we replace the default CIDR block for accessing the bastion by a specific one, the "
        "Network Load Balancer health checks fail resulting in unhealthy hosts.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3652",
        "The load balancer gets created and targets are reporting healthy. However, the "
        "application url gives 504 as there's no inbound rule for port 443 created to allow "
        "incoming traffic.",
        "vpc.connectivity",
    ),
    # A route whose target is gone drops the traffic ("blackhole", also misspelt).
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/105",
        "aws vpc routing doesn't remove blockhole Hi all, While connecting VPC peering connection, "
        'while adding peering route from route table , it\'s showing "blockhole".',
        "vpc.connectivity",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-transit-gateway/issues/131",
        "But, the Transit Gateway Peering is not detecting the destination routes as well as the "
        "blackhole Routes.",
        "vpc.connectivity",
    ),
    # Machines that "do not have access to internet", as "cannot access the internet" says.
    (
        "https://github.com/pgarbe/containers_on_aws/issues/5",
        "Routing between NAT and Private Nodes Hi! I have tried [this example]"
        "(http://garbe.io/blog/2017/01/20/install-docker-1.13-on-aws-via-cloudformation/) and "
        "figured out that private network machines (SubnetsReach=Private) created via "
        "`stack.yaml` do not have access to internet",
        "vpc.connectivity",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/237",
        "I am unable to access the internet (`ping google.com` / `sudo apt-get update`) from "
        "within instances I've launched in subnets created by this `vpc` module.",
        "vpc.connectivity",
    ),
    # No traffic through at all once a route changes ("no inbound or outbound traffic").
    (
        "https://github.com/AndrewGuenther/fck-nat/issues/76",
        "the second I assign the 0.0.0.0/0 route to my existing route table instead of internet "
        "gateway or even if I add a new route table, and the second i assign it to my subnet my "
        "whole subnet goes offline. No inbound or outbound traffic goes through. How can I debug "
        "this?",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws-samples/eks-workshop-v2/issues/646",
        "eks-workshop-ide-cfn.yaml fails to launch when default subnet has no internet access",
        "vpc.connectivity",
    ),
    # Address ranges that overlap or conflict, with or without the API's code.
    (
        "https://github.com/aws-samples/disaster-recovery-workshop/issues/2",
        "Lab API Gateway: IP Overlap - both vpc have CIDR 10.0.0.0/16 … With this configuration "
        "VPC peering **will not work** as overlapping VPC CIDR ranges are not allowed.",
        "vpc.other",
    ),
    (
        "https://github.com/aws-samples/aws-cidr-finder/issues/6",
        "Returns cidrs that are already in use. It worked the first time. But now when using in a "
        "new stack it returns a cidr that is either identical or within the range from the results "
        "provided to the first stack that used it. ` The CIDR '10.10.16.0/24' conflicts with "
        "another subnet -- `",
        "vpc.other",
    ),
    # A VPC id the API does not know (InvalidVpcID.NotFound), above the wrapper that surfaced it.
    (
        "https://github.com/hashicorp/terraform-aws-consul/issues/29",
        '"* module.consul.data.aws_vpc.default: data.aws_vpc.default: InvalidVpcID.NotFound: The '
        "vpc ID 'vpc-ac2220ca' does not exist\"... yet it does Howdy. Apologies if this is user "
        "error. I'm passing in a vpc_id that most definitely exists.",
        "vpc.other",
    ),
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1188",
        'E0313 07:52:16.690920 1 controller.go:217] kubebuilder/controller "msg"="Reconciler '
        'error" "error"="failed to reconcile LB managed SecurityGroup: failed to reconcile managed '
        "LoadBalancer securityGroup: InvalidVpcID.NotFound: The vpc ID 'vpc-xxxxxxxxxxx' does not "
        "exist",
        "vpc.other",
    ),
    (
        "https://github.com/cloudposse/terraform-aws-msk-apache-kafka-cluster/issues/79",
        "Error: creating Security Group: InvalidVpcID.NotFound: The vpc ID does not exist ## "
        "Describe the Bug When applying the terraform module, the module doesn't find or recognize "
        "the VPC ID, even though it's there",
        "vpc.other",
    ),
    # A zone of the account where subnets cannot be created (Fn::GetAZs still lists it).
    (
        "https://github.com/widdix/aws-cf-templates/issues/36",
        "CREATE_FAILED AWS::EC2::Subnet SubnetBPrivate Value (us-east-1b) for parameter "
        "availabilityZone is invalid. Subnets can currently only be created in the following "
        "availability zones: us-east-1d, us-east-1e, us-east-1a, us-east-1c.",
        "vpc.other",
    ),
    (
        "https://github.com/kizbitz/train/issues/87",
        "error during 'Creating subnet' Value (us-east-1d) for parameter availabilityZone is "
        "invalid During vpc creation I got the following error. Note that subnets 1a-1c were "
        "successfully created",
        "vpc.other",
    ),
    # Network objects that will not go away: a Lambda's ENIs still hold the group, subnet, VPC.
    (
        "https://github.com/avalonmediasystem/avalon/issues/1896",
        "Currently security groups stack can't be cleaned up because the DBclient group has an "
        "attached network interface.",
        "vpc.other",
    ),
    (
        "https://github.com/aws/serverless-application-model/issues/64",
        "when I go to delete the database and it's security group, the security group cannot be "
        "deleted due to the lingering lambda function's ENI.",
        "vpc.other",
    ),
    (
        "https://github.com/aws-solutions/virtual-waiting-room-on-aws/issues/106",
        "Core API stack fails to delete cleanly Seems like the IAM policy that allows the Lambda "
        "to delete its network interfaces is getting deleted before it's had a chance to clean up "
        "after itself. When network interfaces are not deleted, subnets and VPC also fail to "
        "delete.",
        "vpc.other",
    ),
    # Round 11 (IAM, services outside the list, CloudFormation, API Gateway, DynamoDB): the wrong
    # identity picked, AppSync and Docker outside the list, CloudFormation refusing its input.
    # A pod's web identity (IRSA) not picked up: the SDK falls back to the node's role.
    (
        "https://github.com/activeloopai/deeplake/issues/3161",
        "S3: IRSA web identity ignored on EKS, falls back to the node instance role",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/amazon-eks-pod-identity-webhook/issues/228",
        "Pod uses node role instead of IAM Role for Service Account",
        "iam.credentials",
    ),
    (
        "https://github.com/external-secrets/kubernetes-external-secrets/issues/452",
        "Question: pod not using the role defined on the ServiceAccount (IRSA) when fetching "
        "secrets (defaults to the EC2 node's role)",
        "iam.credentials",
    ),
    (
        "https://github.com/crossplane-contrib/provider-upjet-aws/issues/945",
        "Node role taking precedence despite IRSA config Hi all - my AWS S3 provider seems to be "
        "assuming the node role, rather than taking the IRSA.",
        "iam.credentials",
    ),
    # A profile the CLI or tool does not use (AWS_DEFAULT_PROFILE, --profile, a profile setting).
    (
        "https://github.com/aws/aws-cli/issues/1748",
        "AWS_DEFAULT_PROFILE does not work with profiles containing Role ARNs",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-cli/issues/3431",
        "AWS cli explicit --profile not overriding the environment variable AWS_DEFAULT_PROFILE",
        "iam.credentials",
    ),
    (
        "https://github.com/serverless/serverless/issues/3899",
        "AWS profile setting not honored",
        "iam.credentials",
    ),
    # A traceback through the SDK's credential lookup.
    (
        "https://github.com/boto/boto/issues/1907",
        "In 2.20.0 however this no longer appears to work. … line 278, in get_credentials > > > "
        "self._populate_keys_from_metadata_server()",
        "iam.credentials",
    ),
    (
        "https://github.com/boto/boto3/issues/3175",
        "line 296, in get_credentials raise ProfileNotFoundError('Profile \"%s\" not found!'",
        "iam.credentials",
    ),
    # CodePipeline's "not authorized to perform AssumeRole" (no sts: prefix) is a trust policy's.
    (
        "https://github.com/aws/aws-cdk/issues/11353",
        "arn:aws:iam::ACCOUNT_NUMBER:role/IAM_ROLE_NAME is not authorized to perform AssumeRole "
        "on role arn:aws:iam::ACCOUNT_NUMBER:role/IAM_ROLE_NAME (Service: AWSCodePipeline;",
        "iam.trust_policy",
    ),
    (
        "https://github.com/Netflix/security_monkey/issues/732",
        "An error occurred (AccessDenied) when calling the AssumeRole operation: Not authorized "
        "to perform sts:AssumeRole",
        "iam.trust_policy",
    ),
    # A denial of another action than AssumeRole is the identity's, beside a "trust relationship".
    (
        "https://github.com/aws-actions/amazon-ecr-login/issues/232",
        "a service account that has a role with a trust relationship to my eks identity provider "
        "and a policy to assume role from another account that has access to ecr. … denied: User: "
        "arn:aws:sts::A:assumed-role/cp-sw-actions-runner/GitHubActions is not authorized to "
        "perform: ecr:InitiateLayerUpload on resource:",
        "iam.missing_permission",
    ),
    (
        "https://github.com/MitocGroup/deep-framework/issues/591",
        "is not authorized to perform: dynamodb:PutItem on resource:",
        "iam.missing_permission",
    ),
    # An API action named as the permission missing.
    (
        "https://github.com/Cimpress-MCP/serilog-sinks-awscloudwatch/issues/144",
        "Missing Error Message for Missing logs:DescribeLogGroups Permission in Serilog "
        "Configuration for AWS CloudWatch … no log group was created, and no exception was thrown.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/DataDog/cloudformation-template/pull/61",
        "Add missing logs:TagResource permission to stackset role.",
        "iam.missing_permission",
    ),
    # ECS's deployment circuit breaker (its tasks never got healthy), surfaced by a stack.
    (
        "https://github.com/aws/copilot-cli/issues/2874",
        "Failed to deploy 1st svc with ECS Deployment Circuit Breaker was triggered error … "
        "Resource handler returned message:",
        "other.other",
    ),
    (
        "https://github.com/aws/copilot-cli/issues/5586",
        "Error occured during operation 'ECS Deployment Circuit Breaker Was Triggered' … Resource "
        "handler returned message:",
        "other.other",
    ),
    # AppSync's own authorization refusals, and the Amplify GraphQL schema that configures them.
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/3781",
        "Execute graphql query ### Status Not Authorized to access createTodo on type Mutation",
        "other.other",
    ),
    (
        "https://github.com/MrHertal/react-admin-amplify/issues/87",
        "Graphql query to get items from datastore returning an error status code of 401 The query "
        'always return { "errors" : [ { "errorType" : "UnauthorizedException", "message" : '
        '"Valid authorization header not provided." } ] }',
        "other.other",
    ),
    # CreateStack / CreateChangeSet refusing its own input: a parameter without a value, a
    # misspelled capability (the call fails before any stack runs).
    (
        "https://github.com/PaloAltoNetworks/aws-transit-vpc/issues/12",
        "PaGroup CFT Create Fails … However the PaGroup58 stack never gets launched. … An error "
        "occurred (ValidationError) when calling the CreateStack operation: Parameters: "
        "[PaGroupTemplateUrl, UserName, DeLicenseApiKey, SubscriberAWSAccountNumber, "
        "LambdaFunctionsBucketName, VpnConfigBucketName, Password] must have values",
        "cloudformation.other",
    ),
    (
        "https://github.com/openedx-unsupported/configuration/issues/1993",
        "A client error (ValidationError) occurred when calling the CreateStack operation: "
        "Parameters: [DeploymentTag] must have values",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws-samples/serverless-trivia-game/issues/34",
        "Error: Failed to create changeset for the stack: sam-app, An error occurred "
        "(ValidationError) when calling the CreateChangeSet operation: 1 validation error "
        "detected: Value '[CAPABILITY_NAMED_IAM, CAPABILIYT_AUTO_EXPAND, CAPABILITY_IAM]' at "
        "'capabilities' failed to satisfy constraint",
        "cloudformation.other",
    ),
    # A CDK app's construct library not installed: the CDK project's, not a function's package.
    (
        "https://github.com/aws-samples/aws-saas-factory-eks-saas-workshop/issues/79",
        'Workshop error - Cannot find module "aws-cdk-lib" or its corresponding type '
        "declarations. … Installing Node and CDK",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/4002",
        "I am doing the aws cdk workshop and I am following all the steps. … I got error message "
        "\"Cannot find module '@aws-cdk/aws-apigateway'\" My cdk version is aws-cdk version 1.7.0",
        "cloudformation.other",
    ),
    # The CDK's jsii toolchain failing.
    (
        "https://github.com/aws-samples/llm-app-genie/issues/27",
        "Missing .jsii file When I try to deploy a stack with cdk I get the following error",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/31508",
        "aws-cdk-lib: Error jsii.errors.JavaScriptError when running any CDK command",
        "cloudformation.other",
    ),
    # CDK names a failed stack by its id: "PowertunerWebsiteStack Failed".
    (
        "https://github.com/mattymoomoo/aws-power-tuner-ui/issues/57",
        "PowertunerWebsiteStack Failed Why do I get this error even if I run the Bootstrap "
        "command before deploy-website",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws-samples/aws-modern-application-workshop/issues/123",
        "MythicalMysfitsCoreStack fails to deploy.",
        "cloudformation.stack_failed",
    ),
    # Round 12 (VPC and EC2): network objects left behind, security group rule values, the
    # consoles' "check your VPC configuration", launches' parameter clashes, Korean SSH reports.
    # ENIs and security groups a delete leaves behind are the VPC's, above the stack's failure.
    (
        "https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/392",
        "CloudFormation is waiting for NetworkInterfaces associated with the Lambda Function to be "
        "cleaned up … I have a CloudFormation stack with Lambda function inside a VPC,",
        "vpc.other",
    ),
    (
        "https://github.com/aws-quickstart/quickstart-amazon-eks-cluster-resource-provider/issues/34",
        "Network interfaces not deleted upon stack deletion … (and the stack deletion fails).",
        "vpc.other",
    ),
    (
        "https://github.com/aws-quickstart/quickstart-amazon-eks/issues/182",
        "EKS stack deletion fails because of residual ENI interfaces (AWS Lambda VPC "
        "ENI-k8s-api-vpc-connector)",
        "vpc.other",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/2445",
        "AWS security groups not being destroyed … - aws_security_group",
        "vpc.other",
    ),
    # A security group rule whose port range or CIDR EC2 refuses (InvalidParameterValue there).
    (
        "https://github.com/chef-boneyard/chef-provisioning-aws/issues/183",
        "definition of security group error out: … AWS::EC2::Errors::InvalidParameterValue … "
        "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.",
        "vpc.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-security-group/issues/276",
        'Error: "" is not a valid CIDR block: invalid CIDR address … When creating a security '
        "group for an EC2 instance … Earlier I thought it might be related to VPC not having an "
        "IPV6 enabled",
        "vpc.other",
    ),
    # A security group given by name with a VPC subnet: the launch's parameters clash.
    (
        "https://github.com/boto/boto/issues/350",
        "VPC 2.0: The parameter groupName cannot be used with the parameter subnet. … conn = "
        "boto.connect_vpc(aws_access_key_id=",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/fog/fog/issues/2707",
        "connection.servers.create( … Message: InvalidParameterCombination => The parameter "
        "groupName   cannot be used with "
        "the parameter subnet … Message: VPCIdNotSpecified => No default VPC for this user",
        "ec2.invalid_resource",
    ),
    # The AMI that does not exist, named without its id.
    (
        "https://github.com/losDaniel/spot-connect/issues/3",
        "The image id doesn't exist Had to make sure that when searching for the AMI ID, that I "
        "was in the same region",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/rubber/rubber/issues/530",
        "Image id does not exist … I am unable to create a staging environment",
        "ec2.invalid_resource",
    ),
    # The consoles' diagnosis when their instance never answered: "Check your VPC configuration".
    (
        "https://github.com/MinhHungPhan/aws-hands-on-labs/issues/1",
        "Cloud9 could not connect to the EC2 instance. Please check your VPC configuration and "
        "network settings to troubleshoot the issue",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/elastic-beanstalk-roadmap/issues/97",
        "Check your VPC configuration and try launching the environment again … An error occurred "
        "(InvalidParameterValue) when calling the UpdateEnvironment operation",
        "vpc.connectivity",
    ),
    # An app's port the security group kept closed until someone opened it.
    (
        "https://github.com/docker-archive-public/docker.machine/issues/3635",
        "the browser just loaded endlessly. It took me a while to find out I had to open port "
        "8000 first.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/umotif-public/terraform-aws-elasticache-redis/issues/22",
        "our application can't connect to the newly built redis custer until we open port 5432 "
        "(Postgres) to the subnet on the security group attached to the redis cluster.",
        "vpc.connectivity",
    ),
    # "dial tcp: i/o timeout" with no address between (also "dial tcp timeout" on its own).
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/854",
        "Post https://elasticloadbalancing.us-west-2.amazonaws.com/: dial tcp: i/o timeout",
        "vpc.connectivity",
    ),
    (
        "https://github.com/eksctl-io/eksctl/issues/3147",
        "error finding instance Post https://ec2.eu-west-1.amazonaws.com/: dial tcp timeout on the "
        "node",
        "vpc.connectivity",
    ),
    # A Windows instance's administrator password is its login, not the IAM credentials.
    (
        "https://github.com/hashicorp/packer/issues/6297",
        "Fails to retrieve Windows Administrator Password from a Packer amazon-ebs successful "
        "build … I am not able to retrieve the Administrator credentials",
        "ec2.ssh_access",
    ),
    # Korean learners' PuTTY or SSH connection (접속, 연결) that does not work.
    (
        "https://github.com/jojoldu/freelec-springboot2-webservice/issues/684",
        "[오류] p.257 putty접속 오류 … 오류설명: putty에 접속이 안됩니다...",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/jojoldu/freelec-springboot2-webservice/issues/124",
        "P257 Window putty 연결 … Host name에 탄력적 IP 주소를 넣게 되면  타임아웃이 뜨는데..",
        "ec2.ssh_access",
    ),
    # A user-data script the instances were "not able to run".
    (
        "https://github.com/hashicorp/terraform/issues/13735",
        "Not able to run the User Data .bash file in AWS Auto scaling goup … we have created a AWS "
        "EC2 Launch configuration with user_data",
        "ec2.other",
    ),
    (
        "https://github.com/cattle-ops/terraform-aws-gitlab-runner/issues/1331",
        "user-data scripts do not run on Windows workers",
        "ec2.other",
    ),
    # Round 12 (services outside the list): the failures of services outside the list in learners'
    # wording, above the IAM, Lambda, EC2, VPC or stack words that surround them.
    # KMS cannot use the key a ciphertext was encrypted under: KMS's, not the identity's.
    (
        "https://github.com/Droplr/aws-env/issues/29",
        "panic: AccessDeniedException: The ciphertext refers to a customer master key that does "
        "not exist, does not exist in this region, or you are not allowed to access. (Service: "
        "AWSKMS; Status Code: 400; Error Code: AccessDeniedException",
        "other.other",
    ),
    (
        "https://github.com/fluxcd/kustomize-controller/issues/673",
        "Failed to decrypt secret with AWS KMS Role … | AccessDeniedException: The ciphertext "
        "refers to a customer | master key that does not exist, does not exist in this | region, "
        "or you are not allowed to access.",
        "other.other",
    ),
    # Route 53: the hosted zone a custom domain needs is not there.
    (
        "https://github.com/amplify-education/serverless-domain-manager/issues/133",
        "can't create domain I'm trying to create a domain but I got this error: `Error: Could "
        "not find hosted zone 'chapitime.chapilabs.com'`",
        "other.other",
    ),
    (
        "https://github.com/amplify-education/serverless-domain-manager/issues/56",
        "(node:19556) UnhandledPromiseRejectionWarning: Unhandled promise rejection (rejection "
        "id: 1): Error: Error: Error: Could not find hosted zone. Unable to retrieve Route53 "
        "hosted zone id.",
        "other.other",
    ),
    # ACM's DNS validation that never completes: the certificate stays pending.
    (
        "https://github.com/anomalyco/sst/issues/5781",
        'ACM Validation Suddenly Stopped Working - Cert Stuck "Pending" Despite Correct CNAME … '
        'ACM certificates stay "Pending validation" forever',
        "other.other",
    ),
    (
        "https://github.com/dflook/cloudformation-dns-certificate/issues/10",
        "I'm running into a timeout issue where the ACM cert gets stuck in a \"pending "
        'validation" state. … However, when the max execution time hits, the stack creation '
        "fails",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/amazon-cloudfront-secure-static-site/issues/22",
        "This template fails for me consistently during the nested AcmCertificateStack … In the "
        "certificate manager UI the new certificate's Validation Signature remains in a pending "
        "state until the stack fails completely",
        "other.other",
    ),
    # A custom domain whose name does not resolve: its DNS, outside the list.
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/1904",
        'My Route 53 domain is not connecting to my Amplify Project … "DNS address could not be '
        'found"',
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/407",
        "I had my domain verified but the domain name was not resolving with "
        "`DNS_PROBE_FINISHED_NXDOMAIN`.",
        "other.other",
    ),
    # CodeCommit's Git endpoint refusing a clone.
    (
        "https://github.com/aws-samples/aws-bookstore-demo-app/issues/13",
        "fatal: unable to access 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/"
        "store-WebAssets/': The requested URL returned error: 403",
        "other.other",
    ),
    (
        "https://github.com/awslabs/aws-deployment-framework/issues/291",
        "npm ERR! path /codebuild/output/src378222268/src/git-codecommit.us-east-2.amazonaws.com/"
        "v1/repos/ccdemo/package.json",
        "other.other",
    ),
    # Bedrock: a model that must be called through an inference profile.
    (
        "https://github.com/aws-samples/bedrock-chat/issues/508",
        'And the lambda function (WebSocketHandler) logs in CloudWatch show that "Failed to run '
        "stream handler: An error occurred (ValidationException) when calling the ConverseStream "
        "operation: The provided model doesn't support on-demand throughput.\"",
        "other.other",
    ),
    (
        "https://github.com/anthropics/claude-code/issues/242",
        "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand "
        "throughput isn’t supported.",  # noqa: RUF001 (the learner's apostrophe)
        "other.other",
    ),
    # Elastic Beanstalk: its deploy hooks, its CLI.
    (
        "https://github.com/aws-samples/eb-py-flask-signup/issues/9",
        "Your requirements.txt is invalid. Snapshot your logs for details. [Instance: "
        "i-0678efc54eef84544] Command failed on instance. Return code: 1",
        "other.other",
    ),
    (
        "https://github.com/vanvalenlab/deepcell-label/issues/64",
        "eb deploy fails for browser caliban Amazon's Elastic Beanstalk (eb) command-line "
        'interface works to create new caliban apps, but "deploy" does not work',
        "other.other",
    ),
    # An ECS task that never started; CodeBuild's failed build command.
    (
        "https://github.com/aws/amazon-ecs-agent/issues/1654",
        'I keep getting the error "STOPPED(Task failed to start) … Also, no Logs are generated.',
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cli/issues/3489",
        "Error while executing command: aws cloudformation package --template template.yml "
        "--s3-bucket mycicdbucket --output-template template-expt.yml. Reason: exit status 255",
        "other.other",
    ),
    # The AWS CLI itself missing from the machine or its PATH.
    (
        "https://github.com/awslabs/aws-gov-cloud-import/issues/19",
        "/gov-cloud-import-install.sh: line 202: aws: command not found … Copying App to S3 "
        "Bucket in us-west-2",
        "other.other",
    ),
    (
        "https://github.com/oliverlloyd/jmeter-ec2/issues/98",
        "ERROR: AWS CLI does not appear to be installed, while executing jmeter-ec2.sh",
        "other.other",
    ),
    # SQS FIFO's message group id; a Kinesis shard iterator used too late.
    (
        "https://github.com/cuda-networks/django-eb-sqs/issues/58",
        "MessageGroupId is a required parameter while enqueue to a queue",
        "other.other",
    ),
    (
        "https://github.com/twitchscience/kinsumer/issues/51",
        "Got error: Iterator expired. The iterator was created at time Wed Jan 15 05:31:22 UTC "
        "2020",
        "other.other",
    ),
    # Database engines' own refusals and their drivers' TLS settings and trust stores.
    (
        "https://github.com/jkehler/awslambda-psycopg2/issues/25",
        'FATAL: no pg_hba.conf entry for host "12.34.56.789", user "my_user", database '
        '"foobar", SSL off : OperationalError Traceback (most recent call last): File '
        '"/var/task/lambda_function.py", line 47, in lambda_handler',
        "other.other",
    ),
    (
        "https://github.com/growthbook/growthbook/issues/2766",
        "We are running a self-hosted instance of GrowthBook with AWS DocumentDB configured as "
        "our datastore. … `MongoParseError: option ssl_ca_certs is not supported`",
        "other.other",
    ),
    (
        "https://github.com/awslabs/aws-athena-query-federation/issues/2389",
        "Timed out after 30000 ms while waiting for a server … caused by "
        "{javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
        "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid "
        "certification path to requested target}",
        "other.other",
    ),
    (
        "https://github.com/mongodb/laravel-mongodb/issues/1753",
        "MongoDB \\ Driver \\ Exception \\ ConnectionTimeoutException (13053) No suitable servers "
        "found (`serverSelectionTryOnce` set): [TLS handshake failed: "
        "error:1408F10B:SSL routines:ssl3_get_record:wrong version number calling ismaster on "
        "'reachalldbinstance.cxwewiihbz0x.us-east-2.rds.amazonaws.com:3306']",
        "other.other",
    ),
    (
        "https://github.com/rusher81572/cloudExplorer/issues/54",
        "Error: java.lang.RuntimeException: Unexpected error: "
        "java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be "
        "non-empty … Then when entering the access key and secret",
        "other.other",
    ),
    # An MSK client using SASL authentication that cannot connect.
    (
        "https://github.com/tulios/kafkajs/issues/1171",
        "Connection timeout with amazon MSK and SASL/SCRAM authentication … Security group and "
        "VPC settings is setup correctly",
        "other.other",
    ),
    (
        "https://github.com/jmaver-plume/kafkajs-msk-iam-authentication-mechanism/issues/41",
        "Cannot connect to MSK serverless cluster via SASL … [BrokerPool] Failed to connect to "
        "seed broker, trying another broker from the list: Connection timeout",
        "other.other",
    ),
    # SAM's local commands need Docker: the learner's machine.
    (
        "https://github.com/aws/aws-sam-cli/issues/923",
        "Found credentials in shared credentials file: ~/.aws/credentials Error: Running AWS SAM "
        "projects locally requires Docker. Have you got it installed?",
        "other.other",
    ),
    (
        "https://github.com/awsdocs/aws-sam-developer-guide/issues/158",
        'sam local invoke "HelloWorldFunction" -e events/event.json Error: Running AWS SAM '
        "projects locally requires Docker. Have you got it installed and running?",
        "other.other",
    ),
    # App Runner's failed deployments.
    (
        "https://github.com/aws/apprunner-roadmap/issues/283",
        "App runner deployment results in failed service that is inaccessible with timeout … For "
        "reference this is a snippet of the terraform:",
        "other.other",
    ),
    (
        "https://github.com/aws/apprunner-roadmap/issues/210",
        "looks like AppRunner just won't work at all.. … [AppRunner] Health check failed on port "
        "'3000'. Check your configured port number. For more information, read the application "
        "logs.",
        "other.other",
    ),
    # Cognito user pools' own features: their emails, their custom message triggers.
    (
        "https://github.com/amazon-archives/amazon-cognito-identity-js/issues/521",
        "Unable to send custom email messages … And I have configured the lambda function under "
        "the triggers section for the custom message trigger as well.",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-serverless-workshops/issues/304",
        "New Users aren't registering in WildRydes … it does not work. I do not get any "
        "confirmation on the screen, via email, and users do not show up in the user pool.",
        "other.other",
    ),
    # Round 12 (CloudWatch, IAM, S3, Lambda and Boto3, API Gateway, DynamoDB, CloudFormation, and
    # messages wrongly taken for incidents or missed): CloudWatch's own failures named, and the
    # policy beside an S3 denial.
    # The wrong partition in a policy's resource ARN (arn:aws: in China) is a malformed policy.
    (
        "https://github.com/anomalyco/sst/issues/2196",
        (
            'Partition error when deploy to aws china … Partition "aws" is not valid for resource '
            '"arn:aws:s3:::sstbootstrap-cnnorthwest1f610d23c-25o2doaai7cz/*"'
        ),
        "iam.malformed_policy",
    ),
    (
        "https://github.com/aws/chalice/issues/777",
        (
            'demo not working in china … Partition "aws" is not valid for resource '
            '"arn:aws:logs:*:*:*".'
        ),
        "iam.malformed_policy",
    ),
    # PutMetricData refusing a metric's values (InvalidParameterValue) is the metric's, not EC2's.
    (
        "https://github.com/influxdata/telegraf/issues/9402",
        (
            "outputs.cloudwatch gets stuck when receiving data older than 2 weeks … E! CloudWatch: "
            "Unable to write to CloudWatch : InvalidParameterValue: The parameter "
            "MetricData.member.19.Timestamp mus"
        ),
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/jdamick/dropwizard-metrics-cloudwatch/issues/3",
        (
            "CloudWatchApi error … "
            "com.amazonaws.services.cloudwatch.model.InvalidParameterValueException: No metric may "
            "specify the same dimension name twice. … (Service: AmazonCloudWatch; Status Code: "
            "400; Error Code: InvalidParameterValue;"
        ),
        "cloudwatch.alarm_or_metric",
    ),
    # A Logs call refusing its own input (Value '' at 'logGroupName' failed to satisfy constraint).
    (
        "https://github.com/aws/amazon-genomics-cli/issues/430",
        (
            'Cannot access Toil "adapter" logs … The API Gateway and Wes lambda logs are not '
            "available from the CLI for Toil contexts … InvalidParameterException: 2 validation "
            "errors detected: Value '' at 'logGroupName' failed to satisfy constraint: Member must "
            "have length greater than or equal to 1;"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/vectordotdev/vector/issues/3795",
        (
            "error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must "
            "have length greater than or equal to 1"
        ),
        "cloudwatch.other",
    ),
    # A CLI reading CloudWatch Logs (awslogs get/streams, zappa tail, sam logs) showing nothing or
    # failing: the reader, not logs never written.
    (
        "https://github.com/jorgebastida/awslogs/issues/264",
        (
            "No streams can be found … $ awslogs streams --aws-region us-east-1 "
            "/ecs/libretro-superbuild14-s3 … $ awslogs get --aws-region us-east-1 "
            "/ecs/libretro-superbuild14-s3 ALL … However, using a start time does seem to work:"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/jorgebastida/awslogs/issues/301",
        (
            "Empty output for 'awslogs get GROUP' … No output, the prompt is recovered without any "
            "message"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/Miserlou/Zappa/issues/1120",
        (
            "error: [Errno 104] Connection reset by peer when doing tail … When doing zappa tail I "
            "get:"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/Miserlou/Zappa/issues/2071",
        (
            "Logged ERRORs and other details are excluded from `zappa tail` output when using "
            "default (DEBUG) log level settings. … I discovered [ERROR] messages are not "
            "included in the logs returned by `zappa tail`."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-sam-cli/issues/6466",
        (
            "Bug: sam logs not displaying CloudWatch logs when LogGroup is set in template … "
            "then the command `sam logs --stack-name` does not display any logs."
        ),
        "cloudwatch.other",
    ),
    # Throttled Logs calls (PutLogEvents Rate exceeded) in a CloudWatch thread.
    (
        "https://github.com/SectorLabs/celery-cloudwatch/issues/3",
        (
            "the monitor frequently fails due to the following error … An error occurred "
            "(ThrottlingException) when calling the PutLogEvents operation (reached max retries: "
            "4): Rate exceeded … This results in loss of events recorded in the log stream."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/timdp/winston-aws-cloudwatch/issues/69",
        (
            "ThrottingException - Rate limit exceeded … Sometimes I retrieve this error when the "
            "module tries to send a lot of logs to CloudWatch."
        ),
        "cloudwatch.other",
    ),
    # A log group that had to be created by hand before the task worked: the group was missing.
    (
        "https://github.com/prakhar1989/docker-curriculum/issues/278",
        (
            "Had to manually create log group in CloudWatch … I was under the impression that the "
            "log group defined in the aws-ecs/docker-compose.yml file ` awslogs-group: foodtrucks` "
            "would be automatically created but that turned out not to be the case."
        ),
        "cloudwatch.log_group_missing",
    ),
    (
        "https://github.com/prakhar1989/docker-curriculum/issues/300",
        (
            "document update for ECS setup: need to manually create cloudWatch log group … "
            "INFO[0007] Stopped container..."
        ),
        "cloudwatch.log_group_missing",
    ),
    # The caller's own identity policy quoted beside an S3 denial: that policy lacks the action.
    (
        "https://github.com/aws/aws-cli/issues/5470",
        (
            "PUT OPERATION ACCESS DENIED error … An error occurred (AccessDenied) when calling the "
            'PutObject operation: Access Denied … IAM Policy - { "Version": "2012-10-17", '
            '"Statement": [ { "Effect": "Allow", "Action": [ "s3:ListBucket" ],'
        ),
        "iam.missing_permission",
    ),
    (
        "https://github.com/s3tools/s3cmd/issues/948",
        (
            "S3 upload-only permisssions get forbidden on initiating a sync command … put is "
            'working fine, however sync fails with 403. … "Effect": "Allow", "Action": [ '
            '"s3:PutObject",'
        ),
        "iam.missing_permission",
    ),
    # A stack's failure told by its rollback or by a custom resource that never answered.
    (
        "https://github.com/netscaler/citrix-adc-aws-cloudformation/issues/24",
        (
            "CFT fails on Lambda HA Function … The HA-3NIC-ACROSSAZ CFT fails to complete, then "
            'rolls back. … "Custom Resource failed to stabilize in expected time. If you are using '
            "the Python cfn-response module, you may need to update your Lambda function code so "
            'that CloudFormation can attach the updated version."'
        ),
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws-samples/aws-fault-injection-simulator-workshop-v2/issues/124",
        (
            'The Cloudformation template "Services" not getting deployed successfully. … runs for '
            "80 mins as mentioned, but fails and starts deleting the CF template, but doesn't do a "
            "full cleanup"
        ),
        "cloudformation.stack_failed",
    ),
    # Round 13 (EC2 and VPC): Windows logins over WinRM, the tools' own EC2 launches, instances
    # Auto Scaling takes away, fleets that never grow and CI runners that never register.
    # WinRM is SSH's twin for a Windows instance: the login never answered.
    (
        "https://github.com/packer-community/packer-windows-plugins/issues/11",
        (
            "aws-ebs times out waiting for WinRM … WinRM connection err: unknown error Post "
            "http://<IPv4>:5985/wsman: dial tcp <IPv4>:5985: connection timed out"
        ),
        "ec2.ssh_access",
    ),
    (
        "https://github.com/hashicorp/packer-plugin-amazon/issues/621",
        (
            "amazon-ebs: WinRM connection error unknown error Post "
            '"https://<ip>:5986/wsman": EOF … '
            "[INFO] Attempting WinRM connection..."
        ),
        "ec2.ssh_access",
    ),
    # Ansible's own EC2 modules raising (NameError inside module ec2, InvalidAction in ec2_lc):
    # the tool's launch broke, not the learner's code nor a policy's Action.
    (
        "https://github.com/ansible/ansible-modules-core/issues/817",
        (
            "EC2 host launch fails … Traceback (most recent call last): … File "
            '"/var/lib/jenkins/.ansible/tmp/ansible-tmp-1424304056.45-134380261320364/ec2", line '
            "817, in create_instances params['tenancy'] = tenancy NameError: global name 'tenancy' "
            "is not defined"
        ),
        "ec2.other",
    ),
    (
        "https://github.com/ansible/ansible/issues/10289",
        (
            "ec2 module is broken in ansible 1.8.3 … File "
            '"/var/lib/jenkins/.ansible/tmp/ansible-tmp-1424337493.09-167968274609306/ec2", line '
            "817, in create_instances params['tenancy'] = tenancy NameError: global name 'tenancy' "
            "is not defined"
        ),
        "ec2.other",
    ),
    (
        "https://github.com/manicminer/ansible-auto-scaling-tutorial/issues/14",
        (
            "Invalid Action: DescribeLaunchConfigurations … File "
            '"/var/folders/b_/g8r_f0cx0bdb0vb5c2m55lth0000gn/T/ansible_jVpiEI/'
            'ansible_module_ec2_lc.py", '
            "line 498, in create_launch_config … ClientError: An error occurred (InvalidAction) "
            "when calling the DescribeLaunchConfigurations operation: The action "
            "DescribeLaunchConfigurations is not valid for this web service."
        ),
        "ec2.other",
    ),
    # Auto Scaling taking CI agents' instances away in the middle of a build.
    (
        "https://github.com/buildkite/elastic-ci-stack-for-aws/issues/1160",
        (
            "Agents lost error after stack upgrade … the jobs start to fail with `Exited with "
            "status -1 (agent lost)` error."
        ),
        "ec2.other",
    ),
    (
        "https://github.com/buildkite/elastic-ci-stack-for-aws/issues/971",
        (
            "Abrupt agent termination during build … Occasionally an agent is abruptly terminated "
            "during the build. … At 2021-12-02T20:04:43Z instance i-00e36c1ca7637e75c was taken "
            "out of service in response to a user request, shrinking the capacity from 49 to 48."
        ),
        "ec2.other",
    ),
    (
        "https://github.com/buildkite/elastic-ci-stack-for-aws/issues/59",
        (
            "lifecycle termination may not be working correctly Just scaled up from 0 to 20 and "
            "only 1 agent came online. … "
            "transition#033[0m=autoscaling:EC2_INSTANCE_TERMINATING"
        ),
        "ec2.other",
    ),
    # An EC2 fleet that never scales up when builds queue.
    (
        "https://github.com/jenkinsci/ec2-fleet-plugin/issues/153",
        (
            "when I try to start additional builds, the fleet never scales up. Here is what I see "
            "in the logs: ``` currentDemand 2 availableCapacity 0 (availableExecutors 0 "
            "connectingExecutors 0"
        ),
        "ec2.other",
    ),
    (
        "https://github.com/jenkinsci/ec2-fleet-plugin/issues/260",
        (
            "EC2 Fleet won't scale up in No Delay Provision Strategy … Jenkins logs show the "
            "currentDemand is 0 even though the build queue is already 7."
        ),
        "ec2.other",
    ),
    # A self-hosted CI runner on a new instance that never registers or comes online.
    (
        "https://github.com/machulav/ec2-github-runner/issues/86",
        (
            "AWS EC2 instance i-0eeae9ef28dcd04e9 is up and running … Error: GitHub self-hosted "
            "runner registration error … Error: A timeout of 5 minutes is exceeded. Your AWS EC2 "
            "instance was not able to register itself in GitHub as a new self-hosted runner. … "
            "what could cause this? and how can i increase the percentage of successfull "
            "instantiations?"
        ),
        "ec2.other",
    ),
    (
        "https://github.com/nodesource/aws-eco-runner/issues/5",
        (
            "Refresh Github runner on startup? … it seems the runner never gets online for some "
            "reason."
        ),
        "ec2.other",
    ),
    (
        "https://github.com/machulav/ec2-github-runner/issues/274",
        (
            "Running multiple runners in parallel and one fails to register as a GitHub Runner … "
            "We see the timeout error around 5 minutes."
        ),
        "ec2.other",
    ),
    # Round 13 (CloudWatch, Lambda, API Gateway, CloudFormation, services outside the list, and
    # messages wrongly taken for incidents or missed): CloudWatch's own failures in real wording.
    # A log group's resource policy that does not admit a service, or is too big: CloudWatch's.
    (
        "https://github.com/awsdocs/amazon-opensearch-service-developer-guide/pull/59",
        (
            "The ElasticSearch logging requires `logs:PutLogEventsBatch` permission … Error: "
            "ValidationException: The Resource Access Policy specified for the CloudWatch Logs "
            "log group /aws/aes/domains/es-upgrade-staging/search-logs does not grant sufficient "
            "permissions for Amazon OpenSearch Service to create a log stream."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/cloudposse/terraform-aws-cloudwatch-logs/issues/40",
        (
            "So terraform fails with an error. … ValidationException: The Resource Access Policy "
            "specified for the CloudWatch Logs log group dev-testnet-opensearch-cloudwatch does "
            "not grant sufficient permissions for Amazon OpenSearch Service to create a log stre"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/6606",
        (
            "ValidationException: The Resource Access Policy specified for the CloudWatch Logs log "
            "group blah-search-slow-non-prod does not grant sufficient permissions for Amazon "
            "Elasticsearch Service to create a log stream."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws-solutions-library-samples/guidance-for-media-extraction-and-"
        "dynamic-content-policy-framework-on-aws/issues/4",
        (
            'Resource handler returned message: "Invalid Logging Configuration: The CloudWatch '
            "Logs Resource Policy size was exceeded."
        ),
        "cloudwatch.other",
    ),
    # A scheduled rule that cannot be created or deployed (its rate written wrongly), or no
    # longer works: the rule's, whatever "validation" or "handler" surrounds it.
    (
        "https://github.com/serverless/serverless/issues/5230",
        (
            "Using default variable in events schedule rate generates invalid ScheduleExpression "
            "parameter … the cloudformation ScheduleExpression generated has no space between the "
            "amount and the unit and so the deploy fails."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/7413",
        (
            "BUG: Scheduled Schema validation fails … The following validation error is thrown: "
            '> ServerlessError: "rate" property for schedule event is missing or invalid in '
            "function backup."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/8162",
        (
            "ServerlessError: Configuration error at 'functions.E2E.events[0]': unrecognized "
            "property 'rate' failed to deploy schedule rule, validation failed in 1.80.0. … "
            "handler: someHandler"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws-samples/aws-nuke-account-cleanser-example/issues/12",
        "AWS::Events::Rules no longer works. Need to use AWS::Scheduler::Schedule",
        "cloudwatch.other",
    ),
    # Metrics an emitter loses or stops creating, or a read that returns empty datapoints.
    (
        "https://github.com/aws-observability/aws-otel-collector/issues/40",
        (
            "StatsD receiver and EMF Exporter Misses Metrics in Cloud Watch Console and Has Empty "
            "Dimension … log_group_name: 'aoc-emf-ecs-test-1016-new' log_stream_name: "
            "'aoc-emf-ecs-test-1016-new'"
        ),
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/awslabs/aws-embedded-metrics-java/issues/139",
        (
            "We have migrated to embedded metrics logger, suddenly it stops logging metrics to "
            "cloudwatch … LogDriver: awslogs"
        ),
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/localstack/localstack/issues/11260",
        (
            "bug: getMetricStatistics function returns empty datapoints … `Cannot read properties "
            "of undefined (reading 'Sum')`"
        ),
        "cloudwatch.alarm_or_metric",
    ),
    # A log stream (not only a group) that is never created: no logs at all.
    (
        "https://github.com/aws/aws-logging-dotnet/issues/176",
        (
            "Log stream not creating when deployed in ECS container When deployed web api "
            "application in aws docker container neither log group not log stream is creating."
        ),
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/lazywithclass/winston-cloudwatch/issues/135",
        "CloudWatch LogGroups Not Getting Created",
        "cloudwatch.no_logs",
    ),
    # A log group left without expiration (its retention never set): CloudWatch's setting.
    (
        "https://github.com/pulumi/pulumi/issues/9296",
        (
            "EKS control plane logging not working as expected and documentation issue … Another "
            "cloudwatch log group is created with no expiration, this one contains the awaited EKS "
            "logs."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-rds-aurora/issues/484",
        (
            "It has created the cloudwatch log group and I can see the logs in it but it has a "
            'retention of "Never Expire"'
        ),
        "cloudwatch.other",
    ),
    # A tool reading logs out of CloudWatch that finds nothing: the reader's, not logs unwritten.
    (
        "https://github.com/fluent/fluentd/issues/921",
        (
            "fluentd unable to fetch cloudwatch-logs im new to fluentd.just started a poc to fetch "
            "logs from cloudwatch.i installed input plugin for cloudwatch-logs.but unable to see "
            "the output."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/wazuh/wazuh/issues/9770",
        (
            "AWS Cloudwatch does not register events. … The process consists of taking the logs "
            "hosted in Cloudwatch, as follows: … When taking the events coming from AWS "
            "Cloudwatch, the system enters a logging loop without finding events and terminates "
            "the cycle."
        ),
        "cloudwatch.other",
    ),
    # Round 13 (IAM and S3): S3's own failures beside wording other layers read (a file that
    # does not upload, SSE-KMS, the signing of a request, the bucket's CORS rules, a 403 in a
    # command named "fetch"), and IAM's in EKS's, MFA's and Hadoop's wording.
    # A file that does not reach S3, no failure named: S3's, not a missing key ("file" alone).
    (
        "https://github.com/laravel/framework/issues/29065",
        (
            "Inconsistent response from Storage upload … I can also see the file doesn't upload to "
            "S3 either which should technically return an exception if that was the case?"
        ),
        "s3.other",
    ),
    (
        "https://github.com/sparklyr/sparklyr/issues/1963",
        (
            "spark_read_parquet from s3 error … it throws me an error which is: Caused by: "
            "java.io.IOException: Could not read footer for file"
        ),
        "s3.other",
    ),
    (
        "https://github.com/UniSharp/laravel-filemanager/issues/1277",
        (
            "Showing upload is successful but file is not uploading to aws s3 bucket … It also not "
            "showing any errors."
        ),
        "s3.other",
    ),
    # An SSE-KMS request S3 refuses (unsigned with SigV4, an encryption value it does not take).
    (
        "https://github.com/aws/aws-cli/issues/1006",
        (
            'Downloading S3 object encrypted using KMS keys fails with error: "Requests specifying '
            'Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4"'
        ),
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/1789",
        (
            'S3: "aws:kms" Signing an upload to S3 is failing with '
            "'InvalidEncryptionAlgorithmError' … ACL: 'authenticated-read', … "
            '"errorMessage": "The Encryption request you specified is not valid. Supported '
            'value: AES256.",'
        ),
        "s3.other",
    ),
    # A signature mismatch beside the signing version or SSE-KMS: the request's signing, not keys.
    (
        "https://github.com/aws/aws-sdk-java/issues/1415",
        (
            "Downloading object from SSE KMS encrypted S3 bucket fails … The request signature we "
            "calculated does not match the signature you provided. Check your key and signing "
            "method. (Service: Amazon S3; Status Code: 403; Error Code: SignatureDoesNotMatch"
        ),
        "s3.other",
    ),
    (
        "https://github.com/jschneier/django-storages/issues/262",
        (
            "SignatureDoesNotMatch when calling PutObject … which leads to an error saying to use "
            "`AWS4-HMAC-SHA256` when trying to do `python manage.py collectstatic`."
        ),
        "s3.other",
    ),
    (
        "https://github.com/django-cms/django-filer/issues/1074",
        (
            "S3ResponseError: 403 Forbidden … The request signature we calculated does not match "
            "the signature you provided. … I do -not- have `S3_USE_SIGV4` set."
        ),
        "s3.other",
    ),
    # The same mismatch in people's words ("a signature does not match error").
    (
        "https://github.com/aws/aws-sdk-js/issues/444",
        (
            "When I generate a getObject url for a private file, it works fine. But for some "
            "reason this gives me a signature does not match error."
        ),
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-go/issues/962",
        'presign returning a "Signature Does Not Match" 403 error',
        "s3.other",
    ),
    # A browser refused by a bucket: S3's CORS rules (AllowedOrigins) or an S3-signed URL.
    (
        "https://github.com/Budibase/budibase/issues/11862",
        (
            "CORS error in S3 file upload. … Access to fetch at "
            "'https://BUDIBASE_BUILDER/my_file.yaml?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential"
            "=1234%2F20230922%2Fus-east-1%2Fs3%2Faws4_request … has been blocked by CORS policy"
        ),
        "s3.other",
    ),
    (
        "https://github.com/qoomon/aws-s3-bucket-browser/issues/17",
        (
            'Failed to fetch error is coming … CORS POLICY ```json [ { "AllowedHeaders": [ "*" ], '
            '"AllowedMethods": [ "GET" ], "AllowedOrigins": [ '
            '"http://cnl-test-poc.s3-website-us-east-1.amazonaws.com/" ],'
        ),
        "s3.other",
    ),
    # "fetch" in a command's or method's name (backup-fetch, ENV.fetch) is no browser's call.
    (
        "https://github.com/wal-e/wal-e/issues/385",
        (
            "wal-e backup-fetch fails | gets s3 access denied I am getting this error while "
            "backup-fetch or backup-list operations … S3ResponseError: 403 Forbidden"
        ),
        "s3.access_denied",
    ),
    (
        "https://github.com/kjvarga/sitemap_generator/issues/316",
        (
            "Aws::S3::Errors::AccessDenied (Access Denied): … bucket: ENV.fetch('S3_BUCKET_NAME'), "
            "access_key_id: ENV.fetch('AWS_ACCESS_KEY_ID'),"
        ),
        "s3.access_denied",
    ),
    # EKS refusing an IAM identity it does not map: the identity lacks the cluster's access.
    (
        "https://github.com/kodermax/kubectl-aws-eks/issues/5",
        (
            "error: You must be logged in to the server (Unauthorized) I'm getting this error "
            "Unauthorized using this action."
        ),
        "iam.missing_permission",
    ),
    (
        "https://github.com/kubernetes-sigs/aws-iam-authenticator/issues/275",
        (
            "But I always get `error: You must be logged in to the server (Unauthorized)` when "
            "trying to run `kubectl cluster-info` command. … 2. create a role for EKS name "
            "`crop-cluster`"
        ),
        "iam.missing_permission",
    ),
    # An AssumeRole refused for an MFA token never sent: the caller's credentials, not a trust.
    (
        "https://github.com/aws/aws-cli/issues/2279",
        (
            "AWS CLI fails while attempting to issue API calls with MFA authentication. It appears "
            "to be issuing a `sts:AssumeRole` API call without generating or passing an "
            "appropriate session token as part of the call."
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/glassechidna/awsweb/issues/23",
        "Assume Role MFA token code: 123456 Second attempt also failed.",
        "iam.credentials",
    ),
    # "AssumeRole Access Denied" in a title or a log line is the role's trust.
    (
        "https://github.com/ansible/ansible/issues/47724",
        (
            "STS AssumeRole Access Denied My S3 and EC2 are in different accounts … But when I "
            "tried to use the below snippet I get AssumeRole Access Denied."
        ),
        "iam.trust_policy",
    ),
    (
        "https://github.com/aws/karpenter-provider-aws/issues/4680",
        "AssumeRole operation failing | AccessDenied",
        "iam.trust_policy",
    ),
    # MalformedPolicyDocument names the failure, whatever iam:PassRole the document grants.
    (
        "https://github.com/Graylog2/graylog-plugin-aws/issues/172",
        (
            "An error occurred (MalformedPolicyDocument) when calling the PutRolePolicy operation: "
            'The policy failed legacy parsing … "Action": "iam:PassRole",'
        ),
        "iam.malformed_policy",
    ),
    (
        "https://github.com/Graylog2/graylog-plugin-aws/issues/22",
        (
            "A client error (MalformedPolicyDocument) occurred when calling the CreateRole "
            "operation: This policy contains invalid Json"
        ),
        "iam.malformed_policy",
    ),
    # Hadoop S3A's java.nio.file.AccessDeniedException is any S3 403, no identity named.
    (
        "https://github.com/JahstreetOrg/spark-on-kubernetes-helm/issues/54",
        (
            "I can no longer leverage hadoop-aws and get this somewhat cryptic error: … querying "
            "this public bucket: … java.nio.file.AccessDeniedException: "
            "s3a://nyc-tlc/misc/uber_nyc_data.csv: getFileStatus on "
            "s3a://nyc-tlc/misc/uber_nyc_data.csv: "
            "com.amazonaws.services.s3.model.AmazonS3Exception:"
        ),
        "s3.access_denied",
    ),
    (
        "https://github.com/sparklyr/sparklyr/issues/2143",
        (
            "Can't read a parquet file from AWS S3 bucket … Error: "
            "com.amazonaws.services.s3.model.AmazonS3Exception: Status Code: 403, AWS Service: "
            "Amazon S3,"
        ),
        "s3.access_denied",
    ),
    # Round 14 (VPC and EC2): subnets, zones and the VPC's own settings; instances that freeze.
    # A load balancer given fewer than two subnets in different zones (not an EC2 zone mismatch).
    (
        "https://github.com/AjeetK/terraform-ecs-fargate/issues/1",
        (
            "Error: Error creating application Load Balancer: ValidationError: At least two "
            "subnets in two different Availability Zones must be specified"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/kasmtech/terraform/issues/5",
        (
            "Error: creating ELBv2 application Load Balancer (office-private-lb): "
            "ValidationError: At least two subnets in two different Availability Zones must be "
            "specified"
        ),
        "vpc.other",
    ),
    # A DB subnet group whose subnets cover one zone only.
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/988",
        (
            "Your request to create DB instance learning didn't work. DB Subnet Group doesn't "
            "meet availability zone coverage requirement. Please add subnets to cover at least 2 "
            "availability zones."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/8279",
        "Error RDS + VPC throws DBSubnetGroupDoesNotCoverEnoughAZs when deploying",
        "vpc.other",
    ),
    # An endpoint service or Lambda that does not support a subnet's zone.
    (
        "https://github.com/awslabs/aws-orbit-workbench/issues/320",
        (
            "The VPC endpoint service com.amazonaws.us-east-1.lambda does not support the "
            "availability zone of the subnet: subnet-XXX. (Service: AmazonEC2; Status Code: 400; "
            "Error Code: InvalidParameter;"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/keboola/developer-portal/issues/81",
        (
            "the CF template with lambda functions fails in our production (which is in region "
            "us-east-1) with this error: … The provided subnets contain availability zone Lambda "
            "doesn't support. Please use a different set of subnets."
        ),
        "vpc.other",
    ),
    # A zone where subnets cannot be created: vpc.other although EC2 says InvalidParameterValue.
    (
        "https://github.com/TheSudoYT/terraform-aws-palworld/issues/9",
        (
            "creating EC2 Subnet … InvalidParameterValue: Value (us-east-1a) for parameter "
            "availabilityZone is invalid. Subnets can currently only be created in the following "
            "availability zones: ap-northeast-1a, ap-northeast-1c, ap-northeast-1d."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/kz8s/tack/issues/67",
        (
            "* aws_subnet.public.1: Error creating subnet: InvalidParameterValue: Value "
            "(us-east-1c) for parameter availabilityZone is invalid. Subnets can currently only "
            "be created in the following availability zones: us-east-1d, us-east-1a, us-east-1e, "
            "us-east-1b."
        ),
        "vpc.other",
    ),
    # Subnets a service refuses: "Some input subnets ... are invalid", EMR's subnet configuration.
    (
        "https://github.com/wallix/awless/issues/175",
        "InvalidParameterValue: Some input subnets in :[10.0.10.0/24] are invalid.",
        "vpc.other",
    ),
    (
        "https://github.com/Wittline/pyspark-on-aws-emr/issues/3",
        (
            "Terminated with errorsThe VPC/subnet configuration was invalid: The subnet "
            "configuration was invalid: The subnet subnet-f384febf does not exist."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/dimajix/terraform-emr-training/issues/1",
        (
            "Error: error running EMR Job Flow: ValidationException: The supplied ecSubnetId is "
            "not valid."
        ),
        "vpc.other",
    ),
    # A subnet with no free addresses left.
    (
        "https://github.com/scylladb/scylla-cluster-tests/issues/781",
        (
            "i3.large, ami-0a0e33a6a9ad49e28, Linux/UNIX (Amazon VPC): There are not enough free "
            "addresses in subnet 'subnet-ad3ce9f4' to satisfy the requested number of instances."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/PrairieLearn/PrairieLearn/issues/3271",
        (
            "IP addresses exhausted in VPC subnet due to workspace autoscaling … There are not "
            "enough free addresses in subnet 'subnet-66d3dd2c' to satisfy the requested number of "
            "instances. Launching EC2 instance failed."
        ),
        "vpc.other",
    ),
    # Private hosted zones with overlapping names on the same VPC.
    (
        "https://github.com/infrablocks/terraform-aws-base-networking/issues/4",
        (
            "aws_route53_zone_association.base: ConflictingDomainExists: The VPC that you chose, "
            "vpc-6705bd01 in region eu-west-1, is already associated with another private hosted "
            "zone that has an overlapping name space"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/awslabs/aws-saas-boost/issues/396",
        "ConflictingDomainExists Encountered this issue when trying to deploy a tenant.",
        "vpc.other",
    ),
    # A NAT gateway that could not be created or never became available.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/693",
        (
            "We are using terraform VPC module to deploy 2 private subnets … we added 2 more "
            "private subnets to the existing infra and then run terraform apply command. … Error: "
            "Error waiting for NAT Gateway to become available: unexpected state 'failed', wanted "
            "target 'available'."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/openshift/hypershift/issues/711",
        "failed to create infra: cannot create NAT gateway: InvalidSubnet",
        "vpc.other",
    ),
    # An account without the default VPC a template expects.
    (
        "https://github.com/aws-samples/cfn101-workshop/issues/73",
        (
            "Run into error if you don't have the default VPC Just a minor comment that this "
            "template won't work with a non-fresh account (without the default VPC)"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/joaquincasares/cassandralauncher/issues/17",
        (
            "My company EC2 account does not have a default VPC and look like these script expect "
            "a default VPC to be present"
        ),
        "vpc.other",
    ),
    # A VPC whose DNS support or hostnames are off.
    (
        "https://github.com/hackoregon/civic-devops/issues/281",
        (
            "Cannot create a publicly accessible DBInstance. The specified VPC does not support "
            "DNS resolution, DNS hostnames, or both. Update the VPC and then try again"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/F5Networks/f5-aws-cloudformation/issues/10",
        "cluster fails when DNS hostnames not enabled",
        "vpc.other",
    ),
    # A browser's timeout or a ping without replies: traffic the security group or route drops.
    (
        "https://github.com/arunoda/meteor-up-legacy/issues/547",
        (
            "Meteor Deploy to EC2 successful but does not work … ERR_CONNECTION_TIMED_OUT … "
            "Request timeout for icmp_seq 0"
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/coder/deploy-code-server/issues/44",
        (
            "In the last step you're supposed to simply browse to the instance's public IP. This "
            "silently fails (Page loads forever, and after quite some time I get \"Can't open this "
            "page because the server where it's located isn't responding\")."
        ),
        "vpc.connectivity",
    ),
    # A Windows instance's administrator password that cannot be decrypted or retrieved.
    (
        "https://github.com/aws/aws-sdk-js/issues/1839",
        "How to decrypted EC2 windows adm pass?",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/hashicorp/packer/issues/6297",
        (
            "Fails to retrieve Windows Administrator Password from a Packer amazon-ebs successful "
            "build"
        ),
        "ec2.ssh_access",
    ),
    # An instance that freezes or crashes: the instance's trouble, though SSH fails too.
    (
        "https://github.com/Mailtrain-org/mailtrain/issues/359",
        (
            "Instance freezes immediately after install script completes. … I saw an 'out of "
            "memory' error in the terminal … After that i can't ssh into the instance with "
            "another session"
        ),
        "ec2.other",
    ),
    (
        "https://github.com/dokku/dokku/issues/1484",
        "aws t2-micro instance freezes on git push",
        "ec2.other",
    ),
    # A launch EC2 ended with an internal error (as "Client error on launch").
    (
        "https://github.com/aws/aws-sdk-ruby/issues/1219",
        (
            "It seems like I can't run new instances without it, I get error message \"State "
            'transition reason: Server.InternalError: Internal error on launch" each time'
        ),
        "ec2.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/12203",
        "State transition reason message Server.InternalError: Internal error on launch",
        "ec2.other",
    ),
    # An EFS (NFS) mount that timed out: the mount target's security group, not SSH.
    (
        "https://github.com/aws/efs-utils/issues/22",
        (
            "I execute the following command to mount it, and the result timeout occurs. Why? … "
            "[ec2-user@ip-172-31-25-116 ~]$ sudo mount -t nfs … mount.nfs: Connection timed out"
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws-solutions/efs-backup/issues/15",
        (
            "Mount is timing out 1/2 of the nfs mounts has a connection timeout when using this "
            "solution. Here is what the logs from the S3 bucket show in relation to mounts. … "
            "mount.nfs: Connection timed out mount status for source efs: 32"
        ),
        "vpc.connectivity",
    ),
    # Round 14 (services outside the list, CloudFormation, API Gateway, DynamoDB, Lambda): services
    # outside the list naming themselves (EKS, MSK, SES, SageMaker, Cognito, Kinesis, Amplify,
    # Route 53, Step Functions, CodePipeline), Lambda's timeouts and reserved keys in prose, and
    # WaitConditions.
    # EKS names itself (Service: AmazonEKS, UnsupportedAvailabilityZoneException): EKS's capacity,
    # not the stack's.
    (
        "https://github.com/aws-samples/aws-deeplearning-labs/issues/1",
        (
            "Cannot create cluster 'eksworkshop-8YqWBxvHsSIGg' because us-east-1e, the "
            "targeted availability zone, does not currently have sufficient capacity to "
            "support the cluster. … (Service: AmazonEKS; Status Code: 400; Error Code: "
            "UnsupportedAvailabilityZoneException;"
        ),
        "other.other",
    ),
    (
        "https://github.com/eksctl-io/eksctl/issues/817",
        (
            "AWS::EKS::Cluster/ControlPlane: CREATE_FAILED … "
            "\"Cannot create cluster 'app-staging' because us-east-1e … Error Code: "
            "UnsupportedAvailabilityZoneException;"
        ),
        "other.other",
    ),
    (
        "https://github.com/jenkins-x/terraform-aws-eks-jx/issues/71",
        (
            "Error on terraform deployment with AWS UnsupportedAvailabilityZoneException "
            "(us-east-1c))"
        ),
        "other.other",
    ),
    # An MSK client's SASL or IAM authentication (AWS_MSK_IAM, SASL_SSL): MSK's listeners.
    (
        "https://github.com/Consdata/kouncil/issues/335",
        "MSK connection not working … saslMechanism: AWS_MSK_IAM saslProtocol: SASL_SSL",
        "other.other",
    ),
    (
        "https://github.com/confluentinc/confluent-kafka-python/issues/1588",
        "Trying to connect to MSK With SASL_SSL",
        "other.other",
    ),
    (
        "https://github.com/tulios/kafkajs/issues/1642",
        (
            "Can't connect to MSK Broker using kafkaJS For IAM … Error is still saying "
            '"Closed Connection"'
        ),
        "other.other",
    ),
    # SES's sending quota (454 Throttling failure: Maximum sending rate exceeded).
    (
        "https://github.com/mautic/mautic/issues/9644",
        (
            "AWS SES Transport fails on sending a batch immediately … There is a related "
            "error for throttling (logs below) ### Log errors … Token amount (51) is larger "
            'than the capacity (3). … Expected response code 250 but got code "454", with '
            'message "454 Throttling failure: Maximum sending rate exceeded.'
        ),
        "other.other",
    ),
    (
        "https://github.com/nodemailer/nodemailer-ses-transport/issues/17",
        (
            "My rateLimit with Amazon SES is 14 mails/s … I get `Maximum sending rate "
            "exceeded` errors"
        ),
        "other.other",
    ),
    # A SageMaker endpoint whose container fails /ping is SageMaker's, whatever it imports.
    (
        "https://github.com/aws/amazon-sagemaker-examples/issues/558",
        (
            "The primary container for production variant variant-name-1 did not pass the "
            "ping health check. … ImportError: libopenblasp-r0-8dca6697.3.0.dev.so: cannot "
            "open shared object file: No such file or directory"
        ),
        "other.other",
    ),
    (
        "https://github.com/aws/amazon-sagemaker-examples/issues/379",
        "did not pass the ping health check.",
        "other.other",
    ),
    # Cognito's errors as the mobile SDKs name them; a Cognito resource failing in a stack.
    (
        "https://github.com/aws-amplify/aws-sdk-ios/issues/497",
        (
            "Unable to verify a UserPool user if app shuts down in between … (for instance "
            "battery drains or for whatever reason the user doesn't verify user right away) … "
            "AWSCognitoIdentityProviderErrorDomain.codeMismatch despite the code being the "
            "correct one"
        ),
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/7625",
        "UPDATE_FAILED | AWS::Cognito::UserPoolClient | UserPoolClient (UserPoolClient2F5918F7)",
        "other.other",
    ),
    # A Kinesis stream's rate limit, for a stream as for a shard.
    (
        "https://github.com/awslabs/amazon-kinesis-producer/issues/257",
        (
            "Shard map update for stream failed. Code: LimitExceededException Message: Rate "
            "exceeded for stream"
        ),
        "other.other",
    ),
    (
        "https://github.com/rclark/kinesis-readable/issues/4",
        "ProvisionedThroughputExceededException: Rate exceeded for shard shardId-000000000000",
        "other.other",
    ),
    # The Amplify Console's builds and deploys are Amplify's, not a stack's or a function's.
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/2463",
        (
            "Backend fails - amplify.sh: line 4: amplify: command not found … [ERROR]: !!! "
            "Build failed … ### Amplify Console feature Backend builds"
        ),
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/274",
        (
            "Creating backend on Amplify Console fails … TypeError [ERR_INVALID_ARG_TYPE]: "
            "The 'request' argument must be string."
        ),
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-js/issues/4019",
        "Amplify Console build issue !!! Non-Zero Exit Code detected … [ERROR]: !!! Build failed",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-amplify-quick-notes/issues/3",
        (
            "Build from Amplify Console fails … # Ensuring NPM package '@aws-amplify/cli' is "
            "version: 'canary'"
        ),
        "other.other",
    ),
    # Route 53 (hosted zones, records) named in the report: Route 53's.
    (
        "https://github.com/jed/certbot-route53/issues/24",
        "SERVFAIL looking up TXT for _acme-challenge.<domain> … but dns lookup to route53 fails",
        "other.other",
    ),
    (
        "https://github.com/ustaxcourt/ef-cms/issues/775",
        (
            "Debug Route53 errors in develop environment. … our newly issued ACM certificates "
            "could not be validated, further pointing towards an oddity with Route53."
        ),
        "other.other",
    ),
    # Step Functions' JsonPath and the CDK's step-functions module.
    (
        "https://github.com/aws/aws-cdk/issues/21897",
        (
            "aws_stepfunctions: jsii.errors.JSIIError: Expected JSON path to start with '$', "
            "got: null"
        ),
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/22246",
        "(step-functions): (taskInput from jsonPath not working)",
        "other.other",
    ),
    # CodePipeline names itself (Service: AWSCodePipeline); an IAM denial through it stays IAM's.
    (
        "https://github.com/0x4447/0x4447_product_s3_email/issues/22",
        (
            "Webhook could not be registered with GitHub. … (Service: AWSCodePipeline; Status "
            "Code: 400; Error Code: ValidationException;"
        ),
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/11353",
        (
            "is not authorized to perform AssumeRole on role "
            "arn:aws:iam::ACCOUNT_NUMBER:role/IAM_ROLE_NAME (Service: AWSCodePipeline; Status "
            "Code: 400"
        ),
        "iam.trust_policy",
    ),
    # A function that times out, in prose: "causing function to time out", "a lambda is hanging".
    (
        "https://github.com/getndazn/dazn-lambda-powertools/issues/239",
        (
            "wrap() never returns, causing timeout … Lambda handler using wrap() does not "
            "return, causing function to time out"
        ),
        "lambda.timeout",
    ),
    (
        "https://github.com/mafintosh/why-is-node-running/issues/28",
        (
            "I need to figure out why an aws lambda is hanging … is there any other way I can "
            "figure out what is hanging open?"
        ),
        "lambda.timeout",
    ),
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/2513",
        "Making a simple S3 request seems to cause my lambda to time out when running remotely",
        "lambda.timeout",
    ),
    # Environment variables Lambda reserves for itself.
    (
        "https://github.com/globaldothealth/list/pull/811",
        (
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys"
        ),
        "lambda.other",
    ),
    (
        "https://github.com/neverendingqs/serverless-dotenv-plugin/issues/28",
        (
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are "
            "currently not supported for modification. Reserved keys used in this request: "
            "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"
        ),
        "lambda.other",
    ),
    # A stack's WaitCondition that timed out: the stack's failure.
    (
        "https://github.com/aws/aws-parallelcluster/issues/4755",
        (
            "HeadNodeWaitCondition2 CREATE FAILED WaitCondition timed out. Received 0 "
            "conditions when expecting 1"
        ),
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws/aws-parallelcluster/issues/3604",
        (
            "HeadNodeWaitCondition timeout during cluster creation … WaitCondition timed out. "
            "Received 0 conditions when expecting 1"
        ),
        "cloudformation.stack_failed",
    ),
    # A runtime killed at the function's timeout was killed by the timeout, not by its memory.
    (
        "https://github.com/praetorian-inc/chariot-ui/issues/166",
        (
            "Task timed out after 30.27 seconds … Error: Runtime exited with error: signal: killed "
            "Runtime.ExitError"
        ),
        "lambda.timeout",
    ),
    (
        "https://github.com/ManivannanMurugavel/selenium-python-aws-lambda/issues/12",
        ("Task timed out after 20.01 seconds … Memory Size: 256 MB Max Memory Used: 256 MB"),
        "lambda.timeout",
    ),
    # Round 14 (CloudWatch, IAM and S3): denials named by their API action, objects without the
    # bucket owner's ACL, CloudFormation's existing log groups, logs that do not all arrive.
    # Objects uploaded without "bucket-owner-full-control": the bucket side's object ownership.
    (
        "https://github.com/Crown-Commercial-Service/digitalmarketplace-supplier-frontend/pull/783",
        (
            "Change object permissions to 'bucket-owner-full-control' … Files that had been "
            "uploaded to the digitalmarketplace-dev-uploads bucket didn't have permissions that "
            "meant they were accessible from the console."
        ),
        "s3.access_denied",
    ),
    (
        "https://github.com/upserve/dockly/pull/78",
        (
            "[fix] Make sure the x-amz-acl is set to bucket-owner-full-control … This will let "
            "accounts ListBucket for the object, but not be able to GetObject them."
        ),
        "s3.access_denied",
    ),
    # CloudFormation's "API: s3:CreateBucket Access Denied" (not PutBucketPolicy): the identity's.
    (
        "https://github.com/aws/aws-cdk/issues/24437",
        (
            "(cdk bootstrap): StagingBucket API: s3:PutLifecycleConfiguration Access Denied … "
            "CDKToolkit | 2/12 | 10:26:49 AM | CREATE_FAILED | AWS::S3::Bucket | StagingBucket "
            "API: s3:PutLifecycleConfiguration Access Denied"
        ),
        "iam.missing_permission",
    ),
    (
        "https://github.com/awsdocs/amazon-s3-userguide/issues/66",
        (
            "SCP: BucketOwnerEnforced issue … However when I try to create an S3 bucket with "
            "CloudFormation … CREATE_FAILED | API: s3:CreateBucket Access Denied"
        ),
        "iam.missing_permission",
    ),
    # An API action the identity or its policy "does not have" / "does not include".
    (
        "https://github.com/acantril/aws-sa-pro/pull/11",
        (
            "If a user in different account does not have s3:GetBucketOwnershipControls, it will "
            'get "Access control list (ACL) not supported" when uploading an object.'
        ),
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws-solutions/aws-crr-monitor/issues/8",
        (
            "The policy for the CRRHourlyMaintRole does not include the logs:CreateLogStream "
            "action but should it?"
        ),
        "iam.missing_permission",
    ),
    # A signature mismatch after S3 asked for its regional endpoint: the region, not the keys.
    (
        "https://github.com/bigassforce/aws-sdk/issues/8",
        (
            "I'm getting 'The bucket you are attempting to access must be addressed using the "
            "specified endpoint.' … Thant cause to additional error: 'The request signature we "
            "calculated does not match the signature you provided.'"
        ),
        "s3.wrong_region",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/83",
        (
            "Error uploading data: { [PermanentRedirect: The bucket you are attempting to access "
            "must be addressed using the specified endpoint."
        ),
        "s3.wrong_region",
    ),
    # CloudFormation's "Resource of type 'AWS::Logs::LogGroup' ... already exists".
    (
        "https://github.com/serverless/serverless/issues/10002",
        (
            "Resource handler returned message: \u201cResource of type "
            "\u2018AWS::Logs::LogGroup\u2019 already exists"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/12312",
        (
            "CREATE_FAILED: ApiGatewayLogGroup (AWS::Logs::LogGroup) Resource handler returned "
            "message: \"Resource of type 'AWS::Logs::LogGroup' with identifier "
            '\'{"/properties/LogGroupName":"xxx"}\' already exists."'
        ),
        "cloudwatch.other",
    ),
    # A subscription filter the function's policy does not let CloudWatch Logs invoke: Lambda's.
    (
        "https://github.com/dougmoscrop/serverless-plugin-log-subscription/issues/6",
        (
            "on deploy: ```<lambdaName>SubscriptionFilter: Could not execute the lambda "
            "function. Make sure you have given CloudWatch Logs permission to execute your "
            "function```"
        ),
        "lambda.other",
    ),
    (
        "https://github.com/moritzzimmer/terraform-aws-lambda/issues/2",
        (
            "will receive an error: `Error: Error creating Cloudwatch log subscription filter: "
            "InvalidParameterException: Could not execute the lambda function. Make sure you "
            "have given CloudWatch Logs permission to execute your function."
        ),
        "lambda.other",
    ),
    # A scheduled Lambda function never created or updated: its schedule rule.
    (
        "https://github.com/aws/chalice/issues/522",
        (
            'Schedule lambda function not created when executing "chalice package" … my index '
            "lambda function is created but my scheduled lambda function is not created."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/5668",
        (
            "Lambda schedule not updating … I cannot have this schedule update even if I do a "
            "full deploy"
        ),
        "cloudwatch.other",
    ),
    # Log lines that do not all make it to CloudWatch.
    (
        "https://github.com/awslabs/aws-embedded-metrics-node/issues/180",
        (
            "Logging in a Lambda is not necessarily reliable … doing `console.log()` in a Lambda "
            "Function doesn't guarantee that the logs make their way into CloudWatch Logs."
        ),
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/fluent-plugins-nursery/fluent-plugin-cloudwatch-logs/issues/202",
        "Not every log makes it to CloudWatch",
        "cloudwatch.no_logs",
    ),
    # Nothing seen in the log group the app writes to.
    (
        "https://github.com/awsdocs/aws-guide-for-net-developers/issues/9",
        (
            "Is there a direct example of how to implement Logging to a LogGroup? … I still don't "
            "see results in the LogGroup that I created."
        ),
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/yarbsemaj/sveltekit-adapter-lambda/issues/44",
        "But I don't see any logs in that CloudWatch Logs log group.",
        "cloudwatch.no_logs",
    ),
    # CloudWatch metric reads that succeed yet return nothing (generic: read in its domain).
    (
        "https://github.com/logstash-plugins/logstash-input-cloudwatch/issues/10",
        (
            "No data? … it seems like the requests to cloudwatch are successful but there is no "
            'output? … cloudwatch { namespace => "AWS/EC2" metrics => [ "CPUUtilization" ]'
        ),
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/logstash-plugins/logstash-input-cloudwatch/issues/54",
        (
            "I was trying to use this plugin to collect the Lambda metrics and post it to elastic "
            'search. Config - cloudwatch { namespace => "AWS/Lambda" … The logs are as below in '
            "logstash (surprisingly they show it's successful without any data)."
        ),
        "cloudwatch.alarm_or_metric",
    ),
    # Round 15 (IAM, VPC and EC2): the caller's missing credentials beside AssumeRole wording, and
    # the VPC's own failures (pod addresses, Lambda ENIs throttled or stuck, subnets not found).
    # The shared credentials or config file is not there (ENOENT on ~/.aws/credentials).
    (
        "https://github.com/99designs/aws-vault/issues/370",
        (
            "There was an issue trying to use credentials profile test. You will be disconnected "
            "from AWS. ENOENT: no such file or directory, open '/Users/n4z4/.aws/credentials'"
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/thomasmichaelwallace/serverless-better-credentials/issues/22",
        (
            "When I try to deploy my Serverless project to a dev pipeline using AWS Codepipeline I "
            "get the error \"ENOENT: no such file or directory, open '/root/.aws/credentials'\""
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/cloudposse/geodesic/issues/73",
        "AWS Configuration does not exist",
        "iam.credentials",
    ),
    # Credentials (or the instance's role) not found, loaded or picked up, without "are".
    (
        "https://github.com/microsoft/azure-pipelines-yaml/issues/250",
        (
            "Now the env vars dont seem to be set. … getting an error from the aws cli saying "
            "`credentials not found`"
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/3143",
        (
            'AWS.config.region is null and AWS.config.getCredentials() throws "No credentials to '
            'load" error. … // credentials not loaded'
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/awslabs/aws-sdk-rust/issues/540",
        (
            "Attached iam role not picked up by AWS sdk inside docker ### Current Behavior For "
            "some "
            "reason imds is not working from inside docker."
        ),
        "iam.credentials",
    ),
    # Credentials said to be needed (as "missing" or "required" already were).
    (
        "https://github.com/Dreem-Organization/dosed/issues/2",
        "AWS credentials needed when trying to download data",
        "iam.credentials",
    ),
    # A toolkit that cannot connect to AWS with the profiles or credentials it was given.
    (
        "https://github.com/aws/aws-toolkit-vscode/issues/1473",
        (
            "Unable to connect to AWS in VSCode using latest toolkit I can't connect to AWS using "
            "predefined profiles listed in VSCode"
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/99designs/aws-vault/issues/370",
        (
            "I'm not able to connect the toolkit to my aws account using credentials stored with "
            "aws-vault."
        ),
        "iam.credentials",
    ),
    # AssumeRole failing for the caller's own credentials (invalid token, none found, no MFA
    # token provider) is no trust policy's.
    (
        "https://github.com/aws-samples/aws-fault-injection-simulator-workshop/issues/194",
        (
            "An error occurred (InvalidClientTokenId) when calling the AssumeRole operation: The "
            "security token included in the request is invalid"
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/aws-samples/aws-java-sample/issues/15",
        (
            'I get "Unable to load AWS credentials from any provider in the chain". … And also '
            "configured EC2 to assume that role in trust relationship."
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-go/issues/5138",
        (
            "I am encountering an issue while attempting to assume a role using the AWS SDK for "
            "Go. "
            "The error message I'm receiving is: failed to sign request: failed to retrieve "
            "credentials: failed to refresh cached credentials, no EC2 IMDS role found"
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/fwdcloudsec/granted/issues/69",
        (
            "Problems with Assuming roles with MFA Hello, when i try to assume a role with mfa the "
            "following Error occur: ` assume role with MFA enabled, but AssumeRoleTokenProvider "
            "session option not set.`"
        ),
        "iam.credentials",
    ),
    # A tool's report of an error assuming the role, MFA perhaps required: a missing factor.
    (
        "https://github.com/jenkinsci/aws-credentials-plugin/issues/16",
        (
            'MFA required on assuming IAM role … _"There was an error assuming the specified IAM '
            'role, a MFA may be required by your organization"_'
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/15265",
        "my stack is no longer building due to an error assuming the role",
        "iam.trust_policy",
    ),
    # Access or a permission missing "for" an API action.
    (
        "https://github.com/aws-samples/sagemaker-custom-project-templates/issues/48",
        "deployCDKSynthBuild fails due to missing access for ssm:getParameter for CodeBuildRole",
        "iam.missing_permission",
    ),
    (
        "https://github.com/trussworks/terraform-aws-s3-anti-virus/pull/48",
        "INFRA-5855 Add missing kms:Decrypt permission to lambda role",
        "iam.missing_permission",
    ),
    # The VPC CNI could not give a pod an IP address.
    (
        "https://github.com/aws/amazon-vpc-cni-k8s/issues/1602",
        "Pod inaccessible stuck `Running` when cni `failed to assign an IP address to container`",
        "vpc.other",
    ),
    (
        "https://github.com/aws/amazon-vpc-cni-k8s/issues/2980",
        (
            'plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to assign an IP '
            'address to container … "msg":"DataStore has no available IP/Prefix addresses"'
        ),
        "vpc.other",
    ),
    # Lambda's network interfaces throttled by EC2 during a deploy: the VPC's, not a quota.
    (
        "https://github.com/aws/serverless-application-model/issues/2007",
        (
            'Resource handler returned message: "Your request has been throttled by EC2, please '
            "make sure you have enough  API rate limit. EC2 Error Code: RequestLimitExceeded.  EC2 "
            "Error Message: Request limit exceeded. (Service: Lambda, Status Code: 400"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/jorgebastida/gordon/issues/163",
        (
            "Your request has been throttled by EC2, please make sure you have enough API rate "
            "limit. EC2 Error Code: RequestLimitExceeded. EC2 Error Message: Request limit "
            "exceeded."
        ),
        "vpc.other",
    ),
    # A CIDR range the VPC refuses.
    (
        "https://github.com/aws/aws-cdk/issues/7296",
        (
            "Your told `InvalidCidrRangeError: x.x.x.x/11 is not a valid VPC CIDR range (must be "
            "between /16 and /28)` when you later try to create a subnet."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-security-group/issues/276",
        'Error: "" is not a valid CIDR block: invalid CIDR address',
        "vpc.other",
    ),
    # No subnet the load balancer controller can discover.
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/2812",
        (
            "Failed build model due to couldn't auto-discover subnets: unable to discover at least "
            "one subnet … And all of my private subnets have the tags:"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/aws-quickstart/quickstart-redhat-openshift/issues/138",
        (
            "Error when creating public service: Could not find any suitable subnets for creating "
            "the ELB"
        ),
        "vpc.other",
    ),
    # Names in a private hosted zone that do not resolve from the VPC.
    (
        "https://github.com/aws/sagemaker-python-sdk/issues/2216",
        (
            "Unable to lookup dns from private hosted dns zone in route 53 … my custom container "
            "is "
            "unable to resolve privately hosted local domain names from route 53."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/nicolaka/ddc-aws/issues/41",
        "using private hosted zone doesn't work",
        "vpc.other",
    ),
    # A stack stuck behind a VPC Lambda's network interfaces.
    (
        "https://github.com/aws/aws-sam-cli/issues/5084",
        (
            "Allow the removal of security groups in a VPC without causing "
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS to be stuck for 40m+ due to ENI association."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/aws-quickstart/quickstart-amazon-eks/issues/182",
        "EKS stack deletion fails because of residual ENI interfaces",
        "vpc.other",
    ),
    # Subnets in a zone the service does not support.
    (
        "https://github.com/citrix/terraform-provider-citrix/issues/325",
        (
            "[Bug] Subnet is in an unsupported AZ ## Describe the bug When deploying the resource "
            "**citrix_quickcreate_aws_workspaces_directory_connection** in AWS Sao Paulo "
            "(sa-east-1)"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/keboola/developer-portal/issues/81",
        (
            "The provided subnets contain availability zone Lambda doesn't support. Please use a "
            "different set of subnets."
        ),
        "vpc.other",
    ),
    # What loses its internet connectivity (a NAT instance's route changed).
    (
        "https://github.com/int128/terraform-aws-nat-instance/issues/35",
        (
            "It seems that when it deletes the default route: # switch the default route to eth1 "
            "ip route del default dev eth0 The nat instance then looses all internet connectivity."
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/pgarbe/containers_on_aws/issues/5",
        (
            "private network machines (SubnetsReach=Private) created via `stack.yaml` do not have "
            "access to internet to perform apt-get update"
        ),
        "vpc.connectivity",
    ),
    # A VPC added to a Lambda that then cannot reach an API.
    (
        "https://github.com/aws/aws-cli/issues/3940",
        (
            "We are facing an issue when trying to access sagemaker api from Lambda code. … "
            "However, "
            "after adding VPC, subnets and security groups to Lambda , it is not able to connect "
            "to "
            "Sagemaker API. We have created VPC endpoint for Sagemaker.api and Sagemaker.runtime "
            "services"
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/aws-sdk-go/issues/4154",
        (
            "When I will move my lambda to VPC even if there is a Private Link to Sts I will "
            "receive a connection error."
        ),
        "vpc.connectivity",
    ),
    # Round 15 (services outside the list, Lambda, S3, CloudWatch, CloudFormation, API Gateway,
    # DynamoDB): services outside the list naming their own failures, Lambda's in real wording.
    # CloudFront refusing its viewer certificate (ACM outside us-east-1), whatever surfaced it.
    (
        "https://github.com/JakePartusch/serverlessui/issues/20",
        (
            "UPDATE_FAILED | AWS::CloudFront::Distribution | "
            "ServerlessUI/Cloud...ion/CFDistribution The specified SSL certificate doesn't exist, "
            "isn't in us-east-1 region, isn't valid"
        ),
        "other.other",
    ),
    (
        "https://github.com/milliHQ/terraform-aws-next-js/issues/61",
        (
            "Custom domain certificates are created in the wrong region … Error: error creating "
            "CloudFront Distribution: InvalidViewerCertificate: The specified SSL certificate "
            "doesn't exist, isn't in us-east-1 region"
        ),
        "other.other",
    ),
    (
        "https://github.com/cloudposse/terraform-aws-cloudfront-s3-cdn/issues/10",
        (
            "Documentation Should Mention that `us-east-1` ACM Certificates Are Required … I've "
            "created the certificate in Sydney region and certificate arn reflex that, but "
            "execution tries to find it in us-east-1 and fails."
        ),
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/6035",
        (
            "CloudFrontWebDistribution doesn't complete ViewerCertificate entry correctly … I'm "
            "specifying an ACM certificate by ARN."
        ),
        "other.other",
    ),
    # An IoT device's MQTT connection failing its TLS handshake.
    (
        "https://github.com/awslabs/aws-crt-python/issues/348",
        (
            "AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE: TLS (SSL) negotiation failed Hi, I am using "
            "awscrt to connect mqtt client."
        ),
        "other.other",
    ),
    (
        "https://github.com/aws/aws-iot-device-sdk-java-v2/issues/56",
        (
            '"TLS (SSL) negotiation failed" When trying to connect MqttClientConnection … but I\'m '
            "getting a connection issue."
        ),
        "other.other",
    ),
    # EMR's bootstrap actions failing.
    (
        "https://github.com/Wittline/pyspark-on-aws-emr/issues/4",
        (
            "On the master instance (i-02093432d9c865f08), bootstrap action 1 returned a non-zero "
            "return code"
        ),
        "other.other",
    ),
    (
        "https://github.com/aws-samples/emr-bootstrap-actions/issues/218",
        (
            "EMR cluster fails at boot strap … We are trying to create EMR cluster from python "
            "script with custom AMI with boot strap action but every-time it failed to create. … "
            "We are crating the EMR in private subnet"
        ),
        "other.other",
    ),
    # The AI services' own refusals and calls, surfaced in a function's traceback or an SDK.
    (
        "https://github.com/amazon-connect/amazon-connect-salesforce-lambda/issues/20",
        (
            "[ERROR] TextSizeLimitExceededException: An error occurred "
            "(TextSizeLimitExceededException) when calling the DetectSentiment operation: Input "
            'text size exceeds limit. … Traceback (most recent call last): File "/var/task/'
            'sfProcessTranscriptionResult.py", line 91, in lambda_handler'
        ),
        "other.other",
    ),
    (
        "https://github.com/aws-samples/amazon-textract-comprehend-OCRimage-search-and-analyze/issues/4",
        (
            "An error occurred (UnsupportedDocumentException) when calling the AnalyzeDocument "
            "operation: Request has unsupported document format: UnsupportedDocumentException "
            'Traceback (most recent call last): File "/var/task/comprehend.py", line 161, in '
            "handler"
        ),
        "other.other",
    ),
    (
        "https://github.com/aws-solutions-library-samples/qnabot-on-aws/issues/694",
        (
            'The browser console error generated is: "converser error: DependencyFailedException: '
            "Invalid Bot Configuration: Encountered an exception when making Amazon Polly service "
            "call, Invalid SSML request (Service: AmazonPolly; Status Code: 400; Error Code: "
            "InvalidSsmlException"
        ),
        "other.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/2059",
        (
            "Currently getting invalid parameter failure on requests to compareFaces of "
            "rekognition using this js SDK. … `{ InvalidParameterException: Request has Invalid "
            "Parameters"
        ),
        "other.other",
    ),
    (
        "https://github.com/boto/botocore/issues/1366",
        (
            "The error that was returned was `botocore.errorfactory.InvalidParameterException: An "
            "error occurred (InvalidParameterException) when calling the DetectLabels operation: "
            "Request has Invalid Parameters`"
        ),
        "other.other",
    ),
    (
        "https://github.com/serverless/examples/issues/340",
        (
            "Trying to get the Transcriber Sample working. When I put in a 578kb wav file, I get "
            'the error: `"FailureReason": "The sample rate provided does not match the detected '
            'sample rate",`'
        ),
        "other.other",
    ),
    # DocumentDB's TLS: the CA file its clients must be given.
    (
        "https://github.com/liquibase/liquibase-mongodb/issues/145",
        (
            "Difficulty connecting to AWS DocumentDB with TLS … Connecting to DocumentDB with TLS "
            "requires using a .PEM/.P7B file."
        ),
        "other.other",
    ),
    (
        "https://github.com/TablePlus/TablePlus/issues/2024",
        (
            "Document Db connection problems with Certificate Authority … I am unable to with "
            "DocumentDb."
        ),
        "other.other",
    ),
    # A native module packaged for another platform than the function's.
    (
        "https://github.com/vercel/vercel/issues/11052",
        (
            "My Next.js app builds successfully now, but … ``` Error: Could not load the "
            '"sharp" module using the linux-x64 runtime'
        ),
        "lambda.import_error",
    ),
    (
        "https://github.com/aws-samples/image-optimization/issues/40",
        (
            '"errorType": "Error", "errorMessage": "Could not load the \\"sharp\\" module using '
            "the linux-x64 runtime"
        ),
        "lambda.import_error",
    ),
    # The Go runtime cannot start the binary the handler names.
    (
        "https://github.com/appleboy/gorush/issues/343",
        (
            'Execution result: failed { "errorMessage": "fork/exec /var/task/server_lambda: no '
            'such file or directory", "errorType": "PathError" }'
        ),
        "lambda.handler_not_found",
    ),
    (
        "https://github.com/aws/aws-lambda-go/issues/333",
        '"errorMessage": "fork/exec /var/task/main: no such file or directory"',
        "lambda.handler_not_found",
    ),
    # A binary needing a newer GLIBC is the package's, even when it is /var/task/bootstrap.
    (
        "https://github.com/aws/aws-lambda-rust-runtime/issues/932",
        "/usr/lib64/libc.so.6: version `GLIBC_2.38' not found (required by /var/task/bootstrap)",
        "lambda.import_error",
    ),
    (
        "https://github.com/qdrant/fastembed/issues/314",
        (
            "In AWS Lambda \"Unable to import module 'app': /lib64/libm.so.6: version "
            "`GLIBC_2.27' not found\""
        ),
        "lambda.import_error",
    ),
    # A handler timing out under a local emulator.
    (
        "https://github.com/dherault/serverless-offline/issues/185",
        (
            "Handler Timeout … But running it locally, it gives: [Serverless-Offline] Your λ "
            "handler 'profileVerify' timed out after 18000ms."
        ),
        "lambda.timeout",
    ),
    (
        "https://github.com/opennextjs/opennextjs-netlify/issues/1174",
        "[Bug]: __netlify-handler function times out",
        "lambda.timeout",
    ),
    # An Invoke payload the SDK or CLI sent in an encoding Lambda cannot parse.
    (
        "https://github.com/aws/aws-cli/issues/6433",
        (
            "An error occurred (InvalidRequestContentException) when calling the Invoke "
            "operation: Could not parse request body into json"
        ),
        "lambda.sdk_config",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/1876",
        'Lambda.Invoke failing with payload; "Could not parse request body into json"',
        "lambda.sdk_config",
    ),
    # A function's environment variables that never reach it.
    (
        "https://github.com/serverless/serverless/issues/5244",
        (
            "Environment variable for a function doesn't work I have tried setting environment "
            "variables in provider which works fine."
        ),
        "lambda.other",
    ),
    (
        "https://github.com/wan2land/serverless-nuxt/issues/102",
        (
            "I have an issue: process.env.GOOGLE_TAG_MANAGER_ID and process.env.FACEBOOK_PIXEL_ID "
            "return NULL value when run deploy"
        ),
        "lambda.other",
    ),
    # A function's S3 trigger that a deploy never creates.
    (
        "https://github.com/matt-filion/serverless-external-s3-event/issues/78",
        (
            "Trigger is Not Created I'm trying to deploy a java runtime lambda function with an S3 "
            "ObjectCreated trigger on a specific bucket. The deployment completes but no trigger "
            "is created"
        ),
        "lambda.other",
    ),
    (
        "https://github.com/matt-filion/serverless-external-s3-event/issues/63",
        "Event not created … Not seeing any event on s3 or in cloudformation.",
        "lambda.other",
    ),
    # A custom resource that never answers its stack.
    (
        "https://github.com/aws-solutions-library-samples/qnabot-on-aws/issues/523",
        (
            "Bot with VPC support - CloudFormation did not receive a response from your Custom "
            "Resource. … we are using implementation with VPC option."
        ),
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/udacity/cd0157-Server-Deployment-and-Containerization/issues/31",
        "Custom Resource failed to stabilize in expected time.",
        "cloudformation.stack_failed",
    ),
    # A Lightsail instance or site: Lightsail's, whatever SSH or instance wording it uses.
    (
        "https://github.com/bitnami/vms/issues/1122",
        (
            "Our Lightsail Wordpress site suddenly stopped working. I tried to connect to the "
            "instance using SSH (in lightsail account page) but its just giving a blank black "
            "window."
        ),
        "other.other",
    ),
    (
        "https://github.com/bitnami/vms/issues/514",
        (
            "My Bitnami instance (on LightSail) stopped working without any particular warning … "
            "We tried a restart but the site remained inaccessible."
        ),
        "other.other",
    ),
    # Round 16 (VPC, EC2, IAM and CloudFormation): networking quotas and layouts are vpc.other;
    # EC2's launch and SSH wordings; a custom resource's FAILED answer; VPC connectivity said
    # by consoles and EFS mounts.
    # A security group's rule quota (in a stack too) is the group's layout, not connectivity.
    (
        "https://github.com/dan-v/awslambdaproxy/issues/25",
        "The maximum number of rules per security group has been reached",
        "vpc.other",
    ),
    (
        "https://github.com/aws-samples/aws-eda-slurm-cluster/issues/204",
        (
            "the stack fails with the following error: … Resource handler returned message: "
            '"The maximum number of rules per security group has been reached. (Service: Ec2, '
            "Status Code: 400"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/aws-samples/aws-cloudfront-samples/issues/11",
        "No longer working reached max rules per Security Group",
        "vpc.other",
    ),
    # A security group rule that already exists (InvalidPermission.Duplicate).
    (
        "https://github.com/lucidsoftware/cumulus/issues/101",
        (
            'the specified rule "peer: 0.0.0.0/0, ALL, ALLOW" already exists '
            "(Aws::EC2::Errors::InvalidPermissionDuplicate)"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-security-group/issues/351",
        (
            "operation error EC2: AuthorizeSecurityGroupIngress, https response error StatusCode: "
            "400 … api error InvalidPermission.Duplicate"
        ),
        "vpc.other",
    ),
    # Other networking quotas: NAT gateways, the Hyperplane ENIs of VPC Lambdas.
    (
        "https://github.com/eksctl-io/eksctl/issues/560",
        (
            '"Performing this operation would exceed the limit of 5 NAT gateways (Service: '
            "AmazonEC2; Status Code: 400; Error Code: NatGatewayLimitExceeded"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/CloudSnorkel/cdk-github-runners/issues/332",
        (
            "Default configuration quickly runs out of Lambda Hyperplane ENIs … This caused us to "
            "hit our hyperplane ENI limits."
        ),
        "vpc.other",
    ),
    # A route's target the API does not know, a NAT gateway left failed, a gateway of another VPC.
    (
        "https://github.com/hashicorp/terraform/issues/4987",
        (
            "Fails on apply with … aws_route_table.1a-private: InvalidGatewayID.NotFound: The "
            "gateway ID 'eni-00a00a0a' does not exist … Attaching the eni to the route table as a "
            "gateway, then attaching the route table to a subnet manually works without error."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/boto/boto3/issues/779",
        "NAT Gateway creation suceeds but resulting object has status failed",
        "vpc.other",
    ),
    (
        "https://github.com/nicolaka/ddc-aws/issues/33",
        "route table and network gateway on different network create error",
        "vpc.other",
    ),
    # Subnets without free addresses, or not covering the zones a service needs.
    (
        "https://github.com/elastic-ipfs/infrastructure/pull/221",
        (
            "Error: error updating EKS Cluster (test-ipfs-peer-subsys) VPC config: "
            "InvalidRequestException: Provided subnets subnet-040a1f0013274c2b0 Free IPs: 0 "
            "subnet-0af91474429282c3d Free IPs: 0 , need at least 5 IPs in each subnet"
        ),
        "vpc.other",
    ),
    (
        "https://github.com/o2Labs/sentry-formation/issues/3",
        (
            "Running with one availability zone does not work … because Amazon requires RDS "
            "instances to have two subnets crossing availability zones"
        ),
        "vpc.other",
    ),
    # The VPC's DNS hostnames setting (EnableDnsHostnames); a private-DNS endpoint refused.
    (
        "https://github.com/aws-samples/ecs-refarch-cloudformation/issues/20",
        (
            "VPC template does not support DNS hostnames … your AWS::EC2::VPC resource does not "
            "indicate EnableDnsHostnames: true and hence instances in the VPC do not get hostnames."
        ),
        "vpc.other",
    ),
    (
        "https://github.com/kubernetes/kops/issues/2135",
        "When using an existing VPC, enableDNSHostnames check doesn't happen",
        "vpc.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/982",
        (
            "Cannot create S3 VPC Endpoint with private DNS enabled. … InvalidParameter: To set "
            "PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC vpc-xxxxxxx must have a "
            "Gateway endpoint for the service."
        ),
        "vpc.other",
    ),
    # WinRM's /wsman endpoint, a tool polling port 22, SSH "not reachable": the instance's login.
    (
        "https://github.com/clong/DetectionLab/issues/635",
        (
            'Error: timeout - last error: unknown error Post "http://52.53.127.45:5985/wsman": '
            "dial tcp 52.53.127.45:5985: i/o timeout"
        ),
        "ec2.ssh_access",
    ),
    (
        "https://github.com/docker-archive-public/docker.machine/issues/1437",
        (
            "EC2 deployment with machine keeps on looping through Testing TCP connection to: "
            "xxx.xxx.xxx.xxx:22 … --amazonec2-vpc-id vpc-12345678 --amazonec2-subnet-id "
            "subnet-12345678"
        ),
        "ec2.ssh_access",
    ),
    (
        "https://github.com/PaloAltoNetworks/AWS-GWLB-VMSeries/issues/15",
        (
            "Question: Does the SecurityVPC.yaml works with specifying any s3 ? … But when I try "
            "to ssh to public IP of VM-Series Management not reachable. Note: I have left blank "
            '"AWS S3 Bucket Name containing the VM-Series Bootstrap Information:"'
        ),
        "ec2.ssh_access",
    ),
    # Instances terminated at launch (Server.InternalError), an account not verified yet, a root
    # partition that does not grow to its volume: EC2's own trouble.
    (
        "https://github.com/jtriley/StarCluster/issues/278",
        (
            "Below is a list of terminated instances: !!! ERROR - !!! ERROR - i-0539856a "
            "(terminated) Server.InternalError: Internal error !!! ERROR - on launch"
        ),
        "ec2.other",
    ),
    (
        "https://github.com/openshift/installer/issues/829",
        (
            "Terraform: AWS account Pending Verification … Terraform eventually failed with an "
            "error regarding my AWS account Pending Verification."
        ),
        "ec2.other",
    ),
    (
        "https://github.com/NixOS/nixpkgs/issues/39589",
        (
            "EC2 instance root partition should fill all the available space … When I create an "
            "EC2 instance with a large initial filesystem size, the actual partitions don't fill "
            "the space. … Create an instance (I used m5.2xlarge) with the 17.09 AMI with a larger "
            "amount of initial storage"
        ),
        "ec2.other",
    ),
    # EC2's refusals of a launch's parameters: an XML error body, MissingParameter.
    (
        "https://github.com/jtriley/StarCluster/issues/464",
        (
            'EC2ResponseError: 400 Bad Request <?xml version="1.0" encoding="UTF-8"?> '
            "<Response><Errors><Error><Code>InvalidBlockDeviceMapping</Code><Message>the "
            "encrypted flag cannot be specified since device /dev/sda1 has a snapshot "
            "specified.</Message>"
        ),
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/apache/libcloud/issues/1422",
        (
            "Issue in Create Volume … driver.create_volume(size=volume_size,name=volume_name,"
            "location=None,snapshot=None) and am getting below error MissingParameter: The "
            "request must contain the parameter zone"
        ),
        "ec2.invalid_resource",
    ),
    # A custom resource answering FAILED fails its stack.
    (
        "https://github.com/OHDSI/OHDSI-in-a-Box/issues/36",
        (
            "Unable to Create EC2 Instance … It fails to create the EC2 instance. I get a message "
            '"Received response status [FAILED] from custom resource."'
        ),
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/awslabs/genomics-secondary-analysis-using-aws-step-functions-and-aws-batch/issues/4",
        "Setup | CREATE_FAILED | Custom Resource failed to stabilize in expected time",
        "cloudformation.stack_failed",
    ),
    # A connection to a service's port (not SSH's) that timed out: the path to it.
    (
        "https://github.com/redis/redis-rb/issues/648",
        (
            "Error connecting to Redis on ElastiCache I cannot connect to my ElastiCache cluster "
            "for some reason. … Redis::CannotConnectError: Error connecting to Redis on "
            "cilim2.wnaben.ng.0001.apse2.cache.amazonaws.com:6379 (Redis::TimeoutError)"
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/redis/redis-py/issues/1001",
        (
            "timeout connecting to redis hosted on aws ElastiCache … it will time out based on "
            "redis-py operation timeout: Error 60 connecting to ***.use1.cache.amazonaws.com:6379. "
            "Operation timed out."
        ),
        "vpc.connectivity",
    ),
    # A console's own diagnosis that the VPC has no path to the service.
    (
        "https://github.com/data-dot-all/dataall/issues/351",
        (
            "SageMaker studio is unable to reach SageMaker Endpoint. Please ensure your VPC has "
            "connectivity to SageMaker via Internet or VPC Endpoint"
        ),
        "vpc.connectivity",
    ),
    # An EFS mount that never completes: the mount target's security group.
    (
        "https://github.com/kubernetes-sigs/aws-efs-csi-driver/issues/262",
        (
            "EFS CSI driver can't mount successfully, keeps retrying … Unable to attach or mount "
            "volumes: unmounted volumes=[persistent-storage]"
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws-solutions/efs-backup/issues/15",
        "mount.nfs: Connection timed out",
        "vpc.connectivity",
    ),
    # Round 16 (services outside the list, Lambda, API Gateway, DynamoDB): services outside the
    # list naming their own failures over the tracebacks, stacks and 403s that surface them.
    # API Gateway's account without a CloudWatch Logs role: API Gateway's, not the stack's.
    (
        "https://github.com/Miserlou/Zappa/issues/1946",
        "botocore.errorfactory.BadRequestException: An error occurred (BadRequestException) when "
        "calling the UpdateStage operation: CloudWatch Logs role ARN must be set in account "
        "settings to enable logging … Traceback (most recent call last):",
        "apigateway.other",
    ),
    (
        "https://github.com/seasketch/geoprocessing/issues/375",
        "CREATE_FAILED | AWS::ApiGatewayV2::Stage | GpSocketApiStageD8D179F5 CloudWatch Logs role "
        "ARN must be set in account settings to enable logging (Service: AmazonApiGatewayV2; "
        "Status Code: 400; Error Code: BadRequestException;",
        "apigateway.other",
    ),
    # The CDK's ACM waiter: a certificate whose DNS validation never completed.
    (
        "https://github.com/aws/aws-cdk/issues/2914",
        "DnsValidatedCertificate timeout while waiting for certificate approval … Failed to create "
        "resource. Resource is not in the state certificateValidated",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/6629",
        "CREATE_FAILED | AWS::CloudFormation::CustomResource | "
        "Certificate/CertificateRequestorResource/Default "
        "(CertificateCertificateRequestorResource2890C6B7) Failed to create resource. Resource is "
        "not in the state certificateValidated",
        "other.other",
    ),
    # CodePipeline's "Invalid action configuration" is no IAM policy's invalid action.
    (
        "https://github.com/duduribeiro/terraform_ecs_fargate_example/issues/9",
        "into the AWS CodePipeline console, I see that the stage one that is Source: is failing "
        "below is the error message.. Invalid action configuration The GitHub repository "
        '"duduribeiro/openjobs_experiment" or branch "master" does not exist.',
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-blog-codepipeline-third-party-git-build-status/issues/6",
        "Policy contains a statement with one or more invalid principals",
        "iam.malformed_policy",
    ),
    # CodeBuild's buildspec and CodeDeploy's health constraints by name.
    (
        "https://github.com/launchflow/launchflow/issues/114",
        "If you attempt to create a code build project with a buildspec.yaml and the initial build "
        "fails subsequent creates will fail with: ``` │ Error: `buildspec` must be set when "
        "source's `type` is `NO_SOURCE` ```",
        "other.other",
    ),
    (
        "https://github.com/mikepfeiffer/aws-codedeploy-linux/issues/2",
        "code pipeline is failing out in Code Deploy step with the following error The overall "
        "deployment failed because too many individual instances failed deployment, too few "
        "healthy instances are available for deployment, or some instances in your deployment "
        "group are experiencing problems. (Error code: HEALTH_CONSTRAINTS)",
        "other.other",
    ),
    # IoT Core: its device SDKs, MQTT connections and endpoints by name.
    (
        "https://github.com/aws/aws-iot-device-sdk-java-v2/issues/187",
        "software.amazon.awssdk.crt.mqtt.MqttException: The connection was closed unexpectedly.",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-iot-device-sdk-js-v2/issues/503",
        "MQTT Connection Closed … my **connect** event is working fine but before **message** "
        "event is called, I get an error of connection close like this Error: Error: **Connection "
        "closed** at new CrtError (error.js:34:1)",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-iot-device-sdk-js/issues/429",
        "Device connection disconnect constantly ### The device connection is getting offline "
        "constantly … import * as awsIot from 'aws-iot-device-sdk'",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-iot-device-sdk-js/issues/304",
        "I keep getting a Premature Close error … host: "
        "'a30u0mm8b3ldbd-ats.iot.us-east-2.amazonaws.com' });` And the error I keep getting is: "
        "`Error: premature close",
        "other.other",
    ),
    # Cognito's user attributes refused; a sign-up failing.
    (
        "https://github.com/pmill/aws-cognito/issues/25",
        "InvalidParameterException: Invalid attributes given, adress is missing I get "
        "InvalidParameterException: Invalid attributes given, name and adress is missing error "
        "when calling respondToNewPasswordRequiredChallenge function",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-amplify-gatsby-auth/issues/55",
        "InvalidParameterException when Signing Up The following error message is shown when "
        'signing-up: `errorMessage: { "name": "InvalidParameterException", "code": '
        '"InvalidParameterException" }`',
        "other.other",
    ),
    # The Serverless Framework's unset-variable warning is no ReferenceError.
    (
        "https://github.com/trek10inc/serverless-cognito-manager/issues/4",
        "InvalidParameterException when running sls cognito deploy -s dev -r us-east-1 trying to "
        "deploy … Serverless: WARNING: This variable is not defined: "
        "cognitoUserIdentityPoolClientId … "
        "Error: { [InvalidParameterException: Required custom attributes are not supported "
        "currently.]",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-sdk-net/issues/1512",
        "[ERROR] NameError: name 'us' is not defined Traceback (most recent call last):",
        "lambda.code_error",
    ),
    # SageMaker's ml.* instance types weigh for other beside "instance" and "limit".
    (
        "https://github.com/aws-samples/sagemaker-workshop/issues/8",
        "'InstanceType':'ml.t2.medium' instead of 'ml.m4.xlarge' Since the training is designed to "
        "be used by people that may be wanting to use the free layer. It appears for the free "
        "tier, ml.m4.xlarge will not work because the resource limit is exceeded. It looks like "
        "you need to select ml.t2.medium'InstanceType':'ml.t2.medium' instead of 'ml.m4.xlarge'",
        "other.other",
    ),
    (
        "https://github.com/aws/amazon-sagemaker-feedback/issues/37",
        "Unable to select ml.m5.4xlarge machine for JupyterLab",
        "other.other",
    ),
    # The Amplify Console's frontend build, whatever module it misses or however long it hangs.
    (
        "https://github.com/aws-amplify/amplify-studio/issues/549",
        "Front End build deployment is failing … the Frontend builds getting failed. Errors say "
        "that \"Cannot find module 'acorn'\".",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-js/issues/7531",
        "Frontend build fails with no error message and continues until timeout. … the build seems "
        "to get stuck and only fails when the build timesout (30 mins).",
        "other.other",
    ),
    # CloudFront's 403 for a subdirectory's index document (its default object is the root's).
    (
        "https://github.com/aws-samples/aws-cdk-examples/issues/152",
        "Static Site: GET /subdirectory should serve /subdirectory/index.html It does not seem "
        "like subdirectory index files are served. Instead a GET /subdirectory responds with a 403",
        "other.other",
    ),
    (
        "https://github.com/cloudposse/terraform-aws-cloudfront-s3-cdn/issues/107",
        "S3 website distributed by CloudFront does not redirect subdir/ to subdir/index.html … "
        "https://stage.example.com/contact/ 403 error--access denied",
        "other.other",
    ),
    # A Glue workflow's missing Java class is Glue's, not a Lambda handler's.
    (
        "https://github.com/awslabs/sagemaker-explaining-credit-decisions/issues/3",
        "Exception: AWS Glue Workflow failed. Check the workflow logs on the console. … "
        "MetaException(message:java.lang.ClassNotFoundException Class "
        "org.openx.data.jsonserde.JsonSerDe not f",
        "other.other",
    ),
    (
        "https://github.com/amazon-archives/legacy-skill-samples-java/issues/6",
        "Class not found: example.Hello: java.lang.ClassNotFoundException",
        "lambda.handler_not_found",
    ),
    # SQS's receive call by name, in a handler's code.
    (
        "https://github.com/aws/aws-sdk-js/issues/3212",
        'SQS receiveMessage not working … const AWS = require("aws-sdk"); … '
        "module.exports.getMessage = async (event, context, callback) => { console.log('SQS "
        "response'); let response= sqs.receiveMessage(params, function(err, data) { "
        "console.log('Fetch SQS'); console.print(err); console.print(data); }); } ``` it is not "
        "showing any error message or any response",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-sdk-php-laravel/issues/204",
        'Aws\\Sqs\\Exception\\SqsException Error executing "ReceiveMessage" on '
        '"https://sqs.us-east-2.amazonaws.com/***********/notification"',
        "other.other",
    ),
    # App Runner's service failing, whatever stack rolled back.
    (
        "https://github.com/aws/copilot-cli/issues/2928",
        'AppRunner: Resource handler returned message: "null" … The following resource(s) failed '
        "to create: [Service]. Rollback requested by user.",
        "other.other",
    ),
    (
        "https://github.com/aws/apprunner-roadmap/issues/62",
        "Failure to Create App Runner Service using Bitnami Drupal Docker from ECR … After about "
        "10 minutes get status: Status Create failed",
        "other.other",
    ),
    # Copilot's step creating the ECS service: ECS's, whatever stack surfaced it.
    (
        "https://github.com/aws/copilot-cli/issues/4417",
        "I'm running `copilot deploy`, and my deploy continually fails on this step: `An ECS "
        "service to run and maintain your tasks in the environment cluster`. … - Updating the "
        "infrastructure for stack demo1-test-search [update in progress] [1072.6s]",
        "other.other",
    ),
    (
        "https://github.com/aws/copilot-cli/issues/2584",
        "i get the following error at this step `- An ECS service to run and maintain your tasks "
        'in the environment cluster`: ``` Resource handler returned message: "Error occurred '
        "during operation 'ECS Deployment Circuit Breaker was triggered'.",
        "other.other",
    ),
    # Round 16 (S3 and CloudWatch): Terraform's state bucket, S3 objects blocked by CORS, S3's
    # refusals of a request's form, CloudWatch dashboards, schedules, alarms and metric readers.
    # Terraform's S3 backend refused reading its state: the state bucket's refusal.
    (
        "https://github.com/jckuester/lamp-stack-for-aws/issues/3",
        (
            "When doing a terraform init I get: … Initializing the backend... Error loading "
            "state: AccessDenied: Access Denied status code: 403"
        ),
        "s3.access_denied",
    ),
    (
        "https://github.com/mlabouardy/aws-pipeline/issues/5",
        (
            "Build an AWS VPC using Infrastructure as Code … Error inspecting states in the "
            '"s3" backend: AccessDenied: Access Denied status code: 403'
        ),
        "s3.access_denied",
    ),
    (
        "https://github.com/runatlantis/atlantis/issues/332",
        "Error loading state: AccessDenied: Access Denied I know `atlantis` require `terraform`",
        "s3.access_denied",
    ),
    # An S3 object the page loads from the bucket, blocked by the browser: the bucket's CORS.
    (
        "https://github.com/Foliotek/Croppie/issues/537",
        "S3 image gets blocked by CORS policy",
        "s3.other",
    ),
    (
        "https://github.com/scottcheng/cropit/issues/172",
        "src: amazons3 url throws a cross origin error! Any ideas?",
        "s3.other",
    ),
    # An SSE request S3 refuses: customer-key parameters for an object not encrypted that way.
    (
        "https://github.com/boto/boto3/issues/982",
        "The encryption parameters are not applicable to this object.",
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/1789",
        "The Encryption request you specified is not valid. Supported value: AES256.",
        "s3.other",
    ),
    # S3 refusing how a request was signed: SigV4 required, a presigned expiry over a week.
    (
        "https://github.com/s3fs-fuse/s3fs-fuse/issues/76",
        (
            "InvalidRequest Error while trying to connect to new Frankfurt Region … The "
            "authorization mechanism you have provided is not supported. Please use "
            "AWS4-HMAC-SHA256."
        ),
        "s3.other",
    ),
    (
        "https://github.com/bryanjos/aws_auth/issues/31",
        ('Invalid signed URL … X-Amz-Expires must be less than a week (in seconds) … "us-east-1",'),
        "s3.other",
    ),
    # An upload whose connection idled past S3's timeout (RequestTimeout).
    (
        "https://github.com/abhishekbajpai/aws-s3-multipart-upload/issues/8",
        (
            "for files greater than 200 MB I am getting this error - … Your socket connection to "
            "the server was not read from or written to within the timeout period."
        ),
        "s3.other",
    ),
    (
        "https://github.com/boto/boto3/issues/870",
        "ClientError: An error occurred (RequestTimeout) when calling the UploadPart operation",
        "s3.other",
    ),
    # A dashboard CloudWatch refuses: its body or a widget does not validate.
    (
        "https://github.com/aws-samples/aws-eda-slurm-cluster/issues/116",
        (
            "UPDATE_FAILED | AWS::CloudWatch::Dashboard | SlurmDashboardD59782AE The dashboard "
            "body is invalid, there are 3 validation errors:"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws-solutions-library-samples/guidance-for-claude-code-with-amazon-bedrock/issues/759",
        (
            "CloudWatch rejects the dashboard body with 18 validation errors and the stack rolls "
            "back … Value 'The dashboard body is invalid, there are 18 validation errors:"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/20024",
        "CloudWatch: Invalid dashboard widget fails with unhelpful error message",
        "cloudwatch.other",
    ),
    # A bucket name with an underscore.
    (
        "https://github.com/samoconnor/AWSLambda.jl/issues/7",
        (
            "throwing an `InvalidParameterValue` error. This is because only the US East region "
            "allows underscores in S3 bucket names"
        ),
        "s3.bucket_name",
    ),
    (
        "https://github.com/torchbox/buckup/issues/9",
        "Bucket names cannot, for example, include underscores",
        "s3.bucket_name",
    ),
    # Metrics published under a custom namespace that a reader does not find.
    (
        "https://github.com/logstash-plugins/logstash-input-cloudwatch/issues/33",
        (
            "Support for Metrics with Custom Namespaces … reporting metrics to CloudWatch using "
            "their own namespace. … Polling CloudWatch API"
        ),
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/grafana/grafana/issues/9852",
        "Custom namespaces in CloudWatch are not showing data points",
        "cloudwatch.alarm_or_metric",
    ),
    # A scheduled rule that ignores its schedule.
    (
        "https://github.com/anomalyco/sst/issues/1259",
        (
            "Cron ignores cron expression schedule … When I deploy the function it creates the "
            "stack successfully. However it is running every minute instead of following the "
            "schedule."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/2936",
        "Schedule events not always working … Scheduled event not triggering.",
        "cloudwatch.other",
    ),
    # A CloudWatch Events rule that cannot invoke its target.
    (
        "https://github.com/aws/aws-cdk/issues/2015",
        (
            "For task that pulls the image from ECR, this typo causes CloudWatch Event to not "
            "able to invoke the task."
        ),
        "cloudwatch.other",
    ),
    # An alarm that never delivers or fires (also one named "...Alarm").
    (
        "https://github.com/aws-samples/sample-citadel/pull/100",
        (
            "The off-frontier escalation alarm could never deliver. It targets a CMK-encrypted SNS "
            "topic"
        ),
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/aws-solutions-library-samples/accelerated-intelligent-document-processing-on-aws/issues/746",
        "[Bug]: `WorkflowErrorsAlarm` never fires",
        "cloudwatch.alarm_or_metric",
    ),
    # Metrics that never reach CloudWatch, or that an exporter ignores.
    (
        "https://github.com/aws/amazon-cloudwatch-agent/pull/168",
        (
            "I was trying to see how come metrics scrapped from CW agent's Prometheus was not "
            "ended up in CW."
        ),
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/prometheus/cloudwatch_exporter/issues/796",
        (
            "[metrics]: ignoring metric AWS/Lambda DeadLetterErrors and "
            "UnreservedConcurrentExecutions due to dimensions mismatch"
        ),
        "cloudwatch.alarm_or_metric",
    ),
    # A tool reading logs out of CloudWatch Logs that loses or cannot parse them: the reader's.
    (
        "https://github.com/elastic/beats/issues/28011",
        (
            "Could not parse events from cloudwatch logs, error: EOF - Functionbeat AWS Hi, I'm "
            "deploying fucntionbeat to collect logs from cloudwatch and upload to elasticsearch."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/elastic/beats/issues/26401",
        (
            "Filebeat aws-cloudwatch input missing logs When aws-cloudwatch input is running, "
            "user found out there are several logs missing"
        ),
        "cloudwatch.other",
    ),
    # A client that moved the request to another region than the bucket's.
    (
        "https://github.com/itzg/docker-mc-backup/issues/204",
        (
            'NOTICE: S3 bucket tmp path gtnh-world: Switched region to "us-west-1" from '
            '"eu-west-3" … ERROR : Attempt 1/3 failed with 1 errors and: Forbidden: Forbidden'
        ),
        "s3.wrong_region",
    ),
    (
        "https://github.com/Automattic/knox/issues/178",
        (
            "PermanentRedirect? … The bucket you are attempting to access must be addressed using "
            "the specified endpoint."
        ),
        "s3.wrong_region",
    ),
    # Round 17 (Lambda, API Gateway, CloudFormation): what Lambda itself refuses or runs out of (an
    # image's entrypoint, /tmp, the 6 MB payload, a trigger's invoke permission) is lambda.other.
    # Runtime.InvalidEntrypoint: the container image or custom runtime cannot start (an image built
    # for another architecture, an overridden ENTRYPOINT), not the handler setting.
    (
        "https://github.com/ed-roh/learning-management/issues/9",
        '"errorType": "Runtime.InvalidEntrypoint", "errorMessage": "RequestId: '
        "8e4fda21-3939-4a20-8d52-8eb18debcd13 Error: fork/exec /lambda-entrypoint.sh: exec format "
        'error"',
        "lambda.other",
    ),
    (
        "https://github.com/aws/aws-lambda-web-adapter/issues/630",
        "FunctionError.InvalidEntryPoint when using AWS Lambda Capacity Provider … failed to "
        "stabilize since it is in Failed state due to FunctionError.InvalidEntryPoint(The Lambda "
        "function's runtime entrypoint path isn't valid.",
        "lambda.other",
    ),
    (
        "https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/13",
        "Couldn't find valid bootstrap when overwriting entrypoint in lambda console",
        "lambda.other",
    ),
    # The function's ephemeral storage filled up: Lambda's, while an instance's disk stays EC2's.
    (
        "https://github.com/NOAA-OWP/hydrovis/issues/707",
        'Lambda Err: No space left on device … "errorMessage": "[Errno 28] No space left on '
        'device", "errorType": "OSError",',
        "lambda.other",
    ),
    (
        "https://github.com/humanmade/linter-bot/issues/158",
        'Lambda errors with "no space left on device" … "errorMessage": "ENOSPC: no space left on '
        'device, write",',
        "lambda.other",
    ),
    (
        "https://github.com/cpinitiative/online-judge/issues/13",
        "Error: ENOSPC: no space left on device.. One user reported seeing this error. I think "
        "it's possible that a long-lasting lambda function might run out of space.",
        "lambda.other",
    ),
    # "Process exited before completing request" says the runtime died, not why: not memory alone.
    (
        "https://github.com/CU-CloudCollab/aws-examples/issues/10",
        'Error:Process exited before completing request … "errorMessage": "RequestId: '
        '18fea243-5715-11e7-9ad9-a197117ae4d4 Process exited before completing request" … '
        "TypeError: Cannot read property '0' of undefined at exports.handler",
        "lambda.code_error",
    ),
    (
        "https://github.com/lifadev-archive/aws-lambda-go-net/issues/7",
        "'Process exited before completing request' I get this error when I invoke the function ?",
        "lambda.other",
    ),
    # Over Lambda's 6 MB invocation payload: the request or the response too large.
    (
        "https://github.com/CodeGenieApp/serverless-express/issues/482",
        "PayloadTooLargeError: request entity too large getting below error after converting "
        "nodejs project into aws lambda using this library. … exports.handler = (event, context) "
        "=> awsServerlessExpress.proxy(server, event, context)",
        "lambda.other",
    ),
    (
        "https://github.com/aws-samples/image-optimization/issues/58",
        "I get an error in the lambda function. > LAMBDA_RUNTIME Failed to post handler success "
        "response. Http response code: 413 error I see discussion online that suggests this may be "
        "caused by Lambda having a 6mb payload limit for responses.",
        "lambda.other",
    ),
    # A Node.js function's bundling (CDK's NodejsFunction running esbuild) fails.
    (
        "https://github.com/aws/aws-cdk/issues/18470",
        "If a dependency has a `.node` dependency, for example `ssh2` … this will have esbuild "
        "fail the bundling with … error: No loader is configured for "
        '".node" files: ../node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node',
        "lambda.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/30080",
        "(aws_lambda_nodejs): esbuild failed because --external … handler: 'index.handler', "
        "memorySize: 1024, runtime: lambda.Runtime.NODEJS_20_X, timeout: Duration.seconds(300),",
        "lambda.other",
    ),
    # Zappa's status check of the deployed function answering 5xx: the function failed, and the
    # code when Zappa says the app raised.
    (
        "https://github.com/zappa/Zappa/issues/629",
        "Very large packages may get 504 error after deploy … on deploy/update I encounter the "
        "error: `Error: Warning! Status check on the deployed lambda failed. A GET request to '/' "
        "yielded a 504 response code.`",
        "lambda.other",
    ),
    (
        "https://github.com/stevenleeg/geemusic/issues/241",
        "Error: Warning! Status check on the deployed lambda failed. A GET request to '/' yielded "
        'a 502 response code. … "message": "An uncaught exception happened while servicing this '
        'request. You can investigate this with the `zappa tail` command.", "traceback": [ '
        '"Traceback (most recent call last):\\n", … "TypeError: \'NoneType\' object is not '
        'callable\\n"',
        "lambda.code_error",
    ),
    # The code writes outside /tmp: the package's /var/task is read-only.
    (
        "https://github.com/dtnewman/zappa_boilerplate/issues/3",
        "Read-only file system in Lambda I get below error in the lambada function. [Errno 30] "
        "Read-only file system: '/var/task/zappa_boilerplate/static/.webassets-cache'",
        "lambda.code_error",
    ),
    (
        "https://github.com/sachin-sankar/swiftshadow/issues/17",
        "Lambda on aws unable to proceed due to Read-only file system … [ERROR] OSError: "
        "[Errno 30] Read-only file system: '.swiftshadow.json'",
        "lambda.code_error",
    ),
    # An async handler that returns before its work completes answers null.
    (
        "https://github.com/open-telemetry/opentelemetry-lambda/issues/198",
        'Callback function returns a null response … however function returns response "null" '
        "instead of actual response.",
        "lambda.code_error",
    ),
    (
        "https://github.com/serverless/serverless/issues/5380",
        "servless nodejs function runs fine locally, but returns null on aws … The handler simply "
        "calls a callback function which makes an api call.",
        "lambda.code_error",
    ),
    # A trigger the function's resource-based policy does not let invoke it: Lambda's permission.
    (
        "https://github.com/garnaat/kappa/issues/87",
        "S3 Event Source should add permission for S3 bucket to invoke function Currently an S3 "
        "event source does not work out of the box as you would expect: … The issue is that the S3 "
        "bucket does not have permissions to invoke the function.",
        "lambda.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/13088",
        "I'm using the `Serverless Framework V4` to subscribe a `Lambda Function` to an existing "
        "`EventBridge Bus` … the `Lambda` is not triggered when a matching event is sent to the "
        "`EventBus`. After "
        "investigating, I realized the problem is `EventBridge Rule` is not granted the necessary "
        "permission to actually invoke the `Lambda`.",
        "lambda.other",
    ),
    # Domain cues are whole words: "stackoverflow" is no stack, "functionality" no function.
    (
        "https://github.com/jeremydaly/serverless-mysql/issues/63",
        "timing out intermittently … I posted this in stackoverflow(https://stackoverflow.com/"
        "questions/59214160/rds-mysql-timing-out-intermittently-when-called-from-lambda-using-nodejs)"
        " … Below is my lambda function.",
        "lambda.timeout",
    ),
    (
        "https://github.com/amazon-archives/amazon-cognito-identity-js/issues/99",
        "Custom Messaging seem not working I have tested user pool custom messaging functionality "
        "and seems not working now. I did test static messaging and custom messaging using lambda "
        "function but it don't send me email.",
        "other.other",
    ),
    # Round 17 (services outside the domain list (other.other)): services outside the list by
    # their own wording and names, over the IAM, stack, EC2 and network words beside them.
    # An OpenSearch domain's access policy refusing an unsigned (anonymous) call: not IAM's.
    (
        "https://github.com/aws-samples/siem-on-amazon-opensearch-service/issues/471",
        (
            "When I clicked the URL, its doesn't show any login page, but getting below error "
            'messages instead: Message "User: anonymous is not authorized to perform: '
            'es:ESHttpGet because no resource-based policy allows the es:ESHttpGet action"'
        ),
        "other.other",
    ),
    (
        "https://github.com/elastic/beats-dashboards/issues/100",
        (
            '{"Message":"User: anonymous is not authorized to perform: es:ESHttpPut on resource: '
            "arn:aws:es:us-west-2:1235573471613174:domain/windows-apache-cluster/.kibana/"
            'visualization/PgSQL-Errors"} … So it is not using AWS signed requests?'
        ),
        "other.other",
    ),
    # KMS's InvalidCiphertextException, whatever SDK or tool surfaces it.
    (
        "https://github.com/TomFrost/Cryptex/issues/8",
        (
            "Uh-oh, we have a problem: InvalidCiphertextException: null at Request.extractError "
            "(/usr/local/lib/node_modules/cryptex/node_modules/aws-sdk/lib/protocol/json.js:43:27)"
        ),
        "other.other",
    ),
    (
        "https://github.com/boto/boto3/issues/47",
        (
            "but i get `ClientError: An error occurred (InvalidCiphertextException) when calling "
            "the Decrypt operation: None`"
        ),
        "other.other",
    ),
    # Cognito's sign-in refusal as the SDKs show it.
    (
        "https://github.com/aws-amplify/amplify-swift/issues/2406",
        (
            "AuthError: Incorrect username or password. Recovery suggestion: Check whether the "
            "given values are correct and the user is authorized to perform the operation."
        ),
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-js/issues/1335",
        (
            "No matter what, I get an incorrect username or password … Here is the error I am "
            "getting trying to log in"
        ),
        "other.other",
    ),
    # Elastic Beanstalk's own failures: its resource in a stack, its deploy health check, its
    # application versions and the deploy action's failure line.
    (
        "https://github.com/aws-samples/aws-cdk-examples/issues/117",
        (
            "3/4 | 10:48:34 AM | CREATE_FAILED | AWS::ElasticBeanstalk::Environment | Environment "
            "Environment failed to launch as it entered Terminated state"
        ),
        "other.other",
    ),
    (
        "https://github.com/rennokki/laravel-aws-eb/issues/71",
        (
            "Instance id(s) - did not pass health check after command execution. Aborting the "
            "operation. When i run `eb deploy` to update code, it display errors:"
        ),
        "other.other",
    ),
    (
        "https://github.com/einaregilsson/beanstalk-deploy/issues/58",
        (
            "Deployment failed: Error: Status: 400. Code: InvalidParameterValue, Message: No "
            "Application Version named '886765199' found."
        ),
        "other.other",
    ),
    (
        "https://github.com/einaregilsson/beanstalk-deploy/issues/24",
        (
            "Uploading file to bucket elasticbeanstalk-af-south-1-597857118726 ##[error]Deployment "
            "failed: Error: Status: 400. Message:"
        ),
        "other.other",
    ),
    # MSK by its Kafka name, over the connection words and security groups beside it.
    (
        "https://github.com/openflagr/flagr/issues/361",
        (
            "Connection issue to kafka brokers with different port … But when I try AWS managed "
            "Kafka with broker port 9094, getting error."
        ),
        "other.other",
    ),
    (
        "https://github.com/pulumi/pulumi-kafka/issues/12",
        (
            "Trouble Connecting To AWS MSK Running 2.3.1 … I am running an AWS MSK cluster with "
            "Apache Kafka version 2.3.1. While running the pulumi-kafka it is having trouble "
            "connecting to the brokers to create a topic. … We have the security group at allow "
            "all traffic"
        ),
        "other.other",
    ),
    # IoT Core and Greengrass by name, over the logs, files and tracebacks of the device.
    (
        "https://github.com/aws/aws-iot-device-sdk-js/issues/119",
        (
            "Not able to connect to AWS IoT using SDK example thing-example or device-example … "
            "I am facing problem connecting to AWS IoT. … I am getting offline, close, reconnect "
            "logs while running the node.js examples present in the SDK."
        ),
        "other.other",
    ),
    (
        "https://github.com/aws/aws-iot-device-sdk-python/issues/285",
        (
            "Connection refused: Unable to run lightController.py file Devices details: 1)EC2 as "
            'AWS IOT Greengrass core … I have created a folder "test" that has cert,public key, '
            "private key of gg_switch"
        ),
        "other.other",
    ),
    # OpenSearch Dashboards, not a CloudWatch dashboard.
    (
        "https://github.com/aws-samples/bedrock-chat/issues/665",
        (
            "[BUG] OpenSearch dashboards is not accesible for console user … users can't access "
            "OpenSearch dashboard although user has AdministratorAccess."
        ),
        "other.other",
    ),
    (
        "https://github.com/aws-samples/siem-on-amazon-opensearch-service/issues/471",
        (
            "URL for OpenSearch Dashboards. Log into OpenSearch Dashboards using the "
            'credentials." When I clicked the URL, … but getting below error messages instead:'
        ),
        "other.other",
    ),
    # A custom domain whose name does not resolve, as Chrome says it.
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/2961",
        (
            "ERR_NAME_NOT_RESOLVED when the custom domain is opened in the browser … Not able to "
            "open the custom domain, it was working before the latest deployment."
        ),
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/1904",
        '"DNS address could not be found" … Was working correctly when i initially deployed',
        "other.other",
    ),
    # SQS messages received and never deleted: "in flight".
    (
        "https://github.com/maqe/laravel-sqs-fifo/issues/6",
        (
            "Messages not hitting queue … I am seeing the Messages in Flight number incrementing "
            "but I am not quite sure what that means."
        ),
        "other.other",
    ),
    (
        "https://github.com/dusterio/laravel-aws-worker/issues/18",
        (
            "Messages always in Flight Hi, I'm using laravel 5.4 and after applying this package "
            "to my project worker, messages in my sqs stay always in flight."
        ),
        "other.other",
    ),
    # Round 17 (VPC, IAM, S3, CloudWatch): a policy's Version missing or misplaced, S3 named with
    # its Access Denied, a profile setting ignored, connections that time out, connectivity said
    # plainly, missing ingress rules, route creation refused, load balancer health checks.
    # A policy without (or with a misplaced) Version: IAM refuses the document.
    (
        "https://github.com/99designs/iamy/issues/65",
        (
            "MalformedPolicyDocument: The policy failed legacy parsing … "
            '"Action": "sts:AssumeRole", "Effect": "Allow", … "Version": "2012-10-17"'
        ),
        "iam.malformed_policy",
    ),
    (
        "https://github.com/wercker/step-s3sync/pull/25",
        (
            "Managed policies require a version string. … This policy contains the following "
            "error: A managed policy must have a version string For more information about the "
            "IAM policy grammar"
        ),
        "iam.malformed_policy",
    ),
    # S3 named as the service that answered Access Denied, with no identity wording.
    (
        "https://github.com/aws-samples/aws-step-functions-long-lived-transactions/issues/2",
        (
            "Stacks not available via S3 - Access Denied … When attempting to access the stacks, "
            "I get Access Denied."
        ),
        "s3.access_denied",
    ),
    (
        "https://github.com/Dreem-Organization/dreem-learning-open/issues/1",
        (
            "Downloading from S3: Access denied … I'm unable to download the dataset from S3. … "
            "Is the dataset publicly available?"
        ),
        "s3.access_denied",
    ),
    # A profile setting the tool ignores: the wrong credentials sign the call.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/4221",
        (
            "Terraform ignores the profile setting in the AWS provider … It's always using the "
            "default profile. … Error loading state: AccessDenied: Access Denied"
        ),
        "iam.credentials",
    ),
    (
        "https://github.com/serverless/serverless/issues/3899",
        (
            'AWS profile setting not honored … "serverless deploy" attempted to use default AWS '
            'credentials, but the "profile" setting in serverless.yml specified a different '
            "profile that should have been used."
        ),
        "iam.credentials",
    ),
    # A database driver's or an SDK's connection that timed out: the path to the endpoint.
    (
        "https://github.com/SatadruMukherjee/Data-Preprocessing-Models/issues/1",
        (
            "pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on "
            "'database-3.cdzzrwsqd8de.us-east-1.rds.amazonaws.com' (timed out)\")"
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/agawronski/pandas_redshift/issues/20",
        (
            "psycopg2.OperationalError: could not connect to server: Operation timed out Is the "
            'server running on host "beautybakerie.capqpzprxn1m.us-west-1.redshift.amazonaws.com" '
            "(54.219.190.55) and accepting TCP/IP connections on port 5439?"
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/CodeGenieApp/serverless-express/issues/166",
        (
            "Timeout even after adding callbackWaitsForEmptyEventLoop I am trying to SELECT from "
            "MySql database and time out all the time with the error `Handshake inactivity timeout`"
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/sequelize/sequelize/issues/7884",
        (
            "Testing the connection to a postgres amazon rds instance … Unable to connect to the "
            "database: { TimeoutError: ResourceRequest timed out"
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/rails-lambda/lambdakiq/issues/24",
        (
            "Seahorse::Client::NetworkingError execution expired When trying to connect to a SQS "
            'queue "lamby-queue-production" using lamby we get the following error.'
        ),
        "vpc.connectivity",
    ),
    # Connectivity said to be missing plainly.
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3521",
        (
            "New NLBs deployed with v2.6.x no connectivity when preserve client ip is enabled on "
            "target groups. … do not route traffic."
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/grem11n/terraform-aws-vpc-peering/issues/81",
        "[HELP] No connectivity between VPCs … I do not have connectivity between the two VPCs.",
        "vpc.connectivity",
    ),
    # A security group without ingress rules lets nothing in.
    (
        "https://github.com/telia-oss/terraform-aws-ecs-fargate/issues/57",
        "Tasks come up in unhealthy state due to lack of Ingress security group rules",
        "vpc.connectivity",
    ),
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3652",
        (
            "the application url gives 504 as there's no inbound rule for port 443 created to "
            "allow incoming traffic."
        ),
        "vpc.connectivity",
    ),
    # A route the route table would not take.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-transit-gateway/issues/115",
        "cannot create static routes in the same route table as the vpc attachment propagation one",
        "vpc.other",
    ),
    (
        "https://github.com/clouddrove/terraform-aws-vpc-peering/issues/10",
        "Error: error creating Route in Route Table",
        "vpc.other",
    ),
    # Load balancer targets failing health checks (NLB, target group wording).
    (
        "https://github.com/kubernetes/kubernetes/issues/69476",
        (
            "AWS NLB TargetGroups suddenly fail healthcheck … This morning at 3PM UTC two NLBs "
            "simultaneously flagged member nodes of their TargetGroups as unhealthy and have not "
            "recovered."
        ),
        "vpc.connectivity",
    ),
    (
        "https://github.com/udacity/nd9991-c2-Infrastructure-as-Code-v1/pull/9",
        (
            "Target Group Unhealthy Check Apache by default work on port 80 so Target group will "
            "always fail the check on port 8080"
        ),
        "vpc.connectivity",
    ),
    # Round 18 (EC2, IAM): SSH logins refused (cloud-init found no key, Ansible unreachable, the
    # Windows administrator's password), instance types a zone does not offer, AMIs not shared or
    # gone, a subnet id missing, user data not run, instances that never launch or are
    # terminated again and again, and the SDK's credentials lookup failing.
    # cloud-init installed no key for the login user: nobody can log in with the key pair.
    (
        "https://github.com/ansible-lockdown/AMAZON2023-CIS/issues/80",
        (
            "Unable to connect after run & Amazon heath checks fail … [FAILED] Failed to start "
            "cloud-init … ci-info: no authorized SSH keys fingerprints found for user ec2-user."
        ),
        "ec2.ssh_access",
    ),
    (
        "https://github.com/canonical/cloud-init/issues/6697",
        "ci-info: no authorized SSH keys fingerprints found for user ubuntu.",
        "ec2.ssh_access",
    ),
    # Ansible could not reach the instance over SSH.
    (
        "https://github.com/cloudurable/cassandra-image/issues/32",
        (
            "ansible to aws not working yet #### Error ``` ansible aws-node0 -m ping aws-node0 | "
            'UNREACHABLE! => { "changed": false, "msg": "Failed to connect to the host via '
            'ssh.", "unreachable": true } ``` #### inventory.ini ``` [nodes] node0 '
            "ansible_user=vagrant node1 ansible_user=vagrant node2 ansible_user=vagrant"
        ),
        "ec2.ssh_access",
    ),
    (
        "https://github.com/ansible/ansible/issues/17437",
        (
            'fatal: [54.166.83.128]: UNREACHABLE! => {"changed": false, "msg": "Failed to '
            'connect to the host via ssh.", "unreachable": true}'
        ),
        "ec2.ssh_access",
    ),
    # The Windows administrator's password, with the plural or possessive.
    (
        "https://github.com/hashicorp/packer/issues/4542",
        (
            "no keypair, or password available for amazon-windows-ebs builder … While trying to "
            "create an ami in EC2 using packer, with a pretty simple configuration, I am unable "
            "to retrieve the administrators password. there does not seem to be any keypair"
        ),
        "ec2.ssh_access",
    ),
    (
        "https://github.com/hashicorp/packer/issues/6297",
        (
            "[1.2.3] Fails to retrieve Windows Administrator Password from a Packer amazon-ebs "
            "successful build I have a successful Packer amazon-ebs windows ami"
        ),
        "ec2.ssh_access",
    ),
    # An instance type a zone or region does not offer, said by people.
    (
        "https://github.com/hashicorp/field-workshops-terraform/issues/70",
        (
            "t2.micro is not supported in us-west-2d West coast customers may be disappointed "
            "to find that t2.micro is an unsupported instance type in some zones."
        ),
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/trailofbits/algo/pull/14725",
        (
            "Update config.cfg: t2.micro to t3.micro Because 1) t2.micro is not exists on every "
            "region"
        ),
        "ec2.invalid_resource",
    ),
    # An AMI the account may not launch (not shared) or that is gone.
    (
        "https://github.com/aws-samples/amazon-s3-datalake-handson/issues/10",
        (
            "I used a CloudFormation template in Lab1, but encountered the following error. … "
            'Resource handler returned message: "Not authorized for images: '
            "[ami-08c23a10b77e0835b] (Service: Ec2, Status Code: 400"
        ),
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/validatedpatterns/agof/issues/57",
        "Make fix_aws_dns fails if AMI-ID no longer exists",
        "ec2.invalid_resource",
    ),
    # The subnet named without its id.
    (
        "https://github.com/hashicorp/terraform/issues/9597",
        (
            "Apply `aws_instance` using `aws_subnet` from a module fails with Subnet ID does not "
            "exist"
        ),
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/openshift/openshift-ansible/issues/1053",
        "<Code>InvalidSubnetID.NotFound</Code><Message>The subnet ID 'example' does not exist",
        "ec2.invalid_resource",
    ),
    # User data not run, said verb first.
    (
        "https://github.com/cisagov/kali-packer/issues/180",
        (
            "Kali AMI does not run user data scripts … NOM reported that the Kali AMI is no "
            "longer running the user data scripts"
        ),
        "ec2.other",
    ),
    (
        "https://github.com/clearlinux/micro-config-drive/issues/38",
        "At instance creation, it is not running the user data it is provisioned with.",
        "ec2.other",
    ),
    # Instances that never launch, with no error code.
    (
        "https://github.com/StochSS/stochss/issues/495",
        (
            'EC2 Instances sometimes won\'t launch 1. Click "Launch Nodes" on EC2 page 2. Page '
            "goes into launching mode"
        ),
        "ec2.other",
    ),
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/870",
        "terraform instance not creating",
        "ec2.other",
    ),
    # Instances terminated again and again (Auto Scaling replacing them).
    (
        "https://github.com/azavea/cac-tripplanner/issues/1327",
        (
            "Investigate WebServer EC2 Instance reboot Our WebServer EC2 instance has been "
            "repeatedly terminated and automatically relaunched over the last few days. Users "
            "have experienced a 503 error around this time"
        ),
        "ec2.other",
    ),
    (
        "https://github.com/buildkite/elastic-ci-stack-for-aws/issues/971",
        (
            "Abrupt agent termination during build … Occasionally an agent is abruptly "
            "terminated during the build."
        ),
        "ec2.other",
    ),
    # The SDK's credentials lookup failing, named as an error ("error retrieving ... credentials").
    (
        "https://github.com/mastodon/mastodon/issues/34509",
        "Can not upload avatar, error retrieving instance profile credentials",
        "iam.credentials",
    ),
    (
        "https://github.com/mmmorris1975/aws-runas/issues/36",
        (
            "Error loading credentials (beta-2) I get the following error when my application "
            "tries to load credentials"
        ),
        "iam.credentials",
    ),
    # Round 18 (VPC, services outside the list (other.other), and non-incidents): network paths,
    # WordPress's database page, alarms SNS refuses.
    # An instance whose package manager cannot reach the internet or its repositories.
    (
        "https://github.com/rjurney/Agile_Data_Code_2/issues/122",
        "EC2 won't connect to internet … sudo apt update … Could not connect to "
        "ap-south-1.ec2.archive.ubuntu.com:80 (54.248.204.122), connection timed out",
        "vpc.connectivity",
    ),
    (
        "https://github.com/AWSinAction/code2/issues/17",
        "cloud-init failing … One of the configured repositories failed (Unknown), and yum "
        "doesn't have enough cached data to continue.",
        "vpc.connectivity",
    ),
    # No echo to a ping from inside the network.
    (
        "https://github.com/coreos/coreos-kubernetes/issues/526",
        "Can't ping out … When I try to test network by pinging google.com or elsewhere from one "
        "of the minion nodes, I don't get any resp.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/sagemaker-spark/issues/9",
        "I was not able to ping any nodes in my vpc from the terminal in the sagemaker jupyter "
        "notebook.",
        "vpc.connectivity",
    ),
    # Chrome's "This site can't be reached" for an address that never answers.
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/957",
        "I'm not able to connect jenkins port 8080 after installing on ubuntu vm. I have checked "
        "the ubuntu running with it's public ip addresses. … trying with this getting sit can't "
        "be reached.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/cloudposse/terraform-aws-elasticsearch/issues/87",
        "This site can\u2019t be reached I provisioned Elasticsearch. … I got, "
        '"This site can\u2019t be reached".',
        "vpc.connectivity",
    ),
    # A stock server just installed on an instance that the browser cannot open.
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/590",
        "i installed JAVA and jenkins at EC2 instance . but i am not able to open jenkins at "
        "browser.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/928",
        "unable to see the apache server page after sucessfully installing it on ansible server",
        "vpc.connectivity",
    ),
    (
        "https://github.com/opendistro/for-elasticsearch-docs/issues/191",
        "Not able to Browse Kibana/Elasticsearch … when I try to access ElasticSearch/Kibana "
        "using the public IP address (with 9200/5601 port) the page is not available.",
        "vpc.connectivity",
    ),
    # The reporter blames the VPC's configuration or a wrong security group.
    (
        "https://github.com/aws-samples/aws-genai-llm-chatbot/issues/651",
        "Issues with VPC configuration for Main Appsync resolver Lambda We are experiencing "
        "errors with the Main Appsync resolver Lambda where the application in resulting in task "
        "timed out after 3 seconds.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/kubernetes-sigs/cluster-api-provider-aws/issues/4136",
        "kubeadm cluster pod networking fails because of incorrect node security group",
        "vpc.connectivity",
    ),
    # WordPress's page when it cannot use its database: its configuration, not the network.
    (
        "https://github.com/aws-samples/aws-refarch-wordpress/issues/26",
        "RDS Connection We are receiving an Error establishing database connection when users try "
        "to connect.",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/eb-php-wordpress/issues/4",
        "cannot connect to database if RDS is external … Error establishing a database "
        "connection But when i logged inside the instance and ran command to connect to the "
        "database, it connected perfectly",
        "other.other",
    ),
    # CloudWatch alarms that the SNS topic (its policy) does not let through.
    (
        "https://github.com/PRX/Infrastructure/issues/335",
        "CloudWatch Alarms can't publish to SNS topics by way of an `OrgId`, which is how we have "
        "the SNS topic policies set up",
        "other.other",
    ),
    (
        "https://github.com/cloudposse/terraform-aws-rds-cloudwatch-sns-alarms/pull/4",
        "Fix policy for CloudWatch Alarms … was not receiving any alarms via SNS until this "
        "change was made.",
        "other.other",
    ),
    # Round 18 (S3, CloudWatch, DynamoDB, API Gateway, CloudFormation, Lambda): Logs calls racing,
    # s3fs mounts that drop, Logs Insights queries, the agent's config, log groups not created,
    # Validation Exception spelt apart, proxy-response slugs, S3 CORS rules and images, stacks
    # looked up that do not exist, JavaScript imports, logs not submitted.
    # CloudWatch Logs' OperationAbortedException: two calls racing on one group or stream.
    (
        "https://github.com/mirkokiefer/bunyan-cloudwatch/issues/5",
        (
            "OperationAbortedException: A conflicting operation is currently in progress against "
            "this resource. Please try again."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/nearform/cloudwatchlogs-stream/issues/7",
        (
            "OperationAbortedException … We're getting the following error occur periodically. It "
            "causes the docker container to crash."
        ),
        "cloudwatch.other",
    ),
    # An s3fs (FUSE) mount that died: "Transport endpoint is not connected".
    (
        "https://github.com/s3fs-fuse/s3fs-fuse/issues/152",
        (
            "How to fix permanently transport end point is not connected in S3fs I have one s3 "
            "bucket and two EC2 instance.I have mounted S3 bucket in EC2 instance."
        ),
        "s3.other",
    ),
    (
        "https://github.com/s3fs-fuse/s3fs-fuse/issues/547",
        (
            'RHEL "Transport endpoint is not connected" unless run in foreground … '
            "ls: cannot access /mnt/1: Transport endpoint is not connected"
        ),
        "s3.other",
    ),
    # A Logs Insights query that does not return what was meant.
    (
        "https://github.com/aws-samples/one-observability-demo/issues/476",
        (
            "Query Issues I'm having issues with Log Insights queries referencing @message "
            "values. … didn't work unless I used a parse statement first"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/6928",
        (
            "Log Insights results missing fields … Log Insights queries that use `parse` don't "
            "seem to work properly. The returned data only has the `@ptr` fields"
        ),
        "cloudwatch.other",
    ),
    # The CloudWatch agent's config that does not translate: the agent, not missing logs.
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/982",
        (
            "Agent starts running and then exits with Cannot translate JSON, ERROR is exit status "
            "1 … https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/arm64/latest/"
            "amazon-cloudwatch-agent.deb"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/803",
        (
            "E! Cannot translate JSON config into TOML, ERROR is exit status 1 … on EC2 startup "
            "the Cloudwatch agent errors and does not start."
        ),
        "cloudwatch.other",
    ),
    # A tool that cannot create its log group.
    (
        "https://github.com/fluent/fluent-bit-docs/issues/589",
        (
            "cloudwatch_logs output error I have configured my output to send to cloudwatch_logs, "
            "however, I am getting the following errors: [aws_client] connection initialization "
            "error [output:cloudwatch_logs:cloudwatch_logs.0] Failed to create log group"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/10739",
        (
            "* aws_cloudwatch_log_group.FUNCTION_NAME: Creating CloudWatch Log Group failed: "
            "InvalidParameterException: Log groups starting with AWS/ are reserved"
        ),
        "cloudwatch.other",
    ),
    # "Validation Exception" spelt apart on a DynamoDB call.
    (
        "https://github.com/getmoto/moto/issues/4105",
        "get_item on basic moto usage: when calling the GetItem operation: Validation Exception",
        "dynamodb.validation",
    ),
    (
        "https://github.com/aws/aws-sdk-go/issues/1534",
        (
            "Validation Exception error I got a table in dynamodb >aws dynamodb describe-table "
            "--table-name work"
        ),
        "dynamodb.validation",
    ),
    # "Malformed Lambda proxy response", also as a URL slug.
    (
        "https://github.com/andrewpuch/lambda_example/pull/1",
        (
            "Update lambda.js Thanks for the tutorial! I wasn't able to get it to work on AWS "
            "without these changes. … https://stackoverflow.com/questions/43708017/"
            "aws-lambda-api-gateway-error-malformed-lambda-proxy-response"
        ),
        "apigateway.bad_gateway",
    ),
    (
        "https://github.com/anomalyco/sst/issues/2760",
        ("Execution failed due to configuration error: Malformed Lambda proxy response"),
        "apigateway.bad_gateway",
    ),
    # S3's XML CORS rules name origins singly (<AllowedOrigin>): the bucket's CORS.
    (
        "https://github.com/fengyuanchen/cropperjs/issues/258",
        (
            "Failed to execute 'toDataURL' Tainted canvases may not be exported I'm trying to crop "
            "an image from a link, it works for the first time but when i reload the page and i "
            "try to crop the same image i got ( Failed to execute 'toDataURL' on "
            "'HTMLCanvasElement': Tainted canvases may not be exported. ) i use amazon s3 for "
            "storage and i configure <AllowedOrigin>*</AllowedOrigin> as CORS Rule ."
        ),
        "s3.other",
    ),
    (
        "https://github.com/fruitstudios/AviaryImageEditor/issues/3",
        (
            "CORS and Amazon S3 … This is a CORS rule I have set up on the particular S3 Bucket: … "
            "<CORSRule> <AllowedOrigin>[Domain Redacted]</AllowedOrigin>"
        ),
        "s3.other",
    ),
    # CORS trouble loading a bucket's objects, said object last ("CORS issues for S3 images").
    (
        "https://github.com/polotno-project/polotno-studio/issues/29",
        (
            "CORS issues for S3 images The Image is being loaded from S3 bucket [allowed for all "
            "domains], it's being shown on the custom sidepanel but not on the Canvas."
        ),
        "s3.other",
    ),
    (
        "https://github.com/Foliotek/Croppie/issues/537",
        (
            "S3 image gets blocked by CORS policy Can you please add some more documentation on "
            "how to work with S3 images?"
        ),
        "s3.other",
    ),
    # A stack the command looks up that does not exist: no failed deployment.
    (
        "https://github.com/jpsim/AWSPics/issues/48",
        (
            "Stack <stack name> does not exist on deploy … But the deployment process fails and "
            'exits the installation process on the next step - "aws cloudformation deploy '
            '--template-file /tmp/tmp.<name> --stack-name <YOUR STACK NAME>"'
        ),
        "cloudformation.other",
    ),
    (
        "https://github.com/localstack/aws-cdk-local/issues/68",
        (
            "Bootstrap Error Stack with id %s does not exist CDKToolkit … Environment "
            "aws://000000000000/us-east-1 failed bootstrapping: Error [ValidationError]: Stack "
            "with id %s does not exist CDKToolkit"
        ),
        "cloudformation.other",
    ),
    # JavaScript module imports quoted with the code are no sign of a missing module.
    (
        "https://github.com/sensedeep/dynamodb-onetable/issues/60",
        (
            "[BUG]: Can't queryItems via GSI for table without model … This code fails: … "
            'import { DynamoDBClient } from "@aws-sdk/client-dynamodb"; import { Table } from '
            '"dynamodb-onetable"; … indexes: { primary: { hash: "pk", sort: "sk" }, emailIndex: '
            '{ hash: "email" }, },'
        ),
        "dynamodb.other",
    ),
    (
        "https://github.com/pulumi/pulumi-cloud/issues/791",
        (
            "No logs on AWS This program creates a lambda that cannot write logs to CloudWatch. "
            '```ts import * as cloud from "@pulumi/cloud-aws";'
        ),
        "cloudwatch.no_logs",
    ),
    # Logs the CloudWatch agent does not submit.
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/967",
        (
            "When a user uses a malformed regexp as `multi_line_start_pattern` value, the command "
            "exists successfully but logs are not submitted to CloudWatch Logs."
        ),
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/cloud-custodian/cloud-custodian/issues/6951",
        "c7n-mailer logs are not getting logged in cloudwatch",
        "cloudwatch.no_logs",
    ),
    # Round 19 (IAM, VPC, S3 and non-incidents): tunnels, clusters and load balancers are the
    # VPC's; IAM's own policy syntax error and a role given kms:Decrypt.
    # iam.trust_policy gives way to IAM's "Syntax errors in policy" on a trust policy document.
    (
        "https://github.com/amazon-archives/aws-lambda-zombie-workshop/issues/44",
        "Cloud Formation Deployment - ZombieLabLambdaRole - Syntax errors in policy … Syntax "
        'errors in policy: {"Version":"2012-10-17","Statement":[{"Action":["sts:AssumeRole",'
        '"sts:AssumeRoleWithWebIdentity"],"Effect":"Allow","Principal":{"Service":'
        '["lambda.amazonaws.com","apigateway.amazonaws.com"],"Federated":'
        '"cognito-identity.amazonaws.com"}}]}',
        "iam.malformed_policy",
    ),
    (
        "https://github.com/aws-cloudformation/cfn-lint/issues/2021",
        "Syntax errors in policy. (Service: AmazonIdentityManagement; Status Code: 400; Error "
        "Code: MalformedPolicyDocument; … Statement: - Effect: Allow Action: - dynamodb:*Get*",
        "iam.malformed_policy",
    ),
    # EC2 hosts of a self-run cluster (Docker swarm, k3s, Consul) that cannot join one another.
    (
        "https://github.com/docker-archive-public/docker.machine/issues/3578",
        "Error response from daemon: Timeout was reached before node was joined. Attempt to join "
        "the cluster will continue in the background.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/caprover/caprover/issues/2017",
        "Can't join a server with docker swarm AWS EC2 … it hangs and gives me: `Error response "
        "from daemon: Timeout was reached before node joined. The attempt to join the swarm will "
        "continue in the background.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/alexellis/k3sup/issues/297",
        "unable to join ec2 instances together i am unable to join 2 ec2 instances together, both "
        "being master",
        "vpc.connectivity",
    ),
    (
        "https://github.com/hashicorp/consul/issues/953",
        "memberlist: Suspect <name> has failed, no acks received … I'm setting up my first Consul "
        "cluster on EC2",
        "vpc.connectivity",
    ),
    # Traffic through a tunnel that flows one way only.
    (
        "https://github.com/libreswan/libreswan/issues/692",
        "IPSEC tunnel to AWS traffic goes only in one direction I configured IPSEC tunnel between "
        "Amazon AWS and my server with libreswan. Tunnel is up and running but network traffic "
        "inside tunnel goes only from AWS to my server.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/libreswan/libreswan/issues/1677",
        "Tunnel is up and running, but network traffic inside the tunnel goes only from one end to "
        "the other, but no return traffic is observed when pinging the local private ip of each "
        "end.",
        "vpc.connectivity",
    ),
    # Load balancers are the VPC's layer (their subnets, zones and security groups).
    (
        "https://github.com/LetsUpgrade/AWS-Essentials/issues/40",
        "Load Balancer - Not working Hey Guys, My Load Balancer is not working. I have tried "
        "making two load balancer but both of them are not working.",
        "vpc.other",
    ),
    (
        "https://github.com/kz8s/tack/issues/186",
        "ELB's? Clarification … Sorry to be a bother, but could someone please clarify the subnet "
        "tagging part if this setup. … setup an ELB automagically when running an AWS kubernetes "
        "cluster. … but Im afraid that I dont quite understand/grok it yet. … Creating load "
        "balancer … Warning CreatingLoadBalancerFailed (events with common reason",
        "vpc.other",
    ),
    # Route tables, VPN tunnels, BGP and traceroute are the VPC's layer (not API Gateway's routes).
    (
        "https://github.com/libreswan/libreswan/issues/315",
        "unable to reach to host after libreswan connected - … i try to ping /telnet/ traceroute "
        "to ip address in oracle cloud then its not reachable. … Here is my route information : … "
        "route -n Kernel IP routing table Destination Gateway Genmask Flags Metric Ref Use Iface",
        "vpc.connectivity",
    ),
    (
        "https://github.com/s-maj/aws-transit-vpc/issues/2",
        "Example infrastructure routing problem … The AWS VPN tunnels are established, they are "
        "not flapping, but they do show `0 BGP ROUTES` 2) I can't figure out how to route traffic "
        "through the AWS VPN connection, even if I add some static routes to the routing tables "
        "myself",
        "vpc.connectivity",
    ),
    # A 5xx from a load balancer is not API Gateway's bad gateway.
    (
        "https://github.com/aws-samples/aws-saas-factory-serverless-workshop/issues/35",
        "Autoscale Health Check doesn't utilise ELB checks The configuration for the Auto Scaling "
        "Group only utilises EC2 Health Checks. When leaving the lab running over for a few days "
        "noticed that 502 errors were returned in the HTML site. tracking down the problem the ALB "
        "had the two backing EC2 instances marked as 'unhealthy'",
        "ec2.other",
    ),
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3652",
        "No rules attached to the security group … The load balancer gets created and targets are "
        "reporting healthy. However, the application url gives 504 as there's no inbound rule for "
        "port 443 created to allow incoming traffic.",
        "vpc.connectivity",
    ),
    # A change that lets the function's role decrypt with the key: the role lacked kms:Decrypt.
    (
        "https://github.com/LBHackney-IT/Data-Platform/pull/1530",
        "s3-to-s3 copier lambda is currently failing in the production api account with an "
        "AccessDenied error. This change will allow the lambda role to decrypt the exported RDS "
        "snapshot files.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/cisagov/XFD/pull/1371",
        "CRASM-2599 Follow-up: Add permission to KMS key to allow lambdas to decrypt … Backend is "
        "failing to load env variable file from s3",
        "iam.missing_permission",
    ),
    # Round 19 (Lambda, CloudWatch, EC2, API Gateway, DynamoDB, CloudFormation): code and layers
    # over the size limit, sam build's Python check, Logs API reads, JavaScript property reads,
    # unreadable package files, cold starts, env variables, bootstraps for another CPU, PutTargets,
    # logs delayed, streams not there, TableNotFound, weak API Gateway cues.
    # Code and layers together over Lambda's 250 MB unzipped limit: lambda.other.
    (
        "https://github.com/laravel/vapor-php-build/issues/57",
        (
            "Message: AWS: Function code combined with layers exceeds the maximum allowed size of "
            "262144000 bytes. The actual size is 287171048 bytes.` when use vapor:php-7.4 and "
            "vapor:php-7.4:imagick layer"
        ),
        "lambda.other",
    ),
    (
        "https://github.com/serverlesspub/ffmpeg-aws-lambda-layer/issues/23",
        (
            "Function code combined with layers exceeds the maximum allowed size. … When I try to "
            "associate the layer to a fresh new Lambda, I got the following message"
        ),
        "lambda.other",
    ),
    (
        "https://github.com/brefphp/bref/issues/450",
        (
            "Exceeds max allowed size Hi there, I've started getting an 'exceeds max allowed "
            "size' error today."
        ),
        "lambda.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/8313",
        (
            "Serverless deploy fails to update function with new layer when code size is close to "
            "limit Can't add layer to function that is close to 256MB code limit."
        ),
        "lambda.other",
    ),
    # sam build finding no Python that matches the function's runtime: lambda.other.
    (
        "https://github.com/aws/aws-sam-cli/issues/2634",
        (
            "Build Failed Error: PythonPipBuilder:Validation - Binary validation failed for "
            "python, searched for python in following locations : ['/usr/bin/python3.7', "
            "'/usr/bin/python'] which did not satisfy constraints for runtime: python3.7."
        ),
        "lambda.other",
    ),
    (
        "https://github.com/aws/aws-toolkit-jetbrains/issues/828",
        (
            "Error: PythonPipBuilder:None - Binary validation failed! Error on MacOS **Build Fails "
            "when you try to build serverless application **"
        ),
        "lambda.other",
    ),
    # Reading logs back through FilterLogEvents / GetLogEvents: the reader's call, cloudwatch.other.
    (
        "https://github.com/aws/aws-sdk-js/issues/1468",
        (
            "CloudWatchLogs filterLogEvents always empty … The response is always `errr === null` "
            "and `data.events.length === 0`."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-sdk-net/issues/3218",
        (
            "AmazonCloudWatchLogsClient.GetLogEvents does not return any event … However, "
            "`response.Events` always contains 0 items."
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/boto/boto3/issues/2265",
        (
            "Logs client doesn't return any logs … self._client.filter_log_events( "
            "logGroupName=log_group,"
        ),
        "cloudwatch.other",
    ),
    # "Cannot read property 'map' of undefined": the property named between, lambda.code_error.
    (
        "https://github.com/aws-samples/aws-serverless-workshops/issues/55",
        (
            "is failing at _event.Records.map()_ call. **Cannot read property 'map' of "
            "undefined.** I have submitted the following input as test"
        ),
        "lambda.code_error",
    ),
    (
        "https://github.com/SWO-GS/auto-tag/issues/68",
        (
            'lambda function "errorMessage": "Cannot read property \'0\' of undefined" when i '
            "test my lambda function"
        ),
        "lambda.code_error",
    ),
    # Package files the runtime may not read ([Errno 13] on /var/task): lambda.other.
    (
        "https://github.com/aws/chalice/issues/1350",
        (
            "Chalice hello-world fails with Internal Server Error … [ERROR] PermissionError: "
            "[Errno 13] Permission denied: '/var/task/chalice/__init__.py'"
        ),
        "lambda.other",
    ),
    (
        "https://github.com/aws-samples/fedramp-integrated-inventory-workbook/issues/1",
        (
            "The Lambda fails to run due to a permission error `[ERROR] PermissionError: "
            "[Errno 13] Permission denied: '/var/task/inventory/readers.py'"
        ),
        "lambda.other",
    ),
    # Cold starts on every invocation, or slow ones: lambda.other.
    (
        "https://github.com/Bjorn248/graphql_aws_pricing_api/issues/23",
        (
            "Troubleshoot lambda cold-start behavior After upgrading a few of the modules and "
            "redeploying to lambda, it seems that the lamba function experiences cold-start "
            "behavior during every invocation."
        ),
        "lambda.other",
    ),
    (
        "https://github.com/awslabs/swift-aws-lambda-runtime/issues/163",
        (
            "Invocation time longer than expected on cold starts ### Expected behavior Have "
            "consistent invocation duration even when lambda execution requires cold start"
        ),
        "lambda.other",
    ),
    # "ModuleNotFound" without "Error": lambda.import_error.
    (
        "https://github.com/zappa/Zappa/issues/887",
        (
            "[Migrated] 502 While Deploying (ModuleNotFound Errors) … I am trying to install a "
            "project that uses a package called `wordcloud` (python)."
        ),
        "lambda.import_error",
    ),
    # Ruby's parameter validator ("unexpected value at params[:x]"): lambda.sdk_config.
    (
        "https://github.com/aws/aws-sdk-ruby/issues/953",
        (
            "Problems using the method .put_metric_data with Cloudwatch API … "
            "/param_validator.rb:26:in `validate!': unexpected value at params[:statistic_values] "
            "(ArgumentError)"
        ),
        "lambda.sdk_config",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/2273",
        (
            "CloudWatch.putMetricData gives error \"Unexpected key 'Values' found in params...\" "
            "Hi everyone, I've got an error when using cloudwatch to put some metric data."
        ),
        "lambda.sdk_config",
    ),
    # PutMetricData spelt inside a longer name (PutMetricDataInput): cloudwatch.alarm_or_metric.
    (
        "https://github.com/rusoto/rusoto/issues/1954",
        (
            "[Help]; Rusoto cloudwatch put metrics gives error. … I am getting sometimes rate "
            "exceeded error … use rusoto_cloudwatch::{CloudWatch, CloudWatchClient, MetricDatum, "
            "PutMetricDataInput};"
        ),
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/influxdata/telegraf/issues/4758",
        (
            "E! CloudWatch: Unable to write to CloudWatch : InvalidParameter: 1 validation "
            "error(s) found. - minimum field size of 1, "
            "PutMetricDataInput.MetricData[2].Dimensions[2].Value."
        ),
        "cloudwatch.alarm_or_metric",
    ),
    # A bootstrap built for another CPU ("fork/exec ...: exec format error"): lambda.other.
    (
        "https://github.com/aws/aws-lambda-go/issues/554",
        (
            "Runtime.InvalidEntrypoint … Error: fork/exec /var/task/bootstrap: exec format error "
            "Runtime.InvalidEntrypoint"
        ),
        "lambda.other",
    ),
    (
        "https://github.com/aws/aws-lambda-base-images/issues/26",
        (
            "But today I found my lambda runtime doesn't work with below error message. IMAGE "
            "Launch error: fork/exec /lambda-entrypoint.sh: exec format error Entrypoint: "
            "[/lambda-entrypoint.sh] Cmd: [handler.lambda_handler]"
        ),
        "lambda.other",
    ),
    # Environment variables the handler cannot see: lambda.other.
    (
        "https://github.com/nordcloud/lambda-wrapper/issues/11",
        (
            "Environments are not visible. … When I run wraper TABLE_NAME is not visible from "
            "`process.env.TABLE_NAME`."
        ),
        "lambda.other",
    ),
    (
        "https://github.com/nordcloud/serverless-mocha-plugin/issues/83",
        (
            "Environment variables are not available - Testing lambda function - trying to call "
            "process.env.variableName - getting undefined"
        ),
        "lambda.other",
    ),
    # A rule's targets set through PutTargets that never invoke: cloudwatch.other.
    (
        "https://github.com/aws/aws-sdk-java/issues/737",
        (
            "AmazonCloudWatchEventsClient#putTargets doesn't add the event as a source for lambda "
            "… The issue is that **the lambda never gets called!**"
        ),
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/1214",
        (
            "CloudWatchEvents putRule/putTargets not triggering Lambda function … But is not "
            "triggering the Lambda function even though all looks to be ok on the console."
        ),
        "cloudwatch.other",
    ),
    # Logs that arrive late in CloudWatch: cloudwatch.no_logs.
    (
        "https://github.com/aws/aws-for-fluent-bit/issues/308",
        (
            "pushed logs are getting delayed about 20 to 30 minutes in cloud watch, what may be "
            "solution"
        ),
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/cattle-ops/terraform-aws-gitlab-runner/issues/43",
        "CloudWatch logging not working Logs are not popping up in cloudwatch.",
        "cloudwatch.no_logs",
    ),
    # A shipper writing to a log stream that does not exist: cloudwatch.log_group_missing.
    (
        "https://github.com/vectordotdev/vector/issues/586",
        (
            "Cloudwatch Logs sink does not handle non-existent log streams Events are only sent "
            "when the log stream exists"
        ),
        "cloudwatch.log_group_missing",
    ),
    (
        "https://github.com/apache/airflow/issues/9486",
        (
            "An error occurred (ResourceNotFoundException) when calling the GetLogEvents "
            "operation: The specified log stream does not exist"
        ),
        "cloudwatch.log_group_missing",
    ),
    # A client library's TableNotFound exception: dynamodb.resource_not_found.
    (
        "https://github.com/OceanDev/ocean-dynamo/issues/35",
        (
            "OceanDynamo::TableNotFound in QuestionsController#create if @question.save I created "
            "the table in dynamodb in the west region."
        ),
        "dynamodb.resource_not_found",
    ),
    (
        "https://github.com/99x/serverless-react-boilerplate/issues/39",
        (
            "offline doesn't create table. … Serverless: Failure: Error: "
            "ResourceNotFoundException: Cannot do operations on a non-existent table"
        ),
        "dynamodb.resource_not_found",
    ),
    # "route" and "endpoint" alone name no API Gateway (an SPA's route, VPN routes).
    (
        "https://github.com/kpfefferle/ember-cli-deploy-cloudfront/issues/20",
        (
            "403 AccessDenied after refresh on route The plugin works great, but when I refresh "
            "my browser, when on a route, I get an AccessDenied. Not sure why this is being "
            "caused, as if I refresh on the same route directly accessing the S3 bucket URL, it "
            "works fine."
        ),
        "s3.access_denied",
    ),
    # Round 19 (services outside the domain list (other.other)): services named by their own
    # words (Transcribe streaming, Connect, Pinpoint, MapLibre, Lex, Polly's SSML, Elastic
    # Beanstalk's ebextensions, SageMaker's ModelError, the RDS Data API, Athena via QuickSight).
    # Transcribe's streaming API, its WebSocket and its SDK clients.
    (
        "https://github.com/amazon-archives/amazon-transcribe-websocket-static/issues/31",
        "Amazon Transcribe streaming with Node.js using websocket … upload that file on "
        "S3(sample.ogg) Now what I want to use AWS Transcribe Streaming … I am receiving Empty "
        "response",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-backend/issues/3015",
        "AWS Transcribe Streaming WebSocket Disconnects Immediately … When connecting to AWS "
        "Transcribe using a **presigned WebSocket URL**, the connection **closes immediately** "
        "with no error message from the service.",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/2428",
        "Client-transcribe-streaming - Websocket is closing. … While calling the "
        "StartMedicalStreamTranscriptionCommand, getting the error as websocket-handler.ts:101 "
        "WebSocket is already in CLOSING or CLOSED state",
        "other.other",
    ),
    (
        "https://github.com/awsdocs/amazon-transcribe-developer-guide/issues/14",
        "Unexpected Web Socket Frame Received After connecting to the transcribe web socket "
        "server, I am faced with the following error when I send an audio data frame",
        "other.other",
    ),
    # BadRequestException means API Gateway only when API Gateway is named; else the service's.
    (
        "https://github.com/jeremydaly/data-api-client/issues/37",
        "Looks like there are no more available connections, but isn't aurora serverless "
        'supposed to autoscale automatically? … "errorMessage": "BadRequestException: Too many '
        'connections",',
        "other.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/2376",
        "Okey now I got this error: … BadRequestException: ERROR: invalid cluster id: "
        "arn:aws:rds:us-east-1:xxxxx:db:xx",
        "other.other",
    ),
    # The RDS Data API by its client and calls.
    (
        "https://github.com/aws/aws-cli/issues/4086",
        "aws rds-data execute-sql fails, urging to use ExecuteStatement API … An error occurred "
        "(BadRequestException) when calling the ExecuteSql operation: This API is deprecated and "
        "not available.",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/2376",
        "RDSDataService is not working, is not doing nothing no errors, no logs. … "
        "rdsDataService.executeSql(params, function(err, data) {",
        "other.other",
    ),
    # Amazon Connect's contact flows and instances.
    (
        "https://github.com/amazon-connect/amazon-connect-streams/issues/42",
        "I've placed one lambda in my contactFlow after the start block. … My lambda doesn't "
        "invoke when I receive the call! Do I need to enable Kinesis in my Amazon connect "
        "instance to use stream Api?",
        "other.other",
    ),
    (
        "https://github.com/amazon-connect/amazon-connect-streams/issues/874",
        "Amazon connect Task flow stopped working I created inbound flow where i added create "
        "Task block with Sample Lambda function integration … now it routes to error message.",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/amazon-transcribe-live-call-analytics/issues/229",
        "Unable to import Amazon Connect Example Contact Flow … the sample contact flow no longer "
        "imports. Amazon Connect errors while trying to import the file.",
        "other.other",
    ),
    # Pinpoint's endpoints, dashboards and providers (not the verb).
    (
        "https://github.com/aws-amplify/amplify-cli/issues/1983",
        "No targetable endpoints for push notifications in Pinpoint after registering endpoint",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-js/issues/1797",
        "No Targetable Endpoint After Register Pinpoint Look seems OK but no targetable endpoint "
        "on Pinpoint … AWSPinpointProvider - updateEndpoint success",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-swift/issues/771",
        "Endpoints is not creating properly in dashboards I checking out my pinpoint dashboard … "
        "But when I check the endpoints or something related with the endpoint is 0.",
        "other.other",
    ),
    # Amazon Location's maps drawn by MapLibre.
    (
        "https://github.com/aws-samples/amazon-location-samples/issues/189",
        "[maplibre-js-react-iot-asset-tracking] Map and tracker do not display … 2. At step 4, "
        "after creating tracker, the permission to access tracker is added to unauthRole",
        "other.other",
    ),
    (
        "https://github.com/maplibre/maplibre-gl-native-distribution/issues/28",
        "AWS map failed to load with HTTP status code 403 on 6.8.0 … The map failed to load "
        "because the style can't be loaded.",
        "other.other",
    ),
    # Personalize's SDK calls; Polly's SSML.
    (
        "https://github.com/aws-samples/amazon-personalize-samples/issues/12",
        "Create Dataset the **personalize.create_dataset()** method is missing the name parameter.",
        "other.other",
    ),
    (
        "https://github.com/meemalabs/laravel-text-to-speech/issues/35",
        "when I try to apply the TextToSpeech::ssml() method if there is more than 2000 "
        "characters … it throws me the following error message:",
        "other.other",
    ),
    (
        "https://github.com/pipecat-ai/pipecat/issues/2258",
        "An error occurred (InvalidSsmlException) when calling the SynthesizeSpeech operation: "
        "Invalid SSML request",
        "other.other",
    ),
    # The Lex Web UI's error reply; Lex V2's resources.
    (
        "https://github.com/aws-samples/aws-lex-web-ui/issues/273",
        "Error : Sorry, I was unable to process your message. Try again later. … i have launched "
        "the stack and it is completed, when i try to launch the Web Interface using Cloudfront "
        "URL, i am getting the error",
        "other.other",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/39901",
        "[Bug]: when creating the aws_lexv2models_slot resource from list. ### Terraform Core "
        "Version 1.9.8 … unable to create th slot resour",
        "other.other",
    ),
    # Elastic Beanstalk's .ebextensions and its deploy engine's log.
    (
        "https://github.com/rennokki/laravel-aws-eb/issues/40",
        "[ERROR] An error occurred during execution of command [app-deploy] - "
        "[PreBuildEbExtension]. Stop running the command. Error: EbExtension build failed. "
        "Please refer to /var/log/cfn-init.log for more details.",
        "other.other",
    ),
    (
        "https://github.com/rennokki/laravel-aws-eb/issues/57",
        "/var/log/eb-engine.log … [ERROR] An error occurred during execution of command "
        "[app-deploy] - [PostBuildEbExtension]. Stop running the command. Error: Container "
        "commands build failed.",
        "other.other",
    ),
    # A SageMaker endpoint's container answering an error (ModelError).
    (
        "https://github.com/aws/amazon-sagemaker-examples/issues/235",
        "ModelError: An error occurred (ModelError) when calling the InvokeEndpoint operation: "
        "Received server error (500) from model with message … <title>500 Internal Server "
        "Error</title>",
        "other.other",
    ),
    (
        "https://github.com/aws/sagemaker-python-sdk/issues/4395",
        '"Host a Pretrained Model on SageMaker" tutorial fails with "Received server error (500) '
        'from primary and could not load the entire response body."',
        "other.other",
    ),
    # QuickSight's refresh and Athena's query errors (not DynamoDB's table, not IAM's refusal).
    (
        "https://github.com/aws-samples/config-resource-compliance-dashboard/issues/21",
        "I am getting this error for all QuickSight dataset refreshes: … Error type: SQL_EXCEPTION "
        "… line 6:3: Table 'awsdatacatalog.cid_cur.account_map' does not exist",
        "other.other",
    ),
    (
        "https://github.com/aws-solutions-library-samples/cloud-intelligence-dashboards-framework/issues/1055",
        "SQL_EXCEPTION … COLUMN_NOT_FOUND: line 16:490: Column 'parent_tags' cannot be resolved "
        "or requester is not authorized to access requested resources",
        "other.other",
    ),
    # Round 20 (S3, IAM and non-incidents): IAM's quotas, named permissions, S3's own signature
    # mismatch and CORS said to be fine.
    # IAM's "Cannot exceed quota for PolicySize / PoliciesPerRole" is iam.other, also in a stack.
    (
        "https://github.com/ministryofjustice/cloud-platform-environments/pull/14473",
        "Separate IAM policies to avoid LimitExceeded error (preprod) ``` LimitExceeded: Cannot "
        "exceed quota for PolicySize: 6144 ```",
        "iam.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-ecs/issues/108",
        "LimitExceeded for task policy ## Description When trying to apply permissions for my "
        "ECS service to have access to some SSM parameters: … Error: updating IAM Policy "
        "(arn:aws:iam::0000000000:policy/staging-ecs-execution-role): LimitExceeded: Cannot "
        "exceed quota for PolicySize: 6144",
        "iam.other",
    ),
    (
        "https://github.com/aws/eks-hybrid/pull/741",
        'Resource handler returned message: "Cannot exceed quota for PoliciesPerRole: 10 '
        "(Service: Iam, Status Code: 409, … HandlerErrorCode: ServiceLimitExceeded)",
        "iam.other",
    ),
    # An s3fs mount's "Transport endpoint not connected", with or without "is".
    (
        "https://github.com/xueshanf/docker-s3fs/issues/3",
        "getting an error error: s3fs: TRANSPORT ENDPOINT NOT CONNECTED",
        "s3.other",
    ),
    (
        "https://github.com/s3fs-fuse/s3fs-fuse/issues/725",
        "Transport endpoint is not connected #### Version of s3fs being used",
        "s3.other",
    ),
    # S3's "The specified key does not exist" is an object's key, never an access key.
    (
        "https://github.com/aws-amplify/aws-sdk-android/issues/321",
        "The specified key does not exist after 2.3.9 … If I write a special char into key string "
        "the upload doesn't work well.",
        "s3.no_such_key",
    ),
    (
        "https://github.com/adieuadieu/retinal/issues/4",
        'Objects with spaces in their key name results in "NoSuchKey: The specified key does not '
        'exist." error',
        "s3.no_such_key",
    ),
    # CORS said to be right or working is not why S3 refuses the upload.
    (
        "https://github.com/bradleyg/django-s3direct/issues/167",
        "403 Access Denied I create IAM user with AmazonS3FullAccess policy, create bucket, write "
        "correct CORS, and after upload file see this logs: … x-amz-acl:public-read … 403 "
        "(Forbidden)",
        "s3.access_denied",
    ),
    (
        "https://github.com/nukulb/s3-angular-file-upload/issues/15",
        "403 Forbidden. Response Error Code: Access Denied … Credentials and CORS works ok on "
        "danialfarid website",
        "s3.access_denied",
    ),
    # An API operation named as the permission the identity lacks, or added in a new policy.
    (
        "https://github.com/Upplication/Amazon-S3-FileSystem-NIO2/issues/101",
        "the access key we have for our bucket is not authorized to do the ListAllMyBuckets call.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/seratch/AWScala/issues/122",
        "A client doesn't necessarily have the listBuckets permission, but *can* "
        "getObject(bucketName). … AmazonS3Exception: Access Denied (Service: Amazon S3; Status "
        "Code: 403; Error Code: AccessDenied;",
        "iam.missing_permission",
    ),
    (
        "https://github.com/ekristen/aws-nuke/issues/246",
        "I'm trying to make this work in an account which doesn't have the iam:ListAccountAliases "
        "enabled for the role that aws-nuke will use.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws/serverless-application-model/issues/472",
        "your lambda function can not create new bucket objects. It only works if I explicitly "
        "add a new policy with `s3:PutObjectAcl`.",
        "iam.missing_permission",
    ),
    # A non-S3 action named, then "permission denied"; a denial of a describe call.
    (
        "https://github.com/dwardu89/aws-ssm-parameter-store/issues/16",
        "setup my IAM user to use ssm:PutParameter however it's still getting a permission denied "
        "error",
        "iam.missing_permission",
    ),
    (
        "https://github.com/prowler-cloud/prowler/issues/1190",
        'Currently receiving an error, "Access Denied trying to describe regions! Review '
        'permissions,"',
        "iam.missing_permission",
    ),
    # A tool said not to use the role_arn (or profile) it was given: the credentials it calls with.
    (
        "https://github.com/hashicorp/terraform/issues/27754",
        "Terraform init is not using role_arn in s3 backend … I get the same AccessDenied that I "
        "get when not using `role_arn`.",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-cli/issues/1748",
        "AWS_DEFAULT_PROFILE does not work with profiles containing Role ARNs As in #805,",
        "iam.credentials",
    ),
    # A signature mismatch in S3's own error line (boto's S3ResponseError, s3cmd's "S3 error"),
    # or "mismatch in signatures": how S3's request was signed, not the keys.
    (
        "https://github.com/aws-samples/aws-python-sample/issues/2",
        "bucket = s3.create_bucket(bucket_name) … boto.exception.S3ResponseError: S3ResponseError: "
        '403 Forbidden <?xml version="1.0" encoding="UTF-8"?> '
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
        "does not match the signature you provided.",
        "s3.other",
    ),
    (
        "https://github.com/etianen/django-s3-storage/issues/28",
        "Signature mismatch error Hi! I get `boto.exception.S3ResponseError: S3ResponseError: 403 "
        'Forbidden <?xml version="1.0" encoding="UTF-8"?> '
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
        "does not match the signature you provided. Check your key and signing method.`",
        "s3.other",
    ),
    (
        "https://github.com/s3tools/s3cmd/issues/1053",
        "ERROR: S3 error: 403 (SignatureDoesNotMatch): The request signature we calculated does "
        "not match the signature you provided. Check your key and signing method.",
        "s3.other",
    ),
    (
        "https://github.com/davidmoten/aws-lightweight-client-java/issues/216",
        "some of my S3 keys have nonconsecutive spaces in them. … I always get a 503 status. … "
        "which results in a 403 error related to mismatch in signatures.",
        "s3.other",
    ),
    # Round 20 (Lambda, VPC, services outside the list (other.other)): bundled native code and
    # binaries, Amplify Hosting's 403s, Bedrock's account access, a busy event loop.
    # A native library the package's compiled module needs, missing from the runtime.
    (
        "https://github.com/Automattic/node-canvas/issues/1448",
        "After compiling node-canvas a Amazon Linux and deploying to Lambda I'm getting the "
        "following error: Error: libuuid.so.1: cannot open shared object file: No such file or "
        "directory",
        "lambda.import_error",
    ),
    (
        "https://github.com/SeanSobey/ChartjsNodeCanvas/issues/75",
        'Error running on AWS Lambda … "errorMessage": "libuuid.so.1: cannot open shared object '
        'file: No such file or directory",',
        "lambda.import_error",
    ),
    (
        "https://github.com/charoitel/lambda-layer-canvas-nodejs/issues/6",
        'I want to use canvas in my lambda function … "errorMessage": "libpixman-1.so.0: cannot '
        'open shared object file: No such file or directory"',
        "lambda.import_error",
    ),
    # Prisma's query engine built for another platform or left out of the package.
    (
        "https://github.com/prisma/orm/issues/13518",
        'Query engine library for current platform "rhel-openssl-1.1.x" could not be found.',
        "lambda.import_error",
    ),
    (
        "https://github.com/prisma/orm/issues/13396",
        "Query Engine Library Not Found … We have recently been seeing query engine library errors "
        "on our app hosted on vercel.",
        "lambda.import_error",
    ),
    (
        "https://github.com/jetbridge/sst-prisma/issues/53",
        "Prisma Engine Does Not Seem to be Compatible with Lambda … Unable to require("
        "`/opt/nodejs/node_modules/@prisma/engines/libquery_engine-rhel-openssl-1.0.x.so.node`).",
        "lambda.import_error",
    ),
    # tiktoken's data files (its .wasm, its encoding plugins) the bundle left out.
    (
        "https://github.com/dqbd/tiktoken/issues/61",
        "When running 1.0.7 there is a Missing tiktoken_bg.wasm error on AWS Lambda",
        "lambda.import_error",
    ),
    (
        "https://github.com/openai/tiktoken/issues/198",
        "when I deployed my project into AWS lambda I got the below error. Unknown encoding "
        "cl100k_base. Plugins found: ['tiktoken_ext.__pycache__', 'tiktoken_ext.openai_public'].",
        "lambda.import_error",
    ),
    (
        "https://github.com/zappa/Zappa/issues/1306",
        'encoding = tiktoken.get_encoding("cl100k_base") File "/var/task/tiktoken/registry.py", '
        "line 64, in get_encoding _find_constructors() … raise ValueError(",
        "lambda.import_error",
    ),
    # A headless browser's driver that cannot start on the runtime (status 127).
    (
        "https://github.com/adieuadieu/serverless-chrome/issues/323",
        '"errorMessage": "Message: Service /opt/chromedriver unexpectedly exited. Status code was: '
        '127\\n", "errorType": "WebDriverException",',
        "lambda.other",
    ),
    (
        "https://github.com/mherrmann/helium/issues/79",
        "chromedriver unexpectedly exited. Status code was: 127 Anybody tried to run this in aws "
        "lambda function ? … from helium import *",
        "lambda.other",
    ),
    (
        "https://github.com/yai333/Selenium-UI-testing-with-AWS-Lambda-Layers/issues/7",
        "I ran into the error `WebDriverException: Message: Service /opt/chromedriver unexpectedly "
        "exited. Status code was: 127`.",
        "lambda.other",
    ),
    # A bundled binary the runtime may not execute (EACCES) or that is still being written.
    (
        "https://github.com/SavageCore/node-ffprobe-installer/issues/249",
        'ffprobe EACCES after deploying lamda function … "errorType": "Error", "errorMessage": '
        '"spawn /var/task/node_modules/@ffprobe-installer/linux-arm64/ffprobe EACCES",',
        "lambda.other",
    ),
    (
        "https://github.com/alixaxel/chrome-aws-lambda/issues/209",
        '"errorMessage": "spawn ETXTBSY", "trace": [ "Error: spawn ETXTBSY", " at '
        'ChildProcess.spawn (internal/child_process.js:403:11)",',
        "lambda.other",
    ),
    # Amplify Hosting's 403 for its deployed app (not S3's, whatever the server header says).
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/435",
        "Getting 403 accessing recently deployed app: curl -i "
        "https://prod.d2keoun3hapo8.amplifyapp.com HTTP/2 403 content-type: application/xml … "
        "server: AmazonS3",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/3276",
        "access files from index.html give 403 errors ### App Id app1943 ### AWS Region us-east-1 "
        "### Amplify Hosting feature Access control",
        "other.other",
    ),
    # Bedrock's account-level model access refusal, whatever role the caller assumed.
    (
        "https://github.com/aws-samples/amazon-bedrock-workshop/issues/72",
        "My user trusted to assume the role. … AccessDeniedException: An error occurred "
        "(AccessDeniedException) when calling the InvokeModel operation: Your account is not "
        "authorized to invoke this API operation.",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/amazon-bedrock-workshop/issues/100",
        "An error occurred (AccessDeniedException) when calling the InvokeModel operation: Your "
        "account is not authorized to invoke this API operation.",
        "other.other",
    ),
    # An open connection keeps Node's event loop busy: the function runs to its timeout.
    (
        "https://github.com/serverless-heaven/serverless-webpack/issues/70",
        "Strange behavior with Mongoose Trying mongoose with "
        "`context.callbackWaitsForEmptyEventLoop = false` so the function should end after "
        "calling `callback(...)`",
        "lambda.timeout",
    ),
    (
        "https://github.com/jeremydaly/serverless-mysql/issues/63",
        "timing out intermittently … context.callbackWaitsForEmptyEventLoop = false;",
        "lambda.timeout",
    ),
    # Round 20 (EC2, DynamoDB, API Gateway, CloudFormation, CloudWatch): DynamoDB's own limits and
    # tools behind a stack or a trace, the CDK's bootstrap, API Gateway's authorizers, custom
    # domains and 500s, EC2's AMI waiter and Instance Connect keys, stacks failing in plain words.
    # DynamoDB's one-GSI-per-update limit, whatever stack or push surfaced it.
    (
        "https://github.com/aws-amplify/amplify-cli/issues/6735",
        "I tried to update multiple GSIs in a single `amplify api push -y` … Attempting to add and "
        "remove a global secondary index at the same time on the OrganisationsTable table in the "
        "Organisations stack.",
        "dynamodb.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/14920",
        "I get the following error while running `cdk deploy`: … UPDATE_FAILED | "
        "AWS::DynamoDB::Table | MyTable (MyTableXXXX) Cannot perform more than one GSI creation "
        "or deletion in a single update",
        "dynamodb.other",
    ),
    (
        "https://github.com/convox/console-app/issues/9",
        "CloudFormation fails with the error: `Cannot perform more than one GSI creation or "
        "deletion in a single update` and the update rolls back.",
        "dynamodb.other",
    ),
    # DynamoDB Local (its embedded jar, sqlite4java) failing to start: not the learner's code.
    (
        "https://github.com/aws-samples/aws-dynamodb-examples/issues/2",
        'NullPointerException running DynamoDBLocalFixture … Exception in thread "main" '
        "java.lang.NullPointerException … at com.amazonaws.services.dynamodbv2.local.shared.access"
        ".sqlite.SQLiteDBAccess.initializeMetadataTables(SQLiteDBAccess.java:388)",
        "dynamodb.other",
    ),
    (
        "https://github.com/aws-samples/aws-dynamodb-examples/issues/22",
        "java.lang.UnsatisfiedLinkError: no sqlite4java-osx-x86_64-1.0.392 in java.library.path … "
        "Anyone know a way to fix this?",
        "dynamodb.other",
    ),
    # A condition that does not stop the write (attribute_not_exists "not working").
    (
        "https://github.com/aws/aws-sdk-go-v2/issues/1594",
        "attribute_not_exists not check normal … `attribute_not_exists(pk)` not check normal. … "
        "put item pk: `user#a1234` sk: `user#a12` is put success.",
        "dynamodb.other",
    ),
    (
        "https://github.com/guregu/dynamo/issues/236",
        "`attribute_not_exists` doesn't seem to be working. Able to insert the same key. Am i "
        "doing something wrong?",
        "dynamodb.other",
    ),
    # A failed condition over the expression wording quoted beside it (dynamodb.validation's).
    (
        "https://github.com/getmoto/moto/issues/1358",
        "dynamodb update item with if_not_exists in update-expression When I did update_item with "
        "Update expression as `SET a = if_not_exists(a, :a)`, I got "
        "`ConditionalCheckFailedException`. … ExpressionAttributeValues={':created_at': 123}",
        "dynamodb.other",
    ),
    (
        "https://github.com/aws/aws-sdk-java-v2/issues/2332",
        "when put the same item with attribute annotated DynamoDbVersionAttribute  multiple "
        "items,got error … ConditionalCheckFailedException: The conditional request failed",
        "dynamodb.other",
    ),
    # A CDK environment never bootstrapped, beside the CDK's "Proceeding anyway" warning.
    (
        "https://github.com/aws-samples/sample-sonic-cdk-agent/issues/14",
        "current credentials could not be used to assume '**', but are for the right account. "
        "Proceeding anyway. S2SCDK-NetworkStack-dev: SSM parameter "
        "/cdk-bootstrap/hnb659fds/version not found.",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws-samples/aws-genai-conversational-rag-reference/issues/46",
        "[BUG] CLI fails when account/region is not bootsrapped … ParameterNotFound: UnknownError",
        "cloudformation.other",
    ),
    # An AMI still being made when the tool's waiter gives up (ResourceNotReady).
    (
        "https://github.com/hashicorp/packer/issues/13258",
        "Error waiting for AMI: Failed with ResourceNotReady error, which can have a variety of "
        "causes … Consistently getting `ResourceNotReady: exceeded wait attempts` errors using a "
        "high performance instance type.",
        "ec2.other",
    ),
    (
        "https://github.com/scylladb/scylla-machine-image/pull/352",
        "Error waiting for AMI: Failed with ResourceNotReady error, which can have a variety of "
        "causes. … So the AMI job fails but if we check AWS console after few more minutes",
        "ec2.other",
    ),
    # EC2 Instance Connect refusing the pushed key (its SSHPublicKey parameter).
    (
        "https://github.com/qoomon/aws-ssm-ssh-proxy-command/issues/15",
        "ec2-instance-connect does not support ed25519 … Parameter validation failed: Invalid "
        "length for parameter SSHPublicKey, value: 81, valid min length: 256",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/aws/aws-cli/issues/5243",
        "ec2-instance-connect send-ssh-public-key does not support ed25519 public keys",
        "ec2.ssh_access",
    ),
    # The .pem refused for its file permissions: chmod 400, not an IAM permission.
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/956",
        "I am trying to do ssh from powershell to my UBUNTU ece2 isntance. I get permission denied "
        "for my .pem file.",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/perseo22/pacmanager/issues/67",
        'Load key "Instance.pem": bad permissions Permission denied (publickey).',
        "ec2.ssh_access",
    ),
    # A custom authorizer API Gateway cannot use or never calls.
    (
        "https://github.com/serverless/serverless/issues/1056",
        "the endpoint deployment constantly erring with `Invalid authorizer id specified. Setting "
        "the authorization type to CUSTOM requires a valid authorizer.` … not providing a Region "
        'or a Lambda Function. … "runtime": "nodejs4.3", "handler": "index.handler",',
        "apigateway.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/829",
        "So I'm getting exactly the error message @ajagnanan posted. … All I can say that my "
        'custom authorizer is never being called. … "runtime": "nodejs4.3", … "handler": '
        '"secure/handler.handler", "timeout": 60,',
        "apigateway.other",
    ),
    # An edge-optimized custom domain's certificate, which must come from us-east-1.
    (
        "https://github.com/architect/architect/issues/25",
        "BadRequestException: Invalid certificate ARN: "
        "arn:aws:acm:us-west-2:xxxxx:certificate/xxx-xxx-xxx. Certificate must be in 'us-east-1'.",
        "apigateway.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/18428",
        "Feature: AWS APIGateway Custom Domain Certificate from us-east-1 … Cannot create the "
        "domain because the certificate has to be from `us-east-1` per documentation (my stack is "
        "in eu-center-1)",
        "apigateway.other",
    ),
    # A 500 API Gateway itself answers.
    (
        "https://github.com/DataDog/datadog-lambda-js/issues/162",
        "API Gateway v1 protocol causes 500 response from API gateway … API gateway returned 500.",
        "apigateway.bad_gateway",
    ),
    (
        "https://github.com/newrelic/newrelic-lambda-cli/issues/234",
        "After installing these my api gateway started returning 502 errors, even though the "
        "lambdas were successful.",
        "apigateway.bad_gateway",
    ),
    # Stacks failing in plain words: a change set spelt apart, "Cloudformation fails", a custom
    # resource that stalls.
    (
        "https://github.com/aws/serverless-application-model/issues/1834",
        "Failed to create CloudFormation change set: Received malformed response … 1. sam build "
        "2. sam deploy --guided",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws-samples/unishop-monolith-to-microservices/issues/16",
        "Cloudformation fails Hi, The cloudformation 'MonoToMicroCF5.json' fails at EC2 instance "
        "event. It doesnt show any error messages besides 'Received error for unique id ....'",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/13782",
        "CustomResource: Stalls on creation but not elete … the database and the Lambda that "
        "backs the CustomResource get created, but the Lambda is never called.",
        "cloudformation.stack_failed",
    ),
    # A Python CDK app's traceback through jsii: the CDK toolchain, not a function's code.
    (
        "https://github.com/aws-samples/amazon-s3-resumable-upload/issues/16",
        'Can\'t do "cdk synth" on cdk-cluster. … File '
        '"/Users/.../AWS_Sync/amazon-s3-resumable-upload/cluster/cdk-cluster/.env/lib/python3.7/'
        'site-packages/jsii/_runtime.py", line 69, in __call__ … TypeError: __init__() takes 3 '
        "positional arguments but 12 were given",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws-samples/llm-app-genie/issues/27",
        "When I try to deploy a stack with cdk I get the following error … "
        "jsii.errors.JavaScriptError: … Expected to find .jsii file",
        "cloudformation.other",
    ),
    # Round 21 (S3, IAM and non-incidents): ACLs disabled by Object Ownership, cross-account
    # PassRole, S3's XML AccessDenied body, IAM actions named as required, S3 object calls denied.
    # CloudFormation / CloudFront refusing ACLs on a BucketOwnerEnforced bucket: s3.access_denied.
    (
        "https://github.com/aws-samples/react-cors-spa/issues/12",
        "Error with logging permissions - needs redoing with BucketPolicy … Bucket cannot have "
        "ACLs set with ObjectOwnership's BucketOwnerEnforced setting (Service: Amazon S3; Status "
        "Code: 400; Error Code: InvalidBucketAclWithObjectOwnership;",
        "s3.access_denied",
    ),
    (
        "https://github.com/awslabs/sandbox-accounts-for-events/issues/29",
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting "
        "Cloudformation fails when trying to create LoggingBucket resource",
        "s3.access_denied",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/25291",
        "it's not possible to setup an s3 bucket to use as logging bucket for a cloudfront "
        "distribution … ROLLBACK_COMPLETE: Bucket cannot have ACLs set with ObjectOwnership's "
        "BucketOwnerEnforced setting",
        "s3.access_denied",
    ),
    # "Cross-account pass role is not allowed": passing another account's role, iam.passrole.
    (
        "https://github.com/aws/aws-toolkit-azure-devops/issues/546",
        "AccessDeniedException: Cross-account pass role is not allowed - but it's root account … "
        "Error: Failed to create function, error AccessDeniedException: Cross-account pass role "
        "is not allowed.",
        "iam.passrole",
    ),
    (
        "https://github.com/webfactory/create-aws-codedeploy-deployment/issues/11",
        "AccessDeniedException: Cross-account pass role is not allowed. The following error is "
        "rendered when running the action",
        "iam.passrole",
    ),
    # S3's XML error body <Code>AccessDenied</Code>, flattened by the normaliser (a cue).
    (
        "https://github.com/furaiev/amazon-cognito-identity-dart-2/issues/60",
        's3 upload not working … I m getting the below response … <?xml version="1.0" '
        'encoding="UTF-8"?> <Error><Code>AccessDenied</Code><Message>Access '
        "Denied</Message>",
        "s3.access_denied",
    ),
    (
        "https://github.com/aws-amplify/amplify-android/issues/554",
        "when I'm trying to access the object url (bucket url) from web browser, it is throwing "
        "below error. `<Error> <Code>AccessDenied</Code> <Message>Access Denied</Message>",
        "s3.access_denied",
    ),
    # An IAM action named as required or added to the deploying policy: iam.missing_permission.
    (
        "https://github.com/aws-samples/amazon-sagemaker-safe-deployment-pipeline/pull/11",
        "Added iam:CreateServiceLinkedRole to mlops-deploy policy … stack deploy-model-prd fails "
        "on deployment as iam:CreateServiceLinkedRole is required to deploy the AutoScaling "
        "resource.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/brefphp/bref/pull/2028",
        "Add 'iam:TagRole' permission to AWS policy The `serverless deploy` cli command now "
        "requires the `iam:TagRole` permissions on the minimum policy",
        "iam.missing_permission",
    ),
    # AccessDenied on an S3 object call (ListObjectsV2), even cut short in a title.
    (
        "https://github.com/villasv/aws-airflow-stack/issues/180",
        "Setup fails on eu-central-1 due to AccessDenied when calling the ListObjectsV2 After "
        "running your CloudFormation template I am unable to access the webserver",
        "s3.access_denied",
    ),
    (
        "https://github.com/B3nac/InjuredAndroid/issues/12",
        "`An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access "
        "Denied`",
        "s3.access_denied",
    ),
    # Round 21 (EC2, services outside the list (other.other), VPC, Lambda): full root volumes,
    # instances out of memory, SSH checks that give up, Textract's S3 object, Elastic Beanstalk's
    # failed command, domains that stop resolving, Redis Cluster clients.
    # A root volume asked to grow, or yum's "more space needed on the / filesystem": ec2.other.
    (
        "https://github.com/openva/richmondsunlight.com/issues/26",
        "Increase the size of root volume We're all out of space!",
        "ec2.other",
    ),
    (
        "https://github.com/poanetwork/blockscout-terraform/issues/53",
        "Increase the size of the EC2 root_block_device A few of the chains have run out of space.",
        "ec2.other",
    ),
    (
        "https://github.com/plus3it/spel/issues/595",
        "[Enhancement] Increase the Root Partition-Size in the Produced-AMIs … Installation of "
        "hardening tools and other packages onto a freshly-deployed EC2 is "
        "resulting in out-of-space errors on the `/` filesystem. … At least 74MB more space "
        "needed on the / filesystem.",
        "ec2.other",
    ),
    # An instance's memory exhausted ("Cannot allocate memory"): ec2.other, not Lambda's OOM nor
    # a "stack" that failed (a "Stack trace ... failed" is no CloudFormation stack).
    (
        "https://github.com/hummingbot/hummingbot/issues/1577",
        "Getting `[Errno 12] Cannot allocate memory` error when trying to install Hummingbot from "
        "source in AWS t2.micro",
        "ec2.other",
    ),
    (
        "https://github.com/facebookarchive/fbctf/issues/201",
        "Failed install on Amazon EC2 - Errors included … Failed to mmap persistent RDS region. "
        "errno = Cannot allocate memory Core dumped: Aborted Stack trace in "
        "/tmp/stacktrace.8671.log hphp failed running hphp",
        "ec2.other",
    ),
    # A full disk breaks the pipe of what was writing: not SSH's "broken pipe".
    (
        "https://github.com/Gabriella439/simple-twitter/issues/1",
        "When I attempt to deploy an EC2 instance using the readme commands, the following error "
        "prevents the deploy from succeeding: ``` error: writing to file: No space left on device "
        "error: writing to file: Broken pipe ```",
        "ec2.other",
    ),
    (
        "https://github.com/kickstarter/build-ubuntu-ami/issues/22",
        "No space left on device (again) My EC2 system log looks like: … user-data: dd: error "
        "writing 'standard output': No space left on device",
        "ec2.other",
    ),
    # docker-machine's give-up line quoted alone: its SSH never answered.
    (
        "https://github.com/rancher/rancher/issues/1579",
        "Add host (ec2) fails 'Maximum number of retries (60) exceeded' This looks like a "
        "docker-machine issue but basically I have had no luck repeatedly in adding an EC2 host",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/docker-archive-public/docker.machine/issues/3341",
        "still getting error that the default max of 60 is exceeded. … Last error: Maximum number "
        "of retries (60) exceeded",
        "ec2.ssh_access",
    ),
    # A tool's SSH check of a new instance that keeps failing ("ssh connection errors").
    (
        "https://github.com/dask/dask-ec2/issues/37",
        "check_ssh failed Hi, I tried to do the following: dask-ec2 up --keyname raymond … But I "
        "keep getting ssh connection errors: … DEBUG: Attempt 10/10 of function 'check_ssh' "
        "failed ERROR: Retries limit exceeded",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/amplab/spark-ec2/issues/50",
        "the script is unable to proceed with the rest of the provisioning. … Warning: SSH "
        "connection error. (This could be temporary.)",
        "ec2.ssh_access",
    ),
    # Textract refusing the S3 object it was handed (InvalidS3ObjectException).
    (
        "https://github.com/aws/aws-sdk-js/issues/2714",
        "Textract is not able to access file on S3 … The code above returned error "
        "`InvalidS3ObjectException: Unable to get object metadata from S3. Check object key, "
        "region and/or access permissions.`",
        "other.other",
    ),
    (
        "https://github.com/simonw/s3-ocr/issues/24",
        "Textract needs to run in the same region as the S3 bucket … "
        "`botocore.errorfactory.InvalidS3ObjectException: An error occurred "
        "(InvalidS3ObjectException) when calling the StartDocumentTextDetection operation: Unable "
        "to get object metadata from S3. Check object key, region and/or access permissions.`",
        "other.other",
    ),
    # Elastic Beanstalk's "Command failed on (all) instances" event (eb-py-flask-signup#9 above).
    (
        "https://github.com/aws-samples/eb-docker-nginx-proxy/issues/9",
        "ERROR | Create environment operation is complete, but with errors. … WARN | Environment "
        "health has transitioned from Pending to Degraded. Command failed on all instances.",
        "other.other",
    ),
    # A domain that stopped resolving (its hosted zone or name servers; amplify-hosting#407 above).
    (
        "https://github.com/XCSoar/XCSoar/issues/1888",
        "XCSoar.org Domain Name I don't know what happened, but the domain name suddenly no longer "
        "resolves. (the servers are up and running.)",
        "other.other",
    ),
    # A Redis Cluster client against ElastiCache without cluster mode: it finds no cluster node.
    (
        "https://github.com/redis/jedis/issues/1024",
        "redis.clients.jedis.exceptions.JedisConnectionException: no reachable node in cluster "
        "Hi, I created a ElasticCache Redis Cluster with 1 Master node.",
        "other.other",
    ),
    (
        "https://github.com/redis/ioredis/issues/1389",
        "Unable to establish connection to Elasticache Cluster: Error None of startup nodes is "
        "available",
        "other.other",
    ),
    # Round 21 (API Gateway, CloudFormation, DynamoDB): capabilities the deploy left out, boto3's
    # float refusal, DynamoDB Local and GSI limits, WebSocket management calls, missing methods,
    # API Gateway's integration timeout (504), and stacks waiting on cfn-signal.
    # A template with IAM resources deployed without --capabilities: the call's input.
    (
        "https://github.com/Appliscale/perun/issues/185",
        "CAPABILITY_NAMED_IAM not working … ERROR: Error creating stack: "
        "InsufficientCapabilitiesException: Requires capabilities : [CAPABILITY_NAMED_IAM]",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws-cloudformation/rain/issues/455",
        "Requires capabilities : [CAPABILITY_IAM] Hi When using rain, I failed creating a stack "
        "instance using the stackset command",
        "cloudformation.other",
    ),
    (
        "https://github.com/cityindex-attic/logsearch/pull/237",
        "A client error (InsufficientCapabilitiesException) occurred: Requires capabilities : "
        "[CAPABILITY_IAM] rake aborted!",
        "cloudformation.other",
    ),
    # boto3's serializer refusing a Python float: the number type, not the keys or an expression.
    (
        "https://github.com/aws-samples/csv-to-dynamodb/issues/12",
        'Decimal value issue … I get errors saying "Float types are not supported. Use Decimal '
        'types instead"',
        "dynamodb.other",
    ),
    (
        "https://github.com/boto/boto3/issues/534",
        "DynamoDB Decimal type not supperted remove inserted float value error `Float types are "
        "not supported. Use Decimal types instead` … raise TypeError( 'Float types are not "
        "supported. Use Decimal types instead.')",
        "dynamodb.other",
    ),
    (
        "https://github.com/boto/boto3/issues/665",
        "table.put_item(Item=item) >> TypeError: Float types are not supported. Use Decimal "
        "types instead.",
        "dynamodb.other",
    ),
    # DynamoDB's one-GSI-per-update limit said with another verb, and beside Amplify's form.
    (
        "https://github.com/aws-amplify/amplify-cli/issues/6348",
        'Removing 3 GSIs on table with enableIterativeGsiUpdates set to true throws "cannot '
        'modify more than one GSI" error … type Product @model @key(fields: ["id"]) '
        '@key(name: "ByActive", fields: ["active"], queryField: "productsByActive")',
        "dynamodb.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/8883",
        "Cannot perform more than one GSI creation or deletion in a single update - with "
        "enableIterativeGSIUpdates set to true ### App Id d2wbvui32pghee ### Region "
        "ap-southeast-2 ### Amplify Console feature Backend builds",
        "dynamodb.other",
    ),
    # DynamoDB Local named: its own behaviour, not the table's keys or a service outside.
    (
        "https://github.com/dwmkerr/docker-dynamodb/issues/8",
        "java.lang.UnsatisfiedLinkError: … file too short Getting the above error when trying to "
        "run the latest image: … Initializing DynamoDB Local with the following configuration:",
        "dynamodb.other",
    ),
    (
        "https://github.com/pynamodb/PynamoDB/issues/1278",
        "An error occurred (ValidationException) on request (asdf) on table (asdf) when calling "
        "the UpdateTimeToLive operation: TimeToLive is already enabled\". … but I'm using "
        "DynamoDB local which supports TTLs.",
        "dynamodb.other",
    ),
    # A WebSocket API's management calls (postToConnection, GoneException).
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/2763",
        "API Gateway Management API post to connection throws GoneException … "
        '"errorType": "GoneException", "errorMessage": "410", "code": "GoneException", '
        '"message": "410", "statusCode": 410,',
        "apigateway.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/3773",
        "API gateway websocket postToConnection gets 410 but is successful … "
        '"errorType": "GoneException", "errorMessage": "410", "code": "GoneException", '
        '"message": "410", "statusCode": 410,',
        "apigateway.other",
    ),
    (
        "https://github.com/rusoto/rusoto/issues/1659",
        "ApiGatewayManagementApi::post_to_connection hangs I'm calling post_to_connection like "
        "this from a Lambda:",
        "apigateway.other",
    ),
    # A method or integration that does not exist when the next resource is created.
    (
        "https://github.com/carrot/terraform-api-gateway-method-module/issues/3",
        "Error creating API Gateway Integration Response: NotFoundException: No integration "
        "defined for method … status code: 404",
        "apigateway.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/14963",
        "aws_api_gateway fail creating API Gateway integration type AWS_PROXY with ANY Method … "
        "NotFoundException: Invalid Method identifier specified because integration can't be "
        "created.",
        "apigateway.other",
    ),
    # API Gateway's integration timeout (504, "Endpoint request timed out"): its own limit.
    (
        "https://github.com/aws/chalice/issues/537",
        'Why am I getting "Endpoint request timed out" at the end instead of returned JSON?',
        "apigateway.other",
    ),
    (
        "https://github.com/aws/context-ontology-accelerator/issues/185",
        "A Tier-2 query returns 504, and the caller cannot lower the deadline … returned `504 "
        '{"message": "Endpoint request timed out"}`',
        "apigateway.other",
    ),
    (
        "https://github.com/ghdna/athena-express/issues/18",
        'the API gateway returns a "Endpoint request timed out" message.',
        "apigateway.other",
    ),
    (
        "https://github.com/ustaxcourt/ef-cms-flexion/issues/10087",
        "BUG: Increased 504 response rate in API Gateway **Describe the Bug** Multiple endpoints "
        "are returning with 504 errors.",
        "apigateway.other",
    ),
    # ... but a 504 from a load balancer is not API Gateway's (a guard of the veto).
    # An instance whose cloud-init runs cfn-signal: the stack's wait, not the instance.
    (
        "https://github.com/aws/aws-parallelcluster/issues/3939",
        "Cluster deployment fails while using long customScripts … CloudFormation fails with a "
        "timeout. … cloud-init[1124]: + cfn-signal --exit-code=0 '--reason=HeadNode setup "
        "complete'",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/12749",
        "the CF stack timeouts in the creation of the new EC2 instance due to not able to "
        "receive the cfn-signal from the newly created EC2",
        "cloudformation.stack_failed",
    ),
    # Round 22, group A.
    # Bedrock's throttling (its own "please wait before trying again", its name beside the word):
    # the account's model quota, not API Gateway's; SES's sending quota said short.
    (
        "https://github.com/anthropics/claude-code/issues/236",
        "API Error on AWS bedrock (429) Getting (429 Too many tokens, please wait before trying "
        "again.) in every request",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-genai-llm-chatbot/issues/220",
        "An error occurred (throttlingException) when calling the InvokeModelWithResponseStream "
        "operation: Too many requests, please wait before trying again.",
        "other.other",
    ),
    (
        "https://github.com/posit-dev/positron/issues/7844",
        'Claude 4 Sonnet Bedrock throttling error … "name": "ThrottlingException",',
        "other.other",
    ),
    (
        "https://github.com/hackclub/hcb/pull/11734",
        "Lower mail job throttling to 10/second … We're still seeing some max send rate exceeded "
        "errors from AWS SES … Lowering the mail job throttle to 10/second",
        "other.other",
    ),
    # Database engines' own refusals: PostgreSQL out of connection slots, MySQL's login refused.
    (
        "https://github.com/Netflix/security_monkey/issues/185",
        "OperationalError: (OperationalError) FATAL: remaining connection slots are reserved for "
        "non-replication superuser connections … The psql backend is a t2.small AWS RDS node.",
        "other.other",
    ),
    (
        "https://github.com/metabase/metabase/issues/5953",
        "getting an error message: java.sql.SQLException: Access denied for user "
        "'metabasedbu'@'xxx.xxx.xxx.xxx'",
        "other.other",
    ),
    # Services outside the list by their own errors: ECS's unparsable secret, CodeBuild's
    # buildspec, Studio Lab's runtime, Amplify Hosting's build, EMR's private-subnet check.
    (
        "https://github.com/rileydakota/valheim-ecs-fargate-cdk/issues/9",
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
        "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 "
        "time(s): invalid character '\\'' looking for beginning of value",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-container-devsecops-workshop/pull/7",
        "Phase context status code: YAML_FILE_ERROR Message: wrong number of container tags, "
        "expected 1",
        "other.other",
    ),
    (
        "https://github.com/aws/studio-lab-examples/issues/52",
        "There was a problem when starting the project runtime. This should be resolved shortly.",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/2319",
        "line 4: amplify: command not found … [ERROR]: !!! Build failed",
        "other.other",
    ),
    (
        "https://github.com/azavea/terraform-aws-emr-cluster/issues/7",
        "You must also specify a ServiceAccessSecurityGroup if you use custom security groups "
        "when creating a cluster in a private subnet.",
        "other.other",
    ),
    # A dial to port 22 that timed out is SSH; a launch refused its parameters; an SDK given an
    # endpoint without its scheme never reached the network.
    (
        "https://github.com/aliatakan/terraform-vpc/issues/1",
        "Error: timeout - last error: dial tcp 3.10.199.109:22: i/o timeout",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/boto/boto/issues/1884",
        "it's not possible to launch instances into VPC … "
        "<Code>InvalidParameterCombination</Code><Message>The parameter groupName cannot be used "
        "with the parameter subnet</Message>",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/soto-project/soto/issues/345",
        "Error when connecting to RDS Aurora through RSDDataService … I am trying to connect to "
        "Aurora from my Swift Lambda function. … must specify url host and scheme is invalid "
        "format.",
        "lambda.sdk_config",
    ),
    # Names that do not resolve in the VPC: the DHCP options' DNS server, a private endpoint's DNS.
    (
        "https://github.com/clong/DetectionLab/issues/216",
        "(from the DC; I could not ping via hostname or FQDN) … Ping request could not find host "
        "win10.windomain.local. Please check the name and try again.",
        "vpc.other",
    ),
    (
        "https://github.com/aws/containers-roadmap/issues/671",
        "I have an issue with the private endpoint DNS resolution.",
        "vpc.other",
    ),
    # Connections to VPC-hosted endpoints that time out: a database, ElastiCache, Redshift.
    (
        "https://github.com/antonputra/tutorials/issues/320",
        "Connection to the database timeouts. When connecting to the PostgreSQL database deployed "
        "from lessons/162/3-part it timeouts.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/RedisLabs/spark-redis/issues/336",
        "Accessing Elasticache from different AWS Account gives connect timeout error",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/amazon-redshift-python-driver/issues/84",
        "self._usock.connect((host, port)) TimeoutError: [Errno 60] Operation timed out … "
        "redshift_connector.error.InterfaceError: ('communication error', TimeoutError(60,",
        "vpc.connectivity",
    ),
    # "there is no luck": an attempt that failed.
    (
        "https://github.com/aws-cloudformation/aws-cloudformation-templates/issues/373",
        "SSH to EC2 in private vpc? I would love to ssh to EC2 but there is no luck.",
        "ec2.ssh_access",
    ),
    # Round 22, group B.
    # Credentials the tools cannot load or use: configure-aws-credentials' and the CLI's own words
    # (SSO settings missing, the cached SSO login unusable), the CDK holding another account's.
    (
        "https://github.com/aws-actions/configure-aws-credentials/issues/188",
        '"Credentials could not be loaded" issue',
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-cli/issues/5024",
        'Unable to logout/login, throws error "Missing the following required SSO configuration '
        "values: sso_start_url, sso_region, sso_role_name, sso_account_id.",
        "iam.credentials",
    ),
    (
        "https://github.com/hupe1980/cdk-multi-profile-plugin/issues/25",
        "it's not clear from any error message what's wrong (you'll get \"Current cached SSO login "
        'is expired or invalid")',
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/16062",
        "(cdk): Unable to use --role-arn (-r) for assumed role … Add trust relationship in role "
        "… ### What actually happened? Need to perform AWS call",
        "iam.credentials",
    ),
    (
        "https://github.com/coinbase/assume-role/issues/19",
        "Tokens expire after an hour My understanding is that the session tokens last for 12 "
        "hours, but the assumerole credentials that come back only last for an hour.",
        "iam.credentials",
    ),
    # A profile the tool ignores, or that changes nothing: the calls use other credentials.
    (
        "https://github.com/boto/boto/issues/3463",
        "boto ignores non-default profiles in ~/.aws/credentials",
        "iam.credentials",
    ),
    (
        "https://github.com/ansible/ansible/issues/44334",
        "cloudformation_facts ignores profile when boto is installed",
        "iam.credentials",
    ),
    (
        "https://github.com/boto/botocore/issues/435",
        "Changing session profile doesn't change credentials",
        "iam.credentials",
    ),
    # An action said missing as a noun; IAM's quota on a user's inline policies; a policy "was
    # invalid"; an explicit deny in a bucket's policy (S3's, not the identity's).
    (
        "https://github.com/aws-samples/dify-self-hosted-on-aws/issues/89",
        "Verification indicates this error stems from the absence of the "
        "`bedrock:GetInferenceProfile` policy in the API container's task definition.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/danvk/mapsnap/pull/483",
        "An error occurred (LimitExceeded) when calling the PutUserPolicy operation: Maximum "
        "policy size of 2048 bytes exceeded for user mapsnap-mirror",
        "iam.other",
    ),
    (
        "https://github.com/cloudtools/awacs/issues/58",
        "I spent about 3h to find out that the policy was invalid because it is not 'service', "
        "but 'Service'.",
        "iam.malformed_policy",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/43891",
        "While waiting: operation error S3: GetBucketLifecycleConfiguration, https response error "
        "│ StatusCode: 403, … is not authorized │ to perform: s3:GetLifecycleConfiguration on "
        'resource: "arn:aws:s3:::sandbox-tfstate-file" with │ an explicit deny in a resource-based '
        "policy",
        "s3.access_denied",
    ),
    # Log groups: none found to read, none written for want of a grant, a name clash on deploy.
    (
        "https://github.com/bustle/shep/issues/234",
        "If a function has never been run then the user will see `Error: No log groups found for "
        "specified function`",
        "cloudwatch.log_group_missing",
    ),
    (
        "https://github.com/18F/identity-terraform/pull/68",
        "Fix permissions issue that is preventing Lambda function from creating CW log group.",
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/foremast/foremast/issues/68",
        "Attached lambda iam role is missing cloudwatch permissions which in turn doesn't allow "
        "for lambda logging",
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/airbnb/streamalert/issues/1337",
        "New Deployment Fails due to Lambda and Cloudwatch Log Group clash",
        "cloudwatch.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/3246",
        "An error occurred while provisioning your stack: HelloLogGroup - "
        "/aws/lambda/dummyPost-dev-hello already exists.",
        "cloudwatch.other",
    ),
    # A synthetics canary on a retired runtime; a rule's function with no resource-based policy;
    # a deploy that skips a changed setting.
    (
        "https://github.com/awslabs/aws-well-architected-labs/issues/810",
        "It fails at deploying at the SyntheticsCanary step with the error below. `Resource "
        'handler returned message: "Invalid request provided: Deprecated runtime version '
        "specified. (Service: Synthetics, Status Code: 400,",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/LBHackney-IT/Data-Platform/pull/1668",
        "add aws_lambda_permission to invoke the lambda function using cloudwatch event",
        "lambda.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/11614",
        "Configuration did not change. Configuration update skipped",
        "cloudformation.other",
    ),
    # Round 22, group C.
    # A capability refused in botocore's debug log, its quotes escaped: the call's input.
    (
        "https://github.com/CodeGenieApp/serverless-express/issues/59",
        "Cannot deploy - constraint failed … Throwing the `--debug` flag on top of that `aws` "
        "command provides me with the full stack of the error. … 1 validation error detected: "
        "Value \\'[CAPABILITY_NAMED_IAM, true[B]\\' at \\'capabilities\\' failed to satisfy "
        "constraint … Unable to create changeset",
        "cloudformation.other",
    ),
    # A capability not acknowledged, whatever log resource (a LogRetention) the stack names.
    (
        "https://github.com/lumigo-io/SAR-Logging/issues/31",
        '"LogicalResourceId": "AutoSetLogRetention", … "ResourceType": '
        '"AWS::CloudFormation::Stack", … "ResourceStatus": "CREATE_FAILED", '
        '"ResourceStatusReason": "Requires capabilities : [CAPABILITY_AUTO_EXPAND]",',
        "cloudformation.other",
    ),
    # A custom authorizer API Gateway cannot use, though its log says "configuration error".
    (
        "https://github.com/ExpanseLLC/lambda_authorizer/issues/1",
        "Authorizer result body before parsing: null … Execution failed due to configuration "
        "error: Could not parse policy … AuthorizerConfigurationException",
        "apigateway.other",
    ),
    # DynamoDB's 400 KB item limit: the item's size, not its keys, though a ValidationException.
    (
        "https://github.com/derjust/spring-data-dynamodb/issues/193",
        "Cannot store items more than 400kb using latest release of spring-data-dynamodb(5.0.3). "
        "… getting `Item size has exceeded the maximum allowed size`",
        "dynamodb.other",
    ),
    (
        "https://github.com/wcmc-its/ReCiter/issues/205",
        "com.amazonaws.services.dynamodbv2.model.AmazonDynamoDBException: Item size has exceeded "
        "the maximum allowed size (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: "
        "ValidationException;",
        "dynamodb.other",
    ),
    # Terraform's PutBucketPolicy refused: Block Public Access, the bucket's side.
    (
        "https://github.com/riboseinc/terraform-aws-s3-cloudfront-redirect/issues/5",
        "Error putting S3 policy: AccessDenied: Access Denied While attempting to run this module, "
        "I am getting `Error putting S3 policy: "
        "AccessDenied: Access Denied` when tf attempts to assign a policy to the fqdn bucket.",
        "s3.access_denied",
    ),
    # Drift detection misreporting a running stack's resource: no failed stack.
    (
        "https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1026",
        "When deploying a stack with an 'AWS::ApiGatewayV2::DomainName' resource, running drift "
        "detection on the stack will result in a false positive on the "
        "AWS::ApiGatewayV2::DomainName resource.",
        "cloudformation.other",
    ),
    # A template whose resources depend on each other in a circle: refused before any stack ran.
    (
        "https://github.com/davidgf/serverless-plugin-canary-deployments/issues/114",
        "0.5.0 - Circular dependency created and deploy fails",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws/serverless-application-model/issues/646",
        'I am getting an error as "Circular dependency between resources: ".',
        "cloudformation.other",
    ),
    # Round 23, group A.
    # Lambda@Edge results and settings CloudFront refuses (its 502/503 page, the CloudFront
    # trigger's memory limit): the function's, not an instance login nor an identity's policy.
    (
        "https://github.com/CodeGenieApp/serverless-express/issues/369",
        "The Lambda function result failed validation: The function tried to add, delete, or "
        "change a read-only header. We can't connect to the server for this app or website at "
        "this time.",
        "lambda.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/8604",
        "The Lambda function returned an invalid origin configuration: One or more HeaderName or "
        "HeaderValue values are invalid.",
        "lambda.other",
    ),
    (
        "https://github.com/sanfrancesco/prerendercloud-lambda-edge/issues/18",
        "\"The Lambda function associated with the CloudFront distribution is invalid or doesn't "
        'have the required permissions. "',
        "lambda.other",
    ),
    (
        "https://github.com/serverless-operations/serverless-lambda-edge-pre-existing-cloudfront/issues/11",
        "The function memory size is larger than the maximum allowed size for functions that are "
        "triggered by a CloudFront event: 1024 Max allowed: 128",
        "lambda.other",
    ),
    # Lambda's limits at deploy and invocation: memory above the maximum, a response over 6 MB.
    (
        "https://github.com/awslabs/cdk-serverless-clamscan/pull/1132",
        "The error message indicates that the MemorySize specified for a Lambda function in your "
        "CDK deployment exceeds the maximum allowed limit of 3008 MB.",
        "lambda.other",
    ),
    (
        "https://github.com/amazon-archives/aws-vpc-flow-log-appender/issues/4",
        'the decorator fails due to the response "body size is too long" (response over 6MB).',
        "lambda.other",
    ),
    # The JVM's Metaspace filling up: a Java function short of memory.
    (
        "https://github.com/guardian/support-service-lambdas/pull/1544",
        "We're seeing metaspace capacity errors in the log on every run",
        "lambda.out_of_memory",
    ),
    # Security group rules and names EC2 refuses: the network's security groups.
    (
        "https://github.com/hashicorp/terraform/issues/23499",
        "Error: Error authorizing security group rule type ingress: InvalidGroup.NotFound: The "
        "security group 'sg-0d9f834XXXXXXX820' does not exist",
        "vpc.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/5919",
        "* aws_security_group_rule.test: InvalidGroup.NotFound: The security group 'sg-b434d1d0' "
        "does not exist",
        "vpc.other",
    ),
    (
        "https://github.com/terraform-community-modules/tf_aws_sg/issues/53",
        "Error creating Security Group: InvalidGroup.Duplicate: The security group 'x_x_x' "
        "already exists for VPC 'vpc-00000000'",
        "vpc.other",
    ),
    # A custom domain's base path mapping that serverless-domain-manager cannot create.
    (
        "https://github.com/amplify-education/serverless-domain-manager/issues/381",
        "Error: Unable to setup base domain mappings for <YOUR_DOMAIN_HERE>",
        "apigateway.other",
    ),
    # An event source mapping on a DynamoDB stream that no longer exists.
    (
        "https://github.com/aws-amplify/amplify-cli/issues/11626",
        'Reason: Resource handler returned message: "Invalid request provided: Stream not found: '
        "arn:aws:dynamodb:ap-southeast-2:....:table/{STREAM_TABLE_NAME} (Service: Lambda, Status "
        "Code: 400",
        "dynamodb.other",
    ),
    # Round 23, group B.
    # X-Ray, CloudWatch's tracing: its daemon, its SDK's segment errors, traces that stay empty.
    (
        "https://github.com/aws/aws-xray-daemon/issues/16",
        "[Info] Initializing AWS X-Ray daemon 3.0.0 … [Error] Cannot fetch region variable from "
        "config file, environment variables and ec2 metadata.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-xray-sdk-go/issues/189",
        "Suppressing AWS X-Ray context missing panic: failed to begin subsegment named "
        "'XXXXXXXXX': segment cannot be found.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-xray-sdk-node/issues/383",
        "When hitting the API endpoint, I'm getting \"Error: Missing AWS Lambda trace data for "
        'X-Ray. Expected _X_AMZN_TRACE_ID to be set" in the logs.',
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-xray-sdk-dotnet/issues/289",
        "The `Constructor` subsegment never appears in the XRay Trace.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-xray-sdk-node/issues/437",
        "I am trying to add subsegments to my Lambda traces for DB queries, but subsegments are "
        "not showing up.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-xray-sdk-dotnet/issues/56",
        "Lambda x-ray trace missing request information",
        "cloudwatch.other",
    ),
    # Snapshots that cannot be shared, an Image Builder build failing in its SSM automation, an
    # Auto Scaling group never healthy, EC2's own 500 to Packer: EC2's side.
    (
        "https://github.com/hashicorp/packer/issues/7410",
        "Error modify AMI attributes: InvalidParameter: Snapshots encrypted with the AWS Managed "
        "CMK can\u2019t be shared. Specify another snapshot",
        "ec2.other",
    ),
    (
        "https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-imagebuilder/issues/5",
        "Error occurred during operation 'SSM execution 'a5e2558c-395b-45f4-8a08-164ae95564be' "
        "failed with status = 'TimedOut' in state = 'BUILDING'",
        "ec2.other",
    ),
    (
        "https://github.com/aws/aws-parallelcluster/issues/3995",
        "Resource handler returned message: \"Error occurred during operation 'SSM execution "
        "'f9fada4e-849a-4bb6-a444-32b6a9571782' failed for image arn",
        "ec2.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-autoscaling/issues/234",
        "timeout while waiting for state to become 'ok' (last state: 'want at least 1 healthy "
        "instance(s) registered to Load Balancer, have 0', timeout: 5m0s)",
        "ec2.other",
    ),
    (
        "https://github.com/hashicorp/packer/issues/1253",
        "Build 'amazon-ebs' errored: Error launching source instance: 500 Internal Server Error",
        "ec2.other",
    ),
    # Granted refusing a profile it cannot build credentials from.
    (
        "https://github.com/fwdcloudsec/granted/issues/558",
        "`assume sso1` will work just fine, but `assume customer1` returns an error `Profile "
        "'customer1' is not configured properly.`",
        "iam.credentials",
    ),
    # Round 23, group C.
    # S3's own refusals of a write: a multipart part under the 5 MiB minimum (EntityTooSmall), a
    # PutObject to an Object Lock bucket without Content-MD5, the request rate throttled
    # (SlowDown), two configuration calls at once (OperationAborted), overlapping notification
    # filters as a deploy tool words them.
    (
        "https://github.com/FallenTech/streaming-s3/issues/19",
        "errr { EntityTooSmall: Your proposed upload is smaller than the minimum allowed size",
        "s3.other",
    ),
    (
        "https://github.com/apache/arrow-rs-object-store/issues/211",
        "object_store(aws): EntityTooSmall error on multi-part upload",
        "s3.other",
    ),
    (
        "https://github.com/s3tools/s3cmd/issues/1177",
        "Missing Content-MD5 http header for put request on object with bucket defined Lock … "
        "`Content-MD5 HTTP header is required for Put Object requests with Object Lock "
        "parameters`",
        "s3.other",
    ),
    (
        "https://github.com/zio/zio-s3/pull/394",
        "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with "
        "Object Lock parameters (Service: S3, Status Code: 400, Request ID: XXX, Extended Request "
        "ID: XXX)",
        "s3.other",
    ),
    (
        "https://github.com/cobbzilla/s3s3mirror/issues/90",
        "com.amazonaws.services.s3.model.AmazonS3Exception: Please reduce your request rate. "
        "(Service: Amazon S3; Status Code: 503; Error Code: SlowDown;",
        "s3.other",
    ),
    (
        "https://github.com/huridocs/uwazi/issues/7319",
        "S3 slow down and connection refused problems … From our latest logs, we see some "
        "slowdown errors",
        "s3.other",
    ),
    (
        "https://github.com/sevenwestmedia-labs/pulumi-components/pull/46",
        "OperationAborted: A conflicting conditional operation is currently in progress against "
        "this resource. Please try again.",
        "s3.other",
    ),
    (
        "https://github.com/jorgebastida/gordon/issues/118",
        "s3 suffix filter overlap exception … Exception `One or more suffix filters overlap one to "
        "each other log, log.`",
        "s3.other",
    ),
    # A private subnet said so: no route to S3 without an endpoint.
    (
        "https://github.com/distribution/distribution/issues/1073",
        "This may be a good idea actually, except that if your subnet is private it can't access "
        "S3 by default.",
        "vpc.connectivity",
    ),
    # The user never granted the permission the copy needs: the identity's, not the bucket's.
    (
        "https://github.com/thephpleague/flysystem-aws-s3-v3/issues/170",
        "I'm trying to copy an image in my S3 bucket, but I'm getting 403 Forbidden. After some "
        "digging, I understood my user wasn't given ACL permissions",
        "iam.missing_permission",
    ),
    # The instance's metadata out of reach (IMDSv2, a container's hop limit): EC2's, not the path.
    (
        "https://github.com/aws-samples/amazon-cloudwatch-container-insights/issues/56",
        "This prevents the `cloudwatch-agent` daemonset from starting, since it looks into the EC2 "
        "IMDS. … E! ec2metadata is not available",
        "ec2.other",
    ),
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/249",
        "cloudwatch-agent doesn't appear to be working with IMDSv2 w/ auth enabled … E! "
        "ec2metadata is not available",
        "ec2.other",
    ),
    # A pod's own identity (IRSA, Pod Identity) or the default provider chain not used.
    (
        "https://github.com/aws/amazon-cloudwatch-agent-operator/issues/119",
        "Agent fails with credential errors, cannot use IAM Roles for Service Accounts (IRSA) or "
        "EKS Pod Identities with EKS Addon",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/1101",
        "amazon-cloudwatch-observability fails with open /root/.aws/credentials ignoring the IRSA "
        "credentials",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/140",
        "Please honor the default AWS credential provider chain",
        "iam.credentials",
    ),
    (
        "https://github.com/awslabs/ai-on-eks/pull/314",
        "The Pod Identity association is associated after the addon is deployed and the agents "
        "are running causing IAM credentials not to propagate to the agents Pods.",
        "iam.credentials",
    ),
    (
        "https://github.com/falcosecurity/falcosidekick/issues/219",
        "AWS Output's don't work with IAM Role Service Accounts.",
        "iam.credentials",
    ),
    # An EventBridge rule whose pattern is refused or never matches, or whose input template is
    # not what EventBridge reads.
    (
        "https://github.com/aws/aws-cdk/issues/32492",
        "(events rule): Event pattern is not valid. Reason: suffix match pattern must be a string",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-cdk/pull/10392",
        "fix(s3): S3 events rules aren't triggered",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws-samples/scp-alternative-solution/issues/14",
        'everything is OK except triggering lambda on IAM "CreateRole" & "CreateUser" event. I '
        "can see these events in CloudTrail but event rule is not capturing them.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/ansible-collections/community.aws/issues/1348",
        "cloudwatchevent_rule doesn't support JSON input_templates",
        "cloudwatch.other",
    ),
    # The CloudWatch agent that cannot start (its config refused): the agent's, not missing logs.
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/127",
        "The CloudWatch agent service being unable to start with the Log file for the local "
        "Windows instance when the timezone property is specified",
        "cloudwatch.other",
    ),
    # The permission an identity needs, said in plain words: the identity's policy lacks it.
    (
        "https://github.com/influxdata/telegraf/issues/3319",
        "Thus the AWS credentials in use need access to `ListMetricData` even though when in use "
        "the plugin only needs `PutMetricData`.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws-samples/serverless-patterns/issues/1857",
        "The fix is simple -> modify the event bridge pipes role to have the proper permissions to "
        "write to the DLQ",
        "iam.missing_permission",
    ),
    # Round 24, group B.
    # Health checks failing, targets marked unhealthy: the balancer reaches no healthy target.
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/2340",
        "Target Groups always unhealthy\n**Describe the bug**\nThe target groups for the ALB "
        "are always unhealthy.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/meteor-up/mup-aws-beanstalk/issues/13",
        "Health Check failing (4xx): Severe status … I've deploy my production web app but I'm "
        "constantly seeing a severe status on my instances.",
        "vpc.connectivity",
    ),
    # A VPN client that never reaches the server hosted on an instance: the security group.
    (
        "https://github.com/angristan/openvpn-install/issues/778",
        "Cannot use with AWS EC2\nI succeed in a Vultr server. But I cannot connect from "
        "OpenVPN Client if I install the VPN server in AWS EC2",
        "vpc.connectivity",
    ),
    (
        "https://github.com/Nyr/openvpn-install/issues/1110",
        "Can't connect after a clean install on AWS Ubuntu22 … I'm trying to self-host OpenVPN "
        "… However after moving the *.ovpn into the OpenVpn app on my iPhone and trying to "
        'connect, I get "connection timeout"',
        "vpc.connectivity",
    ),
    # A client's connection to a VPC-hosted endpoint that never opens (Knex's pool, Dask's socket).
    (
        "https://github.com/strapi/strapi/issues/6284",
        "When I connect to postgres rds database, I have got errors … error TimeoutError: "
        "Knex: Timeout acquiring a connection. The pool is probably full.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/dask/dask-cloudprovider/issues/112",
        "Unable to connect to scheduler on Fargate … `OSError` on trying to connect to "
        "'tcp://10.14.52.173:8786' after 10 s: connect() didn't finish in time while launching "
        "a `FargateCluster`.",
        "vpc.connectivity",
    ),
    # No VPC to launch into (no default VPC, EC2-Classic): the SSH and API errors follow from it.
    (
        "https://github.com/dask/dask-ec2/issues/101",
        "Unexpected EC2 error: An error occurred (VPCIdNotSpecified) when calling the "
        "DescribeSecurityGroups operation: No default VPC for this user … Checking SSH "
        "connection to nodes … DEBUG: Attempt 1/10 of function 'check_ssh' failed",
        "vpc.other",
    ),
    (
        "https://github.com/dask/distributed/issues/354",
        "Unexpected EC2 error: An error occurred (InvalidParameterValue) when calling the "
        "AuthorizeSecurityGroupEgress operation: Only Amazon VPC security groups may be used "
        "with this operation.",
        "vpc.other",
    ),
    # The VPC's own DNS: names that do not resolve inside it, DNS support left off.
    (
        "https://github.com/datastax-archive/ComboAMI/issues/16",
        "Problems Deploying in VPC … This python script doesn't work in VPC due to the lack of "
        "resolution on 'instance-data' hostname within a VPC.",
        "vpc.other",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/25",
        "I was confused by this, wondering why I could not `curl google.com` for example when "
        "entering an instance in my VPC. … when `dig google.com` I was getting timeouts until "
        "setting `enable_dns_support = true`.",
        "vpc.other",
    ),
    # An instance said to lack an internet connection.
    (
        "https://github.com/machulav/ec2-github-runner/issues/61",
        "Runner software on running EC2 instance does not register with GitHub … I have a "
        "feeling that this issue is caused by the instance's lack of internet connection",
        "vpc.connectivity",
    ),
    # No subnet that qualifies for the launch.
    (
        "https://github.com/ray-project/ray/issues/12258",
        "[autoscaler/aws] No usable subnets found - on AWS cluster spin up",
        "vpc.other",
    ),
    # SSH said impossible in words ("not possible to ssh into").
    (
        "https://github.com/trailofbits/algo/issues/14187",
        "The algovpn instance in Lightsail is deployed on a different server that then "
        "installation server, and it is not possible to ssh into the console. SSH stays in "
        "black screen.",
        "ec2.ssh_access",
    ),
    # A stack trace through the Serverless Framework's plugins: the tool raised, not a function.
    (
        "https://github.com/serverless-operations/serverless-step-functions/issues/35",
        "Adding step functions to existing project fails with undefined error … TypeError: Cannot "
        "read property 'forEach' of undefined at _.forEach "
        "(/Users/justin/code/input-system/node_modules/serverless-step-functions/lib/index.js:140:29)",
        "other.other",
    ),
    (
        "https://github.com/flocasts/serverless-offline-step-functions/issues/11",
        "TypeError: Cannot read property 'stateMachines' of undefined when starting step functions "
        "… node_modules\\serverless-offline-step-functions\\src\\"
        "step-functions-api-simulator.js:32",
        "other.other",
    ),
    (
        "https://github.com/serverless-operations/serverless-step-functions/issues/265",
        "TypeError: state.Resource.startsWith is not a function at _.flatMap "
        "(/home/****/***//node_modules/serverless-step-functions/lib/deploy/stepFunctions/"
        "compileIamRole.js:335:59)",
        "other.other",
    ),
    # RDS refusing a DB instance, whatever plan or stack surfaced it: not EC2's launch.
    (
        "https://github.com/elastic/beats/issues/38473",
        "Error creating DB Instance with terraform … Error: Error creating DB Instance: "
        "InvalidParameterCombination: RDS does not support creating a DB instance with the "
        "following combination: DBInstanceClass=db.t2.micro, Engine=mysql",
        "other.other",
    ),
    (
        "https://github.com/sidpalas/devops-directive-terraform-course/issues/8",
        "Error: Error creating DB Instance: InvalidParameterCombination: Cannot find version 9.5 "
        "for postgres",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/cfn101-workshop/issues/265",
        'Stack will fail to create … Resource handler returned message: "RDS does not support '
        "creating a DB instance with the following combination: DBInstanceClass=db.t2.micro",
        "other.other",
    ),
    # A custom resource's answer over CloudFormation's size limit.
    (
        "https://github.com/carlnordenfelt/aws-api-gateway-for-cloudformation/issues/37",
        "CREATE_FAILED\tCustom::ApiMethod\tSearchJobsMethod\tResponse object is too long.",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/28498",
        "AwsCustomResource: Response too long when doing Securityhub:createConfigurationPolicy",
        "cloudformation.other",
    ),
    # A stack name already taken (left by a failed create): the stack's own clash.
    (
        "https://github.com/eksctl-io/eksctl/issues/2005",
        "due to VPC resource constraints creation failed. I removed some old resources and "
        "attempted to create the cluster once more, but unfortunately the cloud formation stack "
        "with the same name already exists.",
        "cloudformation.other",
    ),
    # API Gateway's refusal of a stack's resource names the cause, not the failed deployment.
    (
        "https://github.com/aws/aws-cdk/issues/17318",
        "cloudformation deployment fails with: … Invalid mapping expression specified: Validation "
        "Result: warnings : [], errors : [Invalid mapping expression parameter specified: "
        "method.request.path.page] (Service: AmazonApiGateway; Status Code: 400; Error Code: "
        "BadRequestException;",
        "apigateway.other",
    ),
    # HeadObject's 404 as a learner quotes it.
    (
        "https://github.com/aws/sagemaker-python-sdk/issues/835",
        'SKLearn model fails to train: "HeadObject not found"',
        "s3.no_such_key",
    ),
    # S3's own signature mismatch (its SDK exceptions, multipart uploads): its signing, not keys.
    (
        "https://github.com/aws/aws-sdk-java-v2/issues/958",
        "S3: Multi-part upload fails signature check … "
        "software.amazon.awssdk.services.s3.model.S3Exception: The request signature we "
        "calculated does not match the signature you provided. Check your key and signing method.",
        "s3.other",
    ),
    (
        "https://github.com/aws-amplify/aws-sdk-android/issues/497",
        "com.amazonaws.services.s3.model.AmazonS3Exception: The request signature we calculated "
        "does not match the signature you provided. Check your key and signing method. (Service: "
        "Amazon S3; Status Code: 403; Error",
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-java-v2/issues/6778",
        "Multipart upload signature error after updating the SDK",
        "s3.other",
    ),
    # No usable credentials: still expired after a refresh, an empty key, the IMDSv2 token call
    # the provider chain falls back to timing out.
    (
        "https://github.com/99designs/aws-vault/issues/331",
        "Credentials were refreshed, but the refreshed credentials are still expired",
        "iam.credentials",
    ),
    (
        "https://github.com/cupcakearmy/autorestic/issues/238",
        "Fatal: unable to open S3 backend: Key ID ($AWS_ACCESS_KEY_ID) is empty",
        "iam.credentials",
    ),
    (
        "https://github.com/treeverse/dvc-s3/issues/26",
        "ERROR: unexpected error - Connect timeout on endpoint URL: "
        '"http://169.254.169.254/latest/api/token"',
        "iam.credentials",
    ),
    # Public policies and ACLs the bucket side refuses or ignores (Block Public Access, ownership).
    (
        "https://github.com/aws/aws-cdk/issues/25231",
        "I get an error API: s3:PutBucketPolicy Access Denied which triggers the rest of the stack "
        "to fail.",
        "s3.access_denied",
    ),
    (
        "https://github.com/boto/boto3/issues/2716",
        "Public Read is not applying through ACL='public-read'",
        "s3.access_denied",
    ),
    (
        "https://github.com/jschneier/django-storages/issues/377",
        "Boto ACL public-read not working",
        "s3.access_denied",
    ),
    # A bucket name said not to be unique, behind CreateBucket's region error.
    (
        "https://github.com/Miserlou/Zappa/issues/1398",
        "An error occurred (IllegalLocationConstraintException) during zappa deploy … namely that "
        "my bucket name is not unique.",
        "s3.bucket_name",
    ),
    # Permissions missing in prose: a lack of permission, one denial after another, the identity
    # policy said not to allow.
    (
        "https://github.com/gaiin-platform/amplify-genai-backend/issues/55",
        "Lack of permission for lambda role",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws/copilot-cli/issues/1345",
        'one has to fight through many "not authorized" errors before the application actually '
        "can be deployed",
        "iam.missing_permission",
    ),
    (
        "https://github.com/velero-io/velero/issues/1544",
        "Template IAM policy doesn't allow required s3 perms. … AccessDenied: Access Denied",
        "iam.missing_permission",
    ),
    # A KMS key policy's bad principal is a document that does not validate, not a trust policy.
    (
        "https://github.com/ministryofjustice/modernisation-platform/pull/1418",
        "replace / with : to fix invalid principal identifier for KMS policy",
        "iam.malformed_policy",
    ),
    # S3's InvalidRedirectLocation: an object's website redirect header it refuses.
    (
        "https://github.com/alltheplaces/alltheplaces/issues/3657",
        "An error occurred (InvalidRedirectLocation) when calling the PutObject operation: The "
        "website redirect location must have a prefix of 'http://' or 'https://' or '/'.",
        "s3.other",
    ),
    # A stream event source Lambda cannot read: the function's role lacks the stream's actions.
    (
        "https://github.com/foremast/foremast/pull/211",
        "There was an error creating the trigger: Cannot access stream … Please ensure the role "
        "can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on "
        "your stream in IAM.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/kookmin-sw/2019-cap1-2019_12/issues/33",
        "lambda-dynamodb iam error … Please ensure the role can perform the GetRecords, "
        "GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM. "
        "(Service: AWSLambda; Status Code: 400; Error Code: InvalidParameterValueException;",
        "iam.missing_permission",
    ),
    # A role the service must be able to assume, said so (Lambda@Edge's trust policy).
    (
        "https://github.com/silvermine/serverless-plugin-cloudfront-lambda-edge/issues/63",
        "The function execution role must be assumable with edgelambda.amazonaws.com as well as "
        "lambda.amazonaws.com principals",
        "iam.trust_policy",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/5180",
        "CREATE_FAILED        | AWS::CloudFront::Distribution | … ) The function execution role "
        "must be assumable with edgelambda.amazonaws.com as well as lambda.amazonaws.com "
        "principals. Update the IAM role and try again.",
        "iam.trust_policy",
    ),
    # A Function URL's 403: its resource-based policy does not admit the public (no identity).
    (
        "https://github.com/ant-media/Ant-Media-Server/issues/7827",
        'When accessing lambda endpoint, it gives 403: Forbidden … "Message": "Forbidden. For '
        "troubleshooting Function URL authorization issues, see: "
        'https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"',
        "lambda.other",
    ),
    (
        "https://github.com/awsdocs/aws-lambda-developer-guide/issues/494",
        "Function URL with AuthType=NONE: resource policy example is missing lambda:InvokeFunction "
        "… unsigned calls to the Function URL return: … HTTP/1.1 403 Forbidden "
        "x-amzn-ErrorType: AccessDeniedException",
        "lambda.other",
    ),
    # "Lambda permission": the function's resource-based policy for a trigger.
    (
        "https://github.com/aws/serverless-application-model/issues/315",
        "AWS::Lambda::Permission for log-group subscription filter fails to apply "
        "lambda:InvokeFunction action on CloudWatch logs",
        "lambda.other",
    ),
    (
        "https://github.com/aws/serverless-application-model/issues/59",
        "Issue with Lambda-Permission for API-Gateway … therefore a Lambda permission Error "
        "occurs when testing the API-Gateway",
        "lambda.other",
    ),
    # The SDK client's own read timeout giving up on a long Invoke: the client's setting.
    (
        "https://github.com/boto/boto3/issues/2424",
        "boto3 client times out (ReadTimeoutError) after synchronously invoking long running "
        "lambda even after lambda finishes",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/zappa/Zappa/issues/1064",
        "Lambda client read timeout should match maximum Lambda execution time",
        "lambda.sdk_config",
    ),
    # Memory raised to Lambda's 10240 MB maximum, refused under a lower account quota.
    (
        "https://github.com/alexcasalboni/aws-lambda-power-tuning/issues/224",
        "Getting Error While Increasing Power values to 10240 MB",
        "lambda.other",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/27580",
        "Increasing Lambda memory causes ValidationException … memory_size = 2048 -> 10240 … "
        "Error: error modifying Lambda Function (process_data) configuration : "
        "ValidationException:",
        "lambda.other",
    ),
    # A connection the code leaves open keeps the event loop busy: the function's own timeout.
    (
        "https://github.com/nearst/laconia/issues/426",
        "When my code leaves one open connection (ie: with some DBs), AWS Lambda throws timeout, "
        "even after my function run. … Make any code that uses socket connections (ie: MySQL, "
        "Mongodb...); … And leaves that connection open for the next lambda function call.",
        "lambda.timeout",
    ),
    (
        "https://github.com/zapier/zapier-platform/pull/904",
        "sometimes lambdas may be hanging indefinitely until the timeout expires. … some open "
        "connections will be kept open and block the event loop from clearing.",
        "lambda.timeout",
    ),
    # urllib3's "Starting new HTTPS connection" debug lines are no network failure.
    (
        "https://github.com/dlapiduz/certbot-s3front/issues/53",
        "EndpointConnectionError: does not accept different region … Starting new HTTPS "
        "connection (1): iam.us-east-1a.amazonaws.com Starting new HTTPS connection (2): "
        "iam.us-east-1a.amazonaws.com",
        "lambda.sdk_config",
    ),
    # EC2's eventual consistency: an instance just launched not yet known to the next call
    # (InvalidInstanceID.NotFound on CreateTags, a waiter), no launch naming a wrong id.
    (
        "https://github.com/aws/aws-sdk-ruby/issues/1198",
        "we frequently see `Aws::EC2::Errors::InvalidInstanceIDNotFound` being raised from the "
        "`ec2.create_tags` call.",
        "ec2.other",
    ),
    (
        "https://github.com/aws/aws-sdk-ruby/issues/859",
        "I just got the following error during this - "
        "`Aws::EC2::Errors::InvalidInstanceIDNotFound` `The instance ID 'i-b3dbea44' does not "
        "exist`.",
        "ec2.other",
    ),
    (
        "https://github.com/guardian/amigo/pull/545",
        "An error occurred (InvalidInstanceID.NotFound) when calling the CreateTags operation: The "
        "instance ID 'i-059607dad87f615d7' does not exist",
        "ec2.other",
    ),
    (
        "https://github.com/hashicorp/packer/issues/1367",
        "Failed to tag a Name on the builder instance: The instance ID 'i-b68be9bb' does not exist "
        "(InvalidInstanceID.NotFound)",
        "ec2.other",
    ),
    (
        "https://github.com/ibi-group/datatools-server/issues/324",
        "com.amazonaws.services.ec2.model.AmazonEC2Exception: The instance ID "
        "'i-0d7f80fc99f3dc661' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: "
        "InvalidInstanceID.NotFound;",
        "ec2.other",
    ),
    # EC2's AuthFailure for an AMI not shared with the account: the image, not the keys.
    (
        "https://github.com/cloudfoundry-attic/lattice-release/issues/23",
        "Error: Error launching source instance: Not authorized for images: [ami-d8a6c9b0] "
        "(AuthFailure)",
        "ec2.invalid_resource",
    ),
    # An SSH key "not found" is the login's key, not an S3 object's.
    (
        "https://github.com/jenkinsci/ec2-plugin/issues/1990",
        "ci.jenkins.io EC2 agents sometimes hang and fail to connect with SSH key not found",
        "ec2.ssh_access",
    ),
    # Quotas: EC2's said in the plural ("out-of-quotas"); ECS Fargate's vCPU quota is ECS's.
    (
        "https://github.com/skypilot-org/skypilot/issues/1450",
        "Multi-node launching when out-of-quotas will fail over without hinting the reason",
        "ec2.capacity_limit",
    ),
    (
        "https://github.com/dask/dask-cloudprovider/issues/299",
        "FargateCluster defaults require too many VCPUs for a new AWS account … 'The requested CPU "
        "configuration is above your limit'",
        "other.other",
    ),
    # Session Manager's tier for on-premises managed nodes: Systems Manager's, no EC2 login.
    (
        "https://github.com/aws-samples/sagemaker-ssh-helper/issues/44",
        "An error occurred (BadRequest) when calling the StartSession operation: Enable "
        "advanced-instances tier to use Session Manager with your on-premises instances",
        "other.other",
    ),
    # The JavaScript SDK's UnknownEndpoint: a region misspelt in the client's configuration.
    (
        "https://github.com/TaylorBriggs/stripe-lambda/issues/6",
        "AWS API request failed with undefined - UnknownEndpoint: Inaccessible host: "
        "`lambda.us-west-oregon.amazonaws.com'. This service may not be available in the "
        "`us-west-oregon' region.",
        "lambda.sdk_config",
    ),
    # Lambda refusing an empty deployment zip, whatever stack or tool uploaded it.
    (
        "https://github.com/aws-samples/aws-serverless-tracking-pixel/issues/1",
        "Uploaded file be a non-empty zip … unable to deploy on aws cloud9.",
        "lambda.other",
    ),
    (
        "https://github.com/aws-samples/aws-sdk-js-notes-app/issues/51",
        "CREATE_FAILED | AWS::Lambda::Function | createNote/handler Resource handler returned "
        'message: "Uploaded file must be a non-empty zip (Service: Lambda, Status Code',
        "lambda.other",
    ),
    # A deploy task's waiter giving up on a function still updating: no identity refused.
    (
        "https://github.com/aws/aws-toolkit-azure-devops/issues/445",
        "Error: Error while updating function code: AccessDeniedException: Resource is not in the "
        "state functionUpdated",
        "lambda.other",
    ),
    # ListBuckets denied: no bucket policy governs it, so the identity's policy lacks it.
    (
        "https://github.com/aws/aws-cli/issues/8506",
        "An error occurred (AccessDenied) when calling the ListBuckets operation: Access Denied",
        "iam.missing_permission",
    ),
    # A log group never created, looked for: no logs, not a call failing on the group.
    (
        "https://github.com/aws-quickstart/cur-dashboard/issues/2",
        "No CURDashboard Log Group Created … not seeing any CloudWatch Logs Log Group called "
        "CURDashboard.",
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/aws-samples/eks-workshop/issues/357",
        "Log group not found … The log group /eks/eksworkshop-eksctl/containers could not be "
        "found. Check if it was correctly created and retry.",
        "cloudwatch.no_logs",
    ),
    # EKS refusing the cluster's Kubernetes version: EKS's, not the stack's nor a policy's Version.
    (
        "https://github.com/warolv/jenkins-eks/issues/1",
        'AWS::EKS::Cluster/ControlPlane: CREATE_FAILED … "Resource handler returned message: '
        '\\"unsupported Kubernetes version (Service: Eks, Status Code: 400,',
        "other.other",
    ),
    (
        "https://github.com/pluralsight-cloud/hands-on-with-amazon-eks/pull/2",
        "Error: invalid version, supported values: 1.22, 1.23, 1.24, 1.25, 1.26, 1.27",
        "other.other",
    ),
    # The CDK CLI unable to order a deploy's stacks: the toolchain, before any stack failed.
    (
        "https://github.com/aws-solutions-library-samples/guidance-for-carbon-data-lake-on-aws/issues/14",
        "❌ Deployment failed: Error: Unable to make progress anymore among:",
        "cloudformation.other",
    ),
    # Missing credentials under SAM's artifact upload: the keys, not the template.
    (
        "https://github.com/matwerber1/aws-alexa-smart-home-demo/issues/3",
        "Error: Unable to upload artifact ../../lambda/layers/cfn-response referenced by "
        "ContentUri parameter of CloudFormationResponseLayer resource. Unable to locate "
        "credentials",
        "iam.credentials",
    ),
    # The Ruby SDK's S3 403 class, with no identity wording.
    (
        "https://github.com/travis-ci/dpl/issues/741",
        'CodeDeploy provider "Aws::S3::Errors::Forbidden" error with dpl 1.8.46 but not dpl 1.8.45',
        "s3.access_denied",
    ),
    # A custom resource answering FAILED in cfn-response's words, no cause shown.
    (
        "https://github.com/aws-samples/amazon-fsx-workshop/issues/16",
        'Cloudformation not working now … "Status": "FAILED", "Reason": "See the details in '
        'CloudWatch Log Stream: 2022/10/22/[$LATEST]db9059c9867b4bbfb5d28697b66aa770",',
        "cloudformation.stack_failed",
    ),
    # An instance family a zone does not offer.
    (
        "https://github.com/awslabs/aws-well-architected-labs/issues/355",
        "t2 family is not available in ap-south-1c which is causing the Cloudformation to fail in "
        "ap-south1 ( region).",
        "ec2.invalid_resource",
    ),
    # Lambda refusing a stack's function (an empty zip, a layer list): Lambda's, not the stack's.
    (
        "https://github.com/aws-samples/aws-sdk-js-notes-app/issues/51",
        "CREATE_FAILED        | AWS::Lambda::Function                    | createNote/handler … "
        'Resource handler returned message: "Uploaded file must be a non-empty zip '
        "(Service: Lambda",
        "lambda.other",
    ),
    (
        "https://github.com/aws-samples/aws-genai-llm-chatbot/issues/122",
        "CREATE_FAILED        | AWS::Lambda::Function … at 'layers' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must have length less than or equal to 140",
        "lambda.other",
    ),
    # A function URL's "Internal Server Error" is Lambda's own endpoint, not API Gateway's.
    (
        "https://github.com/awslabs/aws-lambda-cpp/issues/200",
        'Function URL support: invocation_response::failure always returns "Internal Server Error"',
        "lambda.other",
    ),
    # API Gateway's ConflictException (concurrent changes, a stage created twice) and its 403
    # body for an authorizer's refusal: API Gateway's, not a stack's, a 502 or an identity's.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/16439",
        "Error: Error creating API Gateway Integration Response: ConflictException: Unable to "
        "complete operation due to concurrent modification. Please try again later.",
        "apigateway.other",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/43163",
        "the `aws_api_gateway_stage` resource fails with a `ConflictException` because the stage "
        "already exists",
        "apigateway.other",
    ),
    (
        "https://github.com/aws/chalice/issues/971",
        "HTTP/1.1 403 Forbidden … x-amzn-ErrorType: AccessDeniedException … "
        '"Message": "User is not authorized to access this resource"',
        "apigateway.other",
    ),
    # A template with a transform created without a change set: refused before any stack ran.
    (
        "https://github.com/awslabs/amazon-redshift-monitoring/issues/14",
        "You must use a change set to create this stack because it includes one or more "
        "transforms.",
        "cloudformation.other",
    ),
    # DynamoDB: an index key not among the attribute definitions; BatchWriteItem's 25-item limit.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/46755",
        'DynamoDB error: all indexes must match a defined attribute. Unmatched indexes: [""]',
        "dynamodb.validation",
    ),
    (
        "https://github.com/risingwavelabs/risingwave/issues/17572",
        "unhandled error (ValidationException) … at 'requestItems' failed to satisfy "
        "constraint: Map value must satisfy constraint: [Member must have length less than or "
        "equal to 25",
        "dynamodb.other",
    ),
    # Cognito's identity pool whose roles do not trust it: the roles' trust policy.
    (
        "https://github.com/amazon-archives/aws-serverless-auth-reference-app/issues/29",
        "InvalidIdentityPoolConfigurationException: Invalid identity pool configuration. Check "
        "assigned IAM roles for this pool.",
        "iam.trust_policy",
    ),
    (
        "https://github.com/aws-amplify/aws-sdk-android/issues/1525",
        "Error encountered during multi-part upload: 1 due to Invalid identity pool "
        "configuration. Check assigned IAM roles for this pool",
        "iam.trust_policy",
    ),
    # An identity pool's id refused by Cognito Identity: Cognito's, not the bucket's upload.
    (
        "https://github.com/Blasanka/aws_s3_plugin/issues/10",
        "Upload failed … at 'identityPoolId' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [\\w-]+:[0-9a-f-]+ (Service: AmazonCognitoIdentity; Status "
        "Code: 400; Error Code: ValidationException;",
        "other.other",
    ),
    # An assumed-role session that lapses mid-run: the session's credentials.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/5240",
        "Terraform hangs when aws session id expires in mid-request … I get my aws permissions by "
        "`aws sts assume-role`. This gets me a session token that expires after one hour.",
        "iam.credentials",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/23176",
        "Terraform stops actions such as DescribeDBInstances after 15mins, and trace event shows "
        "assume_role token expiration.",
        "iam.credentials",
    ),
    # A role that requires MFA, assumed without it: the caller lacks the factor, not a trust.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/5078",
        "AWS Assume Role Doesn't work with MFA Enforced Roles … Error configuring the backend "
        '"s3": The role "arn:aws:iam::<<account id>>:role/Terraform" cannot be assumed.',
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-php/issues/1976",
        "access denied on assumeRole with MFA enabled user … Error: User: "
        "arn:aws:iam::83649276487334:user/awsauth/win is not authorized to perform: "
        "sts:AssumeRole on resource: arn:aws:iam::83649276487334:role/awsauth/build",
        "iam.credentials",
    ),
    (
        "https://github.com/trek10inc/awsume/issues/214",
        "[DEBUG] MFA not needed, assuming role from with profile creds … Awsume error: An error "
        "occurred (AccessDenied) when calling the AssumeRole operation: User: "
        "arn:aws:iam::789626037895:user/anthony.spataro@appfolio.com is not authorized to "
        "perform: sts:AssumeRole on resource: arn:aws:iam::756199042854:role/User",
        "iam.credentials",
    ),
    # A trust policy IAM refuses for want of a Principal: a document that does not validate.
    (
        "https://github.com/hashicorp/terraform/issues/1882",
        "Error creating IAM Role describe: MalformedPolicyDocument: AssumeRole policy must "
        "contain principals.",
        "iam.malformed_policy",
    ),
    # The JavaScript SDK reading credentials it never got; the SDK falling back to IMDS.
    (
        "https://github.com/99designs/aws-vault/issues/928",
        "Failed to get profile: Cannot read property 'accessKeyId' of undefined",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/eks-pod-identity-agent/issues/153",
        "the miss is silent — the AWS SDK then falls back to IMDS / the node IAM role, causing "
        "AccessDenied/UnauthorizedOperation.",
        "iam.credentials",
    ),
    # A request signed by a clock AWS finds too far off (RequestTimeTooSkewed): the signature is
    # refused as stale, the credentials' failure, whichever service the error came through.
    (
        "https://github.com/KnpLabs/KnpGaufretteBundle/issues/225",
        "Warning: S3::getBucket(): [RequestTimeTooSkewed] The difference between the request time "
        "and the current time is too large",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-cli/issues/1065",
        '"A client error (RequestTimeTooSkewed) occurred when calling the UploadPart operation: '
        'The difference between the request time and the current time is too large."',
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-php/issues/612",
        "AWS HTTP error: Client error: 403 RequestTimeTooSkewed",
        "iam.credentials",
    ),
    (
        "https://github.com/s3fs-fuse/s3fs-fuse/issues/1019",
        'HTTP response code 403, returning EPERM. Body Text: <?xml version="1.0" '
        'encoding="UTF-8"?> <Error><Code>RequestTimeTooSkewed</Code><Message>The difference '
        "between the request time and the current time is too `large.</Message>",
        "iam.credentials",
    ),
    # S3 refusing a request's headers: a payload hash that does not match the body, a header it
    # does not implement, a checksum header Object Lock requires of every part.
    (
        "https://github.com/JuliaCloud/AWSCore.jl/issues/48",
        "The provided 'x-amz-content-sha256' header does not match what was computed I got an "
        "error with putting object to S3, any ideas why does this happen?",
        "s3.other",
    ),
    (
        "https://github.com/cheynewallace/angular-s3-upload/issues/8",
        "XAmzContentSHA256Mismatch The provided 'x-amz-content-sha256' header does not match "
        "what was computed. error on demo page",
        "s3.other",
    ),
    (
        "https://github.com/JuliaWeb/HTTP.jl/issues/98",
        "But AWS S3 PUT (Object) … HTTP/1.1 501 Not Implemented … <Code>NotImplemented</Code> "
        "<Message>A header you provided implies functionality that is not implemented</Message>",
        "s3.other",
    ),
    (
        "https://github.com/s3tools/s3cmd/issues/1436",
        "ERROR: S3 error: 400 (InvalidRequest): Content-MD5 OR x-amz-checksum- HTTP header is "
        "required for Put Part requests with Object Lock parameters",
        "s3.other",
    ),
    # A browser POST upload breaking its signed POST policy's conditions: S3's AccessDenied.
    (
        "https://github.com/aws/aws-sdk-js/issues/1983",
        "<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy Condition "
        'failed: [\\"eq\\", \\"$Content-Type\\", \\"image/jpeg\\"]</Message></Error>',
        "s3.access_denied",
    ),
    (
        "https://github.com/waynehoover/s3_direct_upload/issues/107",
        "<Message>Invalid according to Policy: Policy Condition failed... Everything seems to be "
        "set up correctly, but I'm getting this error upon submission",
        "s3.access_denied",
    ),
    # S3's own texts for other failures: an archived object not yet restored (InvalidObjectState),
    # the CLI's sync given a local path that is not there, a 503 (throttled).
    (
        "https://github.com/epam/cloud-pipeline/issues/2813",
        'If user tries to restore version of an object that stored in "archive" storage class '
        "he/she will get an error says: ``` Operation is not valid for the source object's "
        "storage class ```",
        "s3.other",
    ),
    (
        "https://github.com/jakejarvis/s3-sync-action/issues/19",
        "The user-provided path public does not exist",
        "s3.other",
    ),
    ("https://github.com/stoat-dev/stoat-action/issues/44", "Handle S3 503 error", "s3.other"),
    # A region in the endpoint's hostname is where the request went, not a region complaint.
    (
        "https://github.com/StanfordVL/taskonomy/issues/20",
        "model weights are missing from S3 bucket? … --2019-09-12 08:43:35--  "
        "https://s3-us-west-2.amazonaws.com/taskonomy-unpacked-oregon/model_log_final/"
        "vanishing_point/logs/model.permanent-ckpt.index … HTTP request sent, awaiting response"
        "... 404 Not Found 2019-09-12 08:43:36 ERROR 404: Not Found.",
        "s3.no_such_key",
    ),
    # CloudFront refusing an alternate domain name another distribution holds: CloudFront's,
    # whatever stack, plan, S3 website or permissions surround it.
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/2370",
        "One or more of the CNAMEs you provided are already associated with a different "
        "resource.\nI currently have a static website that is hosted through S3. I am trying to "
        "use CloudFront so I can add my SSL.",
        "other.other",
    ),
    (
        "https://github.com/jogold/cloudstructs/issues/169",
        "CREATE_FAILED | AWS::CloudFront::Distribution | StaticWebsite319123A6\nResource handler "
        'returned message: "Invalid request provided: One or more of the CNAMEs you provided are '
        "already associated with a different resource. (Service: CloudFront, Status Code: 409",
        "other.other",
    ),
    (
        "https://github.com/milliHQ/terraform-aws-next-js/issues/373",
        "One or more of the CNAMEs you provided are already associated with a different "
        "resource.\nI have this error. … Probably it happens after few run, while I tried to add "
        "sufficient permissions to the terraform user",
        "other.other",
    ),
    # The AWS Encryption SDK refusing a ciphertext: the KMS client library's, not S3's.
    (
        "https://github.com/aws/aws-encryption-sdk-java/issues/11",
        "encryptionsdk.exception.BadCiphertextException: Invalid ciphertext type.\nHi Guys,\nI am "
        "using aws encryption sdk to encrypt and decrypt files.",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-encryption-sdk-java/issues/716",
        "getting the below exception when trying to decrypt the retrieved S3 Object. … "
        "com.amazonaws.encryptionsdk.exception.BadCiphertextException: Unable to process entire "
        "ciphertext.",
        "other.other",
    ),
    # SNS mobile push endpoints (devices) disabled: SNS's, not the caller's code.
    (
        "https://github.com/futurice/sns-push-notification-service/issues/7",
        "ARN Endpoint get disabled automatically\nI am using SNS push notification service for "
        "sending the push to the app users.",
        "other.other",
    ),
    (
        "https://github.com/mcfedr/awspushbundle/issues/22",
        "Device disabled error\nIf a device is disabled in SNS, an error is thrown preventing the "
        "rest of my code from functioning … can't seem to find a method to check if a device is "
        "enabled prior to delivery of method therefore I can't guarantee execution of the rest of "
        "my code, what's the normal approach to handle this?",
        "other.other",
    ),
    # Step Functions refusing a state machine's definition inside a failed stack.
    (
        "https://github.com/CloudSnorkel/cdk-github-runners/issues/434",
        "UPDATE_FAILED | AWS::StepFunctions::StateMachine | RunnersRunnerOrchestrator24222526\n"
        'Resource handler returned message: "Invalid State Machine Definition: '
        "'SCHEMA_VALIDATION_FAILED: These fields are required: [Choices]",
        "other.other",
    ),
    # Cognito's hosted UI error page.
    (
        "https://github.com/pop-srw/streamlit-cognito-auth/issues/17",
        "When running the sample of Hosted UI(examples/example_hosted.py) with "
        'COGNITO_REDIRECT_URI set to localhost, it displays an error page saying "An error was '
        'encountered with the requested page."',
        "other.other",
    ),
    # Route 53 refusing a record change, beside the S3 website it points at.
    (
        "https://github.com/hashicorp/terraform/issues/21021",
        "InvalidChangeBatch error when creating a r53 record with alias pointing to s3 bucket",
        "other.other",
    ),
    # RDS refusing an instance in the AWS provider's newer wording (InvalidParameterValue: RDS's).
    (
        "https://github.com/cloudposse/terraform-aws-rds-cluster/issues/206",
        "Error: creating RDS Cluster (bloom-prod-idpmysql) Instance (bloom-prod-idpmysql-1): "
        "InvalidParameterValue: CreateDBInstance can't be used to create a DB instance in a "
        "Multi-AZ DB cluster.",
        "other.other",
    ),
    # The PHP SDK's own parameter validation, as botocore's ParamValidationError.
    (
        "https://github.com/aws/aws-sdk-php/issues/849",
        "PHP Fatal error:  Uncaught exception 'InvalidArgumentException' with message 'Found 1 "
        "error while validating the input provided for the ChangeResourceRecordSets operation:",
        "lambda.sdk_config",
    ),
    # The account's CloudWatch Logs resource policy full: a log delivery it cannot take, in
    # API Gateway's words; CloudWatch's, not an identity's missing permission.
    (
        "https://github.com/anomalyco/sst/issues/125",
        'Api construct fails to be created with error "Insufficient permissions to enable logging" '
        "when access log is configured",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws-samples/retail-demo-store/pull/646",
        "deploy can fail with … Cannot enable logging. Policy document length breaking Cloudwatch "
        "Logs Constraints, either < 1 or > 5120 (Service: AmazonApiGatewayV2; Status Code: 400;",
        "cloudwatch.other",
    ),
    # Pods, nodes or instances that cannot reach or talk to one another: the path between them
    # (also "from inside and outside the VPC", which rules no VPC out; "3 different
    # availability zones" is a layout, no zone mismatch).
    (
        "https://github.com/aws-samples/eks-workshop-v2/issues/327",
        "[Bug]: Karpenter nodes can't communicate with MNG nodes",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/amazon-vpc-cni-k8s/issues/1910",
        "Some pods unable to reach service backed by public IP of ec2 instance",
        "vpc.connectivity",
    ),
    (
        "https://github.com/kubernetes/kops/issues/8811",
        "KOPS on AWS, pods on different nodes cannot communicate to each other … It contains 3 "
        "different availability zones, 3 masters and 3 normal nodes",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/amazon-vpc-cni-k8s/issues/1392",
        "UDP traffic has been confirmed (via `tcpdump`) to reach the primary IP of the ENI that "
        "hosts the pod's IP, but does not reach the pod. UDP traffic from inside the VPC does "
        "reach the pod as expected. TCP traffic from both inside and outside the VPC reaches the "
        "pod as expected.",
        "vpc.connectivity",
    ),
    # Addresses for pods not assigned, run out or handed out twice: the VPC's addressing.
    (
        "https://github.com/aws/amazon-vpc-cni-k8s/issues/1204",
        "ipamd fails to assign IP addresses to containers",
        "vpc.other",
    ),
    (
        "https://github.com/aws/karpenter-provider-aws/issues/5317",
        "When a pod is created, they are an issue because the instance size has no more IP.",
        "vpc.other",
    ),
    (
        "https://github.com/lyft/cni-ipvlan-vpc-k8s/issues/9",
        "Pods stucked in ContainerCreating (possible duplicate IP assignment from IPAM)",
        "vpc.other",
    ),
    # A controller that finds no subnet or security group for its selectors or tags.
    (
        "https://github.com/aws/karpenter-provider-aws/issues/1300",
        "Could not launch node, launching instances, getting launch template configs, getting "
        "launch templates, no security groups exist given constraints",
        "vpc.other",
    ),
    (
        "https://github.com/aws/karpenter-provider-aws/issues/3007",
        "subnetSelector selects subnet with no valid security groups",
        "vpc.other",
    ),
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3212",
        'unable to resolve at least one subnet … "error":"unable to resolve at least one subnet"',
        "vpc.other",
    ),
    # An interface endpoint's private DNS for inbound endpoints only (the console's words for
    # PrivateDnsOnlyForInboundResolverEndpoint), and a peering connection never accepted.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/31117",
        "2. Enable private DNS only for inbound endpoint … the second checkbox is the one that "
        "actually requires the presence of S3 Gateway type Endpoint in the VPC.",
        "vpc.other",
    ),
    (
        "https://github.com/grem11n/terraform-aws-vpc-peering/issues/43",
        '"pending-acceptance" peering status while creating Single Account Single Region peering '
        "with Options",
        "vpc.other",
    ),
    # EKS's NodeCreationFailure with no cause shown names no layer (taxonomy.md's conventions).
    (
        "https://github.com/hashicorp/terraform-cdk/issues/409",
        "aws eks NodeCreationFailure: Instances failed to join the kubernetes cluster.",
        "other.other",
    ),
    # Reserved concurrency that would leave the account's unreserved pool below its minimum (a
    # new account's low quota): Lambda refuses it, whatever stack or tool surfaced it.
    (
        "https://github.com/aws-samples/siem-on-amazon-opensearch-service/issues/175",
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [50 … got the following error "
        "when creating the stack",
        "lambda.other",
    ),
    (
        "https://github.com/aws-samples/sample-one-click-generative-ai-solutions/issues/3",
        '> Resource handler returned message: "Specified ReservedConcurrentExecutions for function '
        "decreases account's UnreservedConcurrentExecution below its minimum value of [10]. "
        "(Service: Lambda, Status Code: 400",
        "lambda.other",
    ),
    (
        "https://github.com/milliHQ/terraform-aws-next-js/issues/251",
        "Error during deployment regarding concurrency … │ Error: error setting Lambda Function "
        "(tf-next_tfn-deploy) concurrency: InvalidParameterValueException: Specified "
        "ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [50]. … on "
        ".terraform/modules/tf_next.statics_deploy.deploy_trigger/main.tf line 14, in resource "
        '"aws_lambda_function" "this":',
        "lambda.other",
    ),
    # A runtime with no build for the architecture asked, refused inside a stack.
    (
        "https://github.com/serverless/serverless/issues/10057",
        'An error occurred: InventoryLambdaFunction - Resource handler returned message: "Runtime '
        "provided does not support the following architectures [arm64]. Please select different "
        "architectures from [x86_64, arm64] or select a different runtime.",
        "lambda.other",
    ),
    # A deploy tool that drops, replaces or never adds the function's environment variables.
    (
        "https://github.com/appleboy/lambda-action/issues/82",
        "Lambda environment variables disappear\nLast week I noticed that all environment "
        "variables disappeared during the deployment using your action",
        "lambda.other",
    ),
    (
        "https://github.com/artsy/elderfield/issues/37",
        "After #36 apex deploy overwrites all environment variables",
        "lambda.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/7718",
        "Storage env vars not added to lambda function",
        "lambda.other",
    ),
    # API Gateway's own integration timeout, named without its figure; logs that "won't show
    # any errors" are there, not missing.
    (
        "https://github.com/HumanCellAtlas/data-store/issues/1300",
        "Investigate API Gateway Timeouts during high loads",
        "apigateway.other",
    ),
    (
        "https://github.com/humanmade/tachyon/issues/92",
        "Make API Gateway timeout match Lambda Timeout … If any requests take more than 29s, the "
        "client won't ever get the image. Also, is an image takes > 29s but less than 60s, the "
        "Lambda logs won't show any errors.",
        "apigateway.other",
    ),
    # API keys that do not work are API Gateway's (no usage plan), not the AWS keys.
    (
        "https://github.com/serverless/serverless/issues/2450",
        "API Keys don't work unless attached to a usage plan … Instead those endpoints just "
        "return `403 Forbidden`, whether you provide an API key or not.",
        "apigateway.other",
    ),
    # SAM's local "No response from invoke container" follows the function's own timeout or
    # crash: no network in it.
    (
        "https://github.com/aws/aws-sam-cli/issues/5007",
        "No response from invoke container: Lambda response must be valid json … Starting a timer "
        "for 3 seconds for function 'HelloWorldFunction'\nFunction 'HelloWorldFunction' timed out "
        "after 3 seconds\nNo response from invoke container for HelloWorldFunction",
        "lambda.timeout",
    ),
    # A root partition left smaller than the volume, or too small for the instance's needs.
    (
        "https://github.com/andsens/bootstrap-vz/issues/267",
        "Debian 8 AMI only using 8GB partition … Every Debian 8 Jessie AMI that I launch in "
        "Amazon Web Services is only putting the root OS onto an 8GB partition regardless of what "
        "I set the size to at launch time.",
        "ec2.other",
    ),
    (
        "https://github.com/triggermesh/triggermesh/issues/433",
        "EC2 instance partition does not use available storage space\nThe root partition in the "
        "AWS AMI does not grow beyond 8GB to use the entire disk space",
        "ec2.other",
    ),
    (
        "https://github.com/plus3it/spel/issues/682",
        "Mar 2024 spel-minimal-centos-8stream-hvm /boot partition too small … As soon as a kernel "
        "update is attempted, the partition runs out of space and fails on reboot.",
        "ec2.other",
    ),
    # User data that never ran, misspelt or said with an odd tense.
    (
        "https://github.com/hashicorp/terraform/issues/18031",
        "terraform file not executing my script in usr data",
        "ec2.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/22140",
        "user_data does not been executed in web_instance",
        "ec2.other",
    ),
    # An EBS volume that never attaches, and ec2-github-runner's give-up line.
    (
        "https://github.com/rexray/rexray/issues/455",
        "Volume did not attach … The volume is created successfully yet cannot attach: **open "
        "/dev/xvdb: no such file or directory**",
        "ec2.other",
    ),
    (
        "https://github.com/machulav/ec2-github-runner/issues/36",
        "Error: A timeout of 5 minutes is exceeded. Please ensure your EC2 instance has access to "
        "the Internet.",
        "ec2.other",
    ),
    # A login through a bastion host that fails, in English and in Korean.
    (
        "https://github.com/hashicorp/terraform/issues/5242",
        "Is it possible to use a key from SSH agent to connect through bastion ? … (at least, we "
        "fail using a key from agent for bastion connection).",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/next-step/infra-subway-deploy/pull/154",
        "1. Bastion 인스턴스로 다른 인스턴스 접근 불가",
        "ec2.ssh_access",
    ),
    # A private VPC without internet access: STS (Go's dial timeout behind WebIdentityErr) and
    # other AWS APIs out of reach.
    (
        "https://github.com/external-secrets/external-secrets/issues/651",
        "WebIdentityErr: failed to retrieve credentials\ncaused by: RequestError: send request "
        'failed\ncaused by: Post "https://sts.amazonaws.com/": dial tcp: i/o timeout',
        "vpc.connectivity",
    ),
    (
        "https://github.com/kubernetes-sigs/external-dns/issues/1470",
        "I have an EKS cluster up and running in a private VPC with no direct Internet access.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/aws-application-networking-k8s/issues/678",
        "The issue when we use private cluster without internet access, we are unable to access "
        "to Route53 Api from VPC private link.",
        "vpc.connectivity",
    ),
    # Creating what Lambda already has: an event source mapping for the same source and function,
    # a function left by an earlier deploy. The name clash is Lambda's, not the stack's.
    (
        "https://github.com/aws/serverless-application-model/issues/1320",
        "The event source and function provided mapping already exists. Please update or delete "
        "the existing mapping with UUID",
        "lambda.other",
    ),
    (
        "https://github.com/aws/serverless-application-model/issues/1474",
        "I tried brute-forcing it by renaming the event, but received error from CloudFormation: "
        "… provided mapping already exists. Please update or delete the existing mapping with UUID",
        "lambda.other",
    ),
    (
        "https://github.com/aws-samples/sample-geospatial-foundation-models-on-aws/issues/14",
        "When attempting to redeploy the same stack in the same AWS account after a successful "
        "`cdk destroy`, deployment fails with the following error: … Function creation failed "
        "because the function already exists",
        "lambda.other",
    ),
    # A DynamoDB index changed in place, which the table refuses, whatever push or build failed.
    (
        "https://github.com/aws-amplify/amplify-cli/issues/11384",
        "Join Table Issue after a failed build - Cannot update GSI's properties other than "
        "Provisioned Throughput and Contributor Insights Specification. … UPDATE_ROLLBACK_COMPLETE "
        "… [ERROR]: !!! Build failed",
        "dynamodb.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/10051",
        "Amplify failes with Attempting to edit the global secondary index in an unchanged "
        "manytomany table",
        "dynamodb.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/3903",
        "1. How can I recreate mock tables with new schema? 2. How can I recreate tables with new "
        "schema in dynamodb? Example error message: ``` "
        "Failed to start API Mock endpoint Attempting to add a local secondary index to the "
        "BusinessTable table in the Business stack. Local secondary indexes must be created when "
        "the table is created.",
        "dynamodb.other",
    ),
    # A stack creating a table whose name is taken: the table's clash (taxonomy.md).
    (
        "https://github.com/aws-amplify/amplify-cli/issues/1456",
        "CREATE_FAILED PlaylistVideoTable AWS::DynamoDB::Table Wed May 15 2019 10:03:11 GMT-0400 "
        "(Eastern Daylight Time) PlaylistVideo-projectid-dev already exists in stack",
        "dynamodb.other",
    ),
    # DynamoDB Local's tables, kept per key and region, not found by another client.
    (
        "https://github.com/99x/serverless-dynamodb-local/issues/183",
        "Migrate table exists but not found on Shell",
        "dynamodb.resource_not_found",
    ),
    (
        "https://github.com/99x/serverless-dynamodb-local/issues/203",
        "You'll notice that both `3a` and `3b` above result in the tables created by migration "
        "not being found.",
        "dynamodb.resource_not_found",
    ),
    # A table's capacity left out of the template while its billing mode needs it.
    (
        "https://github.com/aws/aws-sam-cli/issues/1815",
        "ProvisionedThroughput cannot be empty.. ### Description Getting an issue during `sam "
        "deploy` saying that ProvisionedThroughput cannot be empty.",
        "dynamodb.validation",
    ),
    # A subscription filter whose function does not admit CloudWatch Logs: lambda.other, however
    # "missing permissions" is said around it.
    (
        "https://github.com/grafana/loki/issues/11071",
        "Grafana Cloud provided lambda-promtail.yaml missing permissions … Resource handler "
        'returned message: "Could not execute the lambda function. Make sure you have given '
        "CloudWatch Logs permission to execute your function.",
        "lambda.other",
    ),
    # A template refused, or a stack name taken, before any stack ran: not a failed stack.
    (
        "https://github.com/aws-samples/aws-shield-advanced-one-click-deployment/issues/14",
        "Stack create failed S3IAMDelivereRoleStackSet ValidationError Template format error: "
        "Unresolved resource dependencies [S3IAMDelivereRoleStackSet] in the Resources block of "
        "the template",
        "cloudformation.other",
    ),
    (
        "https://github.com/bottlerocket-os/bottlerocket-test-system/issues/819",
        "Currently, if cluster creation fails for some reason, the agent's `eksctl` won't roll "
        "back the CF stack that was created. This can lead to latter results where subsequent "
        "cluster creations fail because the stack name is already taken",
        "cloudformation.other",
    ),
    # Two CreateLogGroup calls racing (OperationAbortedException) inside Python's logging setup:
    # CloudWatch Logs' refusal, not a ValueError of the learner's code.
    (
        "https://github.com/kislyuk/watchtower/issues/136",
        "ValueError: Unable to configure handler 'cloudwatch': An error occurred "
        "(OperationAbortedException) when calling the CreateLogGroup operation: A conflicting "
        "operation is currently in progress against this resource.",
        "cloudwatch.other",
    ),
    # A stack's resource refused by a service the message names ("(Service: Iam, ...)"): that
    # service's layer is the cause, the stack only where it surfaced.
    (
        "https://github.com/aws-samples/aws-cdk-examples/issues/82",
        "CREATE_FAILED | AWS::IAM::Role | ItemsDynamoDBRole (ItemsDynamoDBRole7D2E3F6D) ARN "
        "arn:aws:iam::aws:policy/arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess is not valid. "
        "(Service: AmazonIdentityManagement; Status Code: 400; Error Code: InvalidInput;",
        "iam.other",
    ),
    (
        "https://github.com/aws-samples/terraform-aws-windows-workloads-on-aws/issues/3",
        "Resource handler returned message: “The role with name pdoiarpdcloud9admin01 cannot be "
        "found. (Service: Iam, Status Code: 404, Request ID: )” (RequestToken: , "
        "HandlerErrorCode: NotFound)",
        "iam.other",
    ),
    # A deploy told failed by its rollback, said as a noun ("fails and rollbacks").
    (
        "https://github.com/OWASP/DVSA/issues/24",
        "CannotDeploy DVSA from the AWS Serverless Application Repository\nThe creation process "
        "fails and rollbacks with no specific errors.",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/OWASP/DVSA/issues/25",
        "The InitializeApplication function is taking a lot of time and the request fails, this "
        "results in a rollback of the complete application.",
        "cloudformation.stack_failed",
    ),
    # No credentials set up at all.
    (
        "https://github.com/nchammas/flintrock/issues/87",
        "Show friendlier error message when AWS credentials aren't configured",
        "iam.credentials",
    ),
    # Bedrock's model access not granted to the account: an "AccessDenied" no IAM policy fixes.
    (
        "https://github.com/aws-samples/amazon-bedrock-workshop/issues/87",
        "When running the tutorial on a new account that has not been set up, API calls will "
        'return "AccessDenied" errors for models that need access added: … Add links to '
        "https://docs.aws.amazon.com/bedrock/latest/userguide/setting-up.html and "
        "https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html to readme.md intro",
        "other.other",
    ),
    # A bootstrap without the execute bit: no memory, no missing handler, no S3 refusal.
    (
        "https://github.com/marcinczeczko/quarkus-lambda-native/issues/2",
        'Permission denied after manual deploy on AWS … "errorType": "Runtime.ExitError", '
        '"errorMessage": "RequestId: a217e5c9-4d4f-44ad-99b1-5d97393f82e5 Error: Runtime failed '
        'to start: fork/exec /var/task/bootstrap: permission denied"',
        "lambda.other",
    ),
    # A layer the function cannot be given (not found in the region): no missing module.
    (
        "https://github.com/darshilparmar/dataengineering-youtube-analysis-project/issues/9",
        "I can't able to add wrangler layer into my lambda function. I choose the location N "
        "virginia but still i didnt find the wrangler layer",
        "lambda.other",
    ),
    # No credentials reached the call: the Go SDK's chain failing in its own words, a web identity
    # token file that cannot be read (whatever trust policy is quoted), keys never defined, a
    # session token never set, a profile's role never assumed.
    (
        "https://github.com/kubernetes-sigs/aws-ebs-csi-driver/issues/2421",
        "EC2 operations error: CreateVolume, get identity, get credentials: request canceled, "
        "context canceled",
        "iam.credentials",
    ),
    (
        "https://github.com/crossplane-contrib/provider-aws/issues/402",
        "I'm attempting to deploy a securitygroup just as a test but I receive this error: … "
        "message: 'connect failed: unable to read web identity token file in pod: open : no such "
        'file or directory\' … "Action": "sts:AssumeRoleWithWebIdentity",',
        "iam.credentials",
    ),
    (
        "https://github.com/restic/restic/issues/1671",
        'Misleading "Fatal: unable to open config file" with s3 backend and no AWS* keys defined … '
        "Fatal: unable to open config file: Stat: Access Denied.",
        "iam.credentials",
    ),
    (
        "https://github.com/s3fs-fuse/s3fs-fuse/issues/651",
        "Where to put `aws_session_token` information … We currently use temporary credentials "
        "using `aws sts`, from the documentation it is not clear to me how or where I would put "
        "the `aws_session_token`. Without setting this, I cannot access aws s3 buckets (i.e. I "
        "have to refresh this credential each day to gain access to the s3 buckets again).",
        "iam.credentials",
    ),
    (
        "https://github.com/velero-io/velero/issues/3142",
        "AWS Role to be assumed not being read from configuration file. … An error occurred: some "
        'backup storage locations are invalid: backup store for location "default" is invalid: '
        "rpc error: code = Unknown desc = AccessDenied: Access Denied",
        "iam.credentials",
    ),
    # An identity's policies said in prose not to grant all it needs.
    (
        "https://github.com/kubernetes/autoscaler/issues/3394",
        "Cluster Autoscaler (v 1.17.3) does not have all policies attached to cluster-autoscaler "
        "role.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/kubernetes/kops/issues/17754",
        "IAM policy for EBS CSI driver is too strict: can't create volumes from snapshots",
        "iam.missing_permission",
    ),
    # An S3 FUSE mount failing with the kernel's EIO, whatever region or "write" cue is near.
    (
        "https://github.com/s3fs-fuse/s3fs-fuse/issues/230",
        "Input / Output Errors on writing files … I cannot access files in my S3 buckets anymore. "
        "They mount properly, I can touch files but trying to edit and add anything returns and "
        "I/O error. … My setup runs in the Frankfurt Region.",
        "s3.other",
    ),
    (
        "https://github.com/s3fs-fuse/s3fs-fuse/issues/430",
        "After success of s3 bucket mount, fail to write file into mounted folder. … echo "
        '"test" > ./mountpath/test.txt -bash: ./mountpath/test.txt: Input/output error',
        "s3.other",
    ),
    # The Go SDK with no region to resolve an endpoint from.
    (
        "https://github.com/crossplane-contrib/provider-jet-aws/issues/176",
        "Failing to create AWS IAM Role … connect failed: cannot get terraform setup: failed to "
        'use pod service account: unknown endpoint, could not resolve endpoint, partition: "aws", '
        'service: "sts", region: ""',
        "lambda.sdk_config",
    ),
    # Python's socket.gaierror under botocore: the endpoint host does not resolve (SDK config).
    (
        "https://github.com/DevMiser/DaVinci/issues/12",
        'Alot of traceback errors … File "/home/medwards/.local/lib/python3.9/site-packages/'
        'botocore/httpsession.py", line 465, in send … socket.gaierror: [Errno -2] Name or '
        "service not known",
        "lambda.sdk_config",
    ),
    # Kinesis Video Streams named by its endpoint (kinesisvideo) or PutMedia: outside the list.
    (
        "https://github.com/awslabs/amazon-kinesis-video-streams-producer-sdk-cpp/issues/459",
        "putMedia failed after long term upload … curlCompleteSync(): curl perform failed for url "
        "https://s-1e415f8b.kinesisvideo.us-east-1.amazonaws.com/putMedia with result Timeout",
        "other.other",
    ),
    (
        "https://github.com/awslabs/amazon-kinesis-video-streams-producer-sdk-cpp/issues/575",
        "[QUESTION] PutMedia.ConnectionErrors occurs when no data is uploaded … curl perform "
        "failed for url https://s-xxxxxxx.kinesisvideo.us-west-2.amazonaws.com/putMedia with "
        "result Timeout was reached",
        "other.other",
    ),
    # Transcribe streaming's five-minute limit ("BadRequestException: Signature expired"): no keys.
    (
        "https://github.com/amazon-connect/amazon-connect-realtime-transcription/issues/44",
        "Live transcription stops after 5 mins … software.amazon.awssdk.services."
        "transcribestreaming.model.BadRequestException: Signature expired: 20200720T093804Z is "
        "now earlier than 20200720T093804Z (20200720T094304Z - 5 min.)",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-transcribe-streaming-example-java/issues/12",
        "Losing few seconds of audio every 5 minutes … java.util.concurrent.CompletionException: "
        "software.amazon.awssdk.services.transcribestreaming.model.BadRequestException: Signature "
        "expired",
        "other.other",
    ),
    # Round DOM iam: a presigned URL that lapses before the expiry it was given dies with the
    # temporary credentials that signed it: iam.credentials, not S3's.
    (
        "https://github.com/aws/aws-sdk-ruby/issues/1182",
        "Presigned urls expiring before set expires_in timeframe",
        "iam.credentials",
    ),
    (
        "https://github.com/boto/boto3/issues/2392",
        "Pre-signed URL expires after 12 hours … I am using boto3 and Lambda to create pre-signed "
        "urls to last for 7 days.",
        "iam.credentials",
    ),
    (
        "https://github.com/boto/boto3/issues/3079",
        "Presigned URL for an Amazon S3 bucket is expiring before the expiration time that I "
        "specified",
        "iam.credentials",
    ),
    (
        "https://github.com/boto/botocore/issues/2604",
        "S3 presigned urls expire before requested ExpireIn parameter",
        "iam.credentials",
    ),
    (
        "https://github.com/chanzuckerberg/single-cell-data-portal/issues/2266",
        "Presigned S3 urls don't last long enough.",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-go-v2/issues/1557",
        "Presigned Url expired before desired expiration time.",
        "iam.credentials",
    ),
    (
        "https://github.com/PeopleForBikes/pfb-network-connectivity/issues/367",
        "AWS S3 presigned urls still timing out when jobs are started late … Presumably because "
        "EC2 instance credentials rotate after some time",
        "iam.credentials",
    ),
    # Lambda's code read from a bucket refused ("Your access has been denied by S3"):
    # s3.access_denied by the labelling convention, whatever operation surfaced it.
    (
        "https://github.com/aws-samples/aws-codepipeline-bitbucket-integration/issues/11",
        "Your access has been denied by S3, please make sure your request credentials have "
        "permission to GetObject for lexlabs3bucketmgmtapps/f4a779b4953357ca1517a6a0e76994f4. S3 "
        "Error Code: AccessDenied. S3 Error Message: Access Denied (Service: AWSLambdaInternal; "
        "Status Code: 403; Error Code: AccessDeniedException",
        "s3.access_denied",
    ),
    (
        "https://github.com/awslabs/dynamodb-continuous-backup/issues/18",
        "think maybe the bucket policy isn't open: … error occurred (AccessDeniedException) when "
        "calling the CreateFunction operation: Your access has been denied by S3, please make "
        "sure your request credentials have permission to GetObject for "
        "aws-lambda-streams-to-firehose-us-west-2/LambdaStreamToFirehose-1.4.1.zip. S3 Error "
        "Code: AccessDenied.",
        "s3.access_denied",
    ),
    # A function that connected and got its data but never exits: its own timeout, not the VPC.
    (
        "https://github.com/Automattic/mongoose/issues/11521",
        "mongoose.connect() connects successfully but lambda times out after that",
        "lambda.timeout",
    ),
    (
        "https://github.com/psycopg/psycopg2/issues/592",
        "I have written a AWS lambda in python which connects to Postgres database in the VPC. The "
        "functionality works, but the lambda does not exit.",
        "lambda.timeout",
    ),
    (
        "https://github.com/sakazuki/aws-serverless-node-red/issues/2",
        "If I use node-red-node-mysql to connect to a database the lambda returns the data as "
        "expected but the lambda stays running until the maximum execution time expires or the "
        "connection drops.",
        "lambda.timeout",
    ),
    # Cache, Kafka and MongoDB clients' own words when no server of a VPC-hosted cluster answered.
    (
        "https://github.com/StackExchange/StackExchange.Redis/issues/2269",
        "RedisConnectionException when connecting to ElastiCache Redis. … "
        "Message=It was not possible to connect to the redis server(s). Error connecting right "
        "now.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/Mongey/terraform-provider-kafka/issues/185",
        "I was trying create the topics in AWS MSK Cluster, but show this error below for me. … "
        "Error: kafka: client has run out of available brokers to talk to (Is your cluster "
        "reachable?)",
        "vpc.connectivity",
    ),
    (
        "https://github.com/haohanyang/mongodb-datasource/issues/80",
        "unable to connect to documentDB AWS … and got this error in the connection: \nserver "
        "selection error: context deadline exceeded, current topology: { Type: ReplicaSetNoPrimary",
        "vpc.connectivity",
    ),
    # A connection to RDS that fails, said in Korean (접속, 접근, 연결: connecting, reaching).
    (
        "https://github.com/jojoldu/freelec-springboot2-webservice/issues/125",
        "intellij에서 RDS접속하는 것이 이틀전에는 됬는데 어제부터 갑자기 안되더라구요.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/jojoldu/freelec-springboot2-webservice/issues/330",
        "7.4 EC2에서 RDS 에서 접근 확인(p.291) … 한참후에 접속이 않된다고",
        "vpc.connectivity",
    ),
    (
        "https://github.com/jojoldu/freelec-springboot2-webservice/issues/548",
        "[오류] p.291 ec2에서 rds 접속하기 … 한참 후에 연결할 수 없다고 합니다.",
        "vpc.connectivity",
    ),
    # Elastic Beanstalk's own 502, the service shortened to "EB": not API Gateway.
    (
        "https://github.com/aws-samples/eb-docker-nginx-proxy/issues/10",
        "502 Bad Gateway in EB … I did as mentioned but its says 502 Bad Gateway",
        "other.other",
    ),
    # A failure put down in words to the function's timeout: lambda.timeout, not memory or S3.
    (
        "https://github.com/alexcasalboni/aws-lambda-power-tuning/issues/217",
        "The step function kept failing on the lowest memory option that I provided. This was due "
        "to a timeout on the lambda.",
        "lambda.timeout",
    ),
    (
        "https://github.com/lambci/cmda/issues/5",
        "Timeout issue for large upload … When uploading file(s) over ~50mb, the cmda will throw "
        "timeout error due to timeout setting in the lambda function.",
        "lambda.timeout",
    ),
    # Spot capacity taken back or never granted: interruptions and the spot request's status codes.
    (
        "https://github.com/Coalfire-Research/npk/issues/103",
        "Spot Instance terminated due to user-initiated termination. "
        "[instance-terminated-by-user] I never terminated this job.",
        "ec2.capacity_limit",
    ),
    (
        "https://github.com/LeanerCloud/AutoSpotting/issues/293",
        "When there's a high demand for a particular type of instance, the spot instances start "
        "getting the termination notification and shut down.",
        "ec2.capacity_limit",
    ),
    (
        "https://github.com/mludvig/aws-ethereum-miner/issues/51",
        "Spot Instance not launching … I am having the below error since i have launched the CFT.",
        "ec2.capacity_limit",
    ),
    # The instance metadata service refusing a call with 401 (IMDSv2's session token missing or
    # expired): the instance's, not a credentials failure.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-ec2-instance/issues/387",
        "Access to metadata service returns 401 unauthorized",
        "ec2.other",
    ),
    (
        "https://github.com/ansible-collections/amazon.aws/issues/2205",
        "`ec2_metadata_facts` sometimes returns 401 unauthorized if the IMDSv2 token times out.",
        "ec2.other",
    ),
    # EC2's refusal of an AMI whose virtualization does not suit the instance type.
    (
        "https://github.com/BD2KGenomics/cgcloud/issues/10",
        "HVM-only instance types don't work … <Code>InvalidParameterCombination</Code><Message>"
        "Virtualization type 'hvm' is required for instances of type 't2.micro'.</Message>",
        "ec2.invalid_resource",
    ),
    # MongoDB and DocumentDB clients that cannot connect, with another client reaching the
    # server or a server outside AWS: the client's, no login to an instance.
    (
        "https://github.com/Automattic/mongoose/issues/14535",
        "I am not able to connect to document DB using mongoose. I am able to connect to the same "
        "using mongo shell, and compass. … Getting this error: **Failed to connect with Mongo DB "
        "MongooseServerSelectionError: connect ETIMEDOUT**",
        "other.other",
    ),
    (
        "https://github.com/awslabs/aws-athena-query-federation/issues/1048",
        "[BUG] Unable to connect MongoDB Atlas with connector docdb … I am not able to connect to "
        "my MongoDB Atlas cluster with the connector.",
        "other.other",
    ),
    # A writer (a flow log's role, a function, an API stage) not allowed to write its logs to
    # CloudWatch: no logs arrive, not an identity refused a call.
    (
        "https://github.com/LeapBeyond/terraform-aws-cloudtrail/issues/3",
        "VPC console is reporting an access error … The IAM role for your flow logs does not have "
        "sufficient permissions to send logs to the CloudWatch log group",
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/amazon-connect/amazon-connect-chat-ui-examples/issues/27",
        "CloudFormation Resource missing log write perms … doesn't have permissions to write logs "
        "to CloudWatch.",
        "cloudwatch.no_logs",
    ),
    (
        "https://github.com/podaac/hydrocron/issues/88",
        "It looks like the logs are defined for the API Gateway in Terraform but there are no IAM "
        "permissions that give the API Gateway read and write access to CloudWatch.",
        "cloudwatch.no_logs",
    ),
    # A log group made only on the function's first write, so what needs it first (a subscription
    # filter) fails: the group is missing, whatever the fix ("create log groups explicitly").
    (
        "https://github.com/claranet/terraform-aws-lambda/issues/38",
        "CloudWatch Log Group not automagically created … The CloudWatch Log Group is only created "
        "when the Lambda Function tries to send its first logs.",
        "cloudwatch.log_group_missing",
    ),
    (
        "https://github.com/govuk-one-login/authentication-api/pull/367",
        "Explicitly create log groups for Lambda functions … To ensure the log groups exist so the "
        "subscription filter will deploy. Currently, they will only get created the first time the "
        "lambda is executed, which means the Terraform is failing",
        "cloudwatch.log_group_missing",
    ),
    (
        "https://github.com/govuk-one-login/authentication-api/pull/6666",
        "CloudWatch log group gets created automatically by Serverless::Api. Though not quick "
        "enough (during the first ever deployment) for the SubscriptionFilter, and the deployment "
        "fails with dependency issues. … Creating the log group explicitly to workaround the "
        "dependency issue.",
        "cloudwatch.log_group_missing",
    ),
    # A subscription filter's destination refused by CloudWatch Logs ("destinationArn for vendor").
    (
        "https://github.com/theburningmonk/lambda-logging-kinesis-demo/issues/1",
        "DestinationArn for vendor kinesis cannot be used without roleArn … I am getting the "
        "following error in the subscribe function when I create a new log group.",
        "cloudwatch.other",
    ),
    # EventBridge's bus as the API and templates write it (EventBus, --event-bus-name): its own.
    (
        "https://github.com/aws-solutions/quota-monitor-for-aws/issues/188",
        "Events are not being deposited to custom EventBus QuotaMonitorBus from spoke accounts. … "
        "Temporary fix: had to add scoped down policy to the custom bus QuotaMonitorBus to allow "
        "events:PutEvents . Notifications started to come in.",
        "cloudwatch.other",
    ),
    # An export another stack imports, in a stack named for its VPC (not a VPC resource left with
    # dependencies), and an update that changes such an export: the stack's own failure.
    (
        "https://github.com/rlister/stax/issues/40",
        "Handle UPDATE_COMPLETE better when trying to delete a stack with exports … "
        "foo-ci-docker-vpc  Export foo-ci-docker-vpc-EcsCluster cannot be deleted as it is in use "
        "by foo-ci-docker-events",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/linz/geostore/issues/630",
        "This results in following stack upgrade errors when resources are moved between stacks "
        "and Exports need to be removed from stack: … Export "
        "ci787925127-geospatial-data-lake-storage:ExportsOutputRefci787925127datasetsci787925127"
        "datasetstablenameforci787925127B9979E3F131A4311 cannot be updated as it is in use by "
        "ci7879251",
        "cloudformation.stack_failed",
    ),
    # A stack's resource of a service outside the list, taken or refused by that service: the
    # resource's failure (other.other), not the stack that surfaced it.
    (
        "https://github.com/aws-samples/bedrock-chat/issues/794",
        'Resource handler returned message: "Resource of type '
        "'AWS::CloudFront::OriginAccessControl' with identifier "
        "'BedrockChatStackFrontendDistOrigin1S3OriginAccessControlA46AADB6' already exists.\"",
        "other.other",
    ),
    (
        "https://github.com/bksarthak/devsecops-book/issues/5",
        "Status: Create failed … Status reason: Invalid templateBody. Please make sure that your "
        "template is valid (Service: AWSServiceCatalog; Status Code: 400; Error Code: "
        "InvalidParametersException;",
        "other.other",
    ),
    # The Serverless Framework's "<bucket's logical id> - <name> already exists": a bucket name
    # taken, whatever the stack around it.
    (
        "https://github.com/serverless/serverless/issues/9006",
        "Serverless: Operation failed! … An error occurred: S3Bucketsoftwarecsvdata - "
        "software-csv-data already exists in stack",
        "s3.bucket_name",
    ),
    (
        "https://github.com/PinkyJie/aws-transcribe-demo/issues/2",
        "`An error occurred: S3BucketVoiceassistdevaudiofilebucket - "
        "voice-assist-dev-audio-file-bucket already exists.\n`\n\n`CloudFormation - "
        "CREATE_FAILED - AWS::S3::Bucket - S3BucketVoiceassistdevaudiofilebucket",
        "s3.bucket_name",
    ),
    (
        "https://github.com/matt-filion/serverless-external-s3-event/issues/70",
        "ServerlessError: An error occurred: mybucket - mybucketname already exists.",
        "s3.bucket_name",
    ),
    # A profile with no MFA device set, so the role is asked for without the factor: the caller's
    # credentials (taxonomy.md's MFA convention), whatever sts:AssumeRole denial follows.
    (
        "https://github.com/99designs/aws-vault/pull/1250",
        "profile root: skipping GetSessionToken because profile 'work' has no MFA serial defined "
        "… aws-vault: error: login: operation error STS: AssumeRole, https response error "
        "StatusCode: 403",
        "iam.credentials",
    ),
    # The SDKs' and tools' own words for credentials missing or unusable: PHP's
    # CredentialsException, Rust's MissingCredentials, GetUser's "non-User credentials", a
    # credential object "not valid", "No IAM credentials linked", credentials one cannot use.
    (
        "https://github.com/aws/aws-sdk-php/issues/1611",
        "PHP Fatal error:  Uncaught Aws\\\\Exception\\\\CredentialsException: Unexpected instance "
        "profile response code:",
        "iam.credentials",
    ),
    (
        "https://github.com/awslabs/aws-sdk-rust/issues/760",
        "ConstructionFailure(ConstructionFailure { source: SigningStageError { kind: "
        "MissingCredentials } }) on EKS",
        "iam.credentials",
    ),
    (
        "https://github.com/mvanholsteijn/ecs-docker-run/issues/3",
        "An error occurred (ValidationError) when calling the GetUser operation: Must specify "
        "userName when calling with non-User credentials",
        "iam.credentials",
    ),
    (
        "https://github.com/Noovolari/leapp/issues/552",
        'I started getting a "Resolved credential object is not valid" error when starting a '
        "session.",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-toolkit-jetbrains/issues/3883",
        "I can connect the AWS Toolkit to AWS, but I get 'No IAM credentials linked' error",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-toolkit-jetbrains/issues/4296",
        "Can't set up credentials through plugin: Can't use credentials setup manually with aws "
        "sso pull downs not working.",
        "iam.credentials",
    ),
    # A pod's web identity (IRSA) unused, by its other names ("EKS IAM for service accounts") or
    # as the node's role used in its place: the SDK signed with the wrong credentials.
    (
        "https://github.com/aws/aws-sdk-java-v2/issues/1470",
        "Java SDK does not support EKS IAM for service accounts",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-java/issues/2136",
        "I'm running pods and seeing that that run with the IAM role of the _node_ and not the "
        "role linked to the IAM ServiceAccount I am running as.",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-java/issues/2653",
        "java is using node IAMRole … However, when attempting to get an object from S3 I am "
        "getting permission denied",
        "iam.credentials",
    ),
    # What a profile's credential_process printed, unreadable to the CLI: the credentials' helper,
    # not a function's JSON.
    (
        "https://github.com/ruimarinho/gsts/issues/38",
        "I am trying to install this tool using the `credential_process`. … I get the following "
        "output `Expecting value: line 1 column 1 (char 0)`.",
        "iam.credentials",
    ),
    # The policy editor's own check of a Resource ARN: a document that does not validate.
    (
        "https://github.com/ryanto/next-s3-upload/issues/185",
        "**Invalid ARN Resource** Resource ARN does not match the expected ARN format. Update the "
        "resource portion of the ARN.",
        "iam.malformed_policy",
    ),
    # A service's own default or required role missing or not set up: the role must be created,
    # no policy action is missing (iam.other), whatever stack or service surfaced it.
    (
        "https://github.com/ambiata/ivory/pull/666",
        'To fix "InstanceProfile is required for creating cluster" errors',
        "iam.other",
    ),
    (
        "https://github.com/johnny-chivers/hands-on-aws-certified-data-engineer-associate-DEA-C01-Practice/issues/4",
        "EMR_DefaultRole and EMR_EC2_DefaultRole does not exist - EMR cluster creation",
        "iam.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/7632",
        "CREATE_FAILED | AWS::DMS::ReplicationInstance | Instance The IAM Role "
        "arn:aws:iam::123412341234:role/dms-vpc-role is not configured properly. (Service: "
        "AWSDatabaseMigrationService; Status Code: 400; Error Code: AccessDeniedFault;",
        "iam.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/23627",
        "Access Denied. Please check if user is assigned to Studio Domain [...] and SSO "
        "Application [Amazon SageMaker Studio (...)] is Active.",
        "iam.other",
    ),
    # A service that "could not assume" the role it was handed: the role's trust policy.
    (
        "https://github.com/aws-samples/amazon-bedrock-workshop/issues/367",
        "ValidationException: An error occurred (ValidationException) when calling the "
        "CreateModelCustomizationJob operation: Could not assume provided IAM role.",
        "iam.trust_policy",
    ),
    # A role said to lack a named API action, and the SageMaker SDK's role lookup refused.
    (
        "https://github.com/aws/sagemaker-python-sdk/issues/2002",
        "The role 'arn:aws:iam::9111xxxxxxxx:role/test-role' does not have BatchGetImage "
        "permission for the image",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws/sagemaker-python-sdk/issues/2027",
        "Run it and get this error: … Couldn't call 'get_role' to get Role ARN from role name "
        "ROLENAME to get Role path.",
        "iam.missing_permission",
    ),
    # A name that starts with "outofmemory-" is no memory failure: EC2 refused the launch's value.
    (
        "https://github.com/pivotal-cf/docs-pks/issues/333",
        "cluster creation fails even though `outofmemory-pks-worker` and `outofmemory-pks-master` "
        "exist with correct permissions … L Error: Unknown CPI error 'Unknown' with message "
        "'Value (outofmemory-pks-worker) for parameter iamInstanceProfile.name is invalid",
        "ec2.invalid_resource",
    ),
    # S3's SignatureDoesNotMatch beside a signing library, a key name to encode, or keys said to
    # work elsewhere: how the request was signed (s3.other), not the credentials.
    (
        "https://github.com/aws-amplify/amplify-flutter/issues/1673",
        "[aws_signature_v4] 403 error; The request signature we calculated does not match the "
        "signature you provided … I am using `aws_signature_v4` to access the file in the "
        "private s3 bucket.",
        "s3.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-flutter/issues/7097",
        "I am trying to construct the URL for an Amazon S3 bucket where the file name contains "
        "spaces. The spaces are URL-encoded in the constructed URL, but the request fails with a "
        '"SignatureDoesNotMatch" error.',
        "s3.other",
    ),
    (
        "https://github.com/furaiev/amazon-cognito-identity-dart-2/issues/120",
        "I have tested it through POSTMAN and it works ok so I'm confident my AWS credentials are "
        "ok. … The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        "s3.other",
    ),
    (
        "https://github.com/diagnosia/flutter_aws_s3_client/issues/12",
        "first time when i try to get all bucket it works fine but when i try to get content list "
        "from specific bucket then it throws SignatureDoesNotMatch.",
        "s3.other",
    ),
    # A region or client that takes only Signature V4: the signing (s3.other), not the region;
    # the CLI's own error that says to give the region is the region's.
    (
        "https://github.com/ohnosequences/sbt-s3-resolver/issues/47",
        "After some research it appears that the Frankfurt region only supports the V4 signature "
        "Algorithms … The upload fails with a 400 BAD REQUEST.",
        "s3.other",
    ),
    (
        "https://github.com/willwebberley/NodeDirectUploader/issues/4",
        "when uploading to an s3 bucket in frankfurt, i need to add this line: … "
        "aws.config.update({ signatureVersion: 'v4', region: 'eu-central-1' });",
        "s3.other",
    ),
    (
        "https://github.com/firstandthird/mongobackup-s3/issues/9",
        "An error occurred (InvalidRequest) when calling the PutObject operation: You are "
        "attempting to operate on a bucket in a region that requires Signature Version 4.  You "
        "can fix this issue by explicitly providing the correct region location using the "
        "--region argument",
        "s3.wrong_region",
    ),
    # A bucket policy created twice: the policy resource's clash, not a bucket name taken.
    (
        "https://github.com/serverless/serverless/issues/6923",
        "Deploy fails with error 'An error occurred: ServerlessDeploymentBucketPolicy - The bucket "
        "policy already exists on bucket...''",
        "s3.other",
    ),
    # An S3 denial beside the identity said to lack permissions ("doesn't get permissions to",
    # "Missing S3 permission"): the identity's policy.
    (
        "https://github.com/cdklabs/cdk-stacksets/issues/428",
        "when calling the PutObject operation: Access Denied … And discovered that asset bucket "
        "deployment custom resource, doesn't get permissions to the destination S3 bucket:",
        "iam.missing_permission",
    ),
    (
        "https://github.com/treeverse/dvc.org/issues/3824",
        "Missing S3 permission on documentation … ERROR: unexpected error - Forbidden: An error "
        "occurred (403) when calling the HeadObject operation: Forbidden",
        "iam.missing_permission",
    ),
    # A tool that cannot use SSO credentials: it signs with none, whatever S3 then answers.
    (
        "https://github.com/apache/arrow/issues/29912",
        "[Python] Add support for the SSO credential provider … AWS Error [code 15]: No response "
        "body.",
        "iam.credentials",
    ),
    # A Redis Cluster's MOVED redirection: the client's cluster mode (ElastiCache), other.other.
    (
        "https://github.com/colinmollenhour/Cm_Cache_Backend_Redis/issues/145",
        "An exception occurred: MOVED 8402 X.X.X.X:6379 in lib/Credis/Client.php on line 1062",
        "other.other",
    ),
    (
        "https://github.com/StackExchange/StackExchange.Redis/issues/2324",
        "StackExchange.Redis.RedisServerException: Key has MOVED to Endpoint 10.71.88.95:6379 and "
        "hashslot 3830 but CommandFlags.NoRedirect was specified",
        "other.other",
    ),
    # ECS Exec refused (TargetNotConnectedException, "execute command failed"): ECS's agent.
    (
        "https://github.com/aws/aws-cli/issues/8080",
        "An error occurred (TargetNotConnectedException) when calling the ExecuteCommand "
        "operation: The execute command failed due to an internal error. Try again later.",
        "other.other",
    ),
    (
        "https://github.com/aws-containers/amazon-ecs-exec-checker/issues/47",
        "ECS execute-command failed due to an internal error. Hi there, I'm trying to run "
        "`execute-command` to open an interactive shell against my ECS Fargate task.",
        "other.other",
    ),
    # Nodes that never join the cluster, no cause shown: as NodeCreationFailure, other.other.
    (
        "https://github.com/aws/karpenter-provider-aws/issues/7558",
        "EC2 instance created, but not joining cluster. No error message is shown in Karpenter "
        "logs.",
        "other.other",
    ),
    (
        "https://github.com/aws/karpenter-provider-aws/issues/7469",
        "But EC2 instance does not join to EKS Cluster. … Message: Node not registered with "
        "cluster",
        "other.other",
    ),
    # CloudFront refusing a non-bucket origin given as an S3 origin: CloudFront's, not S3's.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/18872",
        "Error: error creating CloudFront Distribution: InvalidArgument: The parameter Origin "
        "DomainName does not refer to a valid S3 bucket.",
        "other.other",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/10572",
        "AWS Cloudfront doesn't support ALB site as an Origin … I try many time get same error is: "
        "The parameter Origin DomainName does not refer to a valid S3 bucket",
        "other.other",
    ),
    # MSK's IAM access control denying a Kafka client: the cluster's authorisation, not IAM's.
    (
        "https://github.com/aws/aws-msk-iam-auth/issues/125",
        "Hi aws-msk-iam-auth team, I have this issue when running the same command "
        "`bin/kafka-topics.sh --list` with the same kafka library, aws-msk module and aws "
        "credentials",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-msk-iam-auth/issues/66",
        "Cannot connect to MSK Serverless as a consumer The producer can connect and appears to "
        "produce messages fine, but when I try to connect as a consumer I get access denied.",
        "other.other",
    ),
    # A pod refused under the node's role instead of its own: the wrong credentials (IRSA unused).
    (
        "https://github.com/kubernetes-sigs/external-dns/issues/1684",
        "is not authorized to perform: route53:ListHostedZones … how to point out custom IAM role "
        "to pod with helm charts, by default it is taking worker node IAM role.",
        "iam.credentials",
    ),
    (
        "https://github.com/kubernetes-sigs/external-dns/issues/1222",
        "is not authorized to perform: route53:ListHostedZones … The weird thing is that the error "
        "points out the Assumed role of the worker and NOT the `external-dns-role` role",
        "iam.credentials",
    ),
    # Java's ConnectTimeoutException to an AWS endpoint: the network path (vpc.connectivity).
    (
        "https://github.com/akka/akka-management/issues/504",
        "io.netty.channel.ConnectTimeoutException: connection timed out: "
        "ecs.us-east-1.amazonaws.com/52.46.135.59:443",
        "vpc.connectivity",
    ),
    # An EFS mount that gave up waiting: NFS not let through to the mount target.
    (
        "https://github.com/aws/amazon-ecs-agent/issues/2570",
        'Mounting EFS results in "context deadline exceeded"',
        "vpc.connectivity",
    ),
    # A load balancer that just times out: nothing answers through it (vpc.connectivity).
    (
        "https://github.com/aws-samples/aws-modern-application-workshop/issues/230",
        "when hitting the DNS name for the NLB created earlier in module 2 it justs timeout. I "
        "guess this may be due to SG but unable to diagnose.",
        "vpc.connectivity",
    ),
    # A Lambda extension (a layer's agent) that crashes or cannot register: Lambda's own
    # "Extension.Crash", not the function's code or package (lambda.other).
    (
        "https://github.com/DataDog/datadog-lambda-extension/issues/1212",
        'Docker Lambda crashes with v96 and LWA 1.0.0 … "message": "Extension registration '
        'failed - terminating process", … "errorType": "Extension.Crash",',
        "lambda.other",
    ),
    (
        "https://github.com/DataDog/datadog-lambda-extension/issues/263",
        "`DD_APM_ENABLED=false` in Lambda ENV causes `Extension.Crash`\nHaving "
        "`DD_APM_ENABLED=false` in Lambda ENV and using "
        "`arn:aws:lambda:{region}:464622532012:layer:Datadog-Extension:57` extension layer causes "
        "the Lambda to crash.",
        "lambda.other",
    ),
    # An ASGI adapter handed an event it cannot read: the event the code got, not the handler.
    (
        "https://github.com/Kludex/mangum/issues/265",
        "When i start the docker-compose and then send POST request: … [ERROR] RuntimeError: The "
        "adapter was unable to infer a handler to use for the event.",
        "lambda.code_error",
    ),
    # Metrics a collector does not gather, or that stop updating or go missing: CloudWatch's
    # metrics read back, as the collector's users word it.
    (
        "https://github.com/influxdata/telegraf/issues/4156",
        "cloudwatch input plugin do not provide network packets metrics",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/prometheus-community/yet-another-cloudwatch-exporter/issues/478",
        "No new data on any of the metrics\nData is generated only at the moment of startup, and "
        "all subsequent data is the same as before",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/prometheus/cloudwatch_exporter/issues/327",
        "cloudwatch_requests_total metric was missing intermittently in us-east-1 region",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/prometheus/cloudwatch_exporter/issues/405",
        "Multiple dimensions not able to display under AWS/EC2 namespace. Below parameters are not "
        "working...",
        "cloudwatch.alarm_or_metric",
    ),
    # CloudWatch's own API calls throttled ("Throttling: Rate exceeded" beside GetMetricData):
    # CloudWatch's rate, not API Gateway's throttling.
    (
        "https://github.com/prometheus-community/yet-another-cloudwatch-exporter/issues/96",
        "Migrate to GetMetricData api calls and reduce listMetricsRequests … I'm now getting "
        "throttled: … panic: Throttling: Rate exceeded",
        "cloudwatch.other",
    ),
    # S3's SignatureDoesNotMatch on an object call or only now and then: the signing (s3.other).
    (
        "https://github.com/aws/aws-sdk-go/issues/1112",
        "Getting SignatureDoesNotMatch on PutObject\nI am receiving \n\n`bad response: "
        "SignatureDoesNotMatch: The request signature we calculated does not match the signature "
        "you provided. Check your key and signing method. status code 403`",
        "s3.other",
    ),
    (
        "https://github.com/shrinerb/shrine/issues/177",
        "SignatureDoesNotMatch showing up most of the time. … 90% of the time, the images do not "
        "load and SignatureDoesNotMatch comes up when opening the image up in a new tab.\nBut if "
        "you keep refreshing, you will be lucky a couple of times, and the images will load just "
        "fine.",
        "s3.other",
    ),
    # S3's InvalidToken: a session token it cannot read (iam.credentials).
    (
        "https://github.com/aws/aws-sdk-net/issues/1824",
        'I now cannot run S3Client.GetObjectAsync() without getting the error "The provided token '
        'is malformed or otherwise invalid".',
        "iam.credentials",
    ),
    # ListBuckets (s3:ListAllMyBuckets) refused: only the identity's policy governs it.
    (
        "https://github.com/deliciousbrains/wp-amazon-s3-and-cloudfront/issues/597",
        'Error fetching buckets — Error executing "ListBuckets" on "https://s3.amazonaws.com/"; '
        "AWS HTTP error: Client error: `GET https://s3.amazonaws.com/` resulted in a `403 "
        "Forbidden` response: AccessDeniedAccess Denied84ASPS (truncated...)",
        "iam.missing_permission",
    ),
    (
        "https://github.com/iterate-ch/cyberduck/issues/16460",
        "I have some s3 keys which don't grant access to `s3:ListAllMyBuckets`. So unless i missed "
        "an option somewhere, i can't use cyberduck to access the bucket i would like to.",
        "iam.missing_permission",
    ),
    # S3's bare refusal as "AccessDeniedAccess Denied" (tags stripped) or "Denied Access".
    (
        "https://github.com/deliciousbrains/wp-amazon-s3-and-cloudfront/issues/598",
        "Having issue in s3 bucket AccessDeniedAccess Denied, when I am uploading the image on "
        "wordpress media, no images display and getting AccessDeniedAccess Denied for image url.",
        "s3.access_denied",
    ),
    (
        "https://github.com/KnpLabs/Gaufrette/issues/337",
        "500 Denied Access Server Internal Error\nGetting this error when trying to upload a file "
        "to my bucket using VichUploader, Gaufrette and the AWS SDK.",
        "s3.access_denied",
    ),
    # A bucket policy's Deny statement quoted (its Sid "Explicit deny ..."): the bucket's refusal.
    (
        "https://github.com/deliciousbrains/wp-amazon-s3-and-cloudfront/issues/438",
        "There was an error attempting to check the permissions of the bucket cdn.sample.com: "
        'Access Denied … "Sid": "Explicit deny to ensure requests are allowed only from specific '
        'referer.",\n            "Effect": "Deny",\n            "Principal": "*",',
        "s3.access_denied",
    ),
    # A browser refused by an S3 endpoint ("at '...s3.amazonaws.com/' from origin"): S3's CORS.
    (
        "https://github.com/axios/axios/issues/3700",
        "Access to XMLHttpRequest at 'https: //stage-applicationbucket......s3.amazonaws.com/' "
        "from origin 'http: // localhost: 8080' has been blocked by CORS policy: Response to "
        "preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' "
        "header is present on the requested resource.",
        "s3.other",
    ),
    # Cognito's error domain as the iOS SDK prefixes it (com.amazonaws.AWSCognito...ErrorDomain).
    (
        "https://github.com/awslabs/aws-sdk-ios-samples/issues/209",
        "I am repeatedly getting the following error: `Error: The operation couldn\u2019t be "
        "completed. (com.amazonaws.AWSCognitoIdentityErrorDomain error 0.)` for both `uploadData` "
        "function and `downloadData` functions.",
        "other.other",
    ),
    # The provider chain found no base credentials (NoCredentialProviders) before a role could be
    # assumed: the caller's credentials, whatever Terraform says of the role after it.
    (
        "https://github.com/hashicorp-education/learn-terraform-aws-control-tower-aft/issues/1",
        "Error: NoCredentialProviders: no valid providers in chain. Deprecated. … │ Error: error "
        "configuring Terraform AWS Provider: IAM Role "
        "(arn:aws:iam::720276729955:role/service-role/AWSControlTowerExecution) cannot be "
        "assumed.",
        "iam.credentials",
    ),
    # Other credentials than the ones meant taken by the chain (the instance's or node's role in
    # place of the job's OIDC token or the pod's IRSA role), however the role then fails to assume.
    (
        "https://github.com/aws-actions/configure-aws-credentials/issues/453",
        "The role attached is being used instead of using `ACTIONS_ID_TOKEN_REQUEST_TOKEN` and "
        "`ACTIONS_ID_TOKEN_REQUEST_URL` when trying to assume the role (which of course fails).",
        "iam.credentials",
    ),
    (
        "https://github.com/runatlantis/atlantis/issues/1724",
        "I'm trying to run atlantis on EKS with IRSA enabled and attaching a serviceaccount that "
        "is allowed to assume role to a role with full admin permissions. … whenever atlantis "
        "runs it's using the IAM role for the worker node not the IRSA role attached to the pod",
        "iam.credentials",
    ),
    # Tools' own words for credentials they could not find, validate or load: configure-aws-
    # credentials' "Could not determine how to assume credentials", the Go SDK v2's missing
    # named profile, a session token said expired.
    (
        "https://github.com/aws-actions/configure-aws-credentials/issues/817",
        "now returns `Error: Could not determine how to assume credentials. Please check your "
        "inputs and try again.`",
        "iam.credentials",
    ),
    (
        "https://github.com/pulumi/pulumi-aws/issues/3971",
        "error: pulumi:providers:aws resource 'default_6_37_0' has a problem: unable to validate "
        "AWS credentials.\n    Details: failed to get shared config profile, corp",
        "iam.credentials",
    ),
    (
        "https://github.com/hashicorp/terraform/issues/5579",
        "Terraform doesn't fail immediately if aws_session_token has expired",
        "iam.credentials",
    ),
    # An AssumeRole flow that breaks on another action the base identity lacks: its policy, not
    # the trust policy.
    (
        "https://github.com/projectdiscovery/cloudlist/issues/692",
        "AWS integration using AssumeRole fails during region enumeration when the base IAM user "
        "does not have ec2:DescribeRegions permission. … Create an IAM user with sts:AssumeRole "
        "but without ec2:DescribeRegions.",
        "iam.missing_permission",
    ),
    # IAM refusing a Condition operator it does not know, inside a failed stack: the document.
    (
        "https://github.com/aws-samples/github-actions-oidc-cdk-construct/issues/5",
        "CREATE_FAILED        | AWS::IAM::Role                      | "
        'GithubActionsDeployRole3AEBE7B4\nResource handler returned message: "Invalid Condition '
        "type : ForAllValuesStringEquals",
        "iam.malformed_policy",
    ),
    # EKS refusing a role mapped (or not) in its aws-auth ConfigMap: the cluster does not admit
    # the identity (taxonomy.md's convention).
    (
        "https://github.com/runatlantis/atlantis/issues/800",
        "I added the following code to the configmap under mapRoles … I still get this error\n"
        "```\nError: Unauthorized",
        "iam.missing_permission",
    ),
    # The SDK's waiter giving up on a stack (ResourceNotReady): the stack's failure, not an AMI's.
    (
        "https://github.com/aws/copilot-cli/issues/1767",
        "✘ execute app init: wait until stack copilot-test-infrastructure-roles create is "
        "complete: ResourceNotReady: failed waiting for successful resource state",
        "cloudformation.stack_failed",
    ),
    # Amplify Hosting's rewrite and redirect rules (a "404 rewrite" answering 404, 403 or 301) and
    # its custom domain's SSL verification that never ends: Amplify's, not a bucket's or region's.
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/1019",
        "404 Rewrite returns XML Access Denied page. 404 Redirect works properly. … "
        "This breaks and returns an XML Access Denied page when users try to access a "
        "non-existent page.",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/725",
        "Bug: 404 Rewrite Rule is Broken! … If you have this rule set as a rewrite "
        "rather than a redirect, it will render URLs, such as `/route` as 404. If you have "
        "it as the redirect, it will instead render `/route` as a 301 to `/route/`",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/236",
        "404 (Rewrite) to static 404.html file not working",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/228",
        "SSL verification is Running - [BRIEF DESCRIPTION] … **Step**: SSL verification "
        "**Status**: Running",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/465",
        'During my custom-domain defination in Amplify; "SSL verification" stage still is '
        "Running - takes so much time still waiting for it.",
        "other.other",
    ),
    # ECS container instances that never register with their cluster, no cause shown.
    (
        "https://github.com/aws/amazon-ecs-agent/issues/660",
        "EC2 Windows Instances for ECS do not register with cluster I am following this aws "
        "article to register ec2 instance with cluster but its not registering,",
        "other.other",
    ),
    # SNS delivering to an SQS queue, whatever policy JSON is quoted: SNS's and SQS's.
    (
        "https://github.com/anomalyco/sst/issues/4499",
        "Wrong permissions attached to SQS queue subscribed to a SNS topic … The "
        "problem is that the permissions of the … queue are wrong. Here's what I have "
        'on the AWS Console: … "Principal": { "Service": "sns.amazonaws.com" }, '
        '"Action": "sqs:SendMessage",',
        "other.other",
    ),
    # Services outside the list refusing their own input: ECS a secret's SSM parameter name,
    # Athena a query's result location (not S3's failure).
    (
        "https://github.com/aws/copilot-cli/issues/3446",
        "askDefinition: The Systems Manager parameter name specified for secret JWT_KEY is "
        "invalid.",
        "other.other",
    ),
    (
        "https://github.com/boto/boto3/issues/1194",
        "* `OutputLocation='arn:aws:s3:::bucketname/keyname'` where `bucketname` and "
        "`keyname` already exist. I keep getting the error > "
        "botocore.errorfactory.InvalidRequestException: An error occurred "
        "(InvalidRequestException) when calling the StartQueryExecution operation: "
        "outputLocation is not a valid S3 path.",
        "other.other",
    ),
    # A stack that fails or hangs, said with plural "stacks" or as UPDATE_IN_PROGRESS.
    (
        "https://github.com/aws-samples/aws-deploy-spinnaker-halyard/issues/4",
        'The CloudFormation stacks create failed. it showd "Cluster spinnaker-infra failed '
        'to stabilize: Internal Failure" at create aws EKS step.',
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws/copilot-cli/issues/2408",
        "The build succeeds, but then the deploy to test gets stuck on `UPDATE_IN_PROGRESS`",
        "cloudformation.stack_failed",
    ),
    # A VPC with no subnet of the kind a tool needs ("No existing public subnets were found").
    (
        "https://github.com/aws/copilot-cli/issues/2233",
        "No existing public subnets were found in VPC vpc-VPCID. You can either:",
        "vpc.other",
    ),
    # An Elastic Beanstalk environment launched without its EC2 instance profile: iam.other.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/13760",
        'Elastic Beanstalk error "You must specify an Instance Profile for your EC2 instance in '
        'this region"',
        "iam.other",
    ),
    # Terraform's "No valid credential sources found" beside a role to assume: no base credentials.
    (
        "https://github.com/hashicorp/terraform/issues/20062",
        "I have created a user, which has no permissions, except the permission to assume the "
        '`develop` role, which has full permissions … Error configuring the backend "s3": No '
        "valid credential sources found for AWS Provider.",
        "iam.credentials",
    ),
    # A session token said no longer valid: expired credentials in plain words.
    (
        "https://github.com/rust-lang/simpleinfra/issues/27",
        "awscreds fails when run in same shell As far as I can tell, the awscreds script will "
        "fail to run if you run it again in the same shell (i.e. `AWS_SESSION_TOKEN` is still "
        "set), as that token is no longer valid after 12 hours, but the AWS CLI will continue to "
        "use it.",
        "iam.credentials",
    ),
    # Credentials the instance's profile should hand out, unread.
    (
        "https://github.com/laravel/framework/issues/19953",
        "Unable to read key/secret from AWS S3 instance profiles",
        "iam.credentials",
    ),
    # A permissions boundary the account requires on new roles, not applied: role creation denied.
    (
        "https://github.com/aws/aws-cdk-cli/issues/284",
        "CDK Bootstrap: PermissionBoundary not applied to all roles",
        "iam.missing_permission",
    ),
    # Terraform's S3 backend refused listing its workspaces: the state bucket's refusal.
    (
        "https://github.com/secdevops-cuse/CyberRange/issues/42",
        "I get this error message when I try to run terraform.exe init … **Error: Failed to get "
        "existing workspaces: AccessDenied: Access Denied**",
        "s3.access_denied",
    ),
    # An identity said unable to perform an API action, or named as refused ("denied: User: arn").
    (
        "https://github.com/terraform-aws-modules/terraform-aws-eks/issues/2018",
        "EKS Managed Node Group cannot be created, user cannot perform iam:GetRole on ressource",
        "iam.missing_permission",
    ),
    (
        "https://github.com/awslabs/aws-codebuild-jenkins-plugin/issues/106",
        "CannotPullContainerError: Error response from daemon: pull access denied for "
        "ACCOUNT_ID.dkr.ecr.REGION.amazonaws.com/myrepo/codebuild-ansible, repository does not "
        "exist or may require 'docker login': denied: User: arn:aws:sts::131992011433",
        "iam.missing_permission",
    ),
    # A presigned URL S3 refuses with a 403: how it was signed or how long it lives (s3.other).
    (
        "https://github.com/JetBrains/teamcity-s3-artifact-storage-plugin/issues/13",
        "403 when uploading with presign URL … Seems like it takes too long to upload with the "
        "signed URL?",
        "s3.other",
    ),
    (
        "https://github.com/LiveUI/S3/issues/11",
        "Presigned URL returns 403 … I have some problems when generating a presigned url, which "
        "always leads to 403 errors.",
        "s3.other",
    ),
    # S3 named as what was called or read when access was denied, whichever service called it.
    (
        "https://github.com/awsdocs/amazon-emr-management-guide/issues/49",
        "access denied spark emr -> s3 … when calling s3.",
        "s3.access_denied",
    ),
    (
        "https://github.com/Esri/gptools-for-aws/issues/1",
        "Access denied trying to read bootstrap action file … I'm running the cluster in eu-west1.",
        "s3.access_denied",
    ),
    # A bucket policy said to be missing; S3's denial misspelt.
    (
        "https://github.com/anomalyco/ion/issues/1312",
        "S3 Router Example with Cloudfront OAC doesnt work. Its missing the BucketPolicy that "
        "actually allows the CDN to access the bucket",
        "s3.access_denied",
    ),
    (
        "https://github.com/os-climate/os_c_data_commons/issues/269",
        'I now have a new error: "Acess denied".',
        "s3.access_denied",
    ),
    # No credentials, in botocore's words for a half-configured profile and in the asker's own.
    (
        "https://github.com/Erionis/Flan-T5-Summarization/issues/1",
        "I get the given error in Lab 2 file how can i resolve this … Partial credentials found "
        "in assume-role, missing: source_profile or credential_source",
        "iam.credentials",
    ),
    (
        "https://github.com/awslabs/open-data-registry/issues/1338",
        "But the script is not working. Others I found on the web need credentials, that I don't "
        "have.",
        "iam.credentials",
    ),
    (
        "https://github.com/os-climate/os_c_data_commons/issues/269",
        "But after recieving my aws credentials I'm having credential error when trying to access "
        "the bucket.",
        "iam.credentials",
    ),
    # One error fixed and the next one reported: "the next problem is".
    (
        "https://github.com/sagidM/s3-resizer/issues/13",
        'I resolved the "Access Denied" , the next problem is <Code>NoSuchKey</Code> '
        "<Message>The specified key does not exist.</Message>",
        "s3.no_such_key",
    ),
    # A role's policy lacking the action, in Firehose's words or put down to permissions in prose.
    (
        "https://github.com/CloudSnorkel/CloudWatch2S3/issues/5",
        "Stack Creation did not complete successfully and got rolled back. … Access was denied "
        "when calling Kinesis. Ensure the access policy on the IAM role used allows access to "
        "the appropriate Kinesis APIs.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/ubclaunchpad/rocket2/issues/120",
        "IAM user unable to read logs on Amazon Cloudwatch … Cannot view logs due to permission "
        "issues",
        "iam.missing_permission",
    ),
    # Refused before any stack ran: AllowedValues, null values, an empty change set, cdk-nag.
    (
        "https://github.com/aws-cloudformation/rain/issues/595",
        "rain can't deploy CF template like AWS CLI … vpcID=vpc-026739ec964c7e79e … error "
        "creating changeset: Parameter 'assignStaticIP' must be one of AllowedValues",
        "cloudformation.other",
    ),
    (
        "https://github.com/cfstacks/stacks/issues/111",
        "Getting started guide fails to create stack … [/Resources] 'null' values are not "
        "allowed in templates",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/2331",
        "When trying to use AWS-SDK-JS to automate my CFN stack creation/update it returns me a "
        "FAILED status for Change Sets without any changes.",
        "cloudformation.other",
    ),
    (
        "https://github.com/awslabs/sbt-aws/issues/84",
        "cdk nag suppression error in cdk pipelines … sbt control plane deploys in a stack from "
        "cdk pipelines … when i run `cdk synth` it will throw an error.",
        "cloudformation.other",
    ),
    # Subscription filters and dashboard widgets refused at deploy, whatever stack surfaced them.
    (
        "https://github.com/aws/aws-cdk/issues/2452",
        "logSubscriptionDestination with Kinesis Stream fails due to dependency issue and "
        'incorrect principal … deploy fails with "`Could not deliver test message to specified '
        'destination"`.',
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/12835",
        "CfnSubscriptionFilter failed to create … UPDATE_FAILED",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws-samples/aws-genai-llm-chatbot/issues/654",
        "Cannot deploy solution : Error: Specify at least one log group name",
        "cloudwatch.other",
    ),
    # A metric filter CloudWatch Logs refuses, though its pattern quotes a Lambda timeout line.
    (
        "https://github.com/aws/aws-cdk/issues/36901",
        "Regular expression evaluation time exceeded allowed limit (Service: CloudWatchLogs, "
        "Status Code: 400, … The regular expression filter pattern for the metric filter is: "
        "`%Task timed out after|^REPORT\\s.+\\sStatus: timeout%`.",
        "cloudwatch.alarm_or_metric",
    ),
    # A stack left in a failed state refuses the next update, whatever service failed it first.
    (
        "https://github.com/aws/copilot-cli/issues/4878",
        "So the cloudFormation stack was at `UPDATE_ROLLBACK_FAILED` … is in "
        "UPDATE_ROLLBACK_FAILED state and can not be updated. … Resource handler returned "
        "message: \"Error occurred during operation 'ECS Deployment Circuit Breaker was "
        "triggered'.\"",
        "cloudformation.stack_failed",
    ),
    # Round 31: an instance type a region, zone or placement group does not offer, said in words.
    (
        "https://github.com/aws/aws-parallelcluster/issues/1253",
        'Selecting t2.large as "compute_instance_type" will make the stack in status '
        "CREATION_IN_PROGRESS forever. … The t2 types are not supported by the placement_group "
        "but if you select t2 type the creation of the cluster does not fail and hangs forever",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/dashpay/dash-network-deploy/pull/81",
        "change t3.nano to t2.nano for vpn to avoid error when region does not have t3 type "
        "instance introduced",
        "ec2.invalid_resource",
    ),
    # Round 31: a security group that does not fit the launch's network (EC2's and a tool's words).
    (
        "https://github.com/jtriley/StarCluster/issues/342",
        "`addnode` fails in VPC … >>> Launching node(s): node003 !!! ERROR - "
        "InvalidParameterCombination: VPC security groups may not be used for a non-VPC launch",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/puppetlabs-toy-chest/puppetlabs-aws/issues/299",
        "im getting the error below when im trying to create an ec2 instance ? … Error: "
        "Security groups 'web-sg' not found in VPCs 'vpc-88cadded'",
        "ec2.invalid_resource",
    ),
    # Round 31: a Marketplace AMI the account has not subscribed to, said without OptInRequired.
    (
        "https://github.com/wazuh/wazuh-qa/issues/4928",
        "Allow subscribing to a marketplace AMI for AWS deployments It is necessary to add the "
        "possibility of subscribing to AMIs from the marketplace, when necessary, at the moment "
        "it happened to us when trying to use the `openSUSE` image",
        "ec2.other",
    ),
    (
        "https://github.com/hashicorp/packer-plugin-amazon/issues/442",
        "Unable to create AMI from Marketplace source with subscribed credentials … 1. Subscribe "
        "to the source AMI in the AWS Marketplace.",
        "ec2.other",
    ),
    # Round 31: a bastion that cannot reach the instances behind it, said bastion first.
    (
        "https://github.com/kubernetes-sigs/cluster-api-provider-aws/issues/2231",
        "EKS: Bastion seems unable to access nodes created with managedmachinepool",
        "ec2.ssh_access",
    ),
    # Round 31: the root volume's size asked for, said to be ignored.
    (
        "https://github.com/hashicorp/packer-plugin-amazon/issues/122",
        "launch_block_device_mappings volume_size is not used when launching the packer instance "
        "for amazon-ebs builder",
        "ec2.other",
    ),
    # Round 31 (other31): AppSync refusing a GraphQL field by its @auth rules, by any verb and
    # type, or as its GraphQL errors name it; not an IAM identity's refusal.
    (
        "https://github.com/aws-amplify/amplify-category-api/issues/670",
        "Not Authorized to access getUser on type User … I'm not able to access AppSync "
        "although I have admin authorizations to use every resource and action of any AppSync "
        "resource.",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-js/issues/2698",
        'IAM not authorized to mutate on type … I get an "Unauthorized to Create on type Type" '
        "Error while running a mutation",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-js/issues/5601",
        "DataStore - Sync error - UnauthorizedException I receive this error: … "
        '"subscription failed Connection failed: '
        '{\\"errors\\":[{\\"errorType\\":\\"UnauthorizedException\\",\\"message\\":\\"Permission '
        'denied\\"}]}"',
        "other.other",
    ),
    # AppSync's resolver mapping template (VTL) failing: not a CloudFormation template.
    (
        "https://github.com/awslabs/aws-mobile-appsync-sdk-js/issues/41",
        "Error transforming the velocity template Anyone know what this error is referring to?",
        "other.other",
    ),
    # Cognito: NotAuthorizedException however an SDK words it; identity pools' guests.
    (
        "https://github.com/aws-amplify/amplify-flutter/issues/1216",
        "Now if I enter the email id which is not present in cognito it's showing always the "
        "following error; `NotAuthorizedException(message: Failed since user is not authorized., …",
        "other.other",
    ),
    (
        "https://github.com/awslabs/aws-sdk-ios-samples/issues/306",
        "Users still going to unauth identity in ID pool … But still, my user is going to "
        "unauthenticated access in the ID pool.",
        "other.other",
    ),
    # Secrets Manager's rotation, whatever Lambda function runs it.
    (
        "https://github.com/localstack/localstack/issues/5264",
        "**Trying enable secrets rotation** … I get this error: `An error occurred "
        "(ResourceNotFoundException) when calling the RotateSecret operation: Resource not found "
        "for ARN",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas/issues/16",
        "I'm trying to setup secretsmanager rotation and found these lambda function examples "
        "here... but can't get these to work.",
        "other.other",
    ),
    (
        "https://github.com/localstack/localstack/issues/12144",
        "bug: Secrets Manager is not properly using --rotation-lambda-arn and --rotation-rules",
        "other.other",
    ),
    # The Serverless Framework's ${ssm:...} variable finding no parameter: SSM's, not the SDK's.
    (
        "https://github.com/serverless/serverless/issues/4248",
        "When using the SSM variable syntax, serverless fails to retrieve the value when the "
        "parameter name includes a dash … A valid SSM parameter to satisfy the declaration "
        "'ssm:/foo/foo-bar/param' could not be found.",
        "other.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/5757",
        "If parameter is not found and no fallback found, serverless should abort to prevent "
        "broken deployment. … A valid SSM parameter to satisfy the declaration "
        "'ssm:/path/to/service/myParam' could not be found.",
        "other.other",
    ),
    # SNS mobile push: the platform application disabled (not the learner's AWS credentials).
    (
        "https://github.com/aws/aws-sdk-java/issues/1869",
        "My application shuts down sometime with the following error in the console: "
        "PlatformApplicationDisabledException … Apple rejected your credentials, likely due to "
        "them being expired, or for a production application.",
        "other.other",
    ),
    # Polly by its endpoint and its neural voices (not an SDK setting or a trust policy).
    (
        "https://github.com/chrisurf/obsidian-voice/issues/20",
        "I followed all instructions to set up a user and access key … POST "
        "https://polly.us-west-1.amazonaws.com/v1/speech 400 (Bad Request)",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-sdk-php/issues/1992",
        "Polly - Neural voices are not returned for PHP SDK … the returned voice is not the "
        "neural voice but the standard voice.",
        "other.other",
    ),
    # A service the account (or its management / payer account) never enabled or set up, and
    # Organizations refusing a member account: no identity's policy grants it (not IAM's).
    (
        "https://github.com/aws-samples/aws-cost-explorer-report/issues/15",
        "An error occurred (AWSOrganizationsNotInUseException) when calling the ListAccounts "
        "operation: Your account is not a member of an organization.",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/aws-iam-access-key-auto-rotation/issues/10",
        "I keep receiving Error: An error occurred (AccessDeniedException) when calling the "
        "ListAccounts operation: You don't have permissions to access this resource.",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/data-perimeter-helper/issues/8",
        "there is always an error saying that I do not have permission: `is not authorized to "
        "perform: account: ListRegions (The management account can only be managed using the "
        "standalone context from the management account)`",
        "other.other",
    ),
    (
        "https://github.com/turbot/steampipe-plugin-aws/issues/1107",
        "Error: AccessDeniedException: Please complete AWS Audit Manager setup from home page to "
        "enable this action in this account.",
        "other.other",
    ),
    (
        "https://github.com/numfocus/infrastructure/issues/1",
        "Your account is a part of consolidated billing. For you to be able to use Cost Explorer, "
        "your Payer account needs to enable Cost Explorer.",
        "other.other",
    ),
    # RDS's refusal of a snapshot's KMS key: the key policy's side (KMS), not the identity's.
    (
        "https://github.com/awslabs/aurora-snapshot-tool/issues/29",
        "An error occurred (KMSKeyNotAccessibleFault) when calling the CopyDBClusterSnapshot "
        "operation: The source snapshot KMS key … does not exist, is not enabled or you do not "
        "have permissions to access it.",
        "other.other",
    ),
    # The keys themselves: a malformed access key id in an XML error body, keys called "AK/SK".
    (
        "https://github.com/StreisandEffect/streisand/issues/485",
        "The error was: <Response><Errors><Error><Code>AuthFailure</Code><Message>Credential must "
        "have exactly 5 slash-delimited elements",
        "iam.credentials",
    ),
    (
        "https://github.com/AutoMQ/automq/issues/458",
        "S3Exception: Access Denied(Service: S3, Status Code: 403) This is a bug due to lost "
        "injection of AK and SK.",
        "iam.credentials",
    ),
    # An S3 403 gone once the identity gets everything, or a permission the docs never listed:
    # the identity's policy was too narrow (not the bucket's side).
    (
        "https://github.com/rclone/rclone/issues/930",
        "I get 403 response when trying to sync/copy the local files to S3, it works fine if I "
        "give all of S3 privileges.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/fluent/fluent-plugin-s3/issues/438",
        "Undocumented IAM permission: ListObjects … "
        "#<Aws::S3::Errors::AccessDenied: Access Denied>",
        "iam.missing_permission",
    ),
    # An identity's permissions said to be restrictive, with a bare AccessDenied: its narrow policy.
    (
        "https://github.com/benbjohnson/litestream/issues/107",
        "Nothing major but with 0.3.2 and very restrictive S3 permissions, this config file "
        "worked: … cannot lookup bucket region: AccessDenied: Access Denied",
        "iam.missing_permission",
    ),
    (
        "https://github.com/kopia/kopia/issues/3071",
        "AWS s3 - Repository creation fails under credentials with restrictive IAM roles … As a "
        "result, an `access denied` error will be returned.",
        "iam.missing_permission",
    ),
    # A client said not to send the right credentials: S3's 403 is the request's credentials.
    (
        "https://github.com/JetBrains/teamcity-s3-artifact-storage-plugin/issues/4",
        "Failed to publish artifacts: AWS error: Forbidden … AWS Error Code: 403 Forbidden … I "
        "had a hunch the plugin wasn't sending the right credentials",
        "iam.credentials",
    ),
    (
        "https://github.com/JetBrains/teamcity-s3-artifact-storage-plugin/issues/4",
        "Local agents fail to upload to S3 … I opened a case with Amazon, as I had a hunch the "
        "plugin wasn't sending the right credentials",
        "iam.credentials",
    ),
    # SignatureDoesNotMatch said to come from S3: S3's reading of the signed request (s3.other).
    (
        "https://github.com/pgbackrest/pgbackrest/issues/589",
        '"SignatureDoesNotMatch" on S3 Put postgres config',
        "s3.other",
    ),
    # SigV4 required by a region, in people's words: how the request is signed (s3.other).
    (
        "https://github.com/hcarvalhoalves/duplicity/issues/2",
        "When using the frankfurt location of S3 it is not working because version 4 of the "
        "signature algorithm has to be used.",
        "s3.other",
    ),
    # S3 Object Lock's retention period is the bucket's, not a log group's retention.
    (
        "https://github.com/minio/mc/issues/3892",
        "If you configure a default retention period on a bucket, requests to upload objects in "
        "such a bucket must include the Content-MD5 header. … ERROR: S3 error: 400 "
        "(InvalidRequest): Content-MD5 HTTP header is required for Put Object requests with "
        "Object Lock parameters",
        "s3.other",
    ),
    # Go's "no such host" for an AWS endpoint: a region misspelt, the client's setting.
    (
        "https://github.com/bep/s3deploy/issues/30",
        "error: RequestError: send request failed caused by: Get "
        "https://s3.us-west.amazonaws.com/sub.mybucket.com: dial tcp: lookup "
        "s3.us-west.amazonaws.com: no such host",
        "lambda.sdk_config",
    ),
    # Ruby's require failing on a gem the package lacks (Init<LoadError>): Lambda's import error.
    (
        "https://github.com/aws-samples/serverless-sinatra-sample/issues/10",
        "Init error when loading handler lambda.handler -- cannot load such file -- rack … But "
        "when I try to access any of the endpoints of this sample app, I get Internal Server "
        "Error.",
        "lambda.import_error",
    ),
    (
        "https://github.com/aws-samples/serverless-sinatra-sample/issues/29",
        "Encounter `Init<LoadError>: cannot load such file -- rack` on Production environment",
        "lambda.import_error",
    ),
    (
        "https://github.com/aws/aws-sam-cli-app-templates/pull/123",
        "Build and invoke the image locally with `sam build && sam local invoke` This will throw "
        "an error similar to: … Init error when loading handler app.lambda_handler { "
        '"errorMessage": "cannot load such file --',
        "lambda.import_error",
    ),
    (
        "https://github.com/rails-lambda/lamby/issues/158",
        'Init error when loading handler { "errorMessage": "cannot load such file -- '
        'config/environment", "errorType": "Init<LoadError>",',
        "lambda.import_error",
    ),
    # pip unable to install a function's requirements in sam build: the function's package build.
    (
        "https://github.com/aws/aws-lambda-builders/issues/276",
        "[Issue] sam build unable to resolve Dependencies … Error: "
        "PythonPipBuilder:ResolveDependencies - Could not satisfy the requirement: QuantLib",
        "lambda.other",
    ),
    # The CDK refusing a function in a public subnet: the construct library's check, no network.
    (
        "https://github.com/aws/aws-cdk/issues/1342",
        "throw new Error('Not possible to place Lambda Functions in a Public subnet');",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/8935",
        "[aws-lambda] Allow placing Lambda Functions in a Public subnet This restriction is "
        "arbitrary and a huge pain to work around.",
        "cloudformation.other",
    ),
    # A deploy tool leaving the function's VPC settings unapplied: its configuration, no traffic.
    (
        "https://github.com/serverless/serverless/issues/2925",
        "VPC and SecurityGroup not set on Deploy … the function deploys properly, but none of "
        "the VPC or Security group settings gets passed on to the Lambda function.",
        "lambda.other",
    ),
    # A service that cannot assume the role it was given ("Error in assuming access role").
    (
        "https://github.com/aws-containers/hello-app-runner/issues/3",
        "Error in assuming access role .. AppRunnerECRAccessRole",
        "iam.trust_policy",
    ),
    (
        "https://github.com/pulumi/pulumi/issues/12417",
        "error creating App Runner Service (node-app): InvalidRequestException: Error in assuming "
        "access role",
        "iam.trust_policy",
    ),
    # An SDK in a container that finds no credentials, whatever refusal follows.
    (
        "https://github.com/aws/aws-sdk-ruby/issues/2981",
        "Aws::Errors::MissingCredentialsError - unable to sign request without credentials set",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sdk-ruby/issues/1309",
        "When I assign an IAM role directly to the task that my ruby app is running on, it fails "
        "to detect the credentials and I get an access denied whenever I try to use the s3 client.",
        "iam.credentials",
    ),
    # An identity refused in plain words: "role not authorized", "did not include x:Y", KMS.
    (
        "https://github.com/serverless/serverless-graphql/issues/235",
        "appsync service role not authorized when created via serverless template",
        "iam.missing_permission",
    ),
    (
        "https://github.com/splunk/splunk-aws-project-trumpet/issues/26",
        "firehose lambda processor role did not include firehose:PutRecordBatch",
        "iam.missing_permission",
    ),
    (
        "https://github.com/serverless/serverless/issues/579",
        "if I try to connect to another resource, like DynamoDB, my Lambda function will fail due "
        "to unauthorized access.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws-samples/aws-enterprise-mlops-framework/issues/4",
        "SM Pipeline execution policy makes SM Pipeline execution fail in preprod and prod due to "
        "not allowing KMS decryption from artefact bucket",
        "iam.missing_permission",
    ),
    # An ECS task's own role not taken: the SDK or tool calls as the host's instance profile
    # (taxonomy.md's convention for a task calling AWS as its host), whatever refusal follows.
    (
        "https://github.com/aws/aws-sdk-ruby/issues/1309",
        "Access denied when using ECS task IAM role … When I assign an IAM role directly to the "
        "task that my ruby app is running on, it fails to detect the credentials and I get an "
        "access denied whenever I try to use the s3 client.",
        "iam.credentials",
    ),
    (
        "https://github.com/boto/botocore/issues/1124",
        "attempt AWS auth with task role before attempting auth with instance role",
        "iam.credentials",
    ),
    (
        "https://github.com/rabbitmq/rabbitmq-peer-discovery-aws/issues/33",
        "Support IAM roles for ECS tasks … Error fetching autoscaling group instance list: "
        '"Forbidden"',
        "iam.credentials",
    ),
    (
        "https://github.com/rabbitmq/rabbitmq-peer-discovery-aws/issues/33",
        "I observed this error: … the API call was happening under the context of the instance "
        "profile assigned to the _underlying EC2 instance_ rather than the _IAM role assigned to "
        "the task_",
        "iam.credentials",
    ),
    (
        "https://github.com/spring-attic/spring-cloud-aws/issues/197",
        "Support IAM Roles for Tasks when running in AWS ECS",
        "iam.credentials",
    ),
    (
        "https://github.com/spring-attic/spring-cloud-aws/issues/197",
        "the application will still use the host instance profile. … com.amazonaws."
        "AmazonServiceException: User: arn:aws:sts::XXXXXXXXXXXX:assumed-role/"
        "inventory-canary-EC2Role-10RJ4L9FL173K/i-0a9f98379c2f38e45 is not authorized to perform:",
        "iam.credentials",
    ),
    # The instance's credentials path failing: no role on the instance, so no keys to hand out.
    (
        "https://github.com/rapid7/propsd/issues/216",
        "Aws-sdk returned the following error during the metadata service request to "
        "/latest/meta-data/iam/security-credentials/: … TypeError: data.trim is not a function",
        "iam.credentials",
    ),
    # A wrong MFA code or device (taxonomy.md's MFA convention), over the traceback it raised.
    (
        "https://github.com/claranet/ssha/issues/36",
        "Catch incorrect MFA device/code used. Ugly error when wrong MFA device/code is used: … "
        "Traceback (most recent call last): …",
        "iam.credentials",
    ),
    # A role said to need access to a whole service: its policy lacks it.
    (
        "https://github.com/markwest1972/smart-security-camera/issues/1",
        "The role used for s3-trigger-image-processing lambda function also needs access to S3. "
        "The AmazonS3ReadOnlyAccess seems to work fine.",
        "iam.missing_permission",
    ),
    # Calls refused for a gateway the VPC lacks or could not make: nothing was sent (vpc.other).
    (
        "https://github.com/Kong/kong-mesh-ecs/pull/17",
        "fix(deploy/vpc.yaml): depend on PublicRoute for LoadBalancer\nOtherwise we get "
        '"VPC has no internet gateway" errors.',
        "vpc.other",
    ),
    (
        "https://github.com/kubernetes-sigs/cluster-api-provider-aws/issues/241",
        "NAT Gateway Error … Error reconciling cluster object test1; unable to reconcile "
        'network: no nat gateways are available in availability zone "us-west-2a" for subnet',
        "vpc.other",
    ),
    (
        "https://github.com/kubernetes-sigs/cluster-api-provider-aws/issues/1752",
        "Fails to create one of three NAT gateways … VPC console shows a failed VPC with error "
        '"Elastic IP address [eipalloc-0bf842e00beae91a4] is already associated"',
        "vpc.other",
    ),
    # "No VPC endpoint" is the missing path itself, not the "no VPC" that rules the VPC out.
    (
        "https://github.com/kubernetes-sigs/cluster-api-provider-aws/issues/4894",
        'RequestError: send request failed caused by: Post "https://iam.amazonaws.com/": dial '
        "tcp 44.216.198.236:443: i/o timeout … My VPC is private and there's no VPC Endpoint "
        "available for IAM api",
        "vpc.connectivity",
    ),
    # Pods that cannot resolve names: the path to the resolver.
    (
        "https://github.com/aws/amazon-vpc-cni-k8s/issues/705",
        "After terminating an instance in a cluster of 2, most pods were relocated to the only "
        "remaining instance before a new instance were launched. The relocated pods could not "
        "resolve DNS queries",
        "vpc.connectivity",
    ),
    # Traffic "black-holed": dropped on a path with no way through.
    (
        "https://github.com/firezone/firezone/issues/5477",
        "Gateway within docker behind DNS64 cloud (like AWS) without IPv6 breaks IPv4-only "
        "resources … If the client prefers IPv6 over IPv4 (like the `git` CLI does), all traffic "
        "will be black-holed in case the docker environment of the gateway isn't configured for "
        "IPv6.",
        "vpc.connectivity",
    ),
    # Binary responses coming back base64 encoded: API Gateway's binary media types.
    (
        "https://github.com/apex/apex-go/issues/51",
        "Fix proxy binary support … Seems to respond with base64, APIG should be decoding it when "
        "the flag is set.",
        "apigateway.other",
    ),
    (
        "https://github.com/CodeGenieApp/serverless-express/issues/39",
        "Set API Gateway Binary Support, case of Conetent-type : application/octet-stream.",
        "apigateway.other",
    ),
    # An authorizer refusing the token, whatever CloudWatch is said to show.
    (
        "https://github.com/jonsaw/amazon-cognito-identity-dart/issues/77",
        "But when I come to add the Cognito Authorizer to the API Gateway, the call fails with "
        "'Unauthenticated' & there's nothing I can see in Cloudwatch that points to what's wrong.",
        "apigateway.other",
    ),
    # An identity policy granting execute-api:Invoke on the wrong resource: the identity's.
    (
        "https://github.com/aws-amplify/amplify-cli/issues/1679",
        "This results in being unable to call the API successfully, calls are met with 403s from "
        'the API … "Action": [ … "execute-api:Invoke"',
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/4492",
        "the IAM role to invoke the api has the path parameter name hardcoded in the IAM policy "
        'which prevents basically the call. … "Action": [ … "execute-api:Invoke"',
        "iam.missing_permission",
    ),
    # DynamoDB's schema and expression refusals in other words (property names, DAX's message).
    (
        "https://github.com/hashicorp/terraform-provider-awscc/issues/1680",
        "awscc_dynamodb_table: key_schema and attribute_definitions expected to match in number "
        "of attributes",
        "dynamodb.validation",
    ),
    (
        "https://github.com/scanamo/scanamo/issues/172",
        "com.amazon.dax.client.exceptions.DaxServiceException: Two document paths overlap with "
        "each other; must remove or rewrite one of these paths",
        "dynamodb.validation",
    ),
    (
        "https://github.com/SamVerschueren/dynongo/issues/55",
        "When you provide a query which results in empty `AttributeValues` for instance, this "
        "will fail when executed against DynamoDB.",
        "dynamodb.validation",
    ),
    # A conditional write whose condition does not stop it: DynamoDB's, not the expression's.
    (
        "https://github.com/dynamodb-toolbox/dynamodb-toolbox/issues/905",
        "Conditional Put doesn't seem to respect any attr beside the Sort Key",
        "dynamodb.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/738",
        "I end up succeeding anyways currently. condition expression is not being resolved "
        "correctly",
        "dynamodb.other",
    ),
    # The function's own exception beside API Gateway's 500: the code raised.
    (
        "https://github.com/AWSinAction/apigateway/issues/1",
        '`{"message": "Internal server error"}` … TypeError: Property \'undefined\' of object '
        "#<Object> is not a function at exports.handler",
        "lambda.code_error",
    ),
    # Lake Formation's grants refused ("Insufficient Lake Formation permission(s)", "requester is
    # not authorized to access requested permissions"): no IAM policy, a service outside the list.
    (
        "https://github.com/aws/aws-sdk-pandas/issues/677",
        "An error occurred (AccessDeniedException) when calling the GetTable operation: "
        "Insufficient Lake Formation permission(s) on TABLE_WANT_TO_CHECK_BUT_NOT_EXIST",
        "other.other",
    ),
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/38982",
        "api error AccessDeniedException: Resource does not exist or requester is not authorized "
        "to access requested permissions.",
        "other.other",
    ),
    (
        "https://github.com/awslabs/aws-glue-libs/issues/225",
        "During creation of table it complains saying lakeformation permission denied ,error shown "
        "below",
        "other.other",
    ),
    # A database's own GRANTs refused (Redshift's, PostgreSQL's "permission denied for schema").
    (
        "https://github.com/metabase/metabase/issues/6461",
        "I tried executing query through Metabase but getting permission denied error: ERROR: "
        "permission denied for schema",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/amazon-redshift-dynamic-data-masking/issues/2",
        "once querying the target view as the analyst_test user I get the error `ERROR: permission "
        "denied for schema source",
        "other.other",
    ),
    # Athena's query engine errors by their HIVE_* codes.
    (
        "https://github.com/ServerlessOpsIO/ApplicationCostMonitoring/issues/2",
        "Your query has the following error(s): HIVE_INVALID_METADATA: "
        "com.facebook.presto.hive.DataCatalogException",
        "other.other",
    ),
    # EMR refusing a cluster's instance type: EMR's list of types, not an EC2 launch.
    (
        "https://github.com/boto/boto3/issues/3418",
        "An error occurred (ValidationException) when calling the RunJobFlow operation: Instance "
        "type 'r5b.xlarge' is not supported.",
        "other.other",
    ),
    (
        "https://github.com/awsdocs/aws-data-pipeline-developer-guide/issues/13",
        "Instance type 'm1.large' is not supported. (Service: AmazonElasticMapReduce; Status "
        "Code: 400; Error Code: ValidationException;",
        "other.other",
    ),
    # A Spark job's own failure (EMR, Glue): the engine's, outside the list.
    (
        "https://github.com/snowplow/snowplow/issues/3395",
        "EMRETL 'main' throwing Spark Exception … Exception in thread \"main\" "
        "org.apache.spark.SparkException: Application application_15blah finished with failed "
        "status",
        "other.other",
    ),
    # A launch naming an instance profile as the API spells it ("Invalid IamInstanceProfile").
    (
        "https://github.com/Netflix/metaflow-tools/issues/9",
        "Operation failed, ComputeEnvironment went INVALID with error: CLIENT_ERROR - Invalid "
        "IamInstanceProfile: ecsInstanceRole",
        "ec2.invalid_resource",
    ),
    # A Redshift or other VPC-hosted store that never answers, in words or as its driver says it.
    (
        "https://github.com/getredash/redash/issues/2047",
        "Unable to connect to Redshift data source",
        "vpc.connectivity",
    ),
    (
        "https://github.com/aws/amazon-redshift-python-driver/issues/212",
        "`redshift-connector` giving connection time-outs on Codebuild. … Codebuild machine not "
        'connecting to redshift. … raise InterfaceError("communication error",',
        "vpc.connectivity",
    ),
    # A service's refusal that names the role's permissions (CloudTrail's log group ARN check).
    (
        "https://github.com/aws-samples/busy-engineers-encryption-sdk/issues/77",
        "Cloudformation failed with this error: … Access denied. Check the permissions for your "
        "role. (Service: AWSCloudTrail; Status Code: 400; Error Code: "
        "InvalidCloudWatchLogsLogGroupArnException;",
        "iam.missing_permission",
    ),
    (
        "https://github.com/cloudposse/terraform-aws-cloudwatch-logs/pull/38",
        'I got the response "Error: Error updating CloudTrail: '
        "InvalidCloudWatchLogsLogGroupArnException: Access denied. Verify in IAM that the role "
        'has adequate permissions."',
        "iam.missing_permission",
    ),
    # Creating a service-linked role refused: the caller lacks iam:CreateServiceLinkedRole.
    (
        "https://github.com/org-formation/aws-resource-providers/issues/75",
        "Error creating service-linked role for Service Quotas … Error: Service-linked role "
        "creation access denied.",
        "iam.missing_permission",
    ),
    # Only an administrator's policy works, or a broad managed policy still refuses.
    (
        "https://github.com/zappa/Zappa/issues/600",
        "Deployment only works with AdministratorAccess",
        "iam.missing_permission",
    ),
    (
        "https://github.com/serverless/serverless/issues/351",
        "PowerUserAccess policy not allowing creation of Lambdas",
        "iam.missing_permission",
    ),
    # Korean "no permission" / "a permission problem" (권한이 없, 권한 문제).
    (
        "https://github.com/next-step/infra-subway-deploy/pull/174",
        "이전 4개 인스턴스가 권한 문제로 삭제가 되지 않아서 중지만 해두었는데 참고 부탁드립니다",
        "iam.missing_permission",
    ),
    (
        "https://github.com/next-step/infra-subway-deploy/pull/910",
        "인스턴스가 많이 생성되었는데 삭제 권한이 없어서 삭제는 못 했습니다.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/swsnu/swppfall2020/issues/67",
        "사용자를 만들려고 하면, 제게 그럴 권한이 없다고 나와서 사용자를 만들 수가 없습니다.",
        "iam.missing_permission",
    ),
    # A tool reading logs out of CloudWatch (Logstash, Grafana, Wazuh) that gets none, while the
    # logs are there: the reader's side, not logs never written.
    (
        "https://github.com/lukewaite/logstash-input-cloudwatch-logs/issues/80",
        "It's as if logstash is not seeing any new logs what so ever. It pulls zero data from "
        "cloudwatch now.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/monitoringartist/grafana-aws-cloudwatch-dashboards/issues/138",
        "I checked all the CloudWatch data and it\u2019s coming fine on AWS console, but strangely "
        "missing in Grafana Interface.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/wazuh/wazuh/issues/13918",
        "I have configured aws cloudwatch and didnt see logs on wazuh dashboard..",
        "cloudwatch.other",
    ),
    # Metrics an emitter or agent sends that never show up in CloudWatch, or are never published.
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/1813",
        "If you configure `cloudwatch-agent` to scrape Prometheus metrics and you scrape more than "
        "100 metrics, they will not actually appear in CloudWatch.",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/micrometer-metrics/micrometer/issues/2521",
        "Java service is not publishing micrometer metrics to AWS cloudwatch",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/lukewaite/logstash-input-cloudwatch-logs/issues/80",
        "I have logstash running on an aws ec2 linux 2 ami instance. I have installed the "
        "cloudwatch log plug successfully. … It pulls zero data from cloudwatch now.",
        "cloudwatch.other",
    ),
    # A rule on CloudTrail's events (the CDK's onCloudTrail* methods) that never matches, often
    # as no trail records the call.
    (
        "https://github.com/aws/aws-cdk/issues/5748",
        "S3 onCloudTrailWriteObject does not work\nI want to get my lambda function triggered on "
        "every new file in my s3 bucket. The following code deploys fine but nothing happens.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/davidtucker/ps-serverless-app/issues/15",
        "I had an issue with this section as my S3 bucket did not create a cloud trail event and "
        "so when I ran the service at the end of the Event-based actions module the state machine "
        "did not start.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/davidtucker/ps-serverless-app/issues/15",
        'If you review the docs for onCloudTrailWriteObject you will see that it "requires at '
        'least one CloudTrail Trail in your account that captures the event". As a new-ish user '
        "of AWS I didn't have one",
        "cloudwatch.other",
    ),
    # A space in an object's key, which S3 events, listings and URLs give encoded ('+'): the object
    # asked for is not the one stored.
    (
        "https://github.com/Mercateo/serverless-image-processor/issues/47",
        "Not working if space is in key name? … If you have a space in key name (photo name), it "
        "will not work. You will just get 500 error code.",
        "s3.no_such_key",
    ),
    (
        "https://github.com/aws/aws-lambda-go/issues/82",
        "Problem With S3 Event … The Key field is populated but spaces in filenames are replace "
        "with a '+'. Is this the expected behavior?",
        "s3.no_such_key",
    ),
    (
        "https://github.com/nginx/nginx-s3-gateway/issues/77",
        "response 404 from aws s3 for filenames with spaces … i replaced back from '%2B' to '+', "
        'but then i got from AWS "SignatureDoesNotMatch" response',
        "s3.no_such_key",
    ),
    (
        "https://github.com/cloud-custodian/cloud-custodian/issues/1554",
        "c7n-s3-encrypt not handling spaces in key path",
        "s3.no_such_key",
    ),
    # A region given as a setting ("--region us-east-1", "region: ...") is no sign of a wrong one,
    # and the CLI's S3 commands ("aws s3 cp", "aws s3 sync") keep the call S3's.
    (
        "https://github.com/aws/aws-cli/issues/4507",
        "aws s3 cp config s3://my_bucket_blah/hi.txt --region eu-west-1 … An error occurred "
        "(KMS.NotFoundException) when calling the PutObject operation: Invalid keyId aws/s3",
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-cli/issues/842",
        "aws s3 sync hangs indefinitely … I am trying to sync from my OS X folder to my S3 bucket "
        "(region: US Standard)",
        "s3.other",
    ),
    (
        "https://github.com/awslabs/mountpoint-s3/issues/712",
        "mount-s3 prime-data-dev--use1-az4--x-s3 /home/ubuntu/mnt/s3/express_dev --region "
        "us-east-1 --bucket-type directory … Error: Failed to create S3 client",
        "s3.other",
    ),
    (
        "https://github.com/import-io/s3-deploy/issues/66",
        "s3-deploy './dist/**' --cwd '.' --region us-east-1 --bucket alloy-analyzer-web-dev … "
        "Unexpected error: (BadRequest) null, aborting upload for dist/error.8f21d09d.js.map",
        "s3.other",
    ),
    # docker-machine's EC2 driver failing on the create call, with no EC2 code inside its wrapper.
    (
        "https://github.com/docker-archive-public/docker.machine/issues/2726",
        "when running with the amazonec2 driver, I get: Error creating machine: Error in driver "
        "during machine creation: unexpected EOF",
        "ec2.other",
    ),
    (
        "https://github.com/docker-archive-public/docker.machine/issues/1771",
        "I got an error when trying to create a machine in EC2 … Error creating machine: Error "
        "decoding error response: Error decoding error response: http: read on closed response "
        "body",
        "ec2.other",
    ),
    (
        "https://github.com/docker-archive-public/docker.machine/issues/584",
        "Error creating EC2 Instance in custom VPC in us-east-1b … ERRO[0001] Error creating "
        "machine: Error decoding error response",
        "ec2.other",
    ),
    # A client given a custom endpoint (a VPC interface endpoint's DNS name) that the call does not
    # use (SQS's QueueUrl overriding it): the SDK client's setting, not the network path.
    (
        "https://github.com/aws/aws-cli/issues/5966",
        "SQS fails to send in private network with custom endpoint … `aws sqs send-message` does "
        "not work in private network with sqs endpoint.",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/aws/aws-sdk-ruby/issues/2114",
        "Custom endpoint for SQS (VPC Endpoint) does not work. … I have a VPC Interface Endpoint "
        "for SQS and a lambda function in the same VPC.",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/3203",
        "Put SQS Message from Lambda inside a VPC (config endpoint) … I want to put a message on a "
        "SQS queue from a Lambda function published on a private subnet of my VPC. … new "
        "SQS({region: 'us-east-1', endpoint: 'https://vpce-{{id}}.sqs.us-east-1.vpce.amazonaws.com'})",
        "lambda.sdk_config",
    ),
    # The Go SDK's words for no region, and parameter validation errors said in prose.
    (
        "https://github.com/puppetlabs-toy-chest/wash/issues/153",
        "Error listing s3 bucket … MissingRegion: could not find region configuration",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/rackerlabs/lambda-uploader/issues/150",
        "Botocore parameter validation errors … Unexpected error. Please report this traceback.",
        "lambda.sdk_config",
    ),
    # A module the package lacks, said in prose, and sharp's own words for its missing binary.
    (
        "https://github.com/aws/chalice/issues/1106",
        "And when trying to execute the Lambda it complains that it couldn't import the "
        "cryptography module.",
        "lambda.import_error",
    ),
    (
        "https://github.com/pyca/cryptography/issues/11342",
        "AWS lambda deployment Errors while importing cryptography.",
        "lambda.import_error",
    ),
    (
        "https://github.com/nficano/python-lambda/issues/285",
        "when I test it in AWS, it throws an error saying the module service doesn't exist.",
        "lambda.import_error",
    ),
    (
        "https://github.com/bubblydoo/lambda-layer-sharp/issues/21",
        'Something went wrong installing the \\"sharp\\" module … Deploying and using the latest '
        "release zip causes the following error.",
        "lambda.import_error",
    ),
    # A VPC-hosted warehouse or search endpoint that never answers, said in words (the
    # connection timed out, or it "cannot access" / "cannot connect to" it): the path to it.
    (
        "https://github.com/aws-samples/aws-glue-samples/issues/67",
        "Connection to Redshift time's out from SageMaker jupyter's notebook",
        "vpc.connectivity",
    ),
    (
        "https://github.com/data-science-on-aws/data-science-on-aws/issues/220",
        "Cannot access RedShift cluster from SageMaker Studio",
        "vpc.connectivity",
    ),
    (
        "https://github.com/data-science-on-aws/data-science-on-aws/issues/220",
        "Cannot access the RedShift cluster endpoint from the SageMaker Studio",
        "vpc.connectivity",
    ),
    (
        "https://github.com/rfcx/arbimon/issues/1476",
        "We have tested OpenSearch locally but have a problem running it on AWS, that it cannot "
        "connect to the AOSS service (probably because of the VPC).",
        "vpc.connectivity",
    ),
    # EKS nodes that never join, with the network named as the cause (a security group, a route
    # table association, a private subnet with only endpoints, the endpoint's public access
    # CIDRs): vpc.connectivity, not the bare NodeCreationFailure's other.other.
    (
        "https://github.com/aws-samples/eks-workshop-v2/issues/298",
        "[Bug]: Security Groups prevent nodes from joining cluster … NodeCreationFailure: "
        "Instances failed to join the kubernetes cluster",
        "vpc.connectivity",
    ),
    (
        "https://github.com/awsdocs/amazon-eks-user-guide/issues/110",
        "Nodegroup creation fails on private subnet with VPC endpoints. … It will fail with the "
        'message: "NodeCreationFailure - Instances failed to join the kubernetes cluster"',
        "vpc.connectivity",
    ),
    (
        "https://github.com/awsdocs/amazon-eks-user-guide/issues/275",
        "Extending details for error NodeCreationFailure Found out that a missing subnet from the "
        "VPC route table association can cause the exact same failure.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/terraform-aws-modules/terraform-aws-eks/issues/1867",
        "Setting cluster_endpoint_public_access_cidrs a value makes the nodegroup not join cluster "
        "… NodeCreationFailure: Instances failed to join the kubernetes cluster",
        "vpc.connectivity",
    ),
    # CloudFormation's own event reason for a resource still being created ("Resource creation
    # Initiated"), named as where a stack hangs.
    (
        "https://github.com/amazon-archives/cost-optimization-ec2-right-sizing/issues/5",
        "stuck at EC2Instance creation … template has created most resources and got stuck at "
        'EC2Instance "resource creation initiated".',
        "cloudformation.stack_failed",
    ),
    # The CDK bootstrap's version parameter: a bootstrap stack failing on the one an earlier
    # bootstrap left, and any deploy the CDK refuses for it (not found, not a number).
    (
        "https://github.com/aws/aws-cdk/issues/16352",
        "(aws-cdk): Parameter Name `/cdk-bootstrap/{id}/version` with a different configuration "
        "already exists",
        "cloudformation.stack_failed",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/30129",
        "any deployment with cdk fails with error `AutomationStack: SSM parameter "
        "/cdk-bootstrap/<blabla>/version not a number`",
        "cloudformation.other",
    ),
    (
        "https://github.com/NordicSemiconductor/asset-tracker-cloud-aws-js/issues/715",
        "nrf-asset-tracker-sourcecode: SSM parameter /cdk-bootstrap/hnb659fds/version not found. "
        "… `current credentials could not be used to assume "
        "'arn:aws:iam::...:role/...-us-east-2', but are for the right account. Proceeding anyway.",
        "cloudformation.other",
    ),
    (
        "https://github.com/cdklabs/cdk-stacksets/issues/327",
        "current credentials could not be used to assume "
        "'arn:aws:iam::451441111407:role/cdk-hnb659fds-deploy-role-451441111407-us-east-1', but "
        "are for the right account. Proceeding anyway. … ❌ Deployment failed: Error: stack: SSM "
        "parameter /cdk-bootstrap/hnb659fds/version not found.",
        "cloudformation.other",
    ),
    # An AssumeRole call (or a trust policy update) made with no credentials, or with others than
    # the profile given: the caller's credentials, whatever trust policy the message names.
    (
        "https://github.com/Miserlou/Zappa/issues/105",
        "Updating assume role policy on ZappaLambdaExecution IAM Role. Unable to locate "
        "credentials",
        "iam.credentials",
    ),
    (
        "https://github.com/strands-rl/strands-env/pull/199",
        "the STS `AssumeRole` call always ran with ambient credentials, so "
        "`get_session(profile_name=..., role_arn=...)` silently ignored the profile. Cross-account "
        "role chains (profile → role) where the role's trust policy only admits identities from "
        "the profile's account were impossible.",
        "iam.credentials",
    ),
    # A permission to assume a role said missing: the trust, not iam.missing_permission's words.
    (
        "https://github.com/awslabs/aws-deployment-framework/pull/509",
        "Add missing permission to assume Cross-Account-Org R/O role",
        "iam.trust_policy",
    ),
    # IMDSv2's hop limit: a container one hop further gets no instance role credentials.
    (
        "https://github.com/aws/amazon-cloudwatch-agent-test/pull/145",
        "Set IMDSv2 with hop limit 2 in Container Environment",
        "iam.credentials",
    ),
    # A clock that drifts, and SignatureExpired as a code: requests signed with a stale time.
    (
        "https://github.com/moby/moby/issues/33697",
        "Clock drift in Docker for Mac The clock in Docker for Mac gets out of sync with the host "
        "clock, after maybe a few weeks of uptime.",
        "iam.credentials",
    ),
    (
        "https://github.com/moby/moby/issues/33697",
        "many different applications report SignatureExpired and similar errors about the drift.",
        "iam.credentials",
    ),
    # Credentials a tool cannot read or that are not available to it, and a refused SAML sign-in.
    (
        "https://github.com/elastic/e2e-testing/issues/2038",
        'AWS Reaper error: "withAWSEnv: Unable to read the credentials value"',
        "iam.credentials",
    ),
    (
        "https://github.com/jenkinsci/aws-credentials-plugin/issues/91",
        "Credentials are not availble unless the job is run as SYSTEM",
        "iam.credentials",
    ),
    (
        "https://github.com/venth/aws-adfs/issues/439",
        "This account does not have access to any roles … Your request included an invalid SAML "
        "response.",
        "iam.credentials",
    ),
    # An S3 call refused by the identity's side: a permissions boundary's deny, a ListBucket
    # permission the call requires.
    (
        "https://github.com/MAAP-Project/maap-py/pull/23",
        "We were getting a 403 error resulting first from the fact that the MAAP ADE user had a "
        "policy attached MAAPOpsS3FullAccess which had a condition … updating this policy with the "
        "account id of the maap-landing-zone worked for some operations such as GetObject, however "
        "the permissions boundary still had a DENY for PutObjectAcl which meant the uploadFiles "
        "operation still wouldn't work",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws/aws-cli/issues/328",
        "`s3 cp <object>` requires ListBucket permissions The aws cli can't copy an object out of "
        "s3 unless the user has ListBucket permissions for the object's bucket.",
        "iam.missing_permission",
    ),
    # A VPC endpoint's policy refusing what passes through it (403 until a statement is added).
    (
        "https://github.com/aws-samples/aws-blockchain-node-runners/pull/3",
        "Otherwise the pulls fail with HTTP 403 and the images don't get pulled. Adding the policy "
        "statement to the VPCE fixes this and allows pulling from docker hub.",
        "vpc.other",
    ),
    # WAF refusing a CloudWatch Logs group as its logging destination: the invalid-ARN message's
    # LOG_DESTINATION field, or delivery the group's resource policy does not admit.
    (
        "https://github.com/YumaInaura/YumaInaura/issues/4006",
        "WAFInvalidParameterException: Error reason: The ARN isn't valid. A valid ARN begins with "
        "arn: and includes other information separated by colons or slashes., field: "
        "LOG_DESTINATION, parameter: arn:aws:logs:<region>:<account>:log-group:xxxxx:*",
        "cloudwatch.other",
    ),
    (
        "https://github.com/awsdocs/aws-cloudformation-user-guide/pull/1271",
        "The current error message returned from CloudFormation when a Log Group without this "
        "prefix is referenced for the LogDestinationConfigs is misleading and unhelpful `(Error: "
        "Resource handler returned message: \"Error reason: The ARN isn't valid. A valid ARN "
        "begins with arn: and includes other information separated by colons or slashes., field: "
        "LOG_DESTINATION, parameter: .....HandlerErrorCode: InvalidRequest)",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws-ia/terraform-aws-runtask-tf-plan-analyzer/issues/15",
        "operation error WAFV2: PutLoggingConfiguration, https response error StatusCode: 400, … "
        "WAFLogDestinationPermissionIssueException: Unable to deliver logs to the configured "
        "destination. You might need to grant log delivery permissions for the destination.",
        "cloudwatch.other",
    ),
    # An EventBridge rule's setup refused: a role on a log-group target (which takes none), a
    # schedule event written without the property the framework wants.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-eventbridge/issues/136",
        "eventbridge does not have permissions to write to cw logs … operation error EventBridge: "
        "PutTargets, https response error StatusCode: 400, … api error ValidationException: "
        "RoleArn is not supported for target arn:aws:logs:us-east-1:975050178816:log-group:"
        "/aws/events/test-partner-eb.",
        "cloudwatch.other",
    ),
    (
        "https://github.com/serverless/serverless/issues/2344",
        'Produces this error: … Missing "rate" property for schedule event in function run The '
        'correct syntax is: schedule: rate(10 minutes) OR an object with "rate" property.',
        "cloudwatch.other",
    ),
    # A CloudWatch Logs destination whose access policy does not admit the sending account.
    (
        "https://github.com/CloudSnorkel/CloudWatch2S3/issues/19",
        "I got the error when running the additional template, does anyone have any ideas? … An "
        "error occurred (AccessDeniedException) when calling the PutSubscriptionFilter operation: "
        "User with accountId: 1287256XXXX is not authorized to perform: logs:PutSubscriptionFilter "
        "on resource: arn:aws:logs:us-east-1:0755119XXXX:destination:BucketBackupLogDestination",
        "cloudwatch.other",
    ),
    # CloudWatch Logs' own refusal to read a group or stream that is not there.
    (
        "https://github.com/nextstrain/cli/issues/405",
        "Attaching to a Batch job that was submitted but failed to start results in an uncaught "
        "error … botocore.errorfactory.ResourceNotFoundException: An error occurred "
        "(ResourceNotFoundException) when calling the FilterLogEvents operation: The specifie",
        "cloudwatch.log_group_missing",
    ),
    # CloudFormation refusing a resource's properties before creating it.
    (
        "https://github.com/aws-samples/event-driven-arch-eventbridge-lambda/issues/3",
        "EventBridge not enabled on FileReceiverBucket I got an error when deploying the stack: "
        "Properties validation failed for resource FileReceiverBucket with message: "
        "#/NotificationConfiguration/EventBridgeConfiguration: required key "
        "[EventBridgeEnabled] not found",
        "cloudformation.stack_failed",
    ),
    # CloudWatch's embedded metric format (EMF): metrics, whatever words about keys surround it.
    (
        "https://github.com/fluent/fluent-bit/issues/6128",
        "As I studied the EMF support more, I realized maybe I was supposed to send my own fully "
        "formatted EMF JSON string. … I then I tried to send that to the `cloudwatch` output, but "
        "nothing happened.",
        "cloudwatch.alarm_or_metric",
    ),
    # A Cognito trigger refused invoking its function: its resource-based policy, no identity's.
    (
        "https://github.com/amazon-archives/amazon-cognito-auth-js/issues/223",
        "when the lambda attempts to trigger, you'll see something like `postconfirmation "
        "invocation failed due to error accessdeniedexception`.",
        "lambda.other",
    ),
    (
        "https://github.com/awslabs/service-workbench-on-aws/issues/1136",
        "[Bug] PreSignUp invocation failed due to error AccessDeniedException. … Refresh "
        "installation (in `prod` mode) failed due to `AccessDeniedException` during the creation "
        "of a user pool",
        "lambda.other",
    ),
    # Amplify Hosting's builds, whatever JavaScript error the build log quotes.
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/1998",
        "Amplify Build failed … [WARNING]: !Cannot read property 'split' of undefined",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/2418",
        "Amplify build frontend phase not installing packages … Building frontend phase seems to "
        "be skipping the yarn install.",
        "other.other",
    ),
    # RDS's own refusal inside a stack: the resource's failure, not the stack's.
    (
        "https://github.com/aws-samples/redcap-on-aws/issues/99",
        '"AWS::RDS::DBCluster CREATE_FAILED Resource handler returned message: "The engine version '
        "you requested for your restored DB cluster (8.0.mysql_aurora.3.08.0) is earlier than the "
        "engine version of the DB cluster snapshot (8.0.mysql_aurora.3.08.2).",
        "other.other",
    ),
    # A certificate whose DNS validation never completes (ACM in a stack, an ACME challenge).
    (
        "https://github.com/tobilg/serverless-aws-static-websites/issues/3",
        "SSLCertificate | CREATE_FAILED | Failed to create resource. Certificate not issued in "
        "time",
        "other.other",
    ),
    (
        "https://github.com/Miserlou/Zappa/issues/1911",
        "Domain challenge did not pass: {u'status': u'invalid', … u'error': {u'status': 403, "
        "u'type': u'urn:acme:error:unauthorized', u'detail': u'No TXT record found at "
        "_acme-challenge.cnd.doxbot.io'}}",
        "other.other",
    ),
    # The RDS Data API by its own exception (a paused Aurora Serverless cluster resuming).
    (
        "https://github.com/gurenjs/guren/issues/401",
        "The first Data API call against a paused cluster fails while the cluster resumes (up to "
        "a few tens of seconds); the AWS SDK surfaces this as `DatabaseResumingException`",
        "other.other",
    ),
    # A registry refusing an image pull without a login: the registry's, no IAM trust.
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1736",
        'Pulling image "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-load-balancer-'
        'controller:v2.1.0" … unauthorized: authentication required … we are using the aws '
        "credentials passed though environment variables, could it be the problem?",
        "other.other",
    ),
    # A health check answered with a redirect: the balancer reaches no healthy target.
    (
        "https://github.com/rootsignal/beanstalk-nginx-php-fpm/issues/8",
        'Elastic Beanstalk Health Severe … "GET / HTTP/1.1" 301 31 "-" "ELB-HealthChecker/2.0" "-"',
        "vpc.connectivity",
    ),
    # API Gateway's custom domain operations name the service.
    (
        "https://github.com/zappa/Zappa/issues/532",
        "The domain is configured on Route53, and I've uploaded the certificate to ACM and got its "
        'arn But when I try to run "zappa certify dev" I got a "botocore.errorfactory.'
        "BadRequestException: An error occurred (BadRequestException) when calling the "
        "CreateDomainName operation: The domain name you provided already exists.",
        "apigateway.other",
    ),
    # RDS's resources as a Terraform plan names them.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/26773",
        "aws_rds_cluster does not pass db_cluster_instance_class when restoring from snapshot",
        "other.other",
    ),
    # The CDK's own toolchain failing before any stack: its construct library not installed
    # where the app is synthesised, an asset it cannot build, Amplify Gen 2's sandbox deploy.
    (
        "https://github.com/aws-samples/aws-stepfunctions-examples/issues/65",
        "cdk deploy --all\nTraceback (most recent call last):\n  File "
        '"/...path-to-clone.../aws-stepfunctions-examples/usecases/genai-prompt-chaining-hitl/'
        'stack/cdk/app.py", line 5, in <module>\n    import aws_cdk as cdk\nModuleNotFoundError: '
        "No module named 'aws_cdk'",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws-samples/serverless-woocommerce-workshop/issues/17",
        "make deploy has some problem. … ❌ Deployment failed: Error: Failed to build asset",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws-amplify/docs/issues/7706",
        "when I reach the point where I run \n\n`npx ampx sandbox` \n\nI get the below error\n\n"
        "`ParameterNotFound: UnknownError",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-backend/issues/751",
        "Amplify gen 2 fails to bootstrap account without error or console logging. … When I run "
        "npx amplify sandbox --profile <same profile from above>, I'm taken to the gen 2 account "
        "bootstrapping page",
        "cloudformation.other",
    ),
    # Credentials a tool or SDK could not find, source or inject, in its own words.
    (
        "https://github.com/aws/aws-toolkit-jetbrains/issues/2087",
        "AWS Plugin Not Picking Up Credentials … getting errors stating that no credentials are "
        "present",
        "iam.credentials",
    ),
    (
        "https://github.com/awslabs/aws-sdk-swift/issues/623",
        "SDK unable to source credentials in profile file or environment variables … "
        'errorMessage: Optional("Valid credentials could not be sourced by the IMDS provider")',
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-toolkit-jetbrains/issues/5495",
        "AWS Toolkit Intellij Plugin causes IDE error when not authenticated … Here is the stack "
        "trace:\nException occurred attempting to inject region/credentials",
        "iam.credentials",
    ),
    # The SDK client unable to reach its endpoint: the C++ SDK's words, a TLS check that fails.
    (
        "https://github.com/aws/aws-sdk-cpp/issues/311",
        "s3 file upload Error while putting Object Unable to connect to endpoint",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/aws/chalice/issues/158",
        "chalice deploy ::: botocore.vendored.requests.exceptions.SSLError: [SSL: "
        "CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:590)",
        "lambda.sdk_config",
    ),
    # An AMI said to be gone, by its id.
    (
        "https://github.com/f5devcentral/f5-automation-labs/issues/154",
        "Cloudformation creation failed … seems that the ami image-ids are not available anymore.\n"
        "e.g. in use-east-1 ami-b391b9c8 is not available anymore.",
        "ec2.invalid_resource",
    ),
    # A container image's runtime client that cannot reach the Runtime API.
    (
        "https://github.com/aws/aws-lambda-python-runtime-interface-client/issues/6",
        "## [ERROR] [1607095127222] LAMBDA_RUNTIME Failed to get next invocation. No Response "
        "from endpoint",
        "lambda.other",
    ),
    # BucketAlreadyOwnedByYou's message quoted without its code: the name is the bucket's own.
    (
        "https://github.com/byu-oit/handel/issues/308",
        'On the first run in a new account (for Handel), we got this error: "Your previous '
        'request to create the named bucket succeeded and you already own it."',
        "s3.bucket_name",
    ),
    # A bare 404 on PutObject, which cannot miss its key: the bucket is not found.
    (
        "https://github.com/boto/boto3/issues/2559",
        "boto3.exceptions.S3UploadFailedError: Failed to upload req.txt to test/req.txt: An error "
        "occurred (404) when calling the PutObject operation: Not Found",
        "s3.no_such_bucket",
    ),
    # An AMI whose snapshots were not shared cannot be copied, as one not shared cannot be
    # launched ("Not authorized for images"); and an AMI id said to be wrong.
    (
        "https://github.com/bentoml/stable-diffusion-server/issues/6",
        "Unable to copy ami-0a85a3a3fb34b3c7f from us-west-1 to us-east-2. When attempting to do "
        "so, I get the error: … You do not have permission to access the storage of this ami",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/lg/cloudy-gamer/issues/4",
        "I've tried to copy `cloudygamer-loader5` from `us-west-1` to `eu-west-2` but I'm getting "
        'the error "You do not have permission to access the storage of this ami". Is that '
        "something you can fix?",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/awslabs/amazon-eks-ami/issues/52",
        '"You do not have permission to access the storage of this ami" … My user has Admin '
        "permissions to do the copy",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/aws-quickstart/quickstart-trendmicro-deepsecurity/issues/34",
        "eu-west-2 AMI Id not right in DSM template mapping. It throws an error and need to update "
        "the subscribed Marketplace AMI ID.",
        "ec2.invalid_resource",
    ),
    # An Elastic IP given by address for a VPC instance (InvalidParameterCombination): the call's
    # parameters do not fit.
    (
        "https://github.com/NixOS/nixops-aws/issues/62",
        "Can't attach elastic IP: … error: EC2ResponseError: 400 Bad Request … You must specify an "
        "allocation id when mapping an address to a VPC instance",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/cloudfoundry/bosh-aws-cpi-release/issues/52",
        "Unable to use EIP on VPC instance … Aws::EC2::Errors::InvalidParameterCombination You "
        "must specify an allocation id when mapping an address to a VPC instance",
        "ec2.invalid_resource",
    ),
    # A web server on the instance refusing curl on its port: what the instance runs, no SSH
    # login (an address ending in .22 is no port 22).
    (
        "https://github.com/pulumi/docs/issues/1710",
        'Last step results in "Connection refused" errors … curl: (7) Failed to connect to '
        "ec2-3-87-190-213.compute-1.amazonaws.com port 80: Connection refused",
        "ec2.other",
    ),
    (
        "https://github.com/brikis98/terraform-up-and-running-code/issues/57",
        "02/one-webserver fails to repsond to curl … nohup busybox httpd -f -p 8080 & … "
        "connection refused … curl http://18.234.77.22:8080",
        "ec2.other",
    ),
    # An EFS mount target's DNS name that does not resolve (the mount helper's words, or said
    # of a peering): the VPC's DNS settings, not the path or the instance.
    (
        "https://github.com/aws/aws-rfdk/issues/391",
        "the mount will fail with an error showing up in the `cloud-init` log file, such as: … "
        'Failed to resolve "fs-a1b2c3d4.efs.us-west-2.amazonaws.com" - check that your file '
        "system ID is correct.",
        "vpc.other",
    ),
    (
        "https://github.com/ydamni/cloud-is-free/issues/3",
        "mounting volume failed: Failed to resolve "
        '"fs-02417eff7308d5026.efs.ap-northeast-1.amazonaws.com" - check that your file system '
        "ID is correct, and ensure that the VPC has an EFS mount target for this file system ID.",
        "vpc.other",
    ),
    (
        "https://github.com/awsdocs/amazon-efs-user-guide/issues/10",
        "An attempt at this ends with the DNS of the filesystem failing to resolve in the peered "
        "VPC.",
        "vpc.other",
    ),
    (
        "https://github.com/aws-samples/aws-refarch-wordpress/issues/44",
        "This line in the template is failing as the the DNS Name cannot be resolved … AWS does "
        "not support this DNS Resolution across VPC Peering connections.",
        "vpc.other",
    ),
    # A VPC endpoint that already exists, or asked for with private DNS the service lacks.
    (
        "https://github.com/eksctl-io/eksctl/issues/3214",
        "Private DNS can't be enabled because the service com.amazonaws.us-east-1.s3 does not "
        "provide a private DNS name",
        "vpc.other",
    ),
    (
        "https://github.com/eksctl-io/eksctl/issues/5335",
        "Creating the private cluster failed because `eksctl` tried to insert an S3 endpoint that "
        "was already present.",
        "vpc.other",
    ),
    # Connections to VPC-hosted brokers and databases that time out (errno 110, a client's words).
    (
        "https://github.com/dpkp/kafka-python/issues/2455",
        "I connected the kafka cluater MSK with the lambda function error is … returned error 110. "
        "Disconnecting.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/furqanshahid85-python/Python-FTP-File-Ingestion/issues/2",
        "TimeoutError: [Errno 110] Connection timed out … I am running the job on aws glue python "
        "shell.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/prisma/orm/issues/547",
        "MySQL connection timeout",
        "vpc.connectivity",
    ),
    # A load balancer said unreachable, or timing out (not its logs, though they are mentioned).
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1794",
        "AWS Internal ALB unreachable",
        "vpc.connectivity",
    ),
    (
        "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1424",
        "Connection timed out for ingress … I can not find the req sent to ingress when I check "
        "the logs",
        "vpc.connectivity",
    ),
    # EMR's subnet with no route out, and hosts not reachable by their peers: the path.
    (
        "https://github.com/h2oai/h2o-3/pull/3844",
        "The main issue is that the first invocation fails: … The VPC/subnet configuration was "
        "invalid: No route to any external sources detected in Route Table for Subnet",
        "vpc.connectivity",
    ),
    (
        "https://github.com/Netflix/Priam/issues/260",
        "seeds are not reachable by ec2 instance",
        "vpc.connectivity",
    ),
    # Mail on port 25 from an instance that times out: EC2's own restriction, not the path.
    (
        "https://github.com/fin3ss3g0d/evilgophish/issues/24",
        "SMTP issue on AWS infrastructure - Using SES & EC2 … it seems to timeout from an I/O "
        'error: … msg="Max connection attempts exceeded - dial tcp xxxxxx:25: i/o timeout"',
        "ec2.other",
    ),
    # Glue refusing a VPC whose DNS hostnames are off.
    (
        "https://github.com/hashicorp/terraform-provider-aws/pull/16232",
        'The `FAILED` status in GovCloud was from this reason: `"FailureReason":"Reverse dns '
        'resolution of ip 10.0.1.153 failed"`, because Glue requires VPCs to have DNS hostnames '
        "support enabled.",
        "vpc.other",
    ),
    # The CDK bootstrap stack's version refused by the app or CLI: versions, no stack failed.
    (
        "https://github.com/anomalyco/sst/issues/585",
        "failed bootstrapping: Error: Not downgrading existing bootstrap stack from version '5' to "
        "version '0'. Use --force to force.",
        "cloudformation.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/17949",
        "Can't deploy, can't bootstrap (requires bootstrap stack version '6' found version '4')",
        "cloudformation.other",
    ),
    # A resource property CloudFormation does not know: the template's.
    (
        "https://github.com/aws/aws-sdk/issues/740",
        "The following template validates successfully, but then fails during `create-stack` due "
        "to `Encountered unsupported property TemplateBody`.",
        "cloudformation.other",
    ),
    # An IAM role or policy a stack creates that already exists: the role's name clash.
    (
        "https://github.com/aws-amplify/amplify-cli/issues/13783",
        "Resource Name: MFALambdaRole (AWS::IAM::Role)\nEvent Type: create\nReason: The policy "
        "chedar678aa9d9_sns_pass_role_policy already exists on the role "
        "chedar678aa9d9_totp_lambda_role-dev.",
        "iam.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/3988",
        "RDS role already exists in stack\n**Describe the bug**\nWhile pushing into the cloud "
        "amplify tries to create an already created role",
        "iam.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/7806",
        "CREATE_FAILED userGroupRole AWS::IAM::Role Mon Jul 26 2021 22:38:08 GMT+0200 (Central "
        "European Summer Time) us-east-...-userGroupRole already exists",
        "iam.other",
    ),
    # The CDK bootstrap's own StagingBucket: the bootstrap stack's leftover.
    (
        "https://github.com/aws/aws-cdk/issues/5910",
        "Exception removing StagingBucket",
        "cloudformation.stack_failed",
    ),
    # sam build's pip step failing on the function's requirements: the function's package.
    (
        "https://github.com/aws/aws-sam-cli/issues/4592",
        "Error: PythonPipBuilder:ResolveDependencies failed",
        "lambda.other",
    ),
    (
        "https://github.com/aws/aws-sam-cli/issues/8101",
        "Bug: Error: PythonPipBuilder:ResolveDependencies - {numpy==2.3.0(wheel)} … sam build "
        "returns this error",
        "lambda.other",
    ),
    (
        "https://github.com/aws/aws-sam-cli/issues/1730",
        "sam build failing to resolve dependencies {simplejson==3.17.0(wheel), "
        "python-levenshtein==0.12.0(sdist)}",
        "lambda.other",
    ),
    # An API Gateway resource of a stack that already exists: API Gateway's name clash.
    (
        "https://github.com/leftclickben/serverless-api-stage/issues/2",
        "An error occurred while provisioning your stack: ApiGatewayStagefoo\n - foo already "
        "exists.",
        "apigateway.other",
    ),
    # The account's bucket quota, met by a stack: S3's own limit.
    (
        "https://github.com/serverless/serverless/issues/8632",
        "` ServerlessDeploymentBucket - You have attempted to create more buckets than allowed` "
        "error happened on stack creation",
        "s3.other",
    ),
    # "Redeploy" alone names no API Gateway stage.
    (
        "https://github.com/aws/copilot-cli/issues/1180",
        "Can't redeploy or delete a service",
        "other.other",
    ),
    # Lambda refusing a function ARN of another region than the client's: the client's region.
    (
        "https://github.com/Tim-B/grunt-aws-lambda/pull/83",
        "When done before all functions not in us-east-1 result in : [ResourceNotFoundException: "
        "Functions from '_region_' are not reachable in this region ('us-east-1')]",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/alexcasalboni/aws-lambda-power-tuning/issues/18",
        "ResourceNotFoundException: Functions from 'us-east-1' are not reachable in this region "
        "('us-west-1') Seems like cross region usage is not available for lambdas",
        "lambda.sdk_config",
    ),
    (
        "https://github.com/alexcasalboni/aws-lambda-power-tuning/issues/18",
        "Full trace from CloudWatch Logs: … { ResourceNotFoundException: Functions from "
        "'us-east-1' are not reachable in this region ('us-west-1') at Object.extractError "
        "(/var/runtime/node_modules/aws-sdk/lib/protocol/json.js:48:27)",
        "lambda.sdk_config",
    ),
    # A custom authorizer answering 401: API Gateway's authorizer, not the function behind it.
    (
        "https://github.com/sbarski/serverless-architectures-aws/issues/11",
        "Custom Authorizer causes 401 failure from browser/curl",
        "apigateway.other",
    ),
    # A stack's API Gateway resource whose name is taken: the resource's clash, not the stack's.
    (
        "https://github.com/serverless/serverless/issues/3631",
        "CloudFormation - CREATE_FAILED - AWS::ApiGateway::ApiKey - ApiGatewayApiKey1 … An error "
        "occurred while provisioning your stack: ApiGatewayApiKey1 - dev-key already exists in "
        "stack arn:aws:xxxx",
        "apigateway.other",
    ),
    # A slow first invocation (a cold start): Lambda's initialisation, no timeout.
    (
        "https://github.com/aws/serverless-java-container/issues/322",
        "Spring lambda having async mechanism with preserver-concurrency enabled still taking "
        "~2.5 seconds for first request",
        "lambda.other",
    ),
    (
        "https://github.com/aws/serverless-java-container/issues/322",
        "## Actual behaviour First invocation is taking ~2.5 seconds and subsequent is getting "
        "served in milliseconds ~600 milliseconds",
        "lambda.other",
    ),
    # The permission API Gateway needs on a function (its resource-based policy), lost.
    (
        "https://github.com/Kitsui/AWS-CMS-LAMBDA/issues/17",
        "Lambda function permissions on API Gateway overwritten by API Gateway",
        "lambda.other",
    ),
    # A refusal in a service's own access scheme, no IAM policy's: an IoT policy AWS IoT refuses
    # (its MalformedPolicyException; IAM says MalformedPolicyDocument), Greengrass IPC's
    # component access control, and Greengrass's own service role never associated (iam.other).
    (
        "https://github.com/aws-greengrass/aws-greengrass-nucleus/issues/1473",
        "(ipc): User does not have permission to perform the requested action. "
        "AWS_ERROR_NO_PERMISSION(43)",
        "other.other",
    ),
    (
        "https://github.com/dwyl/learn-aws-iot/issues/17",
        "A client error (MalformedPolicyException) occurred when calling the CreatePolicy "
        "operation: Policy document is Malformed",
        "other.other",
    ),
    (
        "https://github.com/dwyl/learn-aws-iot/issues/17",
        'AWS IoT Policy malformed … aws iot create-policy --policy-name "PolicyName" '
        "--policy-document ./policy.json … A client error (MalformedPolicyException) occurred",
        "other.other",
    ),
    (
        "https://github.com/awsdocs/aws-greengrass-developer-guide/issues/7",
        "greengrass is not authorized to assume the service role associated with this account",
        "iam.other",
    ),
    # A policy document said to be invalid JSON: malformed, whatever action it should also grant.
    (
        "https://github.com/aws-solutions-library-samples/data-lakes-on-aws/issues/110",
        "Invalid JSON document for IAM policy in workshop … Additionally, it might be necessary "
        "to add `events:PutPermission` - we should double-check this.",
        "iam.malformed_policy",
    ),
    # Credentials: a session that lapses after its hour, the config file the tool cannot open
    # (path first, as Go tools say it), an account set up with MFA then refused.
    (
        "https://github.com/aws/aws-cli/issues/7340",
        "aws sso get-role-credentials fails one hour after authentication",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/copilot-cli/issues/2937",
        "read named profiles: read AWS config file /home/ec2-user/.aws/config, you might need to "
        "run aws configure first: load ini file /home/ec2-user/.aws/config: open "
        "/home/ec2-user/.aws/config: no such file or directory",
        "iam.credentials",
    ),
    (
        "https://github.com/cloudyr/aws.s3/issues/292",
        "AWS configured with MFA, can't access from AWS cli or aws.s3 to S3 … $ Code     : chr "
        '"AccessDenied" … Please advise, is it the MFA that breaks this?',
        "iam.credentials",
    ),
    # SignatureDoesNotMatch beside the S3 call or its Content-Type: S3's signing, not the keys.
    (
        "https://github.com/aws/aws-sdk-js/issues/190",
        "s3.createMultipartUpload is failing for me with the below error when I specify the "
        "ContentType parameter, succeeds when I leave it out. … SignatureDoesNotMatch: The "
        "request signature we calculated does not match the signature you provided. Check your "
        "key and signing method.",
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/3594",
        "Add `ContentType` to S3Client's 'PutObjectCommand' gives 'SignatureDoesNotMatch' Error",
        "s3.other",
    ),
    # A website's routing rules redirecting on a 403 / 404 that never comes: S3's configuration.
    (
        "https://github.com/Kerry350/ember-deploy-s3-index/issues/21",
        "in your redirect XML in the Readme you redirect from a `404` error, for me I found I "
        "have to use `403`. Any thoughts on this?",
        "s3.other",
    ),
    (
        "https://github.com/amazon-archives/serverless-image-resizing/issues/78",
        'it looks like the 403 redirect never happens. … "HttpErrorCodeReturnedEquals": "403"',
        "s3.other",
    ),
    # An app hosted or deployed with Amplify answering 403 / Access Denied: Amplify Hosting's.
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/1131",
        "AWS Amplify Deploy React App Error Access Denied",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-hosting/issues/1900",
        "AWS Amplify App : chunk.js/:1 Failed to load resource: the server responded with a "
        "status of 403 ()",
        "other.other",
    ),
    # A function that triggers itself: a recursive invocation loop (Lambda stops it after ~16).
    (
        "https://github.com/aws-samples/amazon-s3-checksum-verification/issues/3",
        "Bug: S3 ObjectCreated triggers lambda in a loop.",
        "lambda.other",
    ),
    (
        "https://github.com/awsdocs/aws-lambda-developer-guide/issues/173",
        "For example, if the bucket triggers a function each time an object is uploaded, and "
        "the function uploads an object to the bucket, then the function indirectly triggers "
        "itself.",
        "lambda.other",
    ),
    (
        "https://github.com/boto/boto3/issues/3899",
        "Self reflexive lambda function execution by sqs queue trigger stops after 16 (sixteen) "
        "calls",
        "lambda.other",
    ),
    # S3 replication and object expiry that do not happen: S3's own features misbehave.
    (
        "https://github.com/aws-solutions-library-samples/cloud-intelligence-dashboards-data-collection/issues/408",
        'This currently causes an open AWS Health Event "S3 planned lifecycle event" for the '
        "bucket, since objects with failed replication get their lifecycle events paused. … "
        "Maybe exclude the Object from the replication rule ?",
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-java-v2/issues/1348",
        "When the expire date arrives, the object is not deleted.",
        "s3.other",
    ),
    # A region name misspelt: the client's setting, no bucket in another region.
    (
        "https://github.com/cperciva/bsdec2-image-upload/pull/19",
        "When misspelling the region name, I banged my head against the wall for a while, "
        'because the error message ("SSL handshake error") showed the bucket URL',
        "lambda.sdk_config",
    ),
    # SSM Run Command's InvalidInstanceId: Systems Manager refusing its targets, no EC2 launch.
    (
        "https://github.com/peterkimzz/aws-ssm-send-command/issues/23",
        "`InvalidInstanceId: Instances [[***]] not in a valid state for account 28878`",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cli/issues/3646",
        "An error occurred (InvalidInstanceId) when calling the SendCommand operation:",
        "other.other",
    ),
    (
        "https://github.com/aws-samples/eks-security-compromised-cluster-remediation/issues/12",
        "SSM send-command is failing with InvalidInstanceId",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cli/issues/2412",
        'ssm send-command returning "InvalidInstanceId" error',
        "other.other",
    ),
    # A service-linked role missing from the account, with or without "the": iam.other.
    (
        "https://github.com/mashun4ek/ecs_terraform_workshop/issues/5",
        "Error: error creating ECS Capacity Provider (capacity-provider-test): ClientException: "
        "ECS Service Linked Role does not exist. Please create a Service linked role",
        "iam.other",
    ),
    # The Kubernetes API's 401 as its clients print it: the cluster does not admit the identity.
    (
        "https://github.com/hashicorp-education/learn-terraform-provision-eks-cluster/issues/33",
        "Getting Error: Unauthorized  while creating config map. Please fix",
        "iam.missing_permission",
    ),
    (
        "https://github.com/aws-samples/eks-aws-auth-configmap/issues/1",
        "Exception when calling CoreV1Api->create_namespaced_config_map: (401)\n"
        "Reason: Unauthorized",
        "iam.missing_permission",
    ),
    # An ECS task or Batch job's container out of memory or stopped: ECS's, no Lambda runtime.
    (
        "https://github.com/aws/amazon-ecs-agent/issues/1027",
        "AWS ECS CLI container deployment failing with OutOfMemory Issue for a t2.medium instance",
        "other.other",
    ),
    (
        "https://github.com/ASFHyP3/hyp3/issues/1456",
        "There were 3 attempts, each failed because `Essential container in task exited`. … "
        "Maybe it ran out of memory?",
        "other.other",
    ),
    (
        "https://github.com/aws/amazon-ecs-agent/issues/2312",
        "CannotInspectContainerError: Could not transition to inspecting; timed out after waiting "
        "30s",
        "other.other",
    ),
    # CodeDeploy's own failures: its agent, a blue/green deployment's replacement instances.
    (
        "https://github.com/awslabs/codedeploy-blue-green/issues/3",
        "Installing application on replacement instances fails",
        "other.other",
    ),
    (
        "https://github.com/prabhakar2020/aws_codedeploy_using_github/issues/1",
        "CodeDeploy agent was not able to receive the lifecycle event. Check the CodeDeploy agent "
        "logs on your host and make sure the agent is running and can connect to the CodeDeploy "
        "server.",
        "other.other",
    ),
    # SSO sessions and tokens said invalid or never refreshed: the login's credentials.
    (
        "https://github.com/anomalyco/sst/issues/2716",
        "We have been having issues where SST and/or CDK are not triggering token refresh for AWS "
        "SSO credentials",
        "iam.credentials",
    ),
    # An OIDC identity provider whose certificate thumbprint no longer matches: the federated
    # principal of the role's trust refuses the token.
    (
        "https://github.com/aws-actions/configure-aws-credentials/issues/356",
        "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
        "iam.trust_policy",
    ),
    (
        "https://github.com/aws-actions/configure-aws-credentials/issues/757",
        "Intermittent failure on this error: OpenIDConnect provider's HTTPS certificate doesn't "
        "match configured thumbprint",
        "iam.trust_policy",
    ),
    (
        "https://github.com/aws-actions/configure-aws-credentials/issues/579",
        "Error: OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
        "iam.trust_policy",
    ),
    # Lambda@Edge's refusal of a role trusting other services besides its own: the trust policy.
    (
        "https://github.com/sanfrancesco/prerendercloud-lambda-edge/issues/46",
        "When we deployed the the lambda edge we can't see any monitoring, trying to change "
        "configuration in place we getting an error: Role trusts too many services, expected "
        "only 1.",
        "iam.trust_policy",
    ),
    # An SSO (Identity Center) session or token invalid, expired or never refreshed: credentials.
    (
        "https://github.com/aws/aws-cdk/issues/24782",
        "(cli): sso tokens not refreshed by cdk cli, refreshed by aws cli",
        "iam.credentials",
    ),
    (
        "https://github.com/aws/aws-sam-cli/issues/4865",
        "Bug: sam deploy complains SSO session is invalid even though aws sso login was run",
        "iam.credentials",
    ),
    # IAM's check of the OIDC provider's certificate thumbprint: the provider the trust names.
    (
        "https://github.com/aws-actions/configure-aws-credentials/issues/356",
        "when it got to the `configure-aws-credentials` step it failed with the following error: "
        "… OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
        "iam.trust_policy",
    ),
    # A role that fails to be assumed, said so, or refused the web-identity call in CloudTrail.
    (
        "https://github.com/ministryofjustice/modernisation-platform/issues/9676",
        "`terraform-member-environment` Workflow Fails to Assume `github-actions-apply` Role "
        "While Other Workflows Succeed",
        "iam.trust_policy",
    ),
    (
        "https://github.com/ministryofjustice/modernisation-platform/pull/8530",
        "Certain workflows were failing due to insufficient permissions for assuming the "
        "necessary roles, leading to execution errors.",
        "iam.trust_policy",
    ),
    (
        "https://zenn.dev/sakagi/articles/f8e63771a55087",
        '"eventName": "AssumeRoleWithWebIdentity", "errorCode": "AccessDenied",',
        "iam.trust_policy",
    ),
    # An STS endpoint built with an empty region: the client's setting, not the role's trust.
    (
        "https://github.com/CircleCI-Public/aws-cli-orb/issues/208",
        "Invalid endpoint: https://sts..amazonaws.com Failed to assume role",
        "lambda.sdk_config",
    ),
    # The CDK's synth check of a policy statement: a document that does not validate.
    (
        "https://github.com/aws-samples/aws-genai-conversational-rag-reference/issues/37",
        "A PolicyStatement used in an identity-based policy must specify at least one resource.",
        "iam.malformed_policy",
    ),
    # CloudFormation's "API: s3:X Access Denied" inside Markdown's underscores.
    (
        "https://github.com/aws-samples/siem-on-amazon-opensearch-service/issues/205",
        "I am getting the following error while running the Step 5 … _API: "
        "s3:SetBucketEncryption Access Denied_",
        "iam.missing_permission",
    ),
    (
        "https://github.com/SuperCowPowers/workbench/issues/165",
        "SSO Token Refresh Not Working",
        "iam.credentials",
    ),
    # A service-linked role missing from the account, said without "the": the role was never
    # created (iam.other, taxonomy.md's convention).
    (
        "https://github.com/aws-samples/aws-scalable-big-blue-button-example/issues/44",
        "Error occurred because missing service linked role for ECS. … Problem was resolved by "
        "running command: … aws iam create-service-linked-role --aws-service-name "
        "ecs.amazonaws.com --profile <profile> … Maybe this should be included in the "
        "pre-requisites?",
        "iam.other",
    ),
    # A deployer not allowed to create the IAM roles a tool makes: a permission it lacks.
    (
        "https://github.com/aws/chalice/issues/61",
        "Running chalice deploy attempts to create a IAM role of the name of the application. "
        "Unfortunately, in my enterprise, not all AWS developers are allowed to create an IAM "
        "role for security best practices reasons.",
        "iam.missing_permission",
    ),
    # CloudWatch Logs' resource policies at their quota (ten a region): one more is refused.
    (
        "https://github.com/DataDog/serverless-plugin-datadog/issues/58",
        "It is having error when a new function is added and new log group is created. … "
        "Resource limit exceeded. (Service: AWSLogs; Status Code: 400; Error Code: "
        "LimitExceededException; Request ID: xxxx)",
        "cloudwatch.other",
    ),
    (
        "https://github.com/Enterprise-CMCS/cmcs-eregulations/pull/1620",
        "EREGCSC-2953 Remove dependency on log resource policy … Waf/WafLogResourcePolicy "
        '(WafWafLogResourcePolicy...) Resource handler returned message: "Resource limit '
        "exceeded. (Service: CloudWatchLogs, Status Code: 400, Request ID: ...) (SDK Attempt "
        'Count: 1)"',
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/22307",
        "aws-ecs: LogDriver automatically creates log-resource-policies, exhausting "
        "unmodifiable resource limit",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/copilot-cli/issues/5743",
        "Creating more than 10 environments fails with Resource limit exceeded for "
        "LogResourcePolicy",
        "cloudwatch.other",
    ),
    # Alarms that are never created: the alarm's own failure, however the deploy went.
    (
        "https://github.com/ACloudGuru/serverless-plugin-aws-alerts/issues/47",
        "breaks the plugin and no SNS Topics or alarms are created.",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/ACloudGuru/serverless-plugin-aws-alerts/issues/211",
        "Alarms not added for containerized Lambda",
        "cloudwatch.alarm_or_metric",
    ),
    # Container Insights: metrics CloudWatch collects from a cluster.
    (
        "https://github.com/pulumi/pulumi/issues/3062",
        "aws.ecs.Cluster does not support Container Insights\nIt's impossible to enable "
        "Container Insights when creating new ECS Cluster instance",
        "cloudwatch.alarm_or_metric",
    ),
    # The CloudWatch agent without collectd, which its metrics config reads.
    (
        "https://github.com/everything2/everything2/issues/2132",
        "Cloudwatch agent requires collectd\nCloudwatch agent requires collectd to be installed "
        "in order to get metrics",
        "cloudwatch.other",
    ),
    (
        "https://github.com/Cloud-Yeti/aws-ec2-course/issues/6",
        "collected/types.db doesn't exist … open /usr/share/collectd/types.db: no such file or "
        "directory",
        "cloudwatch.other",
    ),
    # CloudWatch Events (CWE) that never trigger their target: the rule's setup.
    (
        "https://github.com/cloud-custodian/cloud-custodian/issues/4497",
        "[SecurityHub] mode type: hub-finding CWE events not triggering Lambda",
        "cloudwatch.other",
    ),
    # A Logs call refusing an empty list of stream names (a reader given no streams).
    (
        "https://github.com/serverless/serverless/issues/4850",
        "1 validation error detected: Value '[]' at 'logStreamNames' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1",
        "cloudwatch.other",
    ),
    # CloudWatch Logs' own quota refusal (its resource policies): the Logs quota, not a missing log.
    (
        "https://github.com/Enterprise-CMCS/cmcs-eregulations/pull/1620",
        "EREGCSC-2953 Remove dependency on log resource policy … For a few days we have been "
        "receiving the following error while attempting to deploy the site stack: … Resource "
        'handler returned message: "Resource limit exceeded. (Service: CloudWatchLogs, Status '
        "Code: 400, Request ID: ...)",
        "cloudwatch.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/22307",
        "We are running 12 Fargate containers, each of them logging to CloudWatch via LogDriver, "
        'creare with cdk. However, the last 2 fails to deploy, due to … "Resource limit exceeded. '
        "(Service: CloudWatchLogs, Status Code: 400,",
        "cloudwatch.other",
    ),
    # A writer's role that lacks the permission to create its log stream or to put log events.
    (
        "https://github.com/aws-solutions-library-samples/video-on-demand-on-aws-foundation/issues/29",
        "there are no logs in Cloudwatch. … The Lambda execution IAM Role does not include "
        "permission to `logs:PutEvents`",
        "iam.missing_permission",
    ),
    (
        "https://github.com/slalompdx/terraform-aws-codecommit-cicd/pull/8",
        "code build haven't permissions to  create the log stream",
        "iam.missing_permission",
    ),
    (
        "https://github.com/Netflix/metaflow/pull/262",
        "Exit early if no log_stream is generated for AWS Batch job … When IAM perms are "
        "incorrectly assigned, AWS Batch will be unable to generate an AWS CloudWatch log stream.",
        "iam.missing_permission",
    ),
    # A pod calling AWS with a default or the instance's role instead of the one configured.
    (
        "https://github.com/prometheus/cloudwatch_exporter/issues/533",
        "When the deployment is successful, we see that scrape fails. As, it assumes the default "
        "cluster role and not the role with all permission provided in the values.yaml file during "
        "deployment.",
        "iam.credentials",
    ),
    (
        "https://github.com/prometheus/cloudwatch_exporter/issues/603",
        "facing issue in logs which states that one different iam role which is actually assigned "
        "to specific instance not have some permission to access metrics",
        "iam.credentials",
    ),
    # A log group or stream that is not there when a call needs it (deleted, or never made).
    (
        "https://github.com/hashicorp/terraform/issues/11750",
        "Terraform failing when a log_group is manually deleted",
        "cloudwatch.log_group_missing",
    ),
    (
        "https://github.com/nextstrain/cli/pull/406",
        "we've observed cases where a failed job has a log stream associated with it in Batch but "
        "that log stream does not actually exist in CloudWatch Logs.",
        "cloudwatch.log_group_missing",
    ),
    # Metric math over CloudWatch series that fails: the metric's, not another CloudWatch problem.
    (
        "https://github.com/grafana/grafana/issues/78608",
        "I reproduce the queries and math expressions to get EFS bandwitch usage that were on AWS "
        "Cloudwatch. … Sometime it works, sometime I have this error.",
        "cloudwatch.alarm_or_metric",
    ),
    # An AMI the learner's region does not have, or whose id cannot be found there.
    (
        "https://github.com/MISP/misp-cloud/issues/4",
        "us-west-2 Does not have the images",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/MISP/misp-cloud/issues/4",
        "us-west2 doesn't appear to have the images, would it be possible to create them?",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/alibaba/CloudEval-YAML/issues/3",
        'We could not find "ami-012306c17129a3b71" here',
        "ec2.invalid_resource",
    ),
    # The key pair's private key (.pem) lost or deleted: no login to the instance with it.
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/556",
        "I have deleted .pem file which i have download at the time of ec2 instance creation",
        "ec2.ssh_access",
    ),
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/556",
        "how to download .pem file after creation of instance? … I have deleted .pem file",
        "ec2.ssh_access",
    ),
    # EC2's UnknownParameter: a launch parameter the API does not recognise.
    (
        "https://github.com/chef/knife-ec2/issues/444",
        "ERROR: Fog::Compute::AWS::Error: UnknownParameter => The parameter EbsOptimized is not "
        "recognized",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/chef/knife-ec2/issues/444",
        "ERROR: Fog::Compute::AWS::Error: UnknownParameter => The parameter VolumeType is not "
        "recognized",
        "ec2.invalid_resource",
    ),
    (
        "https://github.com/chef/knife-ec2/issues/444",
        "Fog UnknownParameter errors when creating new server",
        "ec2.invalid_resource",
    ),
    # Timeouts seen under a load test are no path that never opens (taxonomy.md's conventions).
    (
        "https://github.com/coredns/coredns/issues/4662",
        "AWS EKS - dial tcp i/o timeout … Some coredns PODs randomly give errors like these on AWS "
        "EKS : … we saw the issue while performing load tests, during increased traffic.",
        "other.other",
    ),
    # "I don't have a VPC" rules the VPC out, as "not in a VPC" does.
    (
        "https://github.com/iexg/IEX-API/issues/1737",
        "I wanted to migrate to using lambda functions to invoke.  I don't have a VPC as a lot "
        "other documents on the web will point to as an issue.  Invoking the function against the "
        "tops endpoint times out.  I use this methodology to reach other HTTPS API endpoints just "
        "fine.",
        "lambda.timeout",
    ),
    # Terraform refusing a route table's objects: a route that never became available, a route
    # table its data source did not find.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/708",
        "Our vpc module seems to intermittently throw the below: … Error: error waiting for Route "
        "in Route Table (rtb-0179f2b9c38f21dd0) with destination (0.0.0.0/0) to become available: "
        "timeout while waiting for state to become 'ready' (timeout: 2m0s)",
        "vpc.other",
    ),
    (
        "https://github.com/bridgecrewio/terraform-aws-session-manager/issues/14",
        "│ Error: query returned no results. Please change your search criteria and try again │ │ "
        "with module.ssm-session-manager.data.aws_route_table.selected[0],",
        "vpc.other",
    ),
    # A connection that hangs while it is opened, or that a function cannot open.
    (
        "https://github.com/jkehler/awslambda-psycopg2/issues/16",
        "nothing I do will get psycopg2 to run on my Lambda.  It never gets past trying to "
        "establish the connection",
        "vpc.connectivity",
    ),
    (
        "https://github.com/npgsql/npgsql/issues/1984",
        "Unable to open connection using AWS lambda and netcoreapp2.0 … This snippet works fine on "
        "my machine, but times out on AWS Lambda, producing the following stack trace: … "
        "System.TimeoutException: The operation has timed out. at "
        "Npgsql.NpgsqlConnector.Connect(NpgsqlTimeout timeout)",
        "vpc.connectivity",
    ),
    # A load balancer with no healthy target: targets hard to keep healthy, an ALB's own 503.
    (
        "https://github.com/aws-samples/aws-containers-task-definitions/issues/5",
        "Use with Fargate and ALB? … I'm having huge issues keeping targets healthy in a load "
        "balanced ECS configuration with an Application Load Balancer.",
        "vpc.connectivity",
    ),
    (
        "https://github.com/nginx-proxy/nginx-proxy/issues/777",
        'Adding AWS ALB causing "503 Service Temporarily Unavailable" … Adding an `AWS ALB` with a '
        "target group that's pointing to `nginx-proxy`, is causing x.com to return `503 Service "
        "Temporarily Unavailable`",
        "vpc.connectivity",
    ),
    # Docker's engine that fails or is missing on a machine a tool provisioned over SSH: Docker's.
    (
        "https://github.com/docker-archive-public/docker.machine/issues/4198",
        "`docker-machine create --driver amazonec2 machine-name` fails to start docker daemon … "
        "`docker-machine` successfully creates a new ec2 instance and I can ssh to the machine",
        "other.other",
    ),
    (
        "https://github.com/docker-archive-public/docker.machine/issues/4453",
        "Waiting for SSH to be available... … Error creating machine: Error running provisioning: "
        "ssh command error: command : sudo systemctl -f start docker err : exit status 1 output : "
        "Job for docker.service failed because the control process exited with error code.",
        "other.other",
    ),
    (
        "https://github.com/docker-archive-public/docker.machine/issues/4453",
        "Detecting operating system of created instance... Waiting for SSH to be available... … "
        "Job for docker.service failed because the control process exited with error code.",
        "other.other",
    ),
    (
        "https://github.com/cattle-ops/terraform-aws-gitlab-runner/issues/470",
        "DockerMachine Runner stuck (`sudo: docker: command not found`) … Error getting SSH "
        "command to check if the daemon is up: ssh command error:",
        "other.other",
    ),
    # A CloudWatch alarm's action refused by the KMS key of an encrypted SNS topic: the key's.
    (
        "https://github.com/ASFHyP3/hyp3/issues/762",
        'Cloudwatch alarms fail to publish to SNS topic … Received error: "null (Service: AWSKMS; '
        "Status Code: 400; Error Code: AccessDeniedException;",
        "other.other",
    ),
    (
        "https://github.com/ASFHyP3/hyp3/issues/762",
        "The alarm is correctly triggered, but the alarm history shows this error when attempting "
        'to publish to the monitoring SNS topic: … Received error: "null (Service: AWSKMS; Status '
        "Code: 400; Error Code: AccessDeniedException;",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/11121",
        "Alarms don't execute on KMS encrypted SNS … Received error: \"null (Service: AWSKMS; "
        "Status Code: 400; Error Code: AccessDeniedException;",
        "other.other",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/11121",
        'The following error on aws cloudwatch alarm page: … Received error: "null (Service: '
        "AWSKMS; Status Code: 400; Error Code: AccessDeniedException;",
        "other.other",
    ),
    # A stack whose delete fails on a bucket resource, S3's reason not quoted: a bucket left with
    # objects, S3's (above the stack that surfaced it).
    (
        "https://github.com/ks888/LambStatus/issues/69",
        "Status reason: The following resource(s) failed to delete: [AdminPageS3, StatusPageS3].",
        "s3.other",
    ),
    (
        "https://github.com/aws-quickstart/quickstart-ec2-ipsec-mesh/issues/8",
        "The following resource(s) failed to delete: [CaBucket].",
        "s3.other",
    ),
    (
        "https://github.com/aws-samples/aws-scalable-big-blue-button-example/issues/98",
        "Incomplete clean-up process … The destroy.sh script fails to delete the BBBStackBucket. … "
        "bbb-stack-Sources: DELETE_FAILED | The following resource(s) failed to delete: "
        "[BBBStackBucket].",
        "s3.other",
    ),
    # A bucket name said to be someone else's: taken, whatever error the call gave.
    (
        "https://github.com/Miserlou/Zappa/issues/1860",
        'In my initial config, I put a "bucket_name" that, by accident, already existed but '
        "wasn't mine. When I tried to deploy, I got this somewhat cryptic error message",
        "s3.bucket_name",
    ),
    (
        "https://github.com/zappa/Zappa/issues/738",
        'I put a "bucket_name" that, by accident, already existed but wasn\'t mine. When I tried '
        "to deploy, I got this somewhat cryptic error message",
        "s3.bucket_name",
    ),
    (
        "https://github.com/aws-samples/amazon-sagemaker-studio-vpc-networkfirewall/issues/4",
        "Default deployment instructions fail in `us-east-1` … the bucket name "
        "`agemaker-studio-anfw-us-east-1-data` is already taken by someone else in this region.",
        "s3.bucket_name",
    ),
    # An upload that leaves an empty (0-byte) object: how the body was sent, S3's.
    (
        "https://github.com/benjreinhart/react-native-aws3/issues/31",
        "Image 0 bytes when uploaded to S3",
        "s3.other",
    ),
    (
        "https://github.com/aws/aws-sdk-js/issues/966",
        "Uploading files using presigned URLs end up with 0 bytes",
        "s3.other",
    ),
    # Zappa's status check answered 502: API Gateway's Bad Gateway, not a Lambda problem.
    (
        "https://github.com/Miserlou/Zappa/issues/1536",
        "Error: Warning! Status check on the deployed lambda failed. A GET request to '/' yielded "
        "a 502 response code.",
        "apigateway.bad_gateway",
    ),
    (
        "https://github.com/PacktPublishing/Building-Serverless-Python-Web-Services-with-Zappa/issues/3",
        "Deploying API Gateway.. Error: Warning! Status check on the deployed lambda failed. A GET "
        "request to '/' yielded a 502 response code.",
        "apigateway.bad_gateway",
    ),
    (
        "https://github.com/chaingng/shoeisha_serverless_python_tutorial/issues/1",
        "ch.9-6 デプロイ時に502エラーとなる … Error: Warning! Status check on the deployed lambda "
        "failed. A GET request to '/' yielded a 502 response code.",
        "apigateway.bad_gateway",
    ),
    # The runtime's own words for the handler's file or assembly missing from the package root.
    (
        "https://github.com/aws/aws-lambda-dotnet/issues/243",
        "Could not find the required 'deps.json'. This file should be present at the root of the "
        "deployment package.",
        "lambda.handler_not_found",
    ),
    (
        "https://github.com/alexa-samples/skill-sample-nodejs-adventure-game/issues/65",
        "I ziped the custom files and uploaded it in the lambda function part but I have this "
        "message and it won't work. \"The file index.js could not be found. Make sure your handler "
        'upholds the format: file-name.method."',
        "lambda.import_error",
    ),
    # A function "stuck" until its timeout.
    (
        "https://github.com/xero-oss/ecs-cluster-update-lambda/issues/7",
        "once add this time.sleep(PAUSE) back, the Lambda stuck there, can't move further, like "
        "paused forever.",
        "lambda.timeout",
    ),
    # A trigger a deploy never associates with its function; a variable read as its placeholder.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/756",
        "Terraform Launches all the required resources as expected. But the Event trigger is not "
        "being associated with the lambda function.",
        "lambda.other",
    ),
    (
        "https://github.com/nficano/python-lambda/issues/75",
        "When calling invoke, if you try to get a env var (`os.environ['host']`) set in the config "
        "file like so: `host: $HOST` it will print out `$HOST` instead of the actual value of the "
        "envar $HOST",
        "lambda.other",
    ),
    # A region the client was given but never uses: the call went to the default region.
    (
        "https://github.com/aws-solutions/instance-scheduler-on-aws/pull/4",
        "args.region is not used when a lambda client is created. … An error occurred "
        "(ResourceNotFoundException) when calling the Invoke operation: Function not found: "
        "arn:aws:lambda:ap-northeast-1:xxxxxxxxxx:function:TestSchedule-InstanceSchedulerMain",
        "lambda.sdk_config",
    ),
    # A shared library the package's native module needs, named as the trouble.
    (
        "https://github.com/jwerre/node-canvas-lambda/issues/5",
        "Had used AWS console to upload the layers & functions, ran the test and received the "
        "**libuuid.so.1** issue.",
        "lambda.import_error",
    ),
    # A subnet said to lack its public route out (to the internet gateway): nothing leaves it.
    (
        "https://github.com/OpenShiftInAction/autoinstaller/pull/6",
        "Public route is not automatically created in AWS",
        "vpc.connectivity",
    ),
    (
        "https://github.com/OpenShiftInAction/autoinstaller/pull/6",
        "SSH connection to AWS fails if there is no public subnet route.",
        "vpc.connectivity",
    ),
    # An IPv6-only host that cannot reach an IPv4-only one: the path out, not the instance.
    (
        "https://github.com/bitnami/vms/issues/1606",
        "myip.bitnami.com does not work for IP detection from IPv6-only instances",
        "vpc.connectivity",
    ),
    (
        "https://github.com/bitnami/vms/issues/1606",
        "myip.bitnami.com does not work for IP detection from IPv6-only instances … warn: Unable "
        "to resolve IP address using http://myip.bitnami.com/ connect ETIMEDOUT",
        "vpc.connectivity",
    ),
    (
        "https://github.com/bitnami/vms/issues/1606",
        "example cloud-init error output … warn: Unable to resolve IP address using "
        "http://myip.bitnami.com/ connect ETIMEDOUT … But even if it worked correctly, are bitnami "
        "cloud-init scripts ready to work in IPv6-only situations?",
        "vpc.connectivity",
    ),
    # CloudFront before a bucket answering 403: the bucket's, though CDK is named.
    (
        "https://github.com/aws/aws-cdk/issues/27802",
        "in python aws cdk, there is no way to create Origin access control setting, which is the "
        "recommended way. … So currently there is no way to make Cloudfront to s3 website work "
        "without getting 403 forbidden error. … ### CDK version used … aws-cdk-lib==2.99.1",
        "s3.access_denied",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/27802",
        "(cloudfront.distribution): (No way to set the Origin access to Origin access control "
        "settings (recommended)) … in python aws cdk, there is no way to create Origin access "
        "control setting … So currently there is no way to make Cloudfront to s3 website work "
        "without getting 403 forbidden error. … ### CDK version used … aws-cdk-lib==2.99.1",
        "s3.access_denied",
    ),
    (
        "https://github.com/aws/aws-cdk/issues/27802",
        "which also does not work cloudfront.OriginAccessIdentity(). So currently there is no way "
        "to make Cloudfront to s3 website work without getting 403 forbidden error. … You can use "
        "the legacy way the cloudfront.CloudFrontWebDistribution() way, but it is deprecated and "
        "we're told to use Distribution. … ### CDK version used … aws-cdk-lib==2.99.1",
        "s3.access_denied",
    ),
    # An identity said to lack access or not to have had permission, in prose.
    (
        "https://github.com/awslabs/awsome-distributed-ai/pull/627",
        "Amazon managed grafana lack access to cloudwatch to setup datasource.",
        "iam.missing_permission",
    ),
    (
        "https://github.com/kunduso/aws_managed_grafana_workspace_dashboard/issues/23",
        "the panels were reporting an error that the `tf-grafana-assume` role did not have "
        "permission to read the Amazon CloudWatch logs or metrics.",
        "iam.missing_permission",
    ),
    # An alarm that does not go off on the function errors it watches: the alarm's report.
    (
        "https://github.com/fourTheorem/slic-watch/issues/48",
        "Lambda errors not triggering alarm … Sustained errors over 30 minutes due to a module "
        "import error do not trigger an alarm",
        "cloudwatch.alarm_or_metric",
    ),
    (
        "https://github.com/fourTheorem/slic-watch/issues/48",
        "Sustained errors over 30 minutes due to a module import error do not trigger an alarm",
        "cloudwatch.alarm_or_metric",
    ),
    # PutMetricData refusing a request over its limits, in InvalidParameterValue's words.
    (
        "https://github.com/micrometer-metrics/micrometer/issues/1596",
        "com.amazonaws.services.cloudwatch.model.InvalidParameterValueException: The collection "
        "MetricData must not have a size greater than 20.",
        "cloudwatch.alarm_or_metric",
    ),
    # A Cognito identity pool refusing guests: the pool's setting, whatever service was called.
    (
        "https://github.com/amazon-archives/aws-mobile-react-sample/issues/38",
        "Cannot read/write to DynamoDB / Unauthenticated access is not supported for this identity "
        "pool.",
        "other.other",
    ),
    (
        "https://github.com/amazon-archives/aws-mobile-react-sample/issues/38",
        "The sample app is unable to read/write from Dynamodb. I get the following error in the "
        "browser console:\nUnauthenticated access is not supported for this identity pool.",
        "other.other",
    ),
    (
        "https://github.com/aws-amplify/amplify-cli/issues/5430",
        "Strorage.put 403 error … zn-errormessage: Unauthenticated access is not supported for "
        "this identity pool.",
        "other.other",
    ),
    # An SDK's credential chain that ends at an unreachable IMDS: no credentials, no SSH login.
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/2137",
        "Misleading and inconsistent error when credentials are unset … ProviderError: Unable to "
        "connect to instance metadata s",
        "iam.credentials",
    ),
    # STS unable to fetch a web identity provider's signing keys: no session credentials issued.
    (
        "https://github.com/aws/aws-sdk-php/issues/1725",
        "When using SDK the `assumeRoleWithWebIdentity` operation fails with `couldn't retrieve "
        "verification key from your identity provider,  please reference AssumeRoleWithWebIdentity "
        "documentation for requirements` error message.",
        "iam.credentials",
    ),
    # A pod's own role set up (IRSA) and then refused: the tool signed with other credentials.
    (
        "https://github.com/pottava/aws-s3-proxy/issues/59",
        "Not able to use s3client using IAM roles for serviceaccount … using IAM roles for "
        "serviceaccounts, but it does not seem to be able to authenticate to s3 using that role "
        "and we get access denied errors for our requests.",
        "iam.credentials",
    ),
    # A signed URL that lapses before its expiry: it lives as long as the credentials signing it.
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/3608",
        "s3-request-presigner / getSignedUrl / expiresIn appears to not have any effect … I am "
        "using `getSignedUrl` to get a signed url for an image in an S3 bucket … the signed url "
        "seems to expires after 24 hours.",
        "iam.credentials",
    ),
    # The CodeDeploy agent's own words for an instance with no role to take credentials from.
    (
        "https://github.com/go-furnace/go-furnace/pull/57",
        "Missing credentials - please check if this instance was started with an IAM instance "
        "profile",
        "iam.credentials",
    ),
    # An identity given deliberately narrowed permissions, then refused: its own policy lacks it.
    (
        "https://github.com/restic/restic/issues/1477",
        "S3 fails on Buckets with permissions scoped to prefixes … I've run into an issue on S3 "
        "Buckets with tightly controlled permissions. … create backend at "
        "s3:s3.amazonaws.com/<my-bucket>/chunks/<my-user>/hhh failed: client.BucketExists: "
        "Access Denied",
        "iam.missing_permission",
    ),
    # A profile set for the tool that does not override the keys already in the environment.
    (
        "https://github.com/serverless/serverless/issues/7573",
        "Settings a Profile in serverless.yml doesn't override Environment Variable Settings. … "
        "When I attempt to deploy my solution it uses the environment variables even if I have the "
        "profile set within my serverless.yml file.",
        "iam.credentials",
    ),
    # The asker's own words that the identity lacks the permission, beside a bare S3 refusal.
    (
        "https://github.com/ghdna/athena-express/issues/85",
        "I'm getting an error ```Permission denied on S3 path: "
        "s3://[my-bucket-name]/production/[path]/[path]/v1/dt=2022-05-26/.hoodie_partition_metadata"
        "``` … That appears to be indicating that I still don't have the permissions correct on "
        "the spot where the data is being stored.",
        "iam.missing_permission",
    ),
    # Connection timeouts said to come and go reach a public endpoint: no path is missing.
    (
        "https://github.com/aws/aws-sdk-java/issues/1195",
        "Getting intermittent connection timeouts in us-west-2 with SQS … "
        "com.amazonaws.SdkClientException: Unable to execute HTTP request: Connect to "
        "sqs.us-west-2.amazonaws.com:443 [sqs.us-west-2.amazonaws.com/54.240.249.101] failed: "
        "connect timed out",
        "other.other",
    ),
    # The asker confirmed the path to the brokers: the client's settings, not the network.
    (
        "https://github.com/Mongey/terraform-provider-kafka/issues/182",
        "AWS MSK: kafka: client has run out of available brokers to talk to (Is your cluster "
        "reachable?) … When I try to create topics, terraform throws the below error: … I've "
        "confirmed the connectivity to the brokers on port 9094.",
        "other.other",
    ),
    # A VPC's set-up (peering) failing, with no traffic said to be lost: not its connectivity.
    (
        "https://github.com/QT-DevOps/DevOpsIssues/issues/464",
        "getting error while vpc peering with terraform",
        "vpc.other",
    ),
    # Connecting to a database from an EC2 instance is no login to the instance.
    (
        "https://github.com/spring-attic/spring-cloud-aws/issues/122",
        "AWS RDS error - No database instance with id: found. Please specify a valid db instance. "
        "I am trying to connect to my RDS db with cloud AWS. … I created an EC2 instance to run "
        "this application as fully executable jar, while RDS instance was launched separately.",
        "other.other",
    ),
    # A log event over CloudWatch Logs' size limit: the event's size, not logs never written.
    (
        "https://github.com/kislyuk/watchtower/issues/46",
        "after sending a log message that was too large (530+kb, larger than 256kb limit) I "
        "stopped seeing logs appearing in the cloudwatch log group.",
        "cloudwatch.other",
    ),
    # A writer's PutLogEvents calls failing: the call that errs, though logs go missing.
    (
        "https://github.com/aws/aws-for-fluent-bit/issues/872",
        "Fluentbit is sporadically failing to send log events to cloudwatch, reporting a variety "
        "of either tls errors, as well as http_client errors. … I've set up Fluent Bit to retry "
        "indefinitely so that logs are not lost.",
        "cloudwatch.other",
    ),
    # A stack's resource refused by a service outside the list: that service, not the stack.
    (
        "https://github.com/aws-solutions/aws-control-tower-customizations/issues/167",
        'the CodePipeline fails at the "CloudformationResource" step with the following message: '
        '"ResourceLogicalId:RecommendedControlAWSGREC2VOLUMEINUSECHECK, '
        "ResourceType:AWS::ControlTower::EnabledControl, ResourceStatusReason:Resource handler "
        'returned message: "Organizational unit ou-xxxx-xxxxxxx is not registered with AWS '
        "Control Tower. (Service: AWSControlTower;",
        "other.other",
    ),
    # Plain blocker wording with no error quoted ("is not sending", "not supported"): a report.
    (
        "https://github.com/ellaisys/aws-cognito/issues/19",
        "Verification code is not sending\nUser registration is working but the verification "
        "email is not sending.",
        "other.other",
    ),
    # A bug report's own heading ("Describe the bug") is report wording.
    (
        "https://github.com/aws-amplify/amplify-cli/issues/6171",
        "The CLI can not grant access to the preSignUp trigger to use the user pool\n**Describe "
        "the bug**\nIf you want to access the Cognito user pool inside the preSignUp trigger you "
        "must be able to grant permissions, but this is not possible due a cyclic dependency. … "
        "Error: Cannot add samplePreSignup due to a cyclic dependency\n    at "
        "checkForCyclicDependencies (/Users/ignacio/.nvm/versions/node/v12.16.1/lib/node_modules/"
        "@aws-amplify/cli/lib/extensions/amplify-helpers/update-amplify-meta.js:199:15)",
        "other.other",
    ),
    # A stack that fails or hangs, looked into through logs that never showed: the stack's.
    (
        "https://github.com/aws-samples/aws-service-catalog-terraform-reference-architecture/issues/25",
        "When I try to create a stack to create the Type: Cloudsoft::Terraform::Infrastructure, "
        "the stack gets stuck in Create in progress and then timeout after a few minutes.\n\nI "
        "added in the LogBucketName in the cfn yaml file but no logs are getting generated.",
        "cloudformation.stack_failed",
    ),
    # Step Functions' DataLimitExceeded message: the state's payload quota, not S3's or EC2's.
    (
        "https://github.com/aws-samples/review-and-assessment-powered-by-intelligent-documentation/issues/58",
        "BUG: The state/task 'ProcessAllItems' returned a result with a size exceeding the maximum "
        "number of bytes service limit",
        "other.other",
    ),
    # A database out of connections (MySQL's 1040) under many function instances: the database's.
    (
        "https://github.com/sidorares/node-mysql2/issues/1915",
        "AWS Lambda - ER_CON_COUNT_ERROR … The function throws the following error: … "
        '"errorMessage": "Too many connections",',
        "other.other",
    ),
    # Terraform destroying a resource that should stay (ignore_changes not taking effect).
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/35308",
        'When running tf plan & apply, RDS "myrds" gets destroyed first , and then re-creation '
        "failed because the snapshot already removed.\nthe life-cycle ignore_changes does not "
        "take effect.",
        "cloudformation.other",
    ),
    # CloudFront's ACM certificate that must be in us-east-1, said of "ACM" without "certificate".
    (
        "https://github.com/stelviodev/stelvio/issues/146",
        "ACM for cloudfront need to be created in us-east-1 regardless of the region used for "
        "other components",
        "other.other",
    ),
    # A database client's own words for a connection that never opened (Prisma's P1001).
    (
        "https://github.com/prisma/orm/issues/2822",
        "Amazon RDS (MySQL) won't connect … Error: P1001: Can't reach database server at "
        "`<endpoint>`:`3306`",
        "vpc.connectivity",
    ),
    # Outgoing connections to the internet that fail from a VPC: no way out, whatever service runs.
    (
        "https://github.com/aws/apprunner-roadmap/issues/192",
        "Selecting custom VPC for outgoing network traffic makes outgoing connections to the "
        "internet fail despite the VPC in question having an internet gateway configured. The need "
        "for a NAT Gateway is explained [in the documentation](https://docs.aws.amazon.com/"
        "apprunner/latest/dg/network-vpc.html#network-vpc.considerations-subnet).",
        "vpc.connectivity",
    ),
    # An IaC tool refusing a VPC's layout before any traffic (the CDK's NAT gateways' subnets).
    (
        "https://github.com/towardsthecloud/aws-cdk-examples/issues/5",
        "Running cdk synth in the scheduled fargate task project produces error\nError: If you "
        "configure PRIVATE subnets in 'subnetConfiguration', you must also configure PUBLIC "
        "subnets to put the NAT gateways into",
        "vpc.other",
    ),
    # A scheduled rule's trigger added again on each deploy: the rule's setup, not the function.
    (
        "https://github.com/SeanRoy/lambda-maven-plugin/issues/66",
        'Triggers duplicated on each deploy … My lambda is configured with a "CloudWatch Events '
        '- Schedule" trigger.',
        "cloudwatch.other",
    ),
    # A scheduled event invoking its target more than once: the schedule's, not the handler's.
    (
        "https://github.com/awslabs/cloudwatch-logs-customize-alarms/issues/6",
        "AWS python SDK getting invoked more than once with scheduled cloudwatch event",
        "cloudwatch.other",
    ),
    # ECS refusing a task definition without the execution role its awslogs driver needs.
    (
        "https://github.com/virtual-kubelet/virtual-kubelet/issues/193",
        "Fargate requires task definition to have execution role ARN to support log driver "
        "awslogs.",
        "iam.other",
    ),
    # A composite alarm's rule CloudWatch cannot parse, surfaced by the stack that made it.
    (
        "https://github.com/aws/aws-cdk/issues/34662",
        "(aws-cloudwatch): AlarmRule static methods can synth into an invalid template … Resource "
        "handler returned message: \"Error in AlarmRule [Unsupported token ')' at char 1] "
        "(Service: AmazonCloudWatch",
        "cloudwatch.alarm_or_metric",
    ),
    # PutMetricAlarm refusing an alarm's own setting (its period), whatever client sent it.
    (
        "https://github.com/ansible/ansible/issues/29694",
        "the aws boto api expects this in seconds … 1 validation error detected: Value '30' at "
        "'period' failed to satisfy constraint: Member must have value greater than or equal to 60",
        "cloudwatch.alarm_or_metric",
    ),
    # A signature refused as expired (the clock skewed) on AssumeRole: the caller's, no trust.
    (
        "https://github.com/devsecops/bootcamp/issues/101",
        "A client error (SignatureDoesNotMatch) occurred when calling the AssumeRole operation: "
        "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z "
        "(20160610T014508Z - 15 min.)",
        "iam.credentials",
    ),
    # A profile the CLI or a tool does not use ("profiles are not recognized"): other credentials.
    (
        "https://github.com/aws/aws-cli/issues/1120",
        "profiles are not recognized if the environment variables are set.\naws --profile does "
        "not do anything if you have defined the environment variables AWS_ACCESS_KEY_ID and "
        "AWS_SECRECT_ACCESS_KEY defined.",
        "iam.credentials",
    ),
    # S3's AuthorizationHeaderMalformed for an empty access key: no credentials, not the region.
    (
        "https://github.com/aws-samples/aws-lambda-layer-awscli/pull/15",
        "An error occurred (AuthorizationHeaderMalformed) when calling the PutObject operation: "
        "The authorization header is malformed; a non-empty Access Key (AKID) must be provided in "
        "the credential.",
        "iam.credentials",
    ),
    # Go refusing the signed Authorization header (keys with a stray character): the credentials.
    (
        "https://github.com/eksctl-io/eksctl/issues/8175",
        "eksctl cluster throws error … operation error STS: GetCallerIdentity, https response "
        "error StatusCode: 0, RequestID: , request send failed, Post "
        '"https://sts.us-east-1.amazonaws.com/": net/http: invalid header field value for '
        '"Authorization"',
        "iam.credentials",
    ),
    # "User doesn't have permission to call ssm:GetParameters" beside a trust relationship named.
    (
        "https://github.com/aws/aws-cdk/issues/10083",
        "Though the IAM user has a Trust relationship with all CDK roles it is not able to "
        "deploy. … failed: Error [ValidationError]: AccessDenied. User doesn't have permission "
        "to call ssm:GetParameters",
        "iam.missing_permission",
    ),
    # The SDK's missing-region error in the words of the title ("an AWS region"), not a code error.
    (
        "https://github.com/compiler-explorer/infra/issues/209",
        "Must specify an AWS region",
        "lambda.sdk_config",
    ),
    # Elastic Beanstalk's InvalidParameterValue for an application with no version: not EC2's.
    (
        "https://github.com/briandilley/ebs-deploy/issues/15",
        'BotoServerError: 400 Bad Request … {"Error":{"Code":"InvalidParameterValue",'
        '"Message":"No application version exists to deploy for Application named haldane."',
        "other.other",
    ),
    # S3's malformed Authorization header (an empty or spaced key): the credentials, not S3.
    (
        "https://github.com/travis-ci/travis-ci/issues/3142",
        "`return_or_raise': Authorization header is invalid -- one and only one ' ' (space) "
        "required (AWS::S3::Errors::InvalidArgument)",
        "iam.credentials",
    ),
    # ListBuckets refused, as the Ruby SDK's trace shows it: only an identity policy governs it.
    (
        "https://github.com/travis-ci/dpl/issues/278",
        "`return_or_raise': Access Denied (AWS::S3::Errors::AccessDenied) … (eval):3:in "
        "`list_buckets'",
        "iam.missing_permission",
    ),
    # CodeDeploy named by its spelt-apart name and its appspec.yml: no upload to S3.
    (
        "https://github.com/aws-samples/aws-codedeploy-samples/issues/94",
        "Automate code deploy from Git lab to AWS EC2 instance … When I start to build pipeline it "
        "gets this error … My appspec.yml file is",
        "other.other",
    ),
    # A custom domain for an API or a websocket failing is API Gateway's, whatever tool raised.
    (
        "https://github.com/aws/chalice/issues/1531",
        "Error creating custom domain for websockets When I try to create a custom domain for my "
        "websocket the following error occurs: ``` Updating custom domain name: "
        "api.transferbank.com.br Traceback (most recent call last): File "
        '"/Users/rafagan/.virtualenvs/tb-websocket-ws/lib/python3.8/site-packages/chalice/cli/'
        '__init__.py", line 646, in main return cli(obj={})',
        "apigateway.other",
    ),
    # A Cognito user pool trigger (Post Confirmation) misbehaving is the user pool's flow.
    (
        "https://github.com/aws/aws-lambda-rust-runtime/issues/873",
        "Lambda for Cognito Post Confirmation event response causes error for Account Creation "
        "I recently implemented a lambda for AWS Cognito integration with the "
        "user-pool-lambda-post-confirmation event. … We found when logging into the app via "
        "socials for the first time (login implemented with Amplify SDK for iOS), an error is "
        "thrown and login fails. The error message mentions the lambda",
        "other.other",
    ),
    # A key pair name already taken (InvalidKeyPair.Duplicate) is a clash, not a missing key.
    (
        "https://github.com/iterative/terraform-provider-iterative/issues/14",
        "Error: InvalidKeyPair.Duplicate: The keypair 'machine' already exists",
        "ec2.other",
    ),
    # A Marketplace AMI on a type its product does not offer: the launch does not fit the AMI.
    (
        "https://github.com/PaloAltoNetworks/aws-transit-vpc/issues/1",
        "In order to use this AWS Marketplace product you need to accept terms and subscribe. … "
        '"The instance configuration for this AWS Marketplace product is not supported.',
        "ec2.invalid_resource",
    ),
    # S3's own AccessDenied body with the bucket's CORS said to look right: the bucket refused.
    (
        "https://github.com/CulturalMe/meteor-slingshot/issues/176",
        "Amazon S3 - Access Denied … configured a CORS file on the bucket, all looks ok. … "
        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>",
        "s3.access_denied",
    ),
    # An Access Denied the asker puts down to an invalid profile: the credentials that signed.
    (
        "https://github.com/aws/aws-cli/issues/3375",
        "Give more obvious warning when using an invalid profile … Whenever I was trying to do "
        "anything it simply gave me ```Access Denied``` errors.",
        "iam.credentials",
    ),
    # A volume or Elastic IP allocation EC2 does not know (Invalid*.NotFound): nothing to name.
    (
        "https://github.com/hashicorp/terraform/issues/1815",
        "providers/aws: Failure associating EIP: InvalidAllocationID.NotFound: The allocation ID "
        "'eipalloc-9b0b7cfe' does not exist",
        "ec2.invalid_resource",
    ),
    # An option the instance type does not offer ("not supported for your requested configuration").
    (
        "https://github.com/openai/evolution-strategies-starter/issues/12",
        "botocore.exceptions.ClientError: An error occurred (Unsupported) when calling the "
        "RunInstances operation: EBS-optimized instances are not supported for your requested "
        "configuration.",
        "ec2.invalid_resource",
    ),
    # A Spot price below the market's (SpotMaxPriceTooLow) is a parameter, not a shortage.
    (
        "https://github.com/redhat-developer/mapt/issues/576",
        "waiting for Auto Scaling Group (main-akd-asg-c26a142) capacity satisfied: scaling "
        "activity (974662f2-2b8a-f94b-2e75-44ca5ea3396c): Failed: Could not launch Spot Instances. "
        "SpotMaxPriceTooLow - Your Spot request price of 0.24156000000000002 is lower than the "
        "minimum required Spot request fulfillment price of 0.6034.",
        "ec2.invalid_resource",
    ),
    # An instance broken beneath its software (failing hardware, a kernel panic) is EC2's.
    (
        "https://github.com/harmony-one/harmony-ops/issues/284",
        "ec2 instance retirement EC2 has detected degradation of the underlying hardware hosting "
        "your Amazon EC2 instance",
        "ec2.other",
    ),
    # A placement group still held (InvalidPlacementGroup.InUse) is busy, as a volume in use.
    (
        "https://github.com/jtriley/StarCluster/issues/210",
        "!!! ERROR - InvalidPlacementGroup.InUse: Placement group ID 293992 is in use.",
        "ec2.other",
    ),
    # Hadoop's S3A connector missing from the classpath is S3's client library, not a handler.
    (
        "https://github.com/apache/seatunnel/issues/4406",
        "[Bug] [hdfs to s3] java.lang.ClassNotFoundException: Class "
        "org.apache.hadoop.fs.s3a.S3AFileSystem not found",
        "s3.other",
    ),
    # An S3-compatible store addressed in the wrong style: its "bucket does not exist" is no typo.
    (
        "https://github.com/haydenbleasel/files-sdk/issues/155",
        "s3Fetch with minio need forcePathStyle … error: The specified bucket does not exist",
        "s3.other",
    ),
    # A client that will not read a public bucket unsigned (anonymous) looks for credentials.
    (
        "https://github.com/oven-sh/bun/issues/19566",
        "S3: No unsigned requests support",
        "iam.credentials",
    ),
    # S3's AllAccessDisabled is the bucket side's refusal, whatever tool surfaced it.
    (
        "https://github.com/Snowflake-Labs/sfquickstarts/issues/1940",
        "An error occurred while trying to refresh the directory table: Failure using stage area. "
        "Cause: [All access to this object has been disabled (Status Code: 403; Error Code: "
        "AllAccessDisabled)]\n\nThe stage should be readily available.",
        "s3.access_denied",
    ),
    # A 403 from a store that only speaks S3's API has no S3 bucket policy behind it.
    (
        "https://github.com/rclone/rclone/issues/4689",
        "Backblaze (S3) upload fails: 403 AccessDenied: not entitled",
        "s3.other",
    ),
    # Terraform's state lock held in DynamoDB is the IaC tool's state, not the table's write.
    (
        "https://github.com/hashicorp/terraform/issues/27406",
        "All subsequent terraform apply threw `Error locking state: Error acquiring the state "
        "lock: ConditionalCheckFailedException: The conditional request failed`",
        "cloudformation.other",
    ),
    # A CDK lookup in a stack with no account or region is the app's environment, not the VPC.
    (
        "https://github.com/aws/aws-cdk/issues/3130",
        'When trying to use ec2.Vpc.fromLookup, and passing { env: { region: "your-region", '
        'account: "your-account-id"} } I get and error when doing `cdk list`: Cannot retrieve '
        "value from context provider vpc-provider since account/region are not specified at the "
        "stack level",
        "cloudformation.other",
    ),
    # A template naming an IAM role that does not exist is the role's, not a failed stack.
    (
        "https://github.com/aws/serverless-application-model/issues/2132",
        "Template error: IAM role stack-Lambda-XXXXX doesn't exist",
        "iam.other",
    ),
    # Terraform's plan replacing a resource ("forces new resource") is the IaC tool's plan.
    (
        "https://github.com/hashicorp/terraform/issues/8842",
        "forces new resource",
        "cloudformation.other",
    ),
    # A template with circular dependencies is refused before any stack runs.
    (
        "https://github.com/openedx-unsupported/configuration/issues/137",
        "I choice Upload a Template File and add file edx-reference-architecture.json and click "
        "button continue error occurred: … has missing or circular dependencies",
        "cloudformation.other",
    ),
    # A CDK bootstrap run with no credentials configured is the keys', not the bootstrap's.
    (
        "https://github.com/sniptt-official/ots/issues/34",
        "npx cdk bootstrap error … failed bootstrapping: Error: Need to perform AWS calls for "
        "account 123456789012, but no credentials have been configured",
        "iam.credentials",
    ),
    # The CDK publishing assets to a bucket that is gone: the bucket does not exist.
    (
        "https://github.com/dabit3/cdk-graphql-backend/issues/2",
        "[100%] fail: No bucket named 'cdktoolkit-stagingbucket-nisbmeck9lcx'. Is account xyz "
        "bootstrapped?",
        "s3.no_such_bucket",
    ),
    # A custom resource that never answered its stack, its response PUT refused: the stack's.
    (
        "https://github.com/aws/aws-cdk/issues/24327",
        "CloudFormation did not receive a response from your Custom Resource. … It uploads the "
        'file using "aws s3" cli successfully, but it fails when it tries to send the response '
        "back to cloudformation. … HTTP Error 403: Forbidden",
        "cloudformation.stack_failed",
    ),
    # A role session asked longer than MaxSessionDuration or role chaining allows is the role's.
    (
        "https://github.com/kreuzwerker/awsu/issues/27",
        "ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for "
        "this role",
        "iam.other",
    ),
    # An AWS SSO (Identity Center) sign-in that fails is the profile's credentials.
    (
        "https://github.com/RafalWilinski/aws-mcp/issues/12",
        "SSO not working SSO opens the AWS verification page in the browser but when clicking "
        "allow it says the device code is invalid.",
        "iam.credentials",
    ),
    # STS unable to fetch a web identity token's verification key: the token's, not the trust.
    (
        "https://github.com/CircleCI-Public/aws-cli-orb/issues/136",
        "aws-cli/assume-role-with-web-identity sometimes fails … An error occurred "
        "(InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: Couldn't "
        "retrieve verification key from your identity provider, please reference "
        "AssumeRoleWithWebIdentity documentation for requirements Failed to assume role",
        "iam.credentials",
    ),
    # The EKS console showing no workloads or nodes: the console's identity has no access entry.
    (
        "https://github.com/eksctl-io/eksctl/issues/2983",
        "Can't see workloads or nodes and receive an error in the AWS Management Console",
        "iam.missing_permission",
    ),
    # A profile's credential_process helper returning unusable output is the credentials'.
    (
        "https://github.com/trek10inc/awsume/issues/196",
        "Awsume error: Validation Exception - Invalid credentials returned from "
        "credential_process: My setup seems to be hitting this exception for some reason.",
        "iam.credentials",
    ),
    # An API mapping key API Gateway v2 refuses (its own error text): API Gateway's, not the CDK's.
    (
        "https://github.com/aws/aws-cdk/issues/9077",
        "[apigatewayv2] Custom Domain example results in 400 due to faulty mappingKey value … "
        "results in error: … An ApiMapping key may contain only letters, numbers and one of "
        "$-_.+!*'()",
        "apigateway.other",
    ),
    # Uploads that arrive corrupted through a serverless app: the API's binary body, not S3's.
    (
        "https://github.com/brefphp/bref/issues/336",
        "Document how to enable `multipart/form-data` for file uploads … Issue is that the "
        "uploaded files get corrupted and not able to open.",
        "apigateway.other",
    ),
    # A response over Lambda's 6 MB payload limit, named by its size alone: Lambda's limit.
    (
        "https://github.com/brefphp/bref/issues/1090",
        "403 forbidden error because of Lambda 6Mb response",
        "lambda.other",
    ),
    # A signature mismatch calling API Gateway (execute-api), not S3: the keys' (taxonomy.md).
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/308",
        "Signature mismatch for execute api service",
        "iam.credentials",
    ),
    # An instance out of memory (swap added, SSH freezing with it): the instance's, not the login.
    (
        "https://github.com/ahachulTeam/ahhachul_backend/issues/113",
        "[BUG] EC2 Swap 메모리 할당 … t2.micro의 램이 1GB밖에 되지 않아, CPU 사용률이 100프로를 "
        "찍을 경우 메모리가 부족하여 ssh 접속도 멈춰버림",
        "ec2.other",
    ),
    # nginx's own 502 page on an instance: the app behind the web server, not API Gateway.
    (
        "https://github.com/jojoldu/freelec-springboot2-webservice/issues/575",
        "Nginx 페이지 오류가 뜹니다. 찾아보니 502 error 메시지인데, 해결방법을 도저히 못 "
        "찾겠습니다. 저는 EC2 Linux2 AMI를 사용중입니다.",
        "ec2.other",
    ),
    # SSH's "Connection closed by <host>" without its port: a login that fails.
    (
        "https://github.com/raoenhui/awsSetup/issues/3",
        '用ssh连接EC2的时候出现"Connection closed by *** "的问题',
        "ec2.ssh_access",
    ),
    # A CDK environment never bootstrapped ("the toolkit stack must be deployed"), after the
    # CLI's "<Stack> failed": the bootstrap's, no stack ran.
    (
        "https://github.com/aws-samples/serverless-refarch-for-proxysql/issues/10",
        "ProxysqlFargateStack failed: Error: This stack uses assets, so the toolkit stack must be "
        "deployed to the environment",
        "cloudformation.other",
    ),
    # Deploy code S3 refused a stack's function ("Your access has been denied by S3"), though
    # CREATE_FAILED is quoted: the bucket's (taxonomy.md).
    (
        "https://github.com/alexa/alexa-cookbook/issues/159",
        '"ResourceStatus": "CREATE_FAILED", … "ResourceStatusReason": "Your access has been '
        "denied by S3, please make sure your request credentials have permission to GetObject",
        "s3.access_denied",
    ),
    # A launch with no valid key pair said in plain words fails on the key pair, not the stack.
    (
        "https://github.com/coreos/coreos-kubernetes/issues/331",
        "Without a valid key pair `kube-aws up` will fail after several minutes. … Error creating "
        "cluster: Stack creation failed: CREATE_FAILED",
        "ec2.invalid_resource",
    ),
    # Terraform refusing its own configuration ("Unsupported argument"): the IaC code, whatever
    # resource's argument it names.
    (
        "https://github.com/udacity/Planning-for-High-Availability-and-Incident-Response/issues/18",
        "VPC terraform error in Lesson 2 terraform apply … Error: Unsupported argument … An "
        'argument named "vpc" is not expected here.',
        "cloudformation.other",
    ),
    # AppSync answering 401 to its GraphQL calls: AppSync's auth modes, not the Lambda behind it.
    (
        "https://github.com/aws-amplify/amplify-category-api/issues/799",
        "AppSync returns 401 when add Lambda as additional auth mode. Lambda never gets called.",
        "other.other",
    ),
    # Lambda's retired runtime met in an Amplify Console build: Lambda's refusal, not Amplify's.
    (
        "https://github.com/aws-amplify/amplify-cli/issues/5871",
        "Amplify Console -> App -> Provisioning using unsupported NodeJS as default version … "
        "Reason: The runtime parameter of nodejs8.10 is no longer supported for creating or "
        "updating AWS Lambda functions.",
        "lambda.other",
    ),
    # A trigger's service principal refused lambda:InvokeFunction: the function's policy.
    (
        "https://github.com/zappa/Zappa/issues/776",
        "[Migrated] AccessDeniedException error occurs in SNS topic while updating Zappa … User: "
        "sns.amazonaws.com is not authorized to perform: lambda:InvokeFunction",
        "lambda.other",
    ),
    # No Cognito identity pool for guests: Cognito's setting, a report though it names no failure.
    (
        "https://github.com/aws-amplify/amplify-js/issues/11029",
        '"No Cognito Identity pool provided for unauthenticated access" when using '
        "@aws-amplify/storage v5",
        "other.other",
    ),
    # A log agent the operating system refuses its files ("permission denied"): no AWS identity.
    (
        "https://github.com/aws/amazon-cloudwatch-agent/issues/943",
        "Sometimes are startup logs agent gets permission denied … Sometimes when starting up the "
        "logs agent fails to read files with permission denied.",
        "cloudwatch.no_logs",
    ),
    # Logs said never to reach CloudWatch ("no data is transferred to"): nothing arrives.
    (
        "https://github.com/maxbanton/cwh/issues/94",
        "[BUG] I get no errors, but no data is transferred to the Cloudwatch",
        "cloudwatch.no_logs",
    ),
    # A deploy that never made its CloudWatch Events rule: the rule's, not the function's.
    (
        "https://github.com/serverless/serverless/issues/6189",
        "Lambda was deployed successfully, but rule was not created.",
        "cloudwatch.other",
    ),
    # Metrics said not to work, in a function's code: the metric's, not the handler's.
    (
        "https://github.com/aws-powertools/powertools-lambda-python/issues/165",
        "Multiple values for a single metric not working … def handler(event, context): … "
        "handler(None, None)",
        "cloudwatch.alarm_or_metric",
    ),
    # A role said not to include an API action: the identity's policy lacks it, whatever service.
    (
        "https://github.com/aws-samples/aws-serverless-workshops/issues/105",
        "Role for ListUnicornRides doesn't include Scan for DynamoDB",
        "iam.missing_permission",
    ),
    # A role created without the managed policy its service needs: the role lacks those actions.
    (
        "https://github.com/aws/aws-cdk/issues/25256",
        "aws_batch_alpha: instance role for ManagedEc2EcsComputeEnvironment missing managed policy",
        "iam.missing_permission",
    ),
    # "Permission error" in Chinese (报权限错误): the identity's refusal, as in English.
    (
        "https://github.com/aws-samples/private-llm-qa-bot/issues/306",
        "按照教程部署失败 … 报权限错误",
        "iam.missing_permission",
    ),
    # An agent not accepting the credentials file it is given: the call goes out with others.
    (
        "https://github.com/awsdocs/amazon-cloudwatch-user-guide/issues/35",
        "ec2tagger not accepting credentials-file",
        "iam.credentials",
    ),
    # CloudFormation's event naming a role ("...ServiceRole already exists"): IAM's name clash.
    (
        "https://github.com/aws-samples/aws-modern-application-workshop/issues/72",
        "My stack fails to create. … the first error is as follows: … "
        "MythicalMysfitsServiceCodeBuildServiceRole already exists",
        "iam.other",
    ),
    # A policy added to the user that did not help: the identity still lacks an action.
    (
        "https://github.com/aws-samples/amazon-deequ-glue/issues/4",
        "I got this error unable to fetch parameters … from parameter store for this account … "
        "I added this policy to user but still get same error",
        "iam.missing_permission",
    ),
    # A default VPC that will not be deleted: the network's own objects, not a path tried.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/23488",
        "Unable to delete default VPC (Reason : IGW)",
        "vpc.other",
    ),
    # EC2 refusing auto-assigned IPv6 on a subnet with no IPv6 block: the VPC's layout.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-vpc/issues/735",
        "Error: error enabling EC2 Subnet (subnet-123) AssignIpv6AddressOnCreation: "
        "InvalidParameterValue: Invalid value 'true' for assign-ipv6-address-on-creation. Cannot "
        "set assign-ipv6-address-on-creation to true unless the subnet (subnet-123) has an IPv6 "
        "CIDR block associated with it.",
        "vpc.other",
    ),
    # Names of another VPC's peer not resolved: the peering's DNS option, not traffic.
    (
        "https://github.com/hashicorp/terraform/issues/8733",
        "Creating aws_vpc_peering_connection with allow_remote_vpc_dns_resolution fails",
        "vpc.other",
    ),
    # eksctl's refusal of a VPC with too few subnets: the layout, not connectivity.
    (
        "https://github.com/aws-samples/eks-workshop/issues/1417",
        "It fails with `insufficient number of subnets, at least 2x public and/or 2x private "
        "subnets are required`",
        "vpc.other",
    ),
    # Pods that used up the subnets' addresses: no IP left to hand out.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-eks/issues/2511",
        "each pod that I create will consume an IP address from the available subnets, and I end "
        "up with no available IP addresses.",
        "vpc.other",
    ),
    # TooManyRequestsException beside API Gateway: its management calls' rate limit, not Lambda's.
    (
        "https://github.com/claudiajs/claudia/issues/18",
        "TooManyRequestsException (setting up lots of API gateway endpoints)",
        "apigateway.other",
    ),
    # A WAF managed rule blocking the request: a bare 403, no logs because nothing got through.
    (
        "https://github.com/aws-solutions/deepracer-on-aws/issues/89",
        "Users receive `403 Forbidden` when creating a model, and **there is no corresponding "
        "entry in the Lambda logs** … The cause is the **`SizeRestrictions_BODY`** rule",
        "apigateway.other",
    ),
    # A WebSocket API's PostToConnection named by its SDK request class: API Gateway's call.
    (
        "https://github.com/aws/aws-sdk-net/issues/1637",
        "AmazonApiGatewayManagementApiClient WebSocket PostToConnectionRequest Forbidden",
        "apigateway.other",
    ),
    # A rule's Lambda targets said to lack their permission: the function's resource policy.
    (
        "https://github.com/aws/aws-cdk/issues/13568",
        "aws-events-targets: cross-account targets broken permissions for Lambda target … The "
        "source stack does not have permissions to create resources in a different account.",
        "lambda.other",
    ),
    # An operation the Logs endpoint does not know (StartQuery): the call's, no missing log.
    (
        "https://github.com/boto/boto3/issues/2359",
        "UnknownOperationException while client('logs').start_query()",
        "cloudwatch.other",
    ),
    # An event bus whose resource policy does not admit the caller: the bus's, not a role's.
    (
        "https://github.com/aws/aws-cdk/issues/26032",
        "Error: The stack named XAcctDestinationBusStack failed to deploy: "
        "UPDATE_ROLLBACK_COMPLETE: User: arn:aws:sts::YYYYYYYYYYYY:assumed-role/"
        "cdk-hnb659fds-cfn-exec-role-YYYYYYYYYYYY-us-east-1/AWSCloudFormation is not authorized "
        "to perform: events:PutRule on resource: arn:aws:events:us-east-1:XXXXXXXXXXXX:rule/"
        "my-event-bus/XAcctDestinationBusStack-forwardEventsFromSourceBu-SI90TXUR6U6F because no "
        "resource-based policy allows the events:PutRule action",
        "cloudwatch.other",
    ),
    # A Fn::FindInMap with no entry for the region ("Unable to get mapping for"): the template's.
    (
        "https://github.com/awslabs/amazon-ecs-nodejs-microservices/issues/9",
        "I can't make CloudFormation stack. … 'Template validation error: Template error: Unable "
        "to get mapping for AWSRegionToAMI::ap-northeast-2::AMIID' error throws.",
        "cloudformation.other",
    ),
    # A nested stack's TemplateURL that is not an S3 URL: the template's value, not a failed stack.
    (
        "https://github.com/aws/aws-cdk/issues/11950",
        "The stack deployment failed with issue `TemplateURL must be an Amazon S3 URL.`",
        "cloudformation.other",
    ),
    # A stack's delete failing on a bucket "not being empty", in plain words: S3's cause.
    (
        "https://github.com/aws-samples/aws-saas-factory-bootcamp/issues/28",
        "CloudFormation DELETE_FAILED … nested template fails to delete due to the S3 artifact "
        "bucket not being empty.",
        "s3.other",
    ),
    # CloudFormation's key-pair parameter check, whatever the template names the parameter.
    (
        "https://github.com/PacktPublishing/Implementing-DevOps-on-AWS/issues/2",
        "Parameter validation failed: parameter value cloudformation for parameter name "
        "autoscalingGroupKeyname does not exist. Rollback requested by user.",
        "ec2.invalid_resource",
    ),
    # A stack's delete failing on an ECR repository that is not empty: ECR's (outside the list).
    (
        "https://github.com/aws-samples/aws-saas-factory-bootcamp/issues/29",
        "CloudFormation DELETE_FAILED … nested template fails to delete because the ECR "
        "repository isn't empty.",
        "other.other",
    ),
    # ECS's "No Container Instances were found in your cluster": ECS's, over the stack's signal.
    (
        "https://github.com/lambci/ecs/issues/19",
        "finally, i create the stack by changing `ResourceSignal:Count` … but now i get another "
        "error during my build `No Container Instances were found in your cluster.`",
        "other.other",
    ),
    # A node's kubelet refused by the API server as it joins: the node role is not admitted.
    (
        "https://github.com/awslabs/amazon-eks-ami/issues/1837",
        "AWS EKS (1.29) node failing to join the cluster … "
        '"Unable to register node with API server" err="Unauthorized"',
        "iam.missing_permission",
    ),
    # The cluster autoscaler in its own words ("cannot put pod ... on any node"): Kubernetes'.
    (
        "https://github.com/kubernetes/autoscaler/issues/6474",
        'cluster-austoscaler fails to scale up but "cannot put pod ... on any node" … '
        "failed to find place for monitoring/promtail-2945g: "
        "cannot put pod promtail-2945g on any node",
        "other.other",
    ),
    # A cluster's "node" (a new node, pods pending) is no Node.js runtime of Lambda's.
    (
        "https://github.com/aws/karpenter-provider-aws/issues/3653",
        "karpenter doesn't create new node, even though pods in pending state",
        "other.other",
    ),
    # S3's AuthorizationHeaderMalformed over the Credential it cannot read: the key, not the region.
    (
        "https://github.com/zendesk/apt-s3/issues/10",
        "AuthorizationHeaderMalformed while trying to download … AuthorizationHeaderMalformed: "
        'The authorization header is malformed; the authorization component "Credential='
        'aws_access_key_id= something/20220302/eu-west-2/s3/aws4_request" is malformed.',
        "iam.credentials",
    ),
    # A tool said to take the default profile whatever is configured: other credentials than meant.
    (
        "https://github.com/treeverse/dvc/issues/1029",
        "AWS remote using default profile … so I'm thinking that it's picking up the default "
        "profile regardless of what's in the config.",
        "iam.credentials",
    ),
    # A signature mismatch in other services' words ("Check your AWS Secret Access Key"): the keys'.
    (
        "https://github.com/mhart/aws4/issues/83",
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details. … The API endpoint is POST and requires a JSON body to be posted which works "
        "fine without AWS_IAM enabled.",
        "iam.credentials",
    ),
    # A permission held for part of the work only ("but not to ..."): the identity lacks the rest.
    (
        "https://github.com/liormizr/s3path/issues/203",
        "AccessDenied on ListObjectVersions when opening a file … I have permissions to open "
        "successfully but not to perform the existence check.",
        "iam.missing_permission",
    ),
    # A permission said in prose to be missing or needed, no error quoted: the identity's policy.
    (
        "https://github.com/LBHackney-IT/Data-Platform/pull/106",
        "Add glue full access to redshift policy … This is because it was missing some glue "
        "permissions.",
        "iam.missing_permission",
    ),
    # PutLogEvents refusing an event over its size limit ("Log event too large"): the event's.
    (
        "https://github.com/aws/aws-sdk-js-v3/issues/6164",
        "we are using the PutLogEventsCommand from `@aws-sdk/client-cloudwatch-logs` in a Node "
        "and get the following error sometimes … InvalidParameterException: Log event too large: "
        "315563 bytes exceeds limit of 262144",
        "cloudwatch.other",
    ),
    # A log shipper's plugin that crashes while reading CloudWatch Logs: the tool's, not no logs.
    (
        "https://github.com/lukewaite/logstash-input-cloudwatch-logs/issues/64",
        "Plugin crashed when reading cw logs streams … "
        "I am facing an issue with plugin crashing when reading cw logs",
        "cloudwatch.other",
    ),
    # A cache or database client's timeout named after its store ("Redis error
    # ConnectionTimeoutError"): a connection that never opened to a VPC-hosted endpoint.
    (
        "https://github.com/redis/node-redis/issues/2201",
        "Now I'm getting a `Redis error ConnectionTimeoutError....`",
        "vpc.connectivity",
    ),
    # A cluster's "nodes" (plural: Node.js never is) are Kubernetes', not Lambda's runtime.
    (
        "https://github.com/aws/karpenter-provider-aws/issues/2439",
        'Karpenter nodes stuck in "NotReady" status and fail to join EKS cluster … Karpenter '
        'nodes stuck in "NotReady" status. The problem does not happens with custom nodegroups. '
        "Karpenter Node and Custom Nodegroups uses the same ami-id, same Security Groups, Same "
        "Roles",
        "other.other",
    ),
    # The SAM CLI's own KeyError, named right after its command: the toolchain, not a function.
    (
        "https://github.com/aws/aws-sam-cli/issues/1939",
        "sam deploy: KeyError: 'Outputs' … Cannot deploy the `HelloWord` example due to error "
        "in `sam deploy` command.",
        "cloudformation.other",
    ),
    # A Function URL answering 502 "Internal Server Error": Lambda's endpoint, no API Gateway.
    (
        "https://github.com/awsdocs/aws-lambda-developer-guide/issues/430",
        "shows the ability to use custom statusCode responeses (eg. 201 in the docs) but if you "
        "supply anything other than a 200 value from the returned Lambda function, the Function "
        'URL response will be a 502 "Internal Server Error".',
        "lambda.other",
    ),
    # Lambda's code signing refusing a container image function, beside `sam build`.
    (
        "https://github.com/aws/aws-sam-cli/issues/2786",
        'python3.8 hello world image deployment fails with "Code signing is not supported for '
        'functions created with container images" … sam build && sam deploy --guided',
        "lambda.other",
    ),
    # "missing a required IAM permission" said in words, among a bug template's questions.
    (
        "https://github.com/aws-samples/eks-workshop-v2/issues/1692",
        "The eks-karpenter role is missing a required IAM permission so infrastructure can't be "
        "deleted. This blocks the participant progressing on any other lab unless they manually "
        "add the required permissions to the policy … What did you expect to happen? … How can "
        "we reproduce it? … Run the Karpenter lab. Then try and run any of the "
        "'prepare-environment' commands and will have error.",
        "iam.missing_permission",
    ),
    # A CDK app's TypeScript that ts-node cannot compile: the IaC project, before any stack.
    (
        "https://github.com/enghwa/ecommerce-shopfront-on-aws/issues/14",
        "npx cdk@1.22.0 bootstrap … Unable to compile TypeScript: "
        "lib/wordpress-lab-stack.ts:79:36 - error TS2339: Property 'ClusterParameterGroup' does "
        "not exist on type",
        "cloudformation.other",
    ),
    # The serverless workshop's page alerting that its API call failed: API Gateway's.
    (
        "https://github.com/aws-samples/aws-serverless-workshops/issues/97",
        "an error occured when requesting your unicorn:undefined",
        "apigateway.other",
    ),
    # A traceback through the function's own package (/var/task): its code, whatever canary.
    (
        "https://github.com/linuxacademy/aws-cda-2018/issues/5",
        "I am getting this error while working for Canary labda function can you please help! … "
        "File \"/var/task/lambda_function.py\", line 31, in lambda_handler … KeyError: 'time'",
        "lambda.code_error",
    ),
    # A target group no load balancer uses, refused by ECS: the balancer's set-up, not the service.
    (
        "https://github.com/cloudtools/stacker_blueprints/issues/32",
        "I am facing an error when it is getting created. … CREATE_FAILED AWS::ECS::Service The "
        "target group with targetGroupArn arn:aws:elasticloadbalancing:ap-south-1:70xxxxxx121:"
        "targetgroup/lbtg-mobile-stage/36axxxxxx9 does not have an associated load balancer.",
        "vpc.other",
    ),
    # A balancer given a security group of another VPC: the network's set-up, no traffic tried.
    (
        "https://github.com/hashicorp/terraform/issues/30261",
        "Error: Error creating ELB: InvalidConfigurationRequest: Security group "
        '"sg-0b931c9b1efb987fc" does not belong to VPC "vpc-075010cc44b8574fd"',
        "vpc.other",
    ),
    # SES refusing an address it cannot parse: its InvalidParameterValue is no EC2 launch's.
    (
        "https://github.com/rdunlop/unicycling-registration/issues/749",
        "This was causing e-mail failures with errors like "
        '"Aws::SES::Errors::InvalidParameterValue Local address contains control or whitespace".',
        "other.other",
    ),
    # SQS refusing an expired receipt handle: its InvalidParameterValue is no EC2 launch's.
    (
        "https://github.com/boto/boto3/issues/2898",
        "botocore.exceptions.ClientError: An error occurred (InvalidParameterValue) when calling "
        "the DeleteMessage operation: Value xxx for parameter ReceiptHandle is invalid. Reason: "
        "The receipt handle has expired.",
        "other.other",
    ),
    # A Lambda@Edge association refused for the function's VPC setting: the function's, no path.
    (
        "https://github.com/serverless-nextjs/serverless-next.js/issues/180",
        "When a Lambda has been added to a VPC, the deployment fails. … "
        "InvalidLambdaFunctionAssociation: The function cannot have a VPC configuration.",
        "lambda.other",
    ),
    # A stack's waiter in the JavaScript SDK's words: the stack's ResourceNotReady, not an AMI's.
    (
        "https://github.com/whilenull/7777-support/issues/58",
        "Setting up 7777 in the AWS account, this usually takes 30 seconds. ResourceNotReady: "
        "Resource is not in the state stackCreateComplete Code: ResourceNotReady",
        "cloudformation.stack_failed",
    ),
    # A balancer's "unhealthy hosts": it cannot reach a healthy target, whatever stack made it.
    (
        "https://github.com/PostHog/posthog/issues/1065",
        "Reviewing the stack and the monitoring components, on the ELB (Posth-Publi) I can see it "
        "registers the 5xx errors. Under the target group, I can see a constant line of unhealthy "
        "hosts:",
        "vpc.connectivity",
    ),
    # A namespace's "::" (Ruby's "Excon::Errors::SocketError") is no emoji code, so no chatter.
    (
        "https://github.com/carrierwaveuploader/carrierwave/issues/866",
        "Excon::Errors::SocketError: Broken pipe (Errno::EPIPE) While uploading a biggish file "
        "(~30 MiB) to s3, smaller files upload okay.",
        "s3.other",
    ),
    # "do not" is a blocker word as "don't" is: "Backups do not upload".
    (
        "https://github.com/enupal/backup/issues/18",
        "Backups do not upload to the cloud … On all sites, I use the same data to connect to "
        "the AWS S3.",
        "s3.other",
    ),
    # A change that "breaks" something else reports a failure, as "broke" does.
    (
        "https://github.com/widdix/aws-ec2-ssh/issues/142",
        "Unfortunately this breaks aws-ec2-ssh in the [`install_configure_sshd.sh`] step during "
        "the install … which means logging in with a key stored in IAM is not possible.",
        "ec2.ssh_access",
    ),
    # A schedule's enabled state the deploy ignores ("disabled schedule", "always enabled"):
    # the scheduled rule's setting, not the function it runs.
    (
        "https://github.com/serverless/serverless/issues/6381",
        "Cannot create disabled schedule using syntax 'enabled: false' … The schedule is always "
        "enabled, even when using the syntax `enabled: false`",
        "cloudwatch.other",
    ),
    # A connection that "timed out after 10 sec" is the network's, not a function's timeout.
    (
        "https://github.com/aws-ia/terraform-aws-eks-blueprints/issues/24",
        "Fluentbit is unable to log to cloudwatch … [error] [upstream] connection #49 to "
        "127.0.0.1:443 timed out after 10 sec",
        "cloudwatch.no_logs",
    ),
    # A load balancer given a security group of another VPC ("does not belong to VPC"): set-up.
    (
        "https://github.com/hashicorp/terraform/issues/958",
        "Security group does not belong to VPC … when I run terraform apply I get the error "
        "\"InvalidConfigurationRequest: Security group 'foo' does not belong to VPC 'bar'\".",
        "vpc.other",
    ),
    # A target group or load balancer the API refused to create: its settings, no traffic sent.
    (
        "https://github.com/hashicorp/terraform/issues/16690",
        "Error creating LB Target Group: ValidationError: Health check matcher HTTP code cannot "
        "be empty",
        "vpc.other",
    ),
    # An instance whose kernel crashes or that will not boot: the instance's, not a bad launch.
    (
        "https://github.com/fastai/course-v3/pull/120",
        "Working example of setting up fast.ai without dl ami\nAWS platform seems to be broken "
        "since Nov 11. (The optimized DL ami causes kernel to crash)",
        "ec2.other",
    ),
    # s3fs finding no credentials from the instance role it was told to use ("Failed to check IAM
    # role name"): the credentials, not a policy.
    (
        "https://github.com/fsspec/s3fs/issues/845",
        "Failed to check IAM role name … Failed to check IAM role name(my-role).\nDetails about "
        "issue\nI have an ec2 in region us-east-1",
        "iam.credentials",
    ),
    # A full disk beside Lambda's /tmp limit named ("the 500MB /tmp restriction"): the function's.
    (
        "https://github.com/grycap/scar/issues/204",
        "No space left on device … I didn't think I was hitting the 500MB `/tmp` restriction",
        "lambda.other",
    ),
    # A package over Lambda's size limits said in words ("the Lambda being too big", "50mb/250mb").
    (
        "https://github.com/aws-solutions/dynamic-image-transformation-for-amazon-cloudfront/issues/37",
        "I get an error for the Lambda being too big. On inspection of the zip file, I noticed "
        "that the package is about 75mb zipped/289mb unzipped, far above the 50mb/250mb limits "
        "mentioned for Lambdas.",
        "lambda.other",
    ),
    # Environment variables over Lambda's 4 KB limit, in a feature request's title: Lambda's limit.
    (
        "https://github.com/netlify/cli/issues/6962",
        "Our environment variables exceed the 4KB limit imposed by AWS Lambda",
        "lambda.other",
    ),
    # An s3fs mount that finds no credentials (no instance role read): the credentials'.
    (
        "https://github.com/s3fs-fuse/s3fs-fuse/issues/1138",
        "Unable to mount when using EC2 IAM Roles … s3fs: could not determine how to establish "
        "security credentials.",
        "iam.credentials",
    ),
    # A FUSE mount whose entries ls shows as "d?????????": the mount's options, not a bucket policy.
    (
        "https://github.com/freegroup/kube-s3/issues/6",
        "while accessing mounted s3 directories getting permission denied error - "
        "**d????????? ? ?    ?      ?            ? s3fs**",
        "s3.other",
    ),
    # API Gateway's integration timeout as learners write it ("endpoint request timeout").
    (
        "https://github.com/zappa/Zappa/issues/1223",
        'Sometimes when I does the action I get "endpoint request timeout" error in the browser',
        "apigateway.other",
    ),
    # A runtime killed by SIGILL ("signal: illegal instruction"): built for another CPU, no memory.
    (
        "https://github.com/aws/aws-sam-cli/issues/7061",
        "Bug: Unable to run sam local invoke on Apple Silicon … Init failed error=Runtime exited "
        "with error: signal: illegal instruction",
        "lambda.other",
    ),
    # The accelerated endpoint used on a bucket without Transfer Acceleration: S3's setting.
    (
        "https://github.com/aws/aws-sdk-js/issues/1971",
        "I need a method to check if a bucket has enabled the Accelerated Transfer … I got the "
        "next error: `S3 Transfer Acceleration is not configured on this bucket` … Is there any "
        "way to check this before do the request?",
        "s3.other",
    ),
    # An EBS volume stuck detaching ("stuck in busy state"): the volume's, not the launch's AMI.
    (
        "https://github.com/irvingpop/packer-chef-highperf-centos-ami/issues/7",
        "Detachment Issue on M4 instance type … When we try to detach the volume, it gets stuck in "
        "busy state.",
        "ec2.other",
    ),
    # Instances gone unresponsive leave no logs: the instance's trouble, not CloudWatch's.
    (
        "https://github.com/guardian/typerighter/pull/365",
        "We've had problems with boxes becoming unresponsive and cycling (no logs, hanging SSH "
        "sessions.)",
        "ec2.other",
    ),
    # Auto Scaling's handling of unhealthy instances: the group's behaviour, not a capacity quota.
    (
        "https://github.com/dekkerglen/CubeCobra/pull/1769",
        "The previous behavior is that unhealthy instances are removed from the load balancer "
        "group but not the autoscaling group. … Adjust autoscaling config so that unhealthy "
        "instances are removed from the autoscaling group, not the load balancing group.",
        "ec2.other",
    ),
    # An Elastic IP that will not associate because it already is.
    (
        "https://github.com/sebdah/aws-ec2-assign-elastic-ip/issues/18",
        "This result that the command try to allocate this EIP to my instance but get a 400 bad "
        "request because EIP already associated to NAT gateway.",
        "ec2.other",
    ),
    # sshd's failing AuthorizedKeysCommand (EC2 Instance Connect's key lookup): no login.
    (
        "https://github.com/aws/aws-ec2-instance-connect-config/issues/20",
        '"error: AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys ...snip... failed, '
        'status 22" error',
        "ec2.ssh_access",
    ),
    # resize2fs refusing to grow a filesystem until e2fsck has run: the instance's disk.
    (
        "https://github.com/awsdocs/amazon-ec2-user-guide/pull/208",
        "resize2fs 1.42.9 (4-Feb-2014) … Please run 'e2fsck -f /dev/partname1' first.",
        "ec2.other",
    ),
    # An instance that systemd drops into emergency mode at boot: no AMI id is wrong.
    (
        "https://github.com/supabase/postgres/pull/2122",
        "If the data EBS volume is missing or slow to appear, systemd won't drop the instance into "
        "emergency mode; it waits 5 s, then proceeds. … Avoids AMI-build timeouts caused by the "
        "global mirror stalling.",
        "ec2.other",
    ),
    # EC2's state reason Client.InvalidParameterCombination wrapped in Server.InternalError: the
    # launch's parameters do not fit.
    (
        "https://github.com/hashicorp/packer/pull/10200",
        "Instance state change details: Server.InternalError: Client.InvalidParameterCombination: "
        "Could not create volume with size 8GiB and iops 99999 from snapshot 'null'",
        "ec2.invalid_resource",
    ),
    # A base domain mapping the deploy tool cannot set up, beside its stack's words: API Gateway's.
    (
        "https://github.com/amplify-education/serverless-domain-manager/issues/333",
        "ValidationError: Resource WebsocketsApi does not exist for stack <stack> Serverless "
        "Domain Manager: Error: <domain>:  Error: Error: Failed to find CloudFormation resources "
        "for <domain> … Error: Error: Unable to setup base domain mappings for <domain>",
        "apigateway.other",
    ),
    # API Gateway's "Invalid Resource identifier specified": an API's resource id, not a policy's.
    (
        "https://github.com/serverless/serverless/pull/5005",
        "An error occurred: ApiGatewayResourceXXX - Invalid Resource identifier specified "
        "(Service: AmazonApiGateway; Status Code: 404; Error Code: NotFoundException; Request "
        "ID: xxxxxxxxxx).",
        "apigateway.other",
    ),
    # An HTTP API's "doesn't have permissions to call the integration": the function's policy.
    (
        "https://github.com/terraform-aws-modules/terraform-aws-apigateway-v2/issues/41",
        "As result, it was impossible to execute the lambda due to an error … The IAM role "
        "configured on the integration or API Gateway doesn't have permissions to call the "
        "integration. Check the permissions and try again",
        "lambda.other",
    ),
    # Lambda's own API answering 503 to an SDK or console call: Lambda's, no API Gateway.
    (
        "https://github.com/serverless/serverless/issues/3834",
        "null (Service: AWSLambdaInternal; Status Code: 503; Error Code: "
        "ServiceUnavailableException",
        "lambda.other",
    ),
    # The Serverless Framework's "An error occurred while provisioning your stack": a failed stack.
    (
        "https://github.com/serverless/serverless/issues/2777",
        "An error occurred while provisioning your stack: "
        "ApiGatewayMethodApiAuthenticationNewpasswordchallengePost … - Property HttpMethod cannot "
        "be empty..",
        "cloudformation.stack_failed",
    ),
    # A stack that "gets rollback": its rollback as something it gets.
    (
        "https://github.com/awslabs/aws-api-gateway-developer-portal/issues/488",
        "Gets rollback automatically while creating infrastructure",
        "cloudformation.stack_failed",
    ),
    # A template refused at validation (a GetAtt to an undefined resource): no stack ran.
    (
        "https://github.com/serverless/serverless/issues/8515",
        'In every case CloudFormation validation fails with the error "The CloudFormation '
        "template is invalid: Template error: instance of Fn::GetAtt references undefined "
        'resource MyApiGatewayName"',
        "cloudformation.other",
    ),
    # CloudFormation's per-stack resource quota ("CF resource limit"), checked before any stack ran.
    (
        "https://github.com/serverless/serverless/issues/6887",
        "Ignore 200 CF resource limit … Would it be possible to ignore the CF resource limit "
        "validation?",
        "cloudformation.other",
    ),
    # An API's stage never made or left on its old deployment after a change: API Gateway's.
    (
        "https://github.com/aws/aws-sam-cli/issues/3487",
        "when I try to deploy the template using `sam deploy`, sam does not create the api gateway "
        "Stage and I think that's why the ai gateway deployment resource is failing too.",
        "apigateway.other",
    ),
    # A stack's update refused on its API stage ("StageName cannot be updated"): API Gateway's.
    (
        "https://github.com/aws/serverless-application-model/issues/168",
        "Error: StageName cannot be updated … This morning we tried to deploy a version of our "
        "application and have the following cloudformation error.",
        "apigateway.other",
    ),
    # A custom authorizer said not to work (not always, INVALID): API Gateway's authorizer.
    (
        "https://github.com/serverless/serverless/issues/2827",
        "[v1.0.2] Custom authenticators not always working",
        "apigateway.other",
    ),
    # CodeCommit closed to new customers: its refusal is CodeCommit's, whatever stack surfaced it.
    (
        "https://github.com/aws-samples/aws-security-reference-architecture-examples/issues/310",
        "CREATE_FAILED … Received response status [FAILED] from custom resource. Message returned: "
        "An error occurred (OperationNotAllowedException) when calling the CreateRepository "
        "operation: CreateRepository request is not allowed because there is no existing "
        "repository in this AWS account or AWS Organization",
        "other.other",
    ),
    # An instance profile associated twice (EC2's IncorrectState): the instance's, not the stack's.
    (
        "https://github.com/aws-samples/demo-soafee-aws-iotfleetwise/issues/2",
        "When deploying the Cloud9 stack in the Frankfurt region, the stack fails (retested) … An "
        "error occurred (IncorrectState) when calling the AssociateIamInstanceProfile operation: "
        "There is an existing association for instance i-001dd1d79e20e2f54",
        "ec2.other",
    ),
    # A retired Lambda runtime said in words (a version to upgrade from): Lambda's, not the stack's.
    (
        "https://github.com/aws-samples/secure-pipelines-in-aws-workshop/issues/15",
        "lambda runtime error\npython version for lab needed to be upgraded from 2.7 to 3.9. … "
        "CFNValidateLambda, TeststackValidationLambda Logical Id resources **CREATE_FAILED**",
        "lambda.other",
    ),
    # The SAM transform refusing the template: refused before any stack ran.
    (
        "https://github.com/aws/aws-sam-cli/issues/1400",
        "run sam deploy --template-file template.yaml --stack-name my-stack … Waiting for "
        "changeset to be created.. … Failed to create the changeset: Waiter "
        "ChangeSetCreateComplete failed: Waiter encountered a terminal failure state Status: "
        "FAILED. Reason: Transform "
        "AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification "
        "document.",
        "cloudformation.other",
    ),
    # A bucket name said taken in the past tense.
    (
        "https://github.com/quiltdata/examples/issues/8",
        "I ran athena-cfn.yaml with the default parameters and received an error stating that the "
        "bucket name was already taken.",
        "s3.bucket_name",
    ),
    # The AWS CLI unable to parse an argument's shorthand: the call's input, not DynamoDB's.
    (
        "https://github.com/mickey2012ex/dynamodb-data-migrator/issues/2",
        "created the tables and now getting this below error. … Error parsing parameter "
        "'--request-items': Expected: '=', received: 'EOF' for input:",
        "lambda.sdk_config",
    ),
    # CodeCommit closed to new accounts ("CreateRepository request is not allowed"): CodeCommit's
    # refusal, outside the list, not the stack that tried to create the repository.
    (
        "https://github.com/aws-containers/ecs-workshop-blue-green-deployments/issues/11",
        "CodeCommit is no longer accepting new users, which leads to a 400 error when we try to "
        "deploy the stack … CreateRepository request is not allowed because there is no "
        "existing repository in this AWS account or AWS Organization",
        "other.other",
    ),
    # A 403 met "through the API Gateway" is the API's refusal, not a bucket's or an identity's.
    (
        "https://github.com/aws/aws-lambda-dotnet/issues/30",
        "Attempting to test the sample Web App through PostMan and getting 403.  The functions "
        "work as expected if I test it directly but not through the API Gateway.",
        "apigateway.other",
    ),
    # A stack "in UPDATE_ROLLBACK_FAILED state and can not be updated" is the blocker, whatever
    # permission an earlier attempt lacked.
    (
        "https://github.com/aws-amplify/amplify-cli/issues/9018",
        "however I didn't have permissions to do that. After I got the permissions, I tried to "
        "amplify push but I get this error: … is in UPDATE_ROLLBACK_FAILED state and can not be "
        "updated.",
        "cloudformation.stack_failed",
    ),
    # "TooManyRequestsException:" as the SDK prints it, beside API Gateway: its management-call
    # rate limit, not Lambda's throttling.
    (
        "https://github.com/aws/aws-sdk-js/issues/1014",
        "I'm constantly getting `TooManyRequestsException: Too Many Requests` when using the "
        "APIGateway methods, and it does not appear the SDK is retrying the requests.",
        "apigateway.other",
    ),
    # AuthorizationHeaderMalformed expecting a credential ("/YYYYMMDD/REGION/..."): the key.
    (
        "https://github.com/JARYOGOOJO/52market.shop/issues/100",
        "사진 업로드 문제... 현재 오류 상황 … com.amazonaws.services.s3.model.AmazonS3Exception: "
        '/YYYYMMDD/REGION/SERVICE/aws4_request". (Service: Amazon S3; Status Code: 400; Error '
        "Code: AuthorizationHeaderMalformed;",
        "iam.credentials",
    ),
    # MySQL's "Access denied for user 'x' @'host'" (a space before the host): the database's login.
    (
        "https://github.com/jojoldu/freelec-springboot2-webservice/issues/320",
        "./deploy.sh 실행하면 에러가 표시됩니다. java.sql.SQLInvalidAuthorizationSpecException: "
        "Access denied for user 'gopae02' @'아이피 아이피' … PUTTY에서 ec2접속하고 rds 접속하면 "
        "db접속도 잘되고요.",
        "other.other",
    ),
    # RDS's own InvalidParameterValue ("Service: AmazonRDS"): RDS's, no EC2 launch.
    (
        "https://github.com/jojoldu/freelec-springboot2-webservice/issues/58",
        "P276.RDS character set 관련 에러 … 저장 중 오류: collation_server 'utf8_general_ci' is "
        "not valid for character_set 'latin1' (Service: AmazonRDS; Status Code: 400; Error Code: "
        "InvalidParameterValue;",
        "other.other",
    ),
    # An instance's memory "exceeded" said in Korean (메모리 초과): what the instance runs.
    (
        "https://github.com/TeamBookTez/booktez-server/issues/134",
        "[fix] Build JS in EC2 instance ## 🐞 Change - 현재 메모리 초과등의 사유로 로컬에서 TS->JS "
        "컴파일 후 github를 이용해 배포하는 방식 사용 중",
        "ec2.other",
    ),
    # An instance's disk full said in Korean (용량부족), beside the deploy's SSH step: no login.
    (
        "https://github.com/innovationacademy-kr/slabs-munetic/issues/253",
        "[bug] aws 용량부족 및 자동배포 불가 … 깃액션에서 자동 배포시 no space 에러가 발생 … "
        '"executing remote ssh commands using key"부분의 162번줄',
        "ec2.other",
    ),
    # AWS's quarantine policy on a user whose keys leaked: the identity's actions denied.
    (
        "https://github.com/prgrms-web-devcourse/slam-server/issues/20",
        "해당 key는 바로 비활성화로 하였지만 AWS에서 계정 탐지로 인해 IAM 설정이 자동으로 deny "
        "되었음 - AWSCompromisedKeyQuarantineV2 정책이 자동으로 들어가 있었음",
        "iam.missing_permission",
    ),
    # uWSGI failing to import a Python app on an instance: the app server's, no function's package.
    (
        "https://github.com/wafflestudio/seminar-2020/issues/297",
        "`uwsgi --ini ~~`의 코드로 실행을 시킨 후 ~uwsgi.log에서 ``` ModuleNotFoundError: No "
        "module named 'waffle_backend/wsgi' unable to load app 0 (mountpoint='') (callable not "
        "found or import error)",
        "ec2.other",
    ),
    # Elastic Beanstalk's environment health gone bad in its deploy action's words, EB unnamed.
    (
        "https://github.com/woowacourse/prolog/issues/373",
        "04:26:24 INFO: New application version was deployed to running EC2 instances. … Error: "
        "Deployment failed: Error: Environment still has health Yellow 30 seconds after update "
        "finished!",
        "other.other",
    ),
    # Korean "connected by PuTTY and then ..." (putty 접속하여): the login worked; the rest failed.
    (
        "https://github.com/jojoldu/freelec-springboot2-webservice/issues/865",
        "[오류] p.346 CodeDeploy 에이전트 설치 … p 346에서 EC2 putty 접속하여 CodeDeploy 에이전트 "
        "설치시 sudo ./install auto 입력시 아래와 같은 문구 노출 sudo: ./install: command not "
        "found",
        "other.other",
    ),
    # Japanese "goes down" (落ちる) as a report's failure word: a deploy to EC2 that fails.
    (
        "https://github.com/shari-sushi/V-Kara-Lists/issues/358",
        "Deploy to EC2 がhealth checkで落ちる … なお、その状態でcurl 8080はok, curl 80はダメ。",
        "ec2.other",
    ),
    # "could not reach it" in Korean (접근이 안되어서), a bastion in the internal network: the path.
    (
        "https://github.com/next-step/infra-subway-deploy/pull/261",
        "베스쳔 서버를 처음에는 내부망으로 이해했다가, 생각해보니 접근이 안되어서, 외부망 Subnet "
        "으로 재구성 했네요..",
        "vpc.connectivity",
    ),
    # Lambda's own API throttling the caller ("Rate Limit Exceeded" on the Lambda API) is Lambda's.
    (
        "https://github.com/lumigo-io/SAR-Lambda-Janitor/issues/13",
        "I'm face some problems when running Janitor on environments that have 300+ functions, "
        'and getting "Rate Limit Exceeded" on lambda API.',
        "lambda.other",
    ),
    # "Invalid permissions on Lambda function" beside the browser's missing CORS header: the
    # function's resource-based policy, not CORS.
    (
        "https://github.com/awslabs/aws-api-gateway-developer-portal/issues/62",
        '"Execution failed due to configuration error: Invalid permissions on Lambda function" '
        "seen when try to invoke \"/catalog\" API … No 'Access-Control-Allow-Origin' header is "
        "present on the requested resource.",
        "lambda.other",
    ),
    # A full disk read in the function's logs (zappa tail) is the function's, not CloudWatch's.
    (
        "https://github.com/Miserlou/Zappa/issues/961",
        "OSError: [Errno 28] No space left on this device on slim_handler=true … When uploading "
        "my zipped lambda package with zappa, I get a 'no space left on this device' error after "
        "calling `zappa tail`",
        "lambda.other",
    ),
    # No logs because Lambda shows the function never ran (no resource-based policy): Lambda's.
    (
        "https://github.com/aws/aws-cdk/issues/15323",
        "I have setup a rule that invokes a lambda at a set interval. Everything deploys well, but "
        "when I look at Cloudwatch, I do not see any logs appear meaning the Lambda doesn't get "
        "invoked. … An error occurred (ResourceNotFoundException) when calling the GetPolicy "
        "operation: The resource you requested does not exist.",
        "lambda.other",
    ),
    # A function's security group ids "not being recognized" on deploy: its configuration.
    (
        "https://github.com/aws/chalice/issues/1689",
        "subnet, security group ids in config not being recognized per lambda function … "
        "**Problem:** Setting subnet, security group ids in chalice.config for specific lambda "
        "function is not updated at all upon deployment.",
        "lambda.other",
    ),
    # A package over Lambda's size limit said in words ("ends up being > 50MB"): Lambda's limit.
    (
        "https://github.com/Tim-B/grunt-aws-lambda/issues/49",
        "When the zip archive ends up being > 50MB the upload fails with the following "
        "(misleading) error message: … Warning: Package upload failed, check you have "
        "lambda:UpdateFunctionCode permissions. Use --force to continue.",
        "lambda.other",
    ),
    # Metrics an exporter or collector does not get: the metric's, said with no error text.
    (
        "https://github.com/prometheus-community/yet-another-cloudwatch-exporter/issues/279",
        "Not getting metrics for cloudfront I have deployed yace with the below config",
        "cloudwatch.alarm_or_metric",
    ),
    # CloudWatch Logs' resource policies at their quota, named by the CDK's one-word resource type.
    (
        "https://github.com/aws/aws-cdk/issues/20567",
        "Received response status [FAILED] from custom resource. Message returned: Resource limit "
        "exceeded. … on each of the [Custom::CloudwatchLogResourcePolicy]",
        "cloudwatch.other",
    ),
    # A Cognito user pool's Lambda trigger named (PreSignUp and its autoConfirmUser): Cognito's.
    (
        "https://github.com/amazon-archives/amazon-cognito-identity-js/issues/297",
        "Pre-sign up lambda autoConfirmUser … I set event.response.autoConfirmUser = false. The "
        "response.autoConfirmUser in the logged event is false. My user still get registered.",
        "other.other",
    ),
    # A managed node group's stack "failed to stabilize", no cause shown: as NodeCreationFailure.
    (
        "https://github.com/eksctl-io/eksctl/issues/4210",
        'CREATE_FAILED … "Nodegroup failed to stabilize" while creating new EKS cluster',
        "other.other",
    ),
    # Health checks failing on a task whose image will not run ("exec format error"): the target's.
    (
        "https://github.com/aws-samples/sample-sonic-cdk-agent/issues/10",
        "CDK stuck on creating ECS deployment - failing health checks … it was evident that this "
        "was happening due to the health checks failing. I'm encountering an issue where my "
        'Fargate ECS tasks are failing to start with an "exec format error".',
        "other.other",
    ),
    # An EC2 instance quota named by its Service Quotas name, at 0: the account's quota.
    (
        "https://github.com/tomomano/learn-aws-by-coding-source-code/issues/1",
        "P71 About 'Limits' … \"Running On-Demand All G and VT instances\"が0だったので"
        "これではないかと思い、増やす申請をしてみましたが、1個では足りないようですね。",
        "ec2.capacity_limit",
    ),
    # A VPC endpoint named as the fix the service needed ("create s3 gateway endpoint"): the path.
    (
        "https://github.com/cc-archive/cccatalog/issues/27",
        "Amazon Glue permissions and network configuration issues … create s3 gateway endpoint",
        "vpc.connectivity",
    ),
    # A subnet with too few addresses left ("insufficient IPs in subnet"), though a launch failed.
    (
        "https://github.com/hashicorp/terraform-provider-aws/issues/9302",
        "ec2 instance creation fails due to insufficient IPs in subnet, need fallback to secondary "
        "subnet",
        "vpc.other",
    ),
    # An SSH tunnel whose forwarded channel timed out: the bastion cannot reach the database.
    (
        "https://github.com/whilenull/7777-support/issues/50",
        "SSH tunnel error: The tunnel could not be opened for an unknown reason. Original error "
        "message: (SSH) Channel open failure: Operation timed out",
        "vpc.connectivity",
    ),
    # A function that times out while connecting to an RDS endpoint: the path, not its own work.
    (
        "https://github.com/binxio/cfn-mysql-user-provider/issues/11",
        "connecting to database cdlywf1eukm952.cikl3bobkn44.us-east-1.rds.amazonaws.com on port "
        "3306 as user root … Duration: 3003.15 ms",
        "vpc.connectivity",
    ),
    # Adding the VPC settings is what breaks the app ("Adding VPC Configuration Throws 504").
    (
        "https://github.com/anomalyco/ion/issues/571",
        "Adding VPC Configuration Throws 504 Error The Request Could Not Be Satisfied",
        "vpc.connectivity",
    ),
    # A mismatch in S3's own words ("Check your key and signing method"), no key shown wrong.
    (
        "https://github.com/AFNetworking/AFAmazonS3Manager/issues/16",
        "SignatureDoesNotMatch Always response this error: The request signature we calculated "
        "does not match the signature you provided. Check your key and signing method.",
        "s3.other",
    ),
    # AccessDenied thrown by the JavaScript SDK's S3 client (its stack in services/s3.js).
    (
        "https://github.com/foo-software/lighthouse-check-action/issues/26",
        "have not got the S3 integration working. … But when we try to use the S3 integration it "
        "fails with the following error message: … AccessDenied: Access Denied at "
        "Request.extractError (/home/runner/work/_actions/foo-software/lighthouse-check-action/"
        "v1.0.12/node_modules/aws-sdk/lib/services/s3.js:835:35)",
        "s3.access_denied",
    ),
    # "Cannot assume role provided" as one word "cannot": the role's trust, no longer lost to it.
    (
        "https://github.com/aws/aws-sdk-ruby/issues/772",
        "CodeDeploy DeploymentGroup Creation fails with Cannot assume role provided",
        "iam.trust_policy",
    ),
    # S3's ListBuckets refused, named by the SDK's own call: only the identity's policy governs it.
    (
        "https://github.com/ex-aws/ex_aws/issues/946",
        "`ExAws.S3.list_buckets() |> ExAws.request!()` Error: ``` ** (ExAws.Error) ExAws Request "
        'Error! {:error, {:http_error, 403, %{body: "<?xml version=\\"1.0\\" '
        'encoding=\\"UTF-8\\"?>\\n<Error><Code>AccessDenied</Code>',
        "iam.missing_permission",
    ),
    # Elastic Beanstalk's deploy refused its storage bucket, in its words: the deployer's policy.
    (
        "https://github.com/travis-ci/travis-ci/issues/4900",
        "Elastic Beanstalk: The bucket name parameter must be specified when requesting an object",
        "iam.missing_permission",
    ),
    # A node's kubelet refused, in its journal's words: the node role is not admitted (EKS).
    (
        "https://github.com/eksctl-io/eksctl/issues/1907",
        "All is well until around 30 minutes later the nodes go to NotReady. At the same time, in "
        "the instance system logs there are lots of new authorization failures being reported (I "
        'use "journalctl -u kubelet" to watch them).',
        "iam.missing_permission",
    ),
]


@pytest.mark.parametrize(("source", "text", "signature"), REAL, ids=[s for s, _, _ in REAL])
def test_real_messages_are_filed_under_their_cause(source, text, signature):
    result = classify(text)
    assert (result.is_incident, result.signature) == (True, signature), source


def test_real_entries_quote_a_message_of_their_source_labelled_as_expected():
    """A REAL entry is pieces of one message of its thread in the corpus, as written apart from
    whitespace, cut only where it says " … ": an edit would test words no learner wrote."""
    labelled = defaultdict(list)
    for example in load_examples(REAL_DEV):
        labelled[example.context.source].append((example.signature, _collapsed(example.text)))
    misquoted = [
        source
        for source, text, signature in REAL
        if not any(
            label == signature and all(_collapsed(piece) in message for piece in text.split("…"))
            for label, message in labelled[source]
        )
    ]
    assert misquoted == []


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def test_an_http_clients_broken_pipe_is_no_ssh_session():
    """SSH's "Broken pipe" needs SSH named: a socket error on an S3 upload is no login."""
    # https://github.com/carrierwaveuploader/carrierwave/issues/866
    text = (
        "Excon::Errors::SocketError: Broken pipe (Errno::EPIPE)\nWhile uploading a biggish file "
        "(~30 MiB) to s3, smaller files upload okay."
    )
    assert classify(text).signature != "ec2.ssh_access"
    dropped = "client_loop: send disconnect: Broken pipe after ssh to my instance"
    assert classify(dropped).signature == "ec2.ssh_access"


def test_a_key_alone_is_no_s3_object():
    """An SSH key pair is a key too: the word alone no longer files a message under S3."""
    # https://github.com/magma/magma/issues/929
    text = (
        "After running\n` terraform apply -var-file=vars.tfvars`\nI get the error above, I have "
        "created the key pair on aws and added the name to my vars.tfvars,"
    )
    assert classify(text).domain == "ec2"


def test_a_canary_deployment_is_no_synthetics_canary():
    """A plugin for canary deployments (traffic shifting) names no CloudWatch canary."""
    # https://github.com/dougmoscrop/serverless-plugin-split-stacks/issues/105
    text = (
        "I have the following error : The CloudFormation template is invalid: Circular "
        "dependency between resources.\nThis is due to the use of the plugin "
        "serverless-plugin-canary-deployments"
    )
    assert classify(text).domain == "cloudformation"


@pytest.mark.parametrize(
    "text",
    [
        # https://github.com/chriskiehl/Dropler/issues/5
        "upload to S3 problem … Response to preflight request doesn't pass access control check: "
        "No 'Access-Control-Allow-Origin' header is present on the requested resource. … the "
        "image url is https://Bucket.s3-ap-southeast-1.amazonaws.com/sample.jpeg",
        # https://github.com/bradleyg/django-s3direct/issues/82
        "Sorry, failed to upload file: No 'Access-Control-Allow-Origin' header … XMLHttpRequest "
        "cannot load https://s3-us-west-2.amazonaws.com/BUCKETNAME. Response to preflight request "
        "doesn't pass access control check",
    ],
)
def test_a_browser_refused_by_s3_itself_is_s3s_cors(text):
    """No API Gateway in sight: the bucket's own CORS rules refused the browser."""
    assert classify(text).domain == "s3"


def test_a_fix_that_let_the_next_error_through_is_a_report():
    """A fix that let the next error through ("That worked, however ... I am getting") is no
    resolution: the asker met the next error."""
    # https://github.com/aws-samples/aws-codepipeline-bitbucket-integration/issues/11
    text = (
        "Thanks @alexfrosa. That worked, however while testing it I am getting the following "
        "error in the Lambda function:\n\n> Cannot find module './node_modules/axios'"
    )
    result = classify(text, reply=True)
    assert (result.is_incident, result.signature) == (True, "lambda.import_error")
    assert not classify("Thanks, that worked!", reply=True).is_incident
