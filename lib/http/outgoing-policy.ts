import { InvalidArgumentError } from '../errors.js';

/** What a function may call through `wasi:http/outgoing-handler`. Nothing is allowed unless listed. */
export interface OutgoingHttpPolicy {
  /**
   * Hosts the guest may call, as `host`, `host:port`, `*.example.com[:port]` or `host:*`.
   * Without a port only the scheme's default port (80/443) is allowed. `*.example.com` matches
   * subdomains, not `example.com` itself.
   */
  allowedHosts: string[];
  /** Methods the guest may use (default: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS). */
  allowedMethods?: string[];
  /** Allow `https` (default true) and plain `http` (default true). */
  schemes?: ('http' | 'https')[];
  /** Cap on a response body, in bytes (default 1 MiB); larger is `HTTP-response-body-size`. */
  maxResponseBytes?: number;
  /** Cap on a request body, in bytes (default 1 MiB); larger is `HTTP-request-body-size`. */
  maxRequestBytes?: number;
  /** Per-request timeout in ms (default 5,000); also bounded by the call's remaining deadline. */
  timeoutMs?: number;
}

/** Defaults of `OutgoingHttpPolicy`. */
export const DEFAULT_OUTGOING = {
  allowedMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  schemes: ['http', 'https'] as ('http' | 'https')[],
  maxResponseBytes: 1024 * 1024,
  maxRequestBytes: 1024 * 1024,
  timeoutMs: 5_000,
};

interface HostRule { suffix: string | undefined; host: string | undefined; port: number | '*' | undefined }

/** A compiled policy: `check()` says whether a request may leave the machine. */
export class OutgoingPolicy {
  readonly methods: Set<string>;
  readonly schemes: Set<string>;
  readonly maxResponseBytes: number;
  readonly maxRequestBytes: number;
  readonly timeoutMs: number;
  #rules: HostRule[];

  constructor(policy: OutgoingHttpPolicy) {
    if (!policy || !Array.isArray(policy.allowedHosts)) throw new InvalidArgumentError('outgoing http policy needs allowedHosts: string[]');
    this.#rules = policy.allowedHosts.map(parseRule);
    this.methods = new Set((policy.allowedMethods ?? DEFAULT_OUTGOING.allowedMethods).map((m) => m.toUpperCase()));
    this.schemes = new Set(policy.schemes ?? DEFAULT_OUTGOING.schemes);
    this.maxResponseBytes = positive('maxResponseBytes', policy.maxResponseBytes ?? DEFAULT_OUTGOING.maxResponseBytes);
    this.maxRequestBytes = positive('maxRequestBytes', policy.maxRequestBytes ?? DEFAULT_OUTGOING.maxRequestBytes);
    this.timeoutMs = positive('timeoutMs', policy.timeoutMs ?? DEFAULT_OUTGOING.timeoutMs);
  }

  /** True when `method` to `scheme://host:port` is allowed. */
  allows(method: string, scheme: string, host: string, port: number): boolean {
    if (!this.methods.has(method.toUpperCase()) || !this.schemes.has(scheme)) return false;
    const h = host.toLowerCase().replace(/^\[|\]$/g, '');
    const defaultPort = scheme === 'https' ? 443 : 80;
    return this.#rules.some((r) => {
      const hostOk = r.host !== undefined ? h === r.host : h.endsWith(r.suffix!) && h.length > r.suffix!.length;
      const portOk = r.port === '*' || (r.port === undefined ? port === defaultPort : port === r.port);
      return hostOk && portOk;
    });
  }
}

function parseRule(pattern: string): HostRule {
  if (typeof pattern !== 'string' || !pattern) throw new InvalidArgumentError(`invalid allowed host ${String(pattern)}`);
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\*|\d{1,5}))?$/.exec(pattern.toLowerCase());
  if (!m) throw new InvalidArgumentError(`invalid allowed host pattern '${pattern}' (want host, host:port, *.domain or host:*)`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = m[2] === undefined ? undefined : m[2] === '*' ? '*' : Number(m[2]);
  if (host.startsWith('*.')) return { suffix: host.slice(1), host: undefined, port };
  if (host.includes('*')) throw new InvalidArgumentError(`invalid allowed host pattern '${pattern}': '*' only as the first label`);
  return { suffix: undefined, host, port };
}

function positive(name: string, v: number): number {
  if (!(typeof v === 'number' && v > 0)) throw new InvalidArgumentError(`outgoing http ${name} must be a positive number`);
  return v;
}
