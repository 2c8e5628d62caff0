// Nexxo dev client: the module registry the page's scripts define modules into, the
// `import.meta.hot` API, and the WebSocket connection that delivers hot updates.
//
// The server compiles each module with oxc's module-runner transform, so a module is an async
// function that imports through `__vite_ssr_import__` and exports onto `__vite_ssr_exports__`.
// Scripts call `__nexxo.define(id, specifiers, flags, factory)`; nothing runs until
// `__nexxo.start` imports the page's entries. Embedded into the nexxo binary (after overlay.js).
'use strict';

(() => {
  const scriptUrl = new URL(document.currentScript.src);
  // `<base>@nexxo/client.js` → `<base>`
  const base = scriptUrl.pathname.replace(/@nexxo\/client\.js$/, '');
  // The server's secret for the scripts that hold the project's code (lazy modules); the page
  // put it in this script's URL. Other sites' pages cannot read the page, so cannot know it.
  const token = scriptUrl.searchParams.get('token') || '';

  /** @type {Map<string, {id: string, specifiers: Record<string,string>, flags: {interop?: boolean, refresh?: boolean}, factory: Function, exports: object|null, namespace: object|null, promise: Promise<object>|null, refreshBoundary?: boolean}>} */
  const modules = new Map();
  /** Hot state per module id; `data` survives updates. */
  const hotStates = new Map();
  const lazyRequests = new Map();
  let replacingDefinitions = false;
  let page = null;
  let Refresh = null;
  /** The page's own scripts failed (before `start` finished): any later change reloads. */
  let fatalError = false;
  /** `start` imported every entry: a failing lazy script no longer breaks the whole page. */
  let started = false;
  /** The last error a `fail` script reported (a lazy script that could not be compiled). */
  let lastFailure = null;

  function define(id, specifiers, flags, factory) {
    const existing = modules.get(id);
    if (existing && !replacingDefinitions) return;
    if (existing) {
      Object.assign(existing, { specifiers, flags, factory });
      return;
    }
    modules.set(id, { id, specifiers, flags, factory, exports: null, namespace: null, promise: null });
  }

  function resolveSpecifier(record, specifier) {
    const id = record.specifiers[specifier];
    if (!id) throw new Error(`[nexxo] ${record.id} imports "${specifier}", which the server did not resolve`);
    return id;
  }

  /**
   * Loads a module the page has not defined yet: a lazily compiled `import()` target. A request
   * that failed (network error, compile error) is forgotten, so the next `import()` tries again.
   */
  function fetchLazy(id) {
    let request = lazyRequests.get(id);
    if (!request) {
      request = new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = `${base}@nexxo/lazy.js?id=${encodeURIComponent(id)}&page=${encodeURIComponent(page ? page.page : '')}&token=${token}`;
        lastFailure = null;
        script.onload = () => {
          script.remove();
          if (modules.has(id)) return resolve();
          // The server answered with a reload (the route needs packages the page's dependency
          // bundle lacks): the page is going away, so the import stays pending instead of
          // failing into the app's error handling first.
          if (reloading) return;
          const reason = lastFailure ? lastFailure.message : 'the server sent no definition';
          reject(new Error(`[nexxo] failed to load ${id}: ${reason}`));
        };
        script.onerror = () => {
          script.remove();
          reject(new Error(`[nexxo] failed to load ${id}`));
        };
        document.head.appendChild(script);
      });
      lazyRequests.set(id, request);
      request.catch(() => {
        if (lazyRequests.get(id) === request) lazyRequests.delete(id);
      });
    }
    return request;
  }

  async function load(id, chain = []) {
    let record = modules.get(id);
    if (!record) {
      await fetchLazy(id);
      record = modules.get(id);
      if (!record) throw new Error(`[nexxo] module ${id} is not defined`);
    }
    if (record.promise) {
      // A circular import gets the partly initialised exports, as native modules do.
      if (chain.includes(id)) return record.namespace || record.exports;
      return record.promise;
    }
    return instantiate(record, chain);
  }

  function instantiate(record, chain) {
    const exports = Object.create(null);
    Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
    record.exports = exports;
    record.namespace = null;
    const ownChain = chain.concat(record.id);
    const importModule = (specifier) => load(resolveSpecifier(record, specifier), ownChain);
    const dynamicImport = (specifier) => {
      const id = record.specifiers[specifier];
      return id ? batchingStyles(() => load(id)) : import(specifier);
    };
    const exportAll = (source) => {
      for (const key in source) {
        if (key !== 'default' && !(key in exports)) {
          Object.defineProperty(exports, key, { enumerable: true, configurable: true, get: () => source[key] });
        }
      }
    };
    // Ids are root-relative (`/src/a.ts`); the server answers for them under the base.
    const urlOf = (id) => new URL(base + id.replace(/^\//, ''), location.origin).href;
    const meta = {
      // Computed when read: parsing a URL for each of thousands of modules slowed start-up.
      get url() {
        return urlOf(record.id);
      },
      hot: hotContext(record),
      resolve: (specifier) => urlOf(resolveSpecifier(record, specifier)),
    };
    const register = (type, localId) => Refresh && Refresh.register(type, `${record.id} ${localId}`);
    const signature = () => (Refresh ? Refresh.createSignatureFunctionForTransform() : (type) => type);
    record.promise = (async () => {
      await record.factory(importModule, dynamicImport, exports, exportAll, meta, register, signature);
      record.namespace = record.flags.interop ? __nexxoInteropNamespace(exports) : exports;
      if (record.flags.refresh && Refresh) {
        record.refreshBoundary = isRefreshBoundary(exports);
      }
      return record.namespace;
    })();
    return record.promise;
  }

  function isRefreshBoundary(exports) {
    const names = Object.keys(exports);
    return names.length > 0 && names.every((name) => Refresh.isLikelyComponentType(exports[name]));
  }

  // ---- import.meta.hot ----------------------------------------------------------------------

  function hotState(id) {
    let state = hotStates.get(id);
    if (!state) {
      // `listeners`: event → callbacks this module's current instance registered with `on`.
      state = { data: {}, selfAccept: [], depAccept: [], dispose: [], prune: [], listeners: new Map() };
      hotStates.set(id, state);
    }
    return state;
  }

  /** Removes the listeners a module instance registered with `hot.on`. */
  function dropListeners(state) {
    for (const [event, stale] of state.listeners) {
      const list = listeners.get(event);
      if (list) listeners.set(event, list.filter((callback) => !stale.includes(callback)));
    }
    state.listeners = new Map();
  }

  function hotContext(record) {
    const state = hotState(record.id);
    // A fresh instance registers its handlers again; the old instance's `on` listeners go
    // (Vite does the same), while `data` stays the same object.
    dropListeners(state);
    Object.assign(state, { selfAccept: [], depAccept: [], dispose: [], prune: [] });
    if (record.flags.refresh) state.selfAccept.push(REFRESH_ACCEPT);
    return {
      get data() {
        return state.data;
      },
      accept(deps, callback) {
        if (typeof deps === 'function' || deps === undefined) {
          state.selfAccept.push(deps || (() => {}));
        } else {
          const single = !Array.isArray(deps);
          const ids = (single ? [deps] : deps).map((s) => resolveSpecifier(record, s));
          state.depAccept.push({ ids, callback, single });
        }
      },
      acceptExports(_names, callback) {
        state.selfAccept.push(callback || (() => {}));
      },
      dispose(callback) {
        state.dispose.push(callback);
      },
      prune(callback) {
        state.prune.push(callback);
      },
      decline() {},
      invalidate(message) {
        emit('vite:invalidate', { path: record.id, message });
        console.debug(`[nexxo] invalidate ${record.id}${message ? `: ${message}` : ''}`);
        send({ type: 'invalidate', id: record.id, message: message || '' });
      },
      on(event, callback) {
        const add = (map) => {
          const list = map.get(event) || [];
          list.push(callback);
          map.set(event, list);
        };
        add(listeners);
        add(state.listeners);
      },
      off(event, callback) {
        const remove = (map) => {
          const list = map.get(event);
          if (!list) return;
          const index = list.indexOf(callback);
          if (index >= 0) list.splice(index, 1);
        };
        remove(listeners);
        remove(state.listeners);
      },
      send(event, data) {
        send({ type: 'custom', event, data });
      },
    };
  }

  /** Marker for the accept React Refresh modules get automatically. */
  const REFRESH_ACCEPT = () => {};
  const listeners = new Map();

  function emit(event, payload) {
    // A copy: a callback may call `off`, or run code that registers new listeners.
    for (const callback of (listeners.get(event) || []).slice()) callback(payload);
  }

  /** A module this page instantiated (defined alone is not enough: a hot update defines too). */
  function instantiated(id) {
    const record = modules.get(id);
    return Boolean(record && record.promise);
  }

  let refreshTimer = null;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => Refresh.performReactRefresh(), 16);
  }

  async function applyUpdate(message) {
    // Vite's payload shape, plus Nexxo's own fields.
    const timestamp = Date.now();
    const payload = Object.assign({}, message, {
      updates: message.boundaries.map((b) => ({ type: 'js-update', path: b.boundary, acceptedPath: b.accepted, timestamp })),
    });
    emit('vite:beforeUpdate', payload);
    // Boundaries this page never ran (a lazy route not opened in this tab, a module of another
    // page) are skipped: their code must not run here, and their stale modules stay as they are.
    // Decided before the new definitions, which add records for modules new to this page.
    const live = message.boundaries.filter((b) => instantiated(b.boundary));
    replacingDefinitions = true;
    try {
      for (const code of message.modules) (0, eval)(code);
    } finally {
      replacingDefinitions = false;
    }
    // Handlers registered by the instances being replaced (Vite calls the old ones).
    const handlers = live.map((b) => {
      const state = hotState(b.boundary);
      return {
        boundary: b,
        selfAccept: state.selfAccept.slice(),
        depAccept: state.depAccept.slice(),
        wasRefreshBoundary: modules.get(b.boundary).refreshBoundary,
      };
    });
    const stale = new Set(live.flatMap((b) => b.stale));
    for (const id of stale) {
      if (!instantiated(id)) continue;
      const state = hotState(id);
      // `data` is one object for the module's whole life: dispose writes into it and the new
      // instance reads it (values stored directly on `hot.data` survive as well).
      for (const callback of state.dispose) callback(state.data);
      Object.assign(modules.get(id), { promise: null, exports: null, namespace: null });
    }
    for (const { boundary, selfAccept, depAccept, wasRefreshBoundary } of handlers) {
      if (boundary.boundary === boundary.accepted) {
        const namespace = await load(boundary.boundary);
        for (const callback of selfAccept) {
          if (callback === REFRESH_ACCEPT) {
            if (wasRefreshBoundary && modules.get(boundary.boundary).refreshBoundary) scheduleRefresh();
            else send({ type: 'invalidate', id: boundary.boundary, message: 'not a React Refresh boundary' });
          } else {
            callback(namespace);
          }
        }
      } else {
        const namespace = await load(boundary.accepted);
        for (const { ids, callback, single } of depAccept) {
          if (!callback || !ids.includes(boundary.accepted)) continue;
          callback(single ? namespace : ids.map((id) => (id === boundary.accepted ? namespace : undefined)));
        }
      }
    }
    emit('vite:afterUpdate', payload);
  }

  // ---- stylesheet modules ------------------------------------------------------------------
  //
  // A stylesheet module's CSS applies as soon as the module runs, in its own `<style>` (code
  // that runs next may read computed styles, as it can in the built app). When the import that
  // ran it finishes, those one-module elements are packed into shared sheets of up to
  // STYLE_SHEET_MODULES modules, placed where the first of them was: Chromium matches every
  // element against every sheet, and a large app's thousands of CSS Modules, one element each,
  // made its first render seconds slower. Modules keep their order, so the cascade does too.

  const STYLE_SHEET_MODULES = 100;
  /**
   * Stylesheet module id → its CSS and either its own `<style>` (`element`) or, once packed,
   * the shared sheet holding it (`sheet`: `{element, ids}`).
   */
  const styleModules = new Map();
  /** Ids that still have their own `<style>`, in the order they ran. */
  let unpackedStyles = [];
  /** Imports in progress: their stylesheets are packed when the last one finishes. */
  let styleBatches = 0;

  function updateStyle(id, css) {
    const entry = styleModules.get(id);
    if (!entry) {
      const element = document.createElement('style');
      element.setAttribute('data-nexxo-id', id);
      element.textContent = css;
      document.head.appendChild(element);
      styleModules.set(id, { css, element, sheet: null });
      unpackedStyles.push(id);
      if (styleBatches === 0) packStyles();
    } else if (entry.css !== css) {
      entry.css = css;
      if (entry.sheet) writeSheet(entry.sheet);
      else entry.element.textContent = css;
    }
  }

  function removeStyle(id) {
    const entry = styleModules.get(id);
    if (!entry) return;
    styleModules.delete(id);
    if (entry.sheet) {
      entry.sheet.ids.splice(entry.sheet.ids.indexOf(id), 1);
      writeSheet(entry.sheet);
    } else {
      entry.element.remove();
      unpackedStyles = unpackedStyles.filter((unpacked) => unpacked !== id);
    }
  }

  function writeSheet(sheet) {
    // Each module's id as a comment, so devtools show where a rule comes from.
    sheet.element.textContent = sheet.ids.map((id) => `/* ${id.replace(/\*\//g, '* /')} */\n${styleModules.get(id).css}`).join('\n');
  }

  /** Moves the stylesheet modules that have their own `<style>` into shared sheets. */
  function packStyles() {
    for (let first = 0; first < unpackedStyles.length; first += STYLE_SHEET_MODULES) {
      const sheet = { element: document.createElement('style'), ids: unpackedStyles.slice(first, first + STYLE_SHEET_MODULES) };
      sheet.element.setAttribute('data-nexxo-styles', '');
      styleModules.get(sheet.ids[0]).element.before(sheet.element);
      for (const id of sheet.ids) {
        const entry = styleModules.get(id);
        entry.element.remove();
        Object.assign(entry, { element: null, sheet });
      }
      writeSheet(sheet);
    }
    unpackedStyles = [];
  }

  /** Runs `load`, an import that may evaluate many modules, packing their stylesheets at its end. */
  async function batchingStyles(load) {
    styleBatches++;
    try {
      return await load();
    } finally {
      styleBatches--;
      if (styleBatches === 0) packStyles();
    }
  }

  /** A `<link rel="stylesheet">` whose file changed: load the new one, then drop the old. */
  function reloadLinkedStylesheet(url) {
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      // A link already being replaced (two quick saves): only its newest copy is cloned, or
      // both copies would stay in the page.
      if (link.hasAttribute('data-nexxo-replaced')) continue;
      const href = new URL(link.href, location.href);
      if (href.pathname !== url) continue;
      const next = link.cloneNode();
      href.searchParams.set('t', Date.now());
      next.href = href.pathname + href.search;
      link.setAttribute('data-nexxo-replaced', '');
      next.onload = () => link.remove();
      next.onerror = () => {
        next.remove();
        link.removeAttribute('data-nexxo-replaced');
      };
      link.after(next);
    }
  }

  // ---- server connection --------------------------------------------------------------------

  let socket = null;
  const outbox = [];
  function send(message) {
    const text = JSON.stringify(message);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(text);
    else outbox.push(text);
  }

  /**
   * The page asked to reload: messages still arriving for this document no longer apply (an
   * update that imports a package bundled for the reloaded page would fail here).
   */
  let reloading = false;
  function reload() {
    reloading = true;
    location.reload();
  }

  let updates = Promise.resolve();
  function onMessage(message) {
    if (reloading) return;
    switch (message.type) {
      case 'update':
        if (fatalError) return reload();
        clearErrorOverlay();
        updates = updates
          .then(() => batchingStyles(() => applyUpdate(message)))
          // For the audits panel (and any tool) to look at the page again.
          .then(() => window.dispatchEvent(new Event('nexxo:after-update')))
          .catch((error) => {
            console.error('[nexxo] hot update failed, reloading', error);
            reload();
          });
        break;
      case 'css-update':
        reloadLinkedStylesheet(message.url);
        break;
      case 'prune':
        // After the update that stopped importing them: run `prune` handlers (a stylesheet
        // removes its <style>), and forget the instance so a later import runs it again.
        // A failing handler must not make the next updates fail (and reload) too.
        updates = updates
          .then(() => {
            const ids = message.ids.filter(instantiated);
            if (ids.length) emit('vite:beforePrune', { type: 'prune', paths: ids });
            for (const id of ids) {
              // Like Vite: the instance's `dispose` handlers, then its `prune` handlers; its
              // `on` listeners go with it.
              const state = hotState(id);
              for (const callback of state.dispose) callback(state.data);
              for (const callback of state.prune) callback(state.data);
              dropListeners(state);
              Object.assign(modules.get(id), { promise: null, exports: null, namespace: null });
            }
          })
          .catch((error) => console.error('[nexxo] a prune handler failed', error));
        break;
      case 'error':
        emit('vite:error', message);
        showErrorOverlay(message.error);
        break;
      case 'error-cleared':
        if (fatalError) return reload();
        clearErrorOverlay();
        break;
      case 'full-reload':
        emit('vite:beforeFullReload', message);
        reload();
        break;
      case 'custom':
        emit(message.event, message.data);
        break;
    }
  }

  function connect() {
    const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${protocol}//${location.host}${base}@nexxo/ws`;
    const noHotUpdates = (reason) =>
      console.warn(
        `[nexxo] could not connect to the dev server's WebSocket at ${url} (${reason}): hot updates are off, reload the page by hand. ` +
          'A proxy in front of the dev server must forward WebSocket upgrades, and the page must be opened from a host the server allows.',
      );
    try {
      socket = new WebSocket(url);
    } catch (error) {
      noHotUpdates(error.message);
      return;
    }
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      emit('vite:ws:connect', { webSocket: socket });
      while (outbox.length) socket.send(outbox.shift());
    });
    socket.addEventListener('message', (event) => onMessage(JSON.parse(event.data)));
    socket.addEventListener('close', () => {
      // Never connected (Origin refused, a proxy without WebSocket support, another base):
      // the server answering HTTP says nothing about the socket, so reloading would loop.
      if (!opened) {
        noHotUpdates('it never opened');
        return;
      }
      emit('vite:ws:disconnect', { webSocket: socket });
      // The server restarted (config change) or stopped: reload once it answers again.
      console.info('[nexxo] connection lost, waiting for the dev server…');
      const retry = () =>
        fetch(`${base}@nexxo/client.js`, { method: 'HEAD' }).then(
          reload,
          () => setTimeout(retry, 1000),
        );
      setTimeout(retry, 500);
    });
  }

  function start(options) {
    page = options;
    return batchingStyles(async () => {
      if (options.refresh) {
        Refresh = await load(options.refresh);
        Refresh.injectIntoGlobalHook(window);
        window.$RefreshReg$ = () => {};
        window.$RefreshSig$ = () => (type) => type;
      }
      for (const entry of options.entries) await load(entry);
      started = true;
    });
  }

  /**
   * A script the server could not compile. Before the page started this breaks the page (any
   * fix reloads it); afterwards it is a lazy import, whose `import()` rejects and is retried.
   */
  function fail(error) {
    lastFailure = error;
    if (!started) fatalError = true;
    console.error(`[nexxo] ${error.message}\n${error.file ? `${error.file}:${error.line}:${error.column}` : ''}\n${error.frame || ''}`);
    const show = () => showErrorOverlay(error);
    if (document.body) show();
    else document.addEventListener('DOMContentLoaded', show);
  }

  /**
   * The URL of a web worker's script: the server sends the worker's modules in one script
   * (`@nexxo/worker.js`, client/worker.js's registry). It carries the code token, as the page
   * script does.
   */
  function workerUrl(id) {
    return `${location.origin}${base}@nexxo/worker.js?id=${encodeURIComponent(id)}&token=${token}`;
  }

  window.__nexxo = { define, start, fail, updateStyle, removeStyle, reload, workerUrl, modules };
  connect();
})();
