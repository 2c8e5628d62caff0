// Nexxo dev runtime for web workers: the module registry of runtime.js without the document
// (no <script> or <style> elements, no overlay, no WebSocket). The server sends a worker its
// whole module closure in one script (`@nexxo/worker.js`), so nothing is fetched later; a
// change to a worker's modules reloads the page, which starts the worker again. Runs as a
// classic or a module worker script. Embedded into the nexxo binary.
'use strict';

(() => {
  const scriptUrl = new URL(self.location.href);
  // `<base>@nexxo/worker.js` → `<base>`
  const base = scriptUrl.pathname.replace(/@nexxo\/worker\.js$/, '');
  const token = scriptUrl.searchParams.get('token') || '';

  const modules = new Map();

  function define(id, specifiers, flags, factory) {
    if (!modules.has(id)) {
      modules.set(id, { id, specifiers, flags, factory, exports: null, namespace: null, promise: null });
    }
  }

  function resolveSpecifier(record, specifier) {
    const id = record.specifiers[specifier];
    if (!id) throw new Error(`[nexxo] ${record.id} imports "${specifier}", which the server did not resolve`);
    return id;
  }

  function load(id, chain = []) {
    const record = modules.get(id);
    if (!record) return Promise.reject(new Error(`[nexxo] module ${id} is not in this worker's script`));
    if (record.promise) {
      if (chain.includes(id)) return record.namespace || record.exports;
      return record.promise;
    }
    return instantiate(record, chain);
  }

  /** `import.meta.hot` for code written for pages: accepted, but updates reload the page. */
  const hot = {
    data: {},
    accept() {},
    acceptExports() {},
    dispose() {},
    prune() {},
    decline() {},
    invalidate() {},
    on() {},
    off() {},
    send() {},
  };

  function instantiate(record, chain) {
    const exports = Object.create(null);
    Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
    record.exports = exports;
    const ownChain = chain.concat(record.id);
    const importModule = (specifier) => load(resolveSpecifier(record, specifier), ownChain);
    const dynamicImport = (specifier) => {
      const id = record.specifiers[specifier];
      return id ? load(id) : import(specifier);
    };
    const exportAll = (source) => {
      for (const key in source) {
        if (key !== 'default' && !(key in exports)) {
          Object.defineProperty(exports, key, { enumerable: true, configurable: true, get: () => source[key] });
        }
      }
    };
    const urlOf = (id) => new URL(base + id.replace(/^\//, ''), self.location.origin).href;
    const meta = {
      get url() {
        return urlOf(record.id);
      },
      hot,
      resolve: (specifier) => urlOf(resolveSpecifier(record, specifier)),
    };
    const noRefresh = () => {};
    const signature = () => (type) => type;
    record.promise = (async () => {
      await record.factory(importModule, dynamicImport, exports, exportAll, meta, noRefresh, signature);
      record.namespace = record.flags.interop ? __nexxoInteropNamespace(exports) : exports;
      return record.namespace;
    })();
    return record.promise;
  }

  /** The URL of another worker's script (a worker starting a worker). */
  function workerUrl(id) {
    return `${self.location.origin}${base}@nexxo/worker.js?id=${encodeURIComponent(id)}&token=${token}`;
  }

  async function start(options) {
    for (const entry of options.entries) await load(entry);
  }

  function fail(error) {
    const where = error.file ? `${error.file}:${error.line}:${error.column}` : '';
    throw new Error(`[nexxo] ${error.message}\n${where}\n${error.frame || ''}`);
  }

  // A worker has no document: an imported stylesheet's CSS has nowhere to go.
  const noStyles = () => {};
  self.__nexxo = { define, start, fail, workerUrl, updateStyle: noStyles, removeStyle: noStyles, reload() {}, modules };
})();
