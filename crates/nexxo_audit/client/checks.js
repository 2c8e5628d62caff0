// Nexxo audits, browser side: runs axe-core (accessibility), reads web vitals (LCP, CLS, INP,
// with the element responsible) and checks SEO and best practices on the live page.
//
// Loaded after the vendored axe.min.js (global `axe`) and web-vitals' attribution IIFE (global
// `webVitals`): by the dev panel (panel.js) when it opens, and by `nexxo audit --browser`
// through the DevTools protocol. Defines `window.__nexxoAudit`; `run(settings)` resolves to
// `{ findings, metrics }` in the shape of the Rust `Finding`/`PageMetrics` (camelCase).
'use strict';

(() => {
  if (window.__nexxoAudit && window.__nexxoAudit.run) return;
  // The dev client may already have gathered console errors before this file loaded.
  const previous = window.__nexxoAudit || {};
  const state = {
    consoleErrors: previous.consoleErrors || [],
    vitals: { lcp: null, cls: null, inp: null },
    vitalsStarted: false,
    running: null,
    clickTargets: null,
  };

  /** Nexxo's own elements: never audited. */
  const OWN_ELEMENTS = ['nexxo-audits-panel', 'nexxo-audits-button', 'nexxo-error-overlay'];

  const CATEGORY = {
    'document-title': 'seo',
    'meta-description': 'seo',
    canonical: 'seo',
    'crawlable-anchors': 'seo',
    'link-text': 'seo',
    viewport: 'best-practices',
    doctype: 'best-practices',
    charset: 'best-practices',
    'external-anchors-use-rel-noopener': 'best-practices',
    'mixed-content': 'best-practices',
    'errors-in-console': 'best-practices',
    'unsized-images': 'performance',
    'render-blocking-resources': 'performance',
    'lcp-lazy-loaded': 'performance',
    'prioritize-lcp-image': 'performance',
    'largest-contentful-paint': 'performance',
    'cumulative-layout-shift': 'performance',
    'interaction-to-next-paint': 'performance',
  };
  const WARNINGS = new Set([
    'link-text',
    'external-anchors-use-rel-noopener',
    'unsized-images',
    'render-blocking-resources',
    'prioritize-lcp-image',
  ]);

  function startVitals() {
    if (state.vitalsStarted || typeof webVitals === 'undefined') return;
    state.vitalsStarted = true;
    const options = { reportAllChanges: true };
    webVitals.onLCP((metric) => {
      const entry = metric.entries[metric.entries.length - 1];
      state.vitals.lcp = { value: metric.value, element: entry && entry.element, selector: metric.attribution && metric.attribution.element, url: entry && entry.url };
    }, options);
    webVitals.onCLS((metric) => {
      const attribution = metric.attribution || {};
      const source = attribution.largestShiftSource;
      state.vitals.cls = { value: metric.value, element: source && source.node, selector: attribution.largestShiftTarget };
    }, options);
    webVitals.onINP((metric) => {
      const attribution = metric.attribution || {};
      // Clicks on Nexxo's own elements (the Audits button) are not the app's interactions.
      const target = attribution.interactionTargetElement || safeQuery(attribution.interactionTarget);
      if (target && isOwn(target)) return;
      if (state.vitals.inp && state.vitals.inp.value >= metric.value) return;
      state.vitals.inp = { value: metric.value, selector: attribution.interactionTarget, element: null };
    }, options);
    observeInteractions();
  }

  // web-vitals hands INP over from `requestIdleCallback`, which headless Chromium may not call
  // for seconds: the longest interaction is also kept here, from the same Event Timing entries
  // (INP is the longest interaction while a page has had fewer than 50).
  function observeInteractions() {
    if (typeof PerformanceObserver === 'undefined' || !(PerformanceObserver.supportedEntryTypes || []).includes('event')) return;
    // One interaction is several entries (pointerdown, pointerup, click); pointer entries of
    // synthetic input may have no target, so an interaction's element is any entry's.
    const interactions = new Map();
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (!entry.interactionId) continue;
        const interaction = interactions.get(entry.interactionId) || { value: 0, element: null, selector: null };
        interaction.value = Math.max(interaction.value, entry.duration);
        interaction.element = interaction.element || entry.target || null;
        interactions.set(entry.interactionId, interaction);
        if (interaction.element && isOwn(interaction.element)) continue;
        const current = state.vitals.inp;
        if (!current || interaction.value > current.value || (interaction.value === current.value && !current.element)) {
          state.vitals.inp = interaction;
        }
      }
    });
    observer.observe({ type: 'event', buffered: true, durationThreshold: 16 });
    observer.observe({ type: 'first-input', buffered: true });
  }

  /** `data-nexxo-source="src/App.tsx:12:7"` on the element or its nearest ancestor (dev only). */
  function sourceOf(element) {
    const carrier = element && element.closest && element.closest('[data-nexxo-source]');
    if (!carrier) return {};
    const match = /^(.*):(\d+):(\d+)$/.exec(carrier.getAttribute('data-nexxo-source'));
    if (!match) return {};
    return { file: match[1], line: Number(match[2]), column: Number(match[3]) };
  }

  function describe(element) {
    if (!element || !element.outerHTML) return undefined;
    const html = element.outerHTML;
    const end = html.indexOf('>');
    return (end > 0 ? html.slice(0, end + 1) : html).replace(/ data-nexxo-source="[^"]*"/, '').slice(0, 160);
  }

  function finding(rule, message, element, extra) {
    return Object.assign(
      {
        rule,
        category: CATEGORY[rule] || 'best-practices',
        severity: WARNINGS.has(rule) ? 'warning' : 'error',
        message,
        element: describe(element),
        page: location.pathname,
      },
      sourceOf(element),
      extra || {},
    );
  }

  const isOwn = (element) => OWN_ELEMENTS.some((tag) => element.closest && element.closest(tag));
  const all = (selector) => Array.from(document.querySelectorAll(selector)).filter((e) => !isOwn(e));

  const VAGUE_LINK_TEXTS = new Set(['click here', 'click this', 'go', 'here', 'information', 'learn more', 'more', 'more info', 'more information', 'right here', 'read more', 'see more', 'start', 'this', 'link']);

  function pageChecks() {
    const found = [];
    const head = document.head;
    if (!document.doctype || document.doctype.name.toLowerCase() !== 'html') {
      found.push(finding('doctype', 'the page has no <!DOCTYPE html>: browsers render it in quirks mode', document.documentElement));
    }
    if (!document.querySelector('meta[charset], meta[http-equiv="content-type" i]')) {
      found.push(finding('charset', 'the page declares no character encoding (<meta charset="UTF-8">)', head));
    }
    // axe-core has its own `document-title` rule: one report is enough.
    if (typeof axe === 'undefined' && !document.title.trim()) {
      found.push(finding('document-title', 'the page has no <title> (or an empty one)', head));
    }
    const description = document.querySelector('meta[name="description" i]');
    if (!description || !(description.getAttribute('content') || '').trim()) {
      found.push(finding('meta-description', 'the page has no <meta name="description" content="…">', head));
    }
    const viewport = document.querySelector('meta[name="viewport" i]');
    const viewportContent = viewport ? viewport.getAttribute('content') || '' : '';
    if (!/width|initial-scale/.test(viewportContent)) {
      found.push(finding('viewport', 'no <meta name="viewport" content="width=device-width, initial-scale=1">: phones show the page zoomed out', head));
    }
    const canonicals = all('link[rel~="canonical" i]');
    const hrefs = new Set(canonicals.map((c) => c.getAttribute('href')));
    if (hrefs.size > 1) found.push(finding('canonical', 'the page names more than one canonical URL', canonicals[1]));
    else if (canonicals.length) {
      const href = (canonicals[0].getAttribute('href') || '').trim();
      if (!/^https?:\/\/[^\s/?#]+/i.test(href)) {
        found.push(finding('canonical', `canonical URL "${href}" is not an absolute http(s) URL`, canonicals[0]));
      }
    }
    for (const anchor of all('a')) {
      const href = anchor.getAttribute('href');
      if (href !== null && /^\s*javascript:/i.test(href)) {
        found.push(finding('crawlable-anchors', `link with href="${href.trim()}": search engines cannot follow it`, anchor));
      } else if (href === null && (anchor.hasAttribute('onclick') || anchor.onclick)) {
        found.push(finding('crawlable-anchors', '<a> without href that only works on click: use a real href or a <button>', anchor));
      }
      const text = (anchor.textContent || '').trim().replace(/\s+/g, ' ').toLowerCase();
      if (href !== null && VAGUE_LINK_TEXTS.has(text)) {
        found.push(finding('link-text', `link text "${text}" does not say where the link goes`, anchor));
      }
      const rel = (anchor.getAttribute('rel') || '').toLowerCase().split(/\s+/);
      if ((anchor.getAttribute('target') || '').toLowerCase() === '_blank' && href && /^(https?:)?\/\//i.test(href.trim()) && anchor.origin !== location.origin && !rel.includes('noopener') && !rel.includes('noreferrer')) {
        found.push(finding('external-anchors-use-rel-noopener', 'target="_blank" link to another site without rel="noopener"', anchor));
      }
    }
    for (const image of all('img')) {
      if (!image.hasAttribute('width') || !image.hasAttribute('height')) {
        found.push(finding('unsized-images', '<img> without width and height attributes: the layout shifts when it loads', image));
      }
    }
    for (const element of all('img[src], script[src], iframe[src], source[src], audio[src], video[src], link[rel~="stylesheet" i][href], link[rel~="icon" i][href]')) {
      const url = element.getAttribute('src') || element.getAttribute('href') || '';
      if (/^\s*http:\/\//i.test(url) && !/^\s*http:\/\/(localhost|127\.0\.0\.1|\[::1\])([:/]|$)/i.test(url)) {
        found.push(finding('mixed-content', `<${element.localName}> loads ${url.trim()} over plain http: browsers block it on https pages`, element));
      }
    }
    for (const script of Array.from(head.querySelectorAll('script[src]'))) {
      const type = (script.getAttribute('type') || '').toLowerCase();
      const classic = !type || type.includes('javascript');
      // The dev server's own scripts are not the app's.
      if (classic && !script.defer && !script.async && !/@nexxo\//.test(script.src)) {
        found.push(finding('render-blocking-resources', 'classic <script src> in <head> without defer or async blocks the first paint', script));
      }
    }
    for (const link of Array.from(head.querySelectorAll('link[rel~="stylesheet" i][href]'))) {
      const media = (link.getAttribute('media') || 'all').trim();
      if ((media === 'all' || media === '') && new URL(link.href, location.href).origin !== location.origin) {
        found.push(finding('render-blocking-resources', 'stylesheet from another origin blocks the first paint (self-host it, or load it without blocking)', link));
      }
    }
    for (const error of state.consoleErrors.slice(-20)) {
      found.push(finding('errors-in-console', `console error: ${String(error.text).slice(0, 300)}`, null, error.file ? { file: error.file, line: error.line, column: error.column } : {}));
    }
    return found;
  }

  function vitalsChecks(settings) {
    const found = [];
    const { lcp, cls, inp } = state.vitals;
    const elementOf = (metric) => (metric && (metric.element || (metric.selector && safeQuery(metric.selector)))) || null;
    if (lcp) {
      const element = elementOf(lcp);
      if (lcp.value > settings.maxLcpMs) {
        found.push(finding('largest-contentful-paint', `Largest Contentful Paint ${Math.round(lcp.value)} ms is over ${settings.maxLcpMs} ms`, element));
      }
      if (element && element.localName === 'img') {
        if ((element.getAttribute('loading') || '').toLowerCase() === 'lazy') {
          found.push(finding('lcp-lazy-loaded', 'the Largest Contentful Paint image has loading="lazy": it starts loading late; remove the attribute', element));
        } else {
          const url = element.currentSrc || element.src;
          const preloaded = Array.from(document.querySelectorAll('link[rel="preload" i][as="image" i]')).some((link) => link.href === url);
          if (!preloaded && (element.getAttribute('fetchpriority') || '').toLowerCase() !== 'high') {
            found.push(finding('prioritize-lcp-image', 'the Largest Contentful Paint image is neither preloaded nor fetchpriority="high"', element));
          }
        }
      }
    }
    if (cls && cls.value > settings.maxCls) {
      found.push(finding('cumulative-layout-shift', `Cumulative Layout Shift ${cls.value.toFixed(3)} is over ${settings.maxCls}`, elementOf(cls)));
    }
    if (inp && inp.value > settings.maxInpMs) {
      found.push(finding('interaction-to-next-paint', `Interaction to Next Paint ${Math.round(inp.value)} ms is over ${settings.maxInpMs} ms`, elementOf(inp)));
    }
    return found;
  }

  function safeQuery(selector) {
    try {
      return document.querySelector(selector);
    } catch {
      return null;
    }
  }

  const IMPACT_ERRORS = new Set(['critical', 'serious']);

  async function accessibilityChecks() {
    if (typeof axe === 'undefined') return [];
    const results = await axe.run(
      { exclude: OWN_ELEMENTS.map((tag) => [tag]) },
      { resultTypes: ['violations'] },
    );
    const found = [];
    for (const violation of results.violations) {
      for (const node of violation.nodes) {
        const element = safeQuery(node.target[node.target.length - 1]);
        found.push(
          Object.assign(
            {
              rule: violation.id,
              category: 'accessibility',
              severity: IMPACT_ERRORS.has(node.impact || violation.impact) ? 'error' : 'warning',
              message: violation.help,
              element: element ? describe(element) : String(node.html).slice(0, 160),
              page: location.pathname,
              helpUrl: violation.helpUrl,
            },
            sourceOf(element),
          ),
        );
      }
    }
    return found;
  }

  // `nexxo audit --browser` clicks a few controls after load, so INP has interactions to
  // measure: buttons that submit or reset no form, ARIA buttons, disclosure summaries,
  // checkboxes and radios — visible, enabled, not inside a link, not Nexxo's own. Links are
  // never clicked (they may leave the page).
  const CLICKABLE = 'button, [role="button"], summary, input[type="button"], input[type="checkbox"], input[type="radio"]';

  /** Picks at most `max` controls to click, in document order; returns how many. */
  function clickTargets(max) {
    state.clickTargets = all(CLICKABLE)
      .filter((element) => {
        if (element.disabled || element.closest('a[href]')) return false;
        if (element.localName === 'button' && element.form && (element.type === 'submit' || element.type === 'reset')) return false;
        const rect = element.getBoundingClientRect();
        return rect.width > 0 && rect.height > 0 && getComputedStyle(element).visibility !== 'hidden';
      })
      .slice(0, max);
    return state.clickTargets.length;
  }

  /** The viewport point to click the `index`th target at (scrolled into view), or null when
   * it is gone or covered by another element. */
  function clickPoint(index) {
    const element = (state.clickTargets || [])[index];
    if (!element || !element.isConnected) return null;
    element.scrollIntoView({ block: 'center', inline: 'center' });
    const rect = element.getBoundingClientRect();
    const x = rect.left + rect.width / 2;
    const y = rect.top + rect.height / 2;
    const hit = document.elementFromPoint(x, y);
    if (!hit || (hit !== element && !element.contains(hit))) return null;
    return { x, y };
  }

  const DEFAULTS = { maxLcpMs: 2500, maxCls: 0.1, maxInpMs: 200, rules: {} };

  /** One audit of the page; concurrent calls share the run in flight (axe allows one). */
  function run(settings) {
    settings = Object.assign({}, DEFAULTS, settings || {});
    startVitals();
    if (state.running) return state.running;
    state.running = (async () => {
      try {
        const findings = [...(await accessibilityChecks()), ...pageChecks(), ...vitalsChecks(settings)];
        const levels = settings.rules || {};
        const kept = [];
        for (const item of findings) {
          const level = levels[item.rule];
          if (level === 'off') continue;
          if (level === 'error') item.severity = 'error';
          if (level === 'warn') item.severity = 'warning';
          kept.push(item);
        }
        const { lcp, cls, inp } = state.vitals;
        const metrics = { page: location.pathname };
        if (lcp) metrics.lcpMs = lcp.value;
        if (cls) metrics.cls = cls.value;
        if (inp) metrics.inpMs = inp.value;
        return { findings: kept, metrics };
      } finally {
        state.running = null;
      }
    })();
    return state.running;
  }

  window.__nexxoAudit = { run, startVitals, clickTargets, clickPoint, consoleErrors: state.consoleErrors };
  startVitals();
})();
