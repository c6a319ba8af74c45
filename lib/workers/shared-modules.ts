// Compiled modules that workers take from their parent instead of compiling their own copy.
// V8 shares a posted WebAssembly.Module's machine code between threads, so the 14 MB onnxruntime-web
// engine is compiled and its hot functions optimised once per process, not once per worker (with
// two workers, each tiering up its own copy kept a core busy for seconds after start).
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { compileOrtWasmModule, provideOrtWasmModule } from '../nn/ort-wasm-module.js';

/** The modules a worker may ask for. */
const COMPILERS = { 'ort-wasm': compileOrtWasmModule } satisfies Record<string, () => Promise<WebAssembly.Module>>;
type SharedModuleName = keyof typeof COMPILERS;

interface Request { id: number; name: SharedModuleName }
type Answer = { id: number; module: WebAssembly.Module } | { id: number; error: string };

/** Parent side: answers a worker's requests on the returned port (pass it to the worker, transferred). */
export function serveSharedModules(): { workerPort: MessagePort; close(): void } {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', ({ id, name }: Request) => {
    const compile = COMPILERS[name];
    void (compile ? compile() : Promise.reject(new Error(`no shared module ${String(name)}`))).then(
      (module) => port1.postMessage({ id, module } satisfies Answer),
      (err: unknown) => port1.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies Answer),
    );
  });
  // The port must not keep the parent's event loop alive on its own.
  port1.unref();
  return { workerPort: port2, close: () => port1.close() };
}

/** Worker side: takes shared modules from the parent through `port`. */
export function useSharedModules(port: MessagePort): void {
  let nextId = 1;
  const waiting = new Map<number, { resolve(m: WebAssembly.Module): void; reject(e: Error): void }>();
  port.on('message', (a: Answer) => {
    const w = waiting.get(a.id);
    if (!w) return;
    waiting.delete(a.id);
    if ('module' in a) w.resolve(a.module); else w.reject(new Error(a.error));
  });
  port.unref();
  const ask = (name: SharedModuleName) => () => new Promise<WebAssembly.Module>((resolve, reject) => {
    const id = nextId++;
    waiting.set(id, { resolve, reject });
    port.postMessage({ id, name } satisfies Request);
  });
  provideOrtWasmModule(ask('ort-wasm'));
}
