// The original JavaScript step's stream handler, for `cargo xtask bench`, doing what the Rust
// reference does: each record's keys and image turned into plain objects with unmarshall
// (from @aws-sdk/util-dynamodb, the successor of aws.DynamoDB.Converter.unmarshall), one
// line per record (REMOVE logs its OldImage), and a record that is not a user reported in
// batchItemFailures.
//
// It runs behind the same local Lambda Runtime API as the Rust binary: this file plays the
// part of Node.js's Lambda runtime client (long-poll /next, post the answer), and logs as that
// runtime does (see `console.log` below), so that Node pays what it pays on Lambda.
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const util = require('node:util');
const { unmarshall } = require('@aws-sdk/util-dynamodb');

let requestId = '';

// On Lambda, Node's runtime replaces console.log: each call is formatted with util.format
// behind an ISO timestamp, the request id and the level, and written to the log with two
// writes (a 16-byte frame header, then the line). The header goes to /dev/null here so that
// the log stays text; the two writes, the formatting and the timestamp are paid as on Lambda.
const frames = fs.openSync('/dev/null', 'w');
function lambdaLog(level, args) {
  const line = `${new Date().toISOString()}\t${requestId}\t${level}\t${util.format(...args)}\n`;
  const message = Buffer.from(line);
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0xa55a0003, 0);
  header.writeUInt32BE(message.length, 4);
  fs.writeSync(frames, header);
  fs.writeSync(1, message);
}
console.log = (...args) => lambdaLog('INFO', args);
console.error = (...args) => lambdaLog('ERROR', args);

// What the Rust handler's `User` accepts: a string id and a string name.
function asUser(image) {
  const user = unmarshall(image);
  if (typeof user.id !== 'string' || typeof user.name !== 'string') {
    throw new Error(`id is ${typeof user.id}, name is ${typeof user.name}`);
  }
  return { id: user.id, name: user.name };
}

async function handler(event) {
  const batchItemFailures = [];
  for (const record of event.Records) {
    try {
      const keys = unmarshall(record.dynamodb.Keys);
      const [state, image] = record.eventName === 'REMOVE'
        ? ['was', record.dynamodb.OldImage]
        : ['is now', record.dynamodb.NewImage];
      console.log(`${record.eventName} ${JSON.stringify(keys)}: value ${state} ${JSON.stringify(asUser(image))}`);
    } catch (error) {
      const sequence = record.dynamodb.SequenceNumber;
      console.error(`${record.eventName} record ${sequence} is not a user (string "id" and "name"): ${error.message}`);
      batchItemFailures.push({ itemIdentifier: sequence });
    }
  }
  return { batchItemFailures };
}

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host, port, method, path: `/2018-06-01/runtime${path}`, agent },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      },
    );
    request.on('error', reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

async function main() {
  for (;;) {
    const next = await call('GET', '/invocation/next');
    requestId = next.headers['lambda-runtime-aws-request-id'];
    try {
      const result = await handler(JSON.parse(next.body));
      await call('POST', `/invocation/${requestId}/response`, JSON.stringify(result));
    } catch (error) {
      const answer = { errorType: error.name, errorMessage: String(error.message) };
      await call('POST', `/invocation/${requestId}/error`, JSON.stringify(answer));
    }
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
