/**
 * Types for calling a component's exports by name with checked arguments and results. `sfirt
 * types <component>` writes an `Exports` interface for a component with jco's type generation;
 * annotate the loaded function with it:
 *
 *   import type { Greeter } from './types/greeter.js';
 *   const greeter: Greeter = await rt.load('greeter', 'greeter.wasm');
 *   const s = await greeter.call('greet', 'world');   // string; greeter.call('greet', 42) does not compile
 */
import type { Invocation, InvokeOptions, SfiFunction } from './invoke/function.js';

/** A `result<T, E>` export's value: `call()` resolves to it rather than throwing `err`. */
export type WitResult<T, E> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };

/** Exports by the name `call()` takes, each as a function type (an interface, so no index signature). */
export type ExportMap<E> = { [K in keyof E]: (...args: never[]) => unknown };

/** `SfiFunction` whose `call`/`invoke` know the component's exports. */
export interface TypedFunction<E extends ExportMap<E>> extends Omit<SfiFunction, 'call' | 'invoke'> {
  call<K extends keyof E & string>(exportName: K, ...args: Parameters<E[K]>): Promise<ReturnType<E[K]>>;
  invoke<K extends keyof E & string>(exportName: K, args: Parameters<E[K]>, options?: InvokeOptions): Promise<Invocation<ReturnType<E[K]>>>;
}
