"""Drives Postbox's SQS endpoint with boto3 (Debian's 1.26 speaks the query protocol).

Run by boto3.spec.ts; prints one JSON object with what it saw.
Environment: SQS_ENDPOINT, SQS_SECRET, SQS_QUEUE (queue name; "<name>.fifo" is used too).
"""
import json
import os

import boto3
import botocore

endpoint = os.environ["SQS_ENDPOINT"]
name = os.environ.get("SQS_QUEUE", "boto")
sqs = boto3.client(
    "sqs",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="postbox",
    aws_secret_access_key=os.environ["SQS_SECRET"],
)
out = {"boto3": boto3.__version__, "botocore": botocore.__version__, "protocol": sqs.meta.service_model.protocol}

url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "40"})["QueueUrl"]
out["queueUrl"] = url
out["sameUrl"] = sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
out["listed"] = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])

sent = sqs.send_message(
    QueueUrl=url,
    MessageBody="hello <xml> & ünïcode",
    MessageAttributes={
        "ordinal": {"DataType": "Number", "StringValue": "1"},
        "category": {"DataType": "String", "StringValue": "test"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
    },
)
out["sendMd5OfAttributes"] = sent["MD5OfMessageAttributes"]
batch = sqs.send_message_batch(
    QueueUrl=url,
    Entries=[{"Id": "b%d" % i, "MessageBody": "batch %d" % i, "DelaySeconds": 0} for i in range(3)]
    + [{"Id": "empty", "MessageBody": ""}],
)
out["batchOk"] = sorted(e["Id"] for e in batch.get("Successful", []))
out["batchFailed"] = [[e["Id"], e["Code"], e["SenderFault"]] for e in batch.get("Failed", [])]

received = sqs.receive_message(
    QueueUrl=url,
    MaxNumberOfMessages=10,
    WaitTimeSeconds=2,
    AttributeNames=["All"],
    MessageAttributeNames=["All"],
)["Messages"]
out["bodies"] = [m["Body"] for m in received]
first = received[0]
out["firstAttributes"] = {
    k: v.get("StringValue", v.get("BinaryValue") and list(v["BinaryValue"])) for k, v in first["MessageAttributes"].items()
}
out["firstTypes"] = {k: v["DataType"] for k, v in first["MessageAttributes"].items()}
out["firstMd5OfAttributes"] = first["MD5OfMessageAttributes"]
out["receiveCount"] = first["Attributes"]["ApproximateReceiveCount"]

sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
sqs.change_message_visibility_batch(
    QueueUrl=url,
    Entries=[{"Id": "v%d" % i, "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 60} for i, m in enumerate(received[1:])],
)
again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"])["Messages"]
out["again"] = [[m["Body"], m["Attributes"]["ApproximateReceiveCount"]] for m in again]
deleted = sqs.delete_message_batch(
    QueueUrl=url,
    Entries=[{"Id": "d%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(again + received[1:])]
    + [{"Id": "bad", "ReceiptHandle": "not-a-receipt"}],
)
out["deleted"] = sorted(e["Id"] for e in deleted.get("Successful", []))
out["deleteFailed"] = [[e["Id"], e["Code"]] for e in deleted.get("Failed", [])]
attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
out["attributes"] = {k: attributes[k] for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "VisibilityTimeout", "QueueArn")}

fifo = sqs.create_queue(QueueName=name + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
for body in ("one", "two"):
    sqs.send_message(QueueUrl=fifo, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=body)
sqs.send_message(QueueUrl=fifo, MessageBody="one again", MessageGroupId="g", MessageDeduplicationId="one")
fifo_received = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"])["Messages"]
out["fifo"] = [[m["Body"], m["Attributes"]["MessageGroupId"]] for m in fifo_received]

errors = {}
try:
    sqs.get_queue_url(QueueName="no-such-queue")
except sqs.exceptions.QueueDoesNotExist as e:
    errors["missing"] = [type(e).__name__, e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
try:
    sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
except botocore.exceptions.ClientError as e:
    errors["receipt"] = e.response["Error"]["Code"]
try:
    sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "5"})
except botocore.exceptions.ClientError as e:
    errors["exists"] = e.response["Error"]["Code"]
forged = boto3.client(
    "sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="postbox", aws_secret_access_key="wrong"
)
try:
    forged.list_queues()
except botocore.exceptions.ClientError as e:
    errors["forged"] = e.response["Error"]["Code"]
try:
    sqs.purge_queue(QueueUrl=endpoint + "/000000000000/no-such-queue")
except sqs.exceptions.QueueDoesNotExist as e:
    errors["purgeMissing"] = e.response["Error"]["Code"]
out["errors"] = errors

# PurgeQueue: ready and delayed messages go; an in-flight one stays (Postbox keeps in-flight messages).
for body in ("p-held", "p-ready"):
    sqs.send_message(QueueUrl=url, MessageBody=body)
sqs.send_message(QueueUrl=url, MessageBody="p-delayed", DelaySeconds=600)
held = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)["Messages"]
sqs.purge_queue(QueueUrl=url)
counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
out["purged"] = [held[0]["Body"]] + [
    counts[k] for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")
]
sqs.delete_queue(QueueUrl=url)
print(json.dumps(out))
