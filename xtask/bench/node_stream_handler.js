// The original JavaScript step's stream handler, for `cargo xtask bench`: each record's image
// turned into a plain object with unmarshall (from @aws-sdk/util-dynamodb, the successor of
// aws.DynamoDB.Converter.unmarshall) and logged as one compact line, like the Rust reference
// (REMOVE logs its OldImage, as the Rust one does).
//
// It runs behind the same local Lambda Runtime API as the Rust binary: this file plays the
// part of Node.js's Lambda runtime client (long-poll /next, post the answer).
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const { unmarshall } = require('@aws-sdk/util-dynamodb');

async function handler(event) {
  for (const record of event.Records) {
    const image = record.eventName === 'REMOVE' ? record.dynamodb.OldImage : record.dynamodb.NewImage;
    fs.writeSync(1, `${record.eventName}: value is now ${JSON.stringify(unmarshall(image))}\n`);
  }
  return { batchItemFailures: [] };
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
    const id = next.headers['lambda-runtime-aws-request-id'];
    try {
      const result = await handler(JSON.parse(next.body));
      await call('POST', `/invocation/${id}/response`, JSON.stringify(result));
    } catch (error) {
      const answer = { errorType: error.name, errorMessage: String(error.message) };
      await call('POST', `/invocation/${id}/error`, JSON.stringify(answer));
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
