// Nexxo audits panel (dev): lists what checks.js finds on the page, with the source file and
// line of each element when the dev transform marked it (`data-nexxo-source`), and checks
// again after each hot update (`nexxo:after-update`, sent by the dev client) and when the page
// has been idle after a change. Lives in a shadow root so the app's CSS cannot touch it.
//
// Served by the dev server as `@nexxo/audit/panel.js` after axe-core, web-vitals and
// checks.js, only when the user opens the panel. `window.__nexxoAuditPanel.open()` shows it.
'use strict';

(() => {
  if (window.__nexxoAuditPanel) return;
  const settings = window.__nexxoAuditSettings || {};
  const CATEGORY_LABELS = {
    accessibility: 'Accessibility',
    performance: 'Performance',
    seo: 'SEO',
    'best-practices': 'Best practices',
  };

  class NexxoAuditsPanel extends HTMLElement {
    constructor() {
      super();
      const root = this.attachShadow({ mode: 'open' });
      root.innerHTML = `
<style>
  :host { position: fixed; right: 12px; bottom: 12px; z-index: 2147483646; width: min(520px, calc(100vw - 24px));
    max-height: min(70vh, 640px); display: flex; flex-direction: column; background: #181818; color: #e0e0e0;
    border-radius: 8px; box-shadow: 0 8px 30px #0008; font: 13px/1.45 ui-sans-serif, system-ui, sans-serif; }
  header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; border-bottom: 1px solid #333; }
  header strong { flex: 1; }
  button { background: #2c2c2c; color: inherit; border: 1px solid #444; border-radius: 4px; padding: 2px 8px; cursor: pointer; font: inherit; }
  .status { color: #aaa; font-size: 12px; }
  .metrics { padding: 6px 12px; color: #bbb; font-size: 12px; border-bottom: 1px solid #333; }
  ul { list-style: none; margin: 0; padding: 0; overflow: auto; }
  li { padding: 8px 12px; border-bottom: 1px solid #2a2a2a; }
  li .rule { font-weight: 600; }
  li.error .rule { color: #ff7777; }
  li.warning .rule { color: #f0c060; }
  li .where { color: #8fd3ff; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
  li .element { color: #999; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; word-break: break-all; }
  .empty { padding: 16px 12px; color: #8d8; }
</style>
<header>
  <strong>Audits</strong>
  <span class="status"></span>
  <button class="rerun" type="button">Re-run</button>
  <button class="close" type="button" aria-label="Close the audits panel">×</button>
</header>
<div class="metrics"></div>
<ul class="findings"></ul>`;
      root.querySelector('.rerun').addEventListener('click', () => schedule(0));
      root.querySelector('.close').addEventListener('click', () => close());
    }

    show(result) {
      const root = this.shadowRoot;
      const list = root.querySelector('.findings');
      list.textContent = '';
      const findings = result.findings;
      this.dataset.count = String(findings.length);
      const errors = findings.filter((f) => f.severity === 'error').length;
      root.querySelector('.status').textContent = `${errors} error(s), ${findings.length - errors} warning(s)`;
      const m = result.metrics || {};
      const metric = (value, unit, digits) => (value === undefined ? '–' : `${value.toFixed(digits)}${unit}`);
      root.querySelector('.metrics').textContent = `LCP ${metric(m.lcpMs, ' ms', 0)} · CLS ${metric(m.cls, '', 3)} · INP ${metric(m.inpMs, ' ms', 0)}`;
      if (!findings.length) {
        const empty = document.createElement('li');
        empty.className = 'empty';
        empty.textContent = 'No problems found.';
        list.appendChild(empty);
        return;
      }
      const order = ['error', 'warning'];
      findings.sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
      for (const finding of findings) {
        const item = document.createElement('li');
        item.className = finding.severity;
        item.dataset.rule = finding.rule;
        const where = finding.file ? `${finding.file}:${finding.line}:${finding.column}` : finding.page || '';
        item.dataset.where = where;
        const rule = document.createElement('div');
        rule.className = 'rule';
        rule.textContent = `${finding.rule} · ${CATEGORY_LABELS[finding.category] || finding.category}`;
        const message = document.createElement('div');
        message.textContent = finding.message;
        const place = document.createElement('div');
        place.className = 'where';
        place.textContent = where;
        item.append(rule, message, place);
        if (finding.element) {
          const element = document.createElement('div');
          element.className = 'element';
          element.textContent = finding.element;
          item.appendChild(element);
        }
        list.appendChild(item);
      }
    }
  }

  const TAG = 'nexxo-audits-panel';
  if (!customElements.get(TAG)) customElements.define(TAG, NexxoAuditsPanel);

  let panel = null;
  let timer = null;
  let observer = null;
  const onUpdate = () => schedule(300);

  /** Runs the checks after `delay` ms and once the page is idle. */
  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const idle = window.requestIdleCallback || ((callback) => setTimeout(callback, 50));
      idle(() => audit(), { timeout: 2000 });
    }, delay);
  }

  async function audit() {
    if (!panel) return;
    try {
      const result = await window.__nexxoAudit.run(settings);
      if (panel) panel.show(result);
    } catch (error) {
      console.warn('[nexxo] the audit failed', error);
    }
  }

  function open() {
    sessionStorage.setItem('nexxo:audits', 'open');
    if (!panel) {
      panel = new NexxoAuditsPanel();
      document.documentElement.appendChild(panel);
      window.addEventListener('nexxo:after-update', onUpdate);
      // App changes that are not hot updates (state, routing): checked once the page is idle.
      observer = new MutationObserver((records) => {
        const own = records.every((r) => r.target === panel || (r.target.closest && r.target.closest(TAG)));
        if (!own) schedule(1000);
      });
      observer.observe(document.body || document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
    }
    schedule(0);
  }

  function close() {
    sessionStorage.removeItem('nexxo:audits');
    window.removeEventListener('nexxo:after-update', onUpdate);
    if (observer) observer.disconnect();
    if (panel) panel.remove();
    panel = null;
    observer = null;
  }

  window.__nexxoAuditPanel = { open, close, rerun: () => schedule(0) };
})();
