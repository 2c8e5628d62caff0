// The last part of the helper script (see the layout note in helper.mjs): every task file has
// registered its tasks by now, so requests can be read.

let pending = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
  while (pending.length >= 4) {
    const length = pending.readUInt32LE(0);
    if (pending.length < 4 + length) break;
    const body = pending.subarray(4, 4 + length).toString('utf8');
    pending = pending.subarray(4 + length);
    let request;
    try {
      request = JSON.parse(body);
    } catch (error) {
      send({ id: null, ok: false, error: { message: `Bad request: ${error.message}` } });
      continue;
    }
    if (request && request.callbackReply !== undefined) answerCallback(request);
    else handle(request);
  }
});
// The Rust side closing our stdin means it is done with us.
process.stdin.on('end', () => process.exit(0));
// A stray rejection inside a compiler must not end the helper and every request on it.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`nexxo node helper: unhandled rejection: ${reason?.stack ?? reason}\n`);
});
