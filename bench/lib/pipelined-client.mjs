// A lean HTTP/1.1 load generator for scaling runs (the wrk approach): `connections` keep-alive
// sockets, each with `depth` requests pipelined, the request bytes built once, answers parsed just
// enough to count them (status digits + content-length or chunk sizes, as bytes). It reports its own CPU time so a
// run can say what share of the machine it took.
//
// What a Node client spends per answer is mostly per wake-up, not per byte: waking a sleeping
// thread costs ~20–30 µs of CPU on this VM, then a read syscall and a JS callback for every few
// hundred bytes the server writes. So by default it reads in rounds (`pollMs`): after the turn of
// the event loop that read whatever was ready, the thread sleeps `pollMs` (Atomics.wait: the
// sockets stay registered, nothing wakes it), and the next turn's one poll finds every socket that
// got answers meanwhile: one read collects them and one write refills them. One wake-up per round.
// (Stopping each socket's reads between rounds, as this client first did, woke it ~4 times per
// round: libuv leaves a stopped socket in its epoll set until data arrives on it, and that arrival
// wakes the thread just to remove it.) Answers wait up to `pollMs` in the kernel, so it needs
// enough requests outstanding (connections × depth) to cover what the server answers in that
// time; its latency says nothing, and it does not measure it. `pollMs: 0` reads every chunk as it
// arrives.
// Closed loop: a socket sends one request per answer it reads.
import { connect } from 'node:net';

const CRLF2 = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('\r\ncontent-length: ');
const CONTENT_LENGTH_UPPER = Buffer.from('\r\nContent-Length: ');
const CHUNKED = Buffer.from('\r\ntransfer-encoding: chunked');
const CHUNKED_UPPER = Buffer.from('\r\nTransfer-Encoding: chunked');
const CRLF = Buffer.from('\r\n');
/** Parser states: reading an answer's headers, or a chunked body's next size line. */
const HEADERS = 0, CHUNK_SIZE = 1;
const READ_BUFFER = 256 * 1024;

/**
 * Runs for `durationMs` after `warmMs` of warm-up (or until `answers` answers, if that comes
 * first: a warm-up by count, since V8 tiers code up after a number of calls, not a time); resolves with
 * { rps, ok, other, statuses, errors, reconnects, clientCpuUs, clientCpuUsPerReq, elapsedMs, reads }.
 */
