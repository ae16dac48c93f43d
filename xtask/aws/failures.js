// `cargo xtask failures --aws`: the on-failure queue of a deployed stream function, read with
// the AWS SDK for JavaScript that the pinned framework brings (it honours AWS_ENDPOINT_URL and
// the usual credentials). Prints one JSON line per message: the message, the records it names
// (read back from the stream), and with `replay` what the function made of them.
//
//   node failures.js REGION FUNCTION_NAME list|replay

const { LambdaClient, ListEventSourceMappingsCommand, InvokeCommand } = require("@aws-sdk/client-lambda");
const { SQSClient, GetQueueUrlCommand, ReceiveMessageCommand, ChangeMessageVisibilityCommand, DeleteMessageCommand } = require("@aws-sdk/client-sqs");
const { DynamoDBStreamsClient, GetShardIteratorCommand, GetRecordsCommand } = require("@aws-sdk/client-dynamodb-streams");

async function main() {
  const [region, functionName, mode] = process.argv.slice(2);
  const lambda = new LambdaClient({ region });
  const sqs = new SQSClient({ region });
  const streams = new DynamoDBStreamsClient({ region });

  // All mappings, then the function's: FunctionName takes a name or an ARN, and not every
  // endpoint that speaks Lambda's API reads both.
  const all = [];
  let marker;
  do {
    const page = await lambda.send(new ListEventSourceMappingsCommand({ Marker: marker }));
    all.push(...(page.EventSourceMappings || []));
    marker = page.NextMarker;
  } while (marker);
  const queueArn = all
    .filter((m) => (m.FunctionArn || "").endsWith(`:function:${functionName}`))
    .map((m) => m.DestinationConfig && m.DestinationConfig.OnFailure && m.DestinationConfig.OnFailure.Destination)
    .find((arn) => arn && arn.startsWith("arn:aws:sqs:"));
  if (!queueArn) {
    console.log(JSON.stringify({ error: `${functionName} has no event source mapping with an SQS on-failure destination: is the stack deployed with it?` }));
    return;
  }
  const [, , , , account, queueName] = queueArn.split(":");
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName, QueueOwnerAWSAccountId: account }));
  console.log(JSON.stringify({ queue: queueName }));

  // Received messages are hidden for a while; a listed one is let go at once, a replayed one
  // deleted once handled.
  const seen = new Set();
  for (;;) {
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0 }));
    const again = (received.Messages || []).filter((m) => seen.has(m.MessageId));
    const messages = (received.Messages || []).filter((m) => !seen.has(m.MessageId));
    // A message listed already, received again: let it go at once too.
    for (const message of again) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
    }
    if (messages.length === 0) break;
    for (const message of messages) {
      seen.add(message.MessageId);
      const out = { id: message.MessageId, sent: Number((message.Attributes || {}).SentTimestamp || 0), body: JSON.parse(message.Body) };
      try {
        out.records = await recordsOf(streams, out.body);
      } catch (error) {
        out.records_error = String(error.message || error);
      }
      if (mode === "replay" && out.records) {
        out.replay = await replay(lambda, functionName, out.records);
        if (out.replay.handled) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
        }
      }
      if (!(out.replay && out.replay.handled)) {
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
      }
      console.log(JSON.stringify(out));
    }
  }
}

async function recordsOf(streams, body) {
  const info = body.DDBStreamBatchInfo;
  const iterator = await streams.send(new GetShardIteratorCommand({
    StreamArn: info.streamArn, ShardId: info.shardId,
    ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: info.startSequenceNumber,
  }));
  let next = iterator.ShardIterator;
  const records = [];
  const end = BigInt(info.endSequenceNumber);
  while (next) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: next }));
    if (!page.Records || page.Records.length === 0) break;
    for (const record of page.Records) {
      if (BigInt(record.dynamodb.SequenceNumber) > end) return records;
      record.eventSourceARN = info.streamArn;
      if (record.dynamodb.ApproximateCreationDateTime instanceof Date) {
        record.dynamodb.ApproximateCreationDateTime = Math.floor(record.dynamodb.ApproximateCreationDateTime.getTime() / 1000);
      }
      records.push(record);
    }
    next = page.NextShardIterator;
  }
  if (records.length === 0) throw new Error(`no record from sequence ${info.startSequenceNumber} on is in the stream`);
  return records;
}

async function replay(lambda, functionName, records) {
  try {
    const answer = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify({ Records: records }) }));
    const payload = answer.Payload ? Buffer.from(answer.Payload).toString() : "";
    if (answer.FunctionError) return { handled: false, why: `the function failed: ${payload.slice(0, 200)}` };
    const failures = ((JSON.parse(payload || "{}")).batchItemFailures || []).map((f) => f.itemIdentifier);
    return failures.length ? { handled: false, why: `it reported ${failures.join(", ")}` } : { handled: true };
  } catch (error) {
    return { handled: false, why: `invoking it failed: ${String(error.message || error).split("\n")[0]}` };
  }
}

main().catch((error) => {
  console.log(JSON.stringify({ error: String(error.message || error).split("\n")[0] }));
  process.exitCode = 1;
});
