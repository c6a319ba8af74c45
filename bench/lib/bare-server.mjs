// The floor every HTTP ratio divides by: node:http doing the hello guest's greet in plain JS, in
// this thread. One definition, so the bench and every diagnostic compare against the same handler.
import { createServer } from 'node:http';

/** Starts the bare greet server on 127.0.0.1 (any port); resolves with the `http.Server`. */
export async function startBareServer() {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }); res.end(`Hello, ${Buffer.concat(chunks).toString('utf8')}!`); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
