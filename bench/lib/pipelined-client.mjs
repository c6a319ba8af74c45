// A lean HTTP/1.1 load generator for scaling runs (the wrk approach): `connections` keep-alive
// sockets, each with `depth` requests pipelined, the request bytes built once, answers parsed just
// enough to count them (status line + content-length). Per answer it costs a fraction of what
// undici's full client does, so on a 2-core machine it leaves the server (nearly) both cores; it
// reports its own CPU time so a run can say what share it took. Closed loop: a socket sends one
// request per answer it reads.
import { connect } from 'node:net';

const CRLF2 = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('\r\ncontent-length: ');
const CONTENT_LENGTH_UPPER = Buffer.from('\r\nContent-Length: ');

/**
 * Runs for `durationMs` after `warmMs` of warm-up (or until `answers` answers, if that comes
 * first: a warm-up by count, since V8 tiers code up after a number of calls, not a time); resolves with
 * { rps, ok, other, statuses, errors, reconnects, clientCpuUs, clientCpuUsPerReq, elapsedMs }.
 */
export async function pipelinedLoad({ url, method = 'POST', body = '', connections = 32, depth = 2, durationMs = 1000, warmMs = 300, answers = Infinity }) {
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
  const sockets = [];
  let open = 0;
  let allClosed;
  const closed = new Promise((r) => { allClosed = r; });

  const start = (resolveConnected) => {
    const s = connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    sockets.push(s);
    open++;
    let buf = Buffer.alloc(0);
    let need = -1; // bytes of body still to skip for the answer being read (-1: reading headers)
    s.on('connect', () => { resolveConnected(); s.write(batches[depth]); });
    s.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let answered = 0;
      let at = 0;
      for (;;) {
        if (need < 0) {
          const end = buf.indexOf(CRLF2, at);
          if (end < 0) break;
          // Status digits and content-length read as bytes: no strings per answer.
          const ok200 = buf[at + 9] === 50 && buf[at + 10] === 48 && buf[at + 11] === 48;
          let cl = buf.indexOf(CONTENT_LENGTH, at);
          if (cl < 0 || cl > end) cl = buf.indexOf(CONTENT_LENGTH_UPPER, at);
          need = 0;
          if (cl >= 0 && cl < end) for (let i = cl + CONTENT_LENGTH.length; buf[i] >= 48 && buf[i] <= 57; i++) need = need * 10 + buf[i] - 48;
          if (counting) {
            if (ok200) ok++;
            else { other++; const st = buf.toString('latin1', at + 9, at + 12); statuses[st] = (statuses[st] ?? 0) + 1; }
          }
          at = end + 4;
          answered++;
        }
        if (buf.length - at < need) break;
        at += need;
        need = -1;
      }
      buf = at >= buf.length ? Buffer.alloc(0) : buf.subarray(at);
      if (answered && !stopping) {
        // More than `depth` at once cannot happen; refill what was answered in one write.
        s.write(batches[Math.min(answered, depth)]);
      }
    });
    s.on('error', () => { errors++; });
    // A server that closes a connection (after a 503, say) gets a new one in its place.
    s.on('close', () => { if (--open === 0 && stopping) allClosed(); if (!stopping) { reconnects++; start(() => {}); } });
  };
  await Promise.all(Array.from({ length: connections }, () => new Promise((r) => start(r))));
  await new Promise((r) => setTimeout(r, warmMs));
  const cpu0 = process.cpuUsage();
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
  stopping = true;
  for (const s of sockets) s.destroy();
  if (open > 0) await closed;
  const clientCpuUs = cpu.user + cpu.system;
  if (ok) statuses['200'] = ok;
  return { rps: ok / (elapsedMs / 1000), ok, other, statuses, errors, reconnects, elapsedMs, clientCpuUs, clientCpuUsPerReq: clientCpuUs / Math.max(1, ok + other) };
}
