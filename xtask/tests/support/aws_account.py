"""What the AWS-path test reads back from the emulated AWS account, with boto3 (which comes with
moto, in xtask's venv). Each command prints one JSON value.

    aws_account.py stack NAME            the stack, its resources, functions, mapping, table, role
    aws_account.py stack-status NAME     the stack's status, or "GONE"
    aws_account.py get-item TABLE ID     an item of a table
    aws_account.py put-log GROUP LINE... lines into a new stream of a log group, as Lambda puts them
    aws_account.py bootstrap NAME DIR    the deployed zip of the stack, from its bucket: bootstrap in DIR
    aws_account.py send URL BODY         a message into a queue
    aws_account.py queue-size URL        how many messages a queue holds, seen or not
"""

import ast
import json
import os
import sys
import time
import zipfile

import boto3
from botocore.exceptions import ClientError

REGION = "us-east-1"


def client(service):
    return boto3.client(service, region_name=REGION)


def stack_resources(name):
    """The stack's resources (moto lists a resource type it skipped as an empty entry)."""
    pages = client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=name)
    return [r for page in pages for r in page["StackResourceSummaries"] if r.get("LogicalResourceId")]


def stack(name):
    cloudformation = client("cloudformation")
    resources = stack_resources(name)
    found = {
        "status": cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"],
        "resources": [
            {"id": r["LogicalResourceId"], "type": r["ResourceType"],
             "physical": r.get("PhysicalResourceId"), "status": r["ResourceStatus"]}
            for r in resources
        ],
        "functions": {},
        "mappings": [],
        "tables": {},
        "roles": {},
        "api": [],
    }
    lambdas = client("lambda")
    for resource in resources:
        kind, physical = resource["ResourceType"], resource.get("PhysicalResourceId")
        if kind == "AWS::Lambda::Function":
            config = lambdas.get_function_configuration(FunctionName=physical)
            found["functions"][physical] = {
                "runtime": config.get("Runtime"),
                "handler": config.get("Handler"),
                "architectures": config.get("Architectures"),
                "timeout": config.get("Timeout"),
                "environment": config.get("Environment", {}).get("Variables", {}),
                "role": config.get("Role"),
            }
        elif kind == "AWS::Lambda::EventSourceMapping":
            mapping = lambdas.get_event_source_mapping(UUID=physical)
            found["mappings"].append({
                "function": mapping["FunctionArn"].rsplit(":", 1)[-1],
                "source": mapping.get("EventSourceArn"),
                "batch_size": mapping.get("BatchSize"),
                "maximum_retry_attempts": mapping.get("MaximumRetryAttempts"),
                "bisect": mapping.get("BisectBatchOnFunctionError"),
                "response_types": mapping.get("FunctionResponseTypes"),
                "starting_position": mapping.get("StartingPosition"),
                "destination": mapping.get("DestinationConfig", {})
                .get("OnFailure", {})
                .get("Destination"),
            })
        elif kind == "AWS::DynamoDB::Table":
            table = client("dynamodb").describe_table(TableName=physical)["Table"]
            found["tables"][physical] = {
                "arn": table["TableArn"],
                "stream": table.get("StreamSpecification"),
                "stream_arn": table.get("LatestStreamArn"),
                "keys": table["KeySchema"],
            }
        elif kind == "AWS::IAM::Role":
            iam = client("iam")
            role = iam.get_role(RoleName=physical)["Role"]
            statements = []
            for policy in iam.list_role_policies(RoleName=physical)["PolicyNames"]:
                document = iam.get_role_policy(RoleName=physical, PolicyName=policy)[
                    "PolicyDocument"
                ]
                if isinstance(document, str):
                    # moto keeps a policy given as a CloudFormation object in Python's form.
                    try:
                        document = json.loads(document)
                    except json.JSONDecodeError:
                        document = ast.literal_eval(document)
                for statement in document["Statement"]:
                    actions = statement["Action"]
                    resources_ = statement["Resource"]
                    statements.append({
                        "effect": statement["Effect"],
                        "actions": sorted([actions] if isinstance(actions, str) else actions),
                        "resources": [resources_] if isinstance(resources_, str) else resources_,
                    })
            attached = iam.list_attached_role_policies(RoleName=physical)["AttachedPolicies"]
            found["roles"][physical] = {
                "arn": role["Arn"],
                "statements": statements,
                "attached": [p["PolicyArn"] for p in attached],
            }
        elif kind == "AWS::ApiGateway::RestApi":
            api = client("apigateway")
            for item in api.get_resources(restApiId=physical)["items"]:
                for method in item.get("resourceMethods", {}):
                    found["api"].append(f"{method} {item['path']}")
    return found


def stack_status(name):
    try:
        stacks = client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    except ClientError:
        return "GONE"
    return stacks[0]["StackStatus"] if stacks else "GONE"


def get_item(table, id_):
    answer = client("dynamodb").get_item(TableName=table, Key={"id": {"S": id_}})
    return answer.get("Item")


def put_log(group, lines):
    logs = client("logs")
    stream = f"2026/12/02/[$LATEST]{os.getpid():x}{int(time.time() * 1000):x}"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now + index, "message": line} for index, line in enumerate(lines)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
    return stream


def bootstrap(name, out):
    resources = stack_resources(name)
    bucket = next(
        r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::S3::Bucket"
    )
    s3 = client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    zips = [key for key in keys if key.endswith(".zip")]
    os.makedirs(out, exist_ok=True)
    archive = os.path.join(out, "deployed.zip")
    s3.download_file(bucket, zips[-1], archive)
    with zipfile.ZipFile(archive) as deployed:
        names = deployed.namelist()
        deployed.extract("bootstrap", out)
    path = os.path.join(out, "bootstrap")
    os.chmod(path, 0o755)
    return {"key": zips[-1], "entries": names, "bootstrap": path}


def queue_url(url):
    """The queue's URL at this endpoint (CloudFormation gives one at amazonaws.com)."""
    return client("sqs").get_queue_url(QueueName=url.rsplit("/", 1)[-1])["QueueUrl"]


def send(url, body):
    return client("sqs").send_message(QueueUrl=queue_url(url), MessageBody=body)["MessageId"]


def queue_size(url):
    url = queue_url(url)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "stack":
        result = stack(args[0])
    elif command == "stack-status":
        result = stack_status(args[0])
    elif command == "get-item":
        result = get_item(args[0], args[1])
    elif command == "put-log":
        result = put_log(args[0], args[1:])
    elif command == "bootstrap":
        result = bootstrap(args[0], args[1])
    elif command == "send":
        result = send(args[0], args[1])
    elif command == "queue-size":
        result = queue_size(args[0])
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))


main()
