// Nexxo dev client: the audits hook. A small floating button (and one on the error overlay)
// opens the audits panel; its code (axe-core, web-vitals, the checks and the panel, from the
// nexxo_audit crate) is requested from the dev server only then. Console errors are kept from
// the start so the panel can report them. Appended to /@nexxo/client.js when `audit.dev` is on.
'use strict';

(() => {
  const scriptUrl = new URL(document.currentScript.src);
  const base = scriptUrl.pathname.replace(/@nexxo\/client\.js$/, '');
  const token = scriptUrl.searchParams.get('token') || '';

  // The last console errors, for the panel's `errors-in-console` (checks.js reads this array).
  const audit = (window.__nexxoAudit = window.__nexxoAudit || { consoleErrors: [] });
  const errors = audit.consoleErrors;
  const keep = (text) => {
    if (errors.length >= 50) errors.shift();
    errors.push({ text });
  };
  const consoleError = console.error;
  console.error = function (...args) {
    keep(args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(' '));
    return consoleError.apply(this, args);
  };
  window.addEventListener('error', (event) => keep(event.message || 'uncaught error'));
  window.addEventListener('unhandledrejection', (event) => keep(`unhandled rejection: ${event.reason && event.reason.message ? event.reason.message : event.reason}`));

  let panelCode = null;
  function openAudits() {
    if (!panelCode) {
      panelCode = new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = `${base}@nexxo/audit/panel.js?token=${token}`;
        script.onload = resolve;
        script.onerror = () => {
          panelCode = null;
          reject(new Error('[nexxo] cannot load the audits panel'));
        };
        document.head.appendChild(script);
      });
    }
    return panelCode.then(() => window.__nexxoAuditPanel.open());
  }
  window.__nexxoOpenAudits = openAudits;

  class NexxoAuditsButton extends HTMLElement {
    constructor() {
      super();
      const root = this.attachShadow({ mode: 'open' });
      root.innerHTML = `
<style>
  button { position: fixed; left: 10px; bottom: 10px; z-index: 2147483645; padding: 4px 9px; border-radius: 12px;
    border: 1px solid #555; background: #1c1c1c; color: #ddd; font: 12px ui-sans-serif, system-ui, sans-serif;
    opacity: 0.6; cursor: pointer; }
  button:hover, button:focus { opacity: 1; }
</style>
<button type="button" title="Accessibility, performance, SEO and best-practice checks of this page">Audits</button>`;
      root.querySelector('button').addEventListener('click', () => openAudits());
    }
  }
  const TAG = 'nexxo-audits-button';
  if (!customElements.get(TAG)) customElements.define(TAG, NexxoAuditsButton);

  function start() {
    if (!document.querySelector(TAG)) document.documentElement.appendChild(new NexxoAuditsButton());
    // Kept open across reloads of this tab (and in /__nexxo/audits' frame).
    if (sessionStorage.getItem('nexxo:audits') === 'open') openAudits().catch((error) => console.warn(error));
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
