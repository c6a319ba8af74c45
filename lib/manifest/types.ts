/** The shape of `sfirt.json` (schema: schema/sfirt.schema.json), mirroring `load()` and `serve()` options. */
import type { GluePreference } from '../component/loader.js';
import type { GuestLanguage } from '../guest/build.js';
import type { Route } from '../http/routes.js';
import type { OutgoingHttpPolicy } from '../http/outgoing-policy.js';
import type { Limits } from '../invoke/limits.js';
import type { NnBackend } from '../nn/engine.js';
import type { PoolOptions } from '../pool/pool.js';
import type { WasiOptions } from '../wasi/policy.js';

/** How `sfirt build` makes a function's component. */
export interface ManifestBuild {
  lang: GuestLanguage;
  entry?: string;
  wit?: string;
  world?: string;
}

/** One function: a component and the options it is loaded with. */
export interface ManifestFunction {
  description?: string;
  /** The component, relative to the manifest. */
  source: string;
  build?: ManifestBuild;
  limits?: Limits;
  pool?: PoolOptions;
  /** As `WasiOptions`, with `stdin` as text and preopen host paths relative to the manifest. */
  wasi?: Omit<WasiOptions, 'stdin'> & { stdin?: string };
  /** Outgoing wasi:http requests the function may make (deny by default). */
  outgoing?: OutgoingHttpPolicy;
  nnBackend?: NnBackend;
  /** As the load option `init`: an export run once per new instance before its state is recorded. */
  init?: string;
  glue?: GluePreference;
  captureLimitBytes?: number;
}

/** `wasi:nn` settings of the runtime; model paths relative to the manifest. */
export interface ManifestNn {
  backend?: NnBackend;
  models?: Record<string, string>;
  maxModelBytes?: number;
  engineMemoryMaxBytes?: number;
  maxGuestModels?: number;
  threads?: number;
}

/** Server options of `sfirt serve`. */
export interface ManifestServer {
  port?: number;
  host?: string;
  maxBodyBytes?: number;
  metricsPath?: string;
  maxInflight?: number;
  maxQueueDelayMs?: number;
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  minBodyBytesPerSecond?: number;
  bodyReadShare?: number;
  maxInflightPerClient?: number;
  sendTimeoutMs?: number;
  minSendBytesPerSecond?: number;
}

/** A validated manifest, with every path made absolute. */
export interface Manifest {
  /** Absolute path of the manifest file. */
  path: string;
  /** Its directory: relative paths in it are relative to this. */
  dir: string;
  functions: Record<string, ManifestFunction>;
  nn?: ManifestNn;
  routes: Route[];
  server: ManifestServer;
}
