'use strict';
// `require('sfirt')`. sfirt is an ES module; Node 20.19+ and 22.12+ load ES modules from require()
// (`process.features.require_module`), so this hands back the same module `import` gives. Older
// Node cannot: say how to load it instead of failing with a resolution error.
if (!process.features.require_module) {
  const err = new Error("sfirt is an ES module and this Node cannot require() it: use `import { createRuntime } from 'sfirt'` (or `await import('sfirt')` from CommonJS), or Node >= 20.19");
  err.code = 'ERR_REQUIRE_ESM';
  throw err;
}
module.exports = require('./index.js');
