// The namespace an ES import of a CommonJS module gets, shared by the page runtime
// (runtime.js) and the worker runtime (worker.js), which the server puts after this file in the
// same script. Embedded into the nexxo binary.
'use strict';

/** `import x, { named } from 'cjs-package'`: `x` is `module.exports`, named keys are its own. */
function __nexxoInteropNamespace(exports) {
  const value = exports.default;
  if (value && value.__esModule) return value;
  const namespace = Object.create(null);
  if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
    for (const key of Object.keys(value)) {
      // `module.exports.default = module.exports` (classnames, axios' CommonJS build) names
      // the same value: the default import stays `module.exports`, as in Vite and Node.
      if (key === 'default') continue;
      Object.defineProperty(namespace, key, { enumerable: true, configurable: true, get: () => value[key] });
    }
  }
  // The bundle's own named exports (shared between dependency chunks) win.
  for (const key of Object.keys(exports)) {
    if (key !== 'default') Object.defineProperty(namespace, key, { enumerable: true, configurable: true, get: () => exports[key] });
  }
  namespace.default = value;
  return namespace;
}
