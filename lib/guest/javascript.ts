/**
 * JavaScript guests: componentize-js (SpiderMonkey/StarlingMonkey inside the component) turns a
 * JS module plus a WIT world into a component. Its components are large (~12 MB) and start in
 * milliseconds rather than microseconds: right for porting JS code, not for µs cold starts.
 */
import { relative } from 'node:path';
import { COMPONENTIZE_JS, importToolchain, ToolchainMissingError } from './toolchain.js';

type Feature = 'stdio' | 'random' | 'clocks' | 'http' | 'fetch-event';
interface ComponentizeApi {
  componentize(options: {
    sourcePath: string; witWorld: string; worldName: string; disableFeatures?: Feature[];
  }): Promise<{ component: Uint8Array }>;
}

/**
 * Componentizes `entry` against `worldName` of `witSource`. The engine's `fetch()` and
 * fetch-event handler (which import `wasi:http`) are left out unless the world uses `wasi:http`.
 */
export async function componentFromJs(entry: string, witSource: string, worldName: string, ownWit: string, projectDir: string): Promise<Uint8Array> {
  let api: ComponentizeApi;
  try {
    api = await importToolchain<ComponentizeApi>(COMPONENTIZE_JS, projectDir);
  } catch (err) {
    // Its undeclared dependency (see COMPONENTIZE_JS) is missing: say what to install.
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw new ToolchainMissingError(COMPONENTIZE_JS, err);
    throw err;
  }
  const { componentize } = api;
  const usesHttp = /\bwasi:http\//.test(ownWit);
  // componentize-js reads the source through its own WASI view of the current directory.
  const { component } = await componentize({
    sourcePath: relative(process.cwd(), entry),
    witWorld: witSource,
    worldName,
    disableFeatures: usesHttp ? [] : ['http', 'fetch-event'],
  });
  return component;
}
