// Nexxo dev error overlay: shows a compile error (message, file:line:column, code frame) over
// the page until the file is fixed. Lives in a shadow root so the app's CSS cannot touch it.
// Embedded into the nexxo binary and served before runtime.js as /@nexxo/client.js.
'use strict';

class NexxoErrorOverlay extends HTMLElement {
  constructor(error) {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `
<style>
  :host { position: fixed; inset: 0; z-index: 2147483647; background: rgba(0, 0, 0, 0.66);
    display: flex; align-items: flex-start; justify-content: center; overflow: auto;
    font-family: ui-monospace, Menlo, Consolas, monospace; }
  .window { margin: 40px 16px; max-width: 960px; width: 100%; background: #181818; color: #d8d8d8;
    border-top: 6px solid #ff5555; border-radius: 6px; padding: 20px 24px; box-shadow: 0 8px 30px #0008; }
  .message { color: #ff7777; font-size: 16px; font-weight: 600; white-space: pre-wrap; }
  .file { color: #8fd3ff; margin: 12px 0; font-size: 13px; }
  pre { background: #101010; padding: 12px; border-radius: 4px; overflow: auto; font-size: 13px; line-height: 1.5; }
  .tip { color: #999; font-size: 12px; margin-top: 12px; }
  .audits { margin-top: 12px; background: #2c2c2c; color: #ddd; border: 1px solid #444; border-radius: 4px; padding: 3px 10px; cursor: pointer; font: inherit; font-size: 12px; }
</style>
<div class="window" role="alert">
  <div class="message"></div>
  <div class="file"></div>
  <pre class="frame"></pre>
  <div class="tip">Fix the file and save: the page updates by itself. Click outside or press Esc to close.</div>
  <button class="audits" type="button" hidden>Audits</button>
</div>`;
    root.querySelector('.message').textContent = error.message;
    root.querySelector('.file').textContent = error.file
      ? `${error.file}:${error.line}:${error.column}`
      : '';
    root.querySelector('.frame').textContent = error.frame || '';
    if (!error.frame) root.querySelector('.frame').remove();
    // The audits panel (client/audits.js), when the project has it on.
    const audits = root.querySelector('.audits');
    if (typeof window.__nexxoOpenAudits === 'function') {
      audits.hidden = false;
      audits.addEventListener('click', () => {
        this.close();
        window.__nexxoOpenAudits();
      });
    }
    this.addEventListener('click', (event) => {
      if (event.target === this) this.close();
    });
    this.onKey = (event) => {
      if (event.key === 'Escape') this.close();
    };
    document.addEventListener('keydown', this.onKey);
  }

  close() {
    document.removeEventListener('keydown', this.onKey);
    this.remove();
  }
}

const NEXXO_OVERLAY_TAG = 'nexxo-error-overlay';
if (!customElements.get(NEXXO_OVERLAY_TAG)) {
  customElements.define(NEXXO_OVERLAY_TAG, NexxoErrorOverlay);
}

function showErrorOverlay(error) {
  clearErrorOverlay();
  const overlay = new NexxoErrorOverlay(error);
  (document.body || document.documentElement).appendChild(overlay);
}

function clearErrorOverlay() {
  document.querySelectorAll(NEXXO_OVERLAY_TAG).forEach((overlay) => overlay.close());
}