export async function pipelinedLoad({ url, method = 'POST', body = '', connections = 32, depth = 4, durationMs = 1000, warmMs = 300, answers = Infinity, pollMs = 1 }) {
  const u = new URL(url);
  const payload = Buffer.from(body, 'base64');
  const head = `${method} ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-length: ${payload.length}\r\n\r\n`;
  const one = Buffer.concat([Buffer.from(head, 'latin1'), payload]);
  const many = (n) => (n === 1 ? one : Buffer.concat(Array.from({ length: n }, () => one)));
  const batches = Array.from({ length: depth + 1 }, (_, n) => (n === 0 ? undefined : many(n)));
  const statuses = {}; // of answers other than 200
  let counting = false;
  let stopping = false;
  let ok = 0;
  let other = 0;
  let errors = 0;
  let reconnects = 0;
  let reads = 0;
  const sockets = [];
  /** A round's sleep is due at the end of this turn of the event loop (pollMs > 0). */
  let napping = false;
  const still = new Int32Array(new SharedArrayBuffer(4));
  const nap = () => { napping = false; if (!stopping) Atomics.wait(still, 0, 0, pollMs); };
  let open = 0;
  let allClosed;
  const closed = new Promise((r) => { allClosed = r; });
  // Every socket's chunks are handled synchronously in its callback: one read buffer serves all.
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER);

  const start = (resolveConnected) => {
    let buf = Buffer.alloc(0); // the unread tail of the last chunk (a copy: readBuffer is reused)
    let need = 0; // bytes still to skip (of a body, a chunk, or a chunk's CRLF)
    let state = HEADERS; // what comes once those bytes are skipped
    const onChunk = (chunk) => {
      reads++;
      if (buf.length) buf = Buffer.concat([buf, chunk]);
      else buf = chunk;
      let answered = 0;
      let at = 0;
      for (;;) {
        if (need > 0) {
          if (buf.length - at < need) { need -= buf.length - at; at = buf.length; break; }
          at += need;
          need = 0;
        }
        if (state === HEADERS) {
          const end = buf.indexOf(CRLF2, at);
          if (end < 0) break;
          const ok200 = buf[at + 9] === 50 && buf[at + 10] === 48 && buf[at + 11] === 48;
          let cl = buf.indexOf(CONTENT_LENGTH, at);
          if (cl < 0 || cl > end) cl = buf.indexOf(CONTENT_LENGTH_UPPER, at);
          if (cl >= 0 && cl < end) {
            for (let i = cl + CONTENT_LENGTH.length; buf[i] >= 48 && buf[i] <= 57; i++) need = need * 10 + buf[i] - 48;
          } else {
            // No content-length: a chunked body (bare node:http after writeHead) or none.
            let te = buf.indexOf(CHUNKED, at);
            if (te < 0 || te > end) te = buf.indexOf(CHUNKED_UPPER, at);
            if (te >= 0 && te < end) state = CHUNK_SIZE;
          }
          if (counting) {
            if (ok200) ok++;
            else { other++; const st = buf.toString('latin1', at + 9, at + 12); statuses[st] = (statuses[st] ?? 0) + 1; }
          }
          at = end + 4;
          answered++;
        } else {
          // CHUNK_SIZE: a hex size line; the chunk and its CRLF follow, or (size 0) the last CRLF.
          const eol = buf.indexOf(CRLF, at);
          if (eol < 0) break;
          const size = parseInt(buf.toString('latin1', at, eol), 16);
          at = eol + 2;
          need = size + 2;
          if (size === 0) state = HEADERS; // (no trailers)
        }
      }
      buf = at >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
      // More than `depth` at once cannot happen; refill what was answered in one write.
      if (answered && !stopping) s.write(batches[Math.min(answered, depth)]);
      // setImmediate runs after every socket this poll found ready has been read.
      if (pollMs > 0 && !napping && !stopping) { napping = true; setImmediate(nap); }
      return true;
    };
    const s = connect({ host: u.hostname, port: Number(u.port), noDelay: true, onread: { buffer: readBuffer, callback: (n, b) => onChunk(b.subarray(0, n)) } });
    sockets.push(s);
    open++;
    s.on('connect', () => { resolveConnected(); s.write(batches[depth]); });
    s.on('error', () => { errors++; });
    // A server that closes a connection (after a 503, say) gets a new one in its place.
    s.on('close', () => { if (--open === 0 && stopping) allClosed(); if (!stopping) { reconnects++; start(() => {}); } });
  };
  await Promise.all(Array.from({ length: connections }, () => new Promise((r) => start(r))));
  await new Promise((r) => setTimeout(r, warmMs));
  const cpu0 = process.cpuUsage();
  const reads0 = reads;
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => {
    const timer = setTimeout(r, durationMs);
    if (answers !== Infinity) {
      const poll = setInterval(() => { if (ok + other >= answers) { clearTimeout(timer); clearInterval(poll); r(); } }, 20);
      setTimeout(() => clearInterval(poll), durationMs);
    }
  });
  counting = false;
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const readCount = reads - reads0;
  stopping = true;
  for (const s of sockets) s.destroy();
  if (open > 0) await closed;
  const clientCpuUs = cpu.user + cpu.system;
  if (ok) statuses['200'] = ok;
  return { rps: ok / (elapsedMs / 1000), ok, other, statuses, errors, reconnects, elapsedMs, clientCpuUs, clientCpuUsPerReq: clientCpuUs / Math.max(1, ok + other), answersPerRead: (ok + other) / Math.max(1, readCount) };
}
