// `nexxo dev` side of the fuzzer: one running server (under the same memory cap), cases written
// into its project, their routes requested over HTTP; after each case the server must still
// answer a health request; for some cases the mutated content goes into a module the page
// imports and the page must recover once the file is restored. A failing case restarts the
// server so the next case starts clean.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CRASH_MARKERS, excerpt, judge, LIMITS, rssOf, runLimited } from './oracle.mjs';
import { INDEX_HTML, placeCase, releaseFifo, removePath, writeCaseFile } from './project.mjs';

const SLOT_EXT = { ts: 'ts', tsx: 'tsx', js: 'js', jsx: 'jsx', css: 'css', scss: 'scss', 'module.css': 'module.css' };

const slotName = (ext) => `slot_${ext.replace('.', '_')}`;

function slotSource(ext, marker) {
  return /css$/.test(ext) ? `.slot-${marker} { color: red }\n` : `export const slot = "${marker}";\n`;
}

export class DevFuzzer {
  constructor({ bin, workDir, requestTimeoutMs = 15_000, log = () => {} }) {
    Object.assign(this, { bin, workDir, requestTimeoutMs, log });
    this.marker = 0;
    this.starts = 0;
  }

  async start() {
    this.root = path.join(mkdtempSync(path.join(this.workDir, 'dev-')), 'app');
    const src = path.join(this.root, 'src');
    writeCaseFile(this.root, { path: 'index.html', bytes: Buffer.from(INDEX_HTML) });
    // One slot per extension, each with its own name: `./slot.js` from TS would find slot.ts.
    const imports = Object.values(SLOT_EXT).map((ext) => `import * as ${slotName(ext)} from './${slotName(ext)}.${ext}';\nconsole.log(${slotName(ext)});`);
    writeCaseFile(this.root, { path: 'src/main.ts', bytes: Buffer.from(imports.join('\n') + '\n') });
    for (const ext of Object.values(SLOT_EXT)) writeFileSync(path.join(src, `${slotName(ext)}.${ext}`), slotSource(ext, 'start'));
    this.handle = runLimited(this.bin, ['dev', this.root, '--port', '0'], { timeoutMs: 0 });
    this.checked = 0;
    this.starts++;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const match = /Local:\s+http:\/\/localhost:(\d+)/.exec(this.handle.output());
      if (match) {
        this.base = `http://127.0.0.1:${match[1]}`;
        break;
      }
      if (this.handle.child.exitCode !== null || this.handle.child.signalCode !== null) break;
      await sleep(50);
    }
    if (!this.base) throw new Error(`nexxo dev did not start:\n${this.handle.output()}`);
    if (!(await this.refreshPageScript())) throw new Error(`nexxo dev served no page script:\n${this.handle.output()}`);
  }

  /** Reads the page script's URL (it carries the dependency bundle's version) from the page. */
  async refreshPageScript() {
    const page = await this.fetch('/', { accept: 'text/html', timeoutMs: 5_000 });
    const script = /src="([^"]*@nexxo\/page[^"]*)"/.exec(page.body ?? '');
    if (script) this.pageScript = script[1].replace(/&amp;/g, '&');
    return Boolean(script);
  }

  async stop() {
    if (!this.handle) return;
    this.handle.kill();
    await this.handle.done;
    rmSync(path.dirname(this.root), { recursive: true, force: true });
    this.handle = null;
    this.base = null;
  }

  /** GET with a time limit: { status, body } or { error }. */
  async fetch(urlPath, { accept = '*/*', timeoutMs = this.requestTimeoutMs } = {}) {
    try {
      const response = await fetch(this.base + urlPath, { headers: { accept }, signal: AbortSignal.timeout(timeoutMs) });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      return { error: error.name === 'TimeoutError' ? 'timeout' : `${error.name}: ${error.cause?.code ?? error.message}` };
    }
  }

  /** null while the server is healthy, else a verdict. */
  async health() {
    const child = this.handle.child;
    if (child.exitCode !== null || child.signalCode !== null) {
      const run = await this.handle.done;
      return judge(run) ?? { kind: `dev server exited (${run.signal ?? run.code})`, detail: excerpt(run.output) };
    }
    const rss = rssOf(child.pid);
    if (rss > LIMITS.rssBytes) return { kind: 'unbounded memory', detail: `dev server at ${(rss / 1048576).toFixed(0)} MB` };
    // Any HTTP answer counts (a mutated config may move the app under another `base`: 404).
    const answer = await this.fetch('/@nexxo/client.js', { timeoutMs: 5_000 });
    if (answer.error) {
      await sleep(200);
      if (child.exitCode !== null || child.signalCode !== null) return this.health();
      return { kind: 'dev server stopped answering', detail: `health request: ${answer.error}` };
    }
    // Only the output since the last check (a plain search: outputs hold megabyte-long lines).
    const output = this.handle.output();
    const fresh = output.slice(Math.max(0, Math.min(this.checked ?? 0, output.length) - 100));
    this.checked = output.length;
    const marker = CRASH_MARKERS.find((re) => re.test(fresh));
    if (marker) return { kind: 'panicked', detail: excerpt(fresh, marker) };
    return null;
  }

  /** Runs one case; returns null or { verdict, detail } (the server is restarted after a failure). */
  async runCase(c, { slot = false } = {}) {
    if (!this.handle) await this.start();
    const placed = placeCase(c);
    const written = [];
    let verdict = null;
    try {
      if (c.kind === 'env' || c.kind === 'config' || c.dev?.restart) {
        verdict = await this.rootFileCase(placed.files);
      } else {
        for (const file of placed.files) {
          writeCaseFile(this.root, file);
          written.push(file.path);
        }
        for (const url of this.urlsFor(c, placed)) {
          const answer = await this.fetch(url, { accept: url.endsWith('.html') ? 'text/html' : '*/*' });
          if (answer.error === 'timeout') {
            verdict = { kind: 'hang', detail: `GET ${url} got no answer in ${this.requestTimeoutMs / 1000} s` };
            break;
          }
          if (answer.error) break; // the health check says why
        }
        verdict ??= await this.health();
        if (!verdict && slot && SLOT_EXT[c.kind] && !c.nasty) verdict = await this.slotCase(c);
      }
    } finally {
      for (const file of written) removePath(path.join(this.root, file));
    }
    if (verdict) {
      const tail = (this.handle?.output() ?? '').slice(-20_000);
      verdict.output = CRASH_MARKERS.some((re) => re.test(tail)) ? excerpt(tail, /panicked|internal error|overflowed/i) : '';
      await this.stop();
    }
    return verdict;
  }

  urlsFor(c, placed) {
    const lazy = (id) => `/@nexxo/lazy.js?id=${encodeURIComponent(id)}&page=${encodeURIComponent('/index.html')}`;
    const encodePath = (p) => '/' + p.split('/').map(encodeURIComponent).join('/');
    if (c.nasty) return [...(c.dev.lazy ?? []).map(lazy), ...(c.dev.get ?? [])];
    if (c.kind === 'html') {
      const page = placed.files[0].path;
      return [encodePath(page), `/@nexxo/page${encodePath(page)}.js`];
    }
    const main = placed.files[0].path;
    const urls = [lazy(`/${main}`)];
    if (/\.(css|scss|sass)$/.test(main)) urls.push(encodePath(main));
    return urls;
  }

  /** Mutated content in a module the page imports, then the original back: the page recovers. */
  async slotCase(c) {
    const ext = SLOT_EXT[c.kind];
    const slot = path.join(this.root, 'src', `${slotName(ext)}.${ext}`);
    const save = (bytes) => {
      writeFileSync(`${slot}.fuzz~`, bytes);
      renameSync(`${slot}.fuzz~`, slot);
    };
    await this.refreshPageScript();
    const before = await this.fetch(this.pageScript);
    save(c.files[0].bytes);
    // Wait until the server has seen the edit (the page script changes), at most 2 s.
    for (let waited = 0; waited < 2_000; waited += 100) {
      await sleep(100);
      const now = await this.fetch(this.pageScript);
      if (now.error === 'timeout') return { kind: 'hang', detail: `page script with the mutated src/${slotName(ext)}.${ext} got no answer` };
      if (now.error || now.body !== before.body) break;
    }
    const down = await this.health();
    if (down) return down;
    const marker = `ok${++this.marker}`;
    save(slotSource(ext, marker));
    for (let waited = 0; waited < 10_000; waited += 100) {
      const now = await this.fetch(this.pageScript);
      if (now.error === 'timeout') return { kind: 'hang', detail: `page script after restoring src/${slotName(ext)}.${ext} got no answer` };
      if (now.body?.includes(marker) && !now.body.includes('__nexxo.fail(')) return null;
      // A new npm import rebuilt the dependency bundle: the page script's URL changed.
      if (now.body?.includes('__nexxo.reload()')) await this.refreshPageScript();
      await sleep(100);
    }
    return (await this.health()) ?? { kind: 'dev server did not recover', detail: `src/${slotName(ext)}.${ext} restored, but the page script still lacks it (or still fails) after 10 s` };
  }

  async outputAfter(length, ms) {
    for (let waited = 0; waited < ms && this.handle.output().length <= length; waited += 25) await sleep(25);
  }

  /** `.env` / `nexxo.config.json`: the session restarts; the server must keep serving. */
  async rootFileCase(files) {
    let seen = this.handle.output().length;
    for (const file of files) writeCaseFile(this.root, file);
    // The session restarts (it prints "restarted" or the error): wait for that, at most 3 s.
    await this.outputAfter(seen, 3_000);
    for (const url of ['/', this.pageScript]) await this.fetch(url, { accept: url === '/' ? 'text/html' : '*/*' });
    let verdict = await this.health();
    seen = this.handle.output().length;
    for (const file of files) {
      if (file.fifo) releaseFifo(path.join(this.root, file.path));
      removePath(path.join(this.root, file.path));
    }
    if (files.some((f) => f.path === 'nexxo.config.json')) writeFileSync(path.join(this.root, 'nexxo.config.json'), '{}\n');
    if (verdict) return verdict;
    await this.outputAfter(seen, 3_000);
    verdict = await this.health();
    if (verdict) return verdict;
    for (let waited = 0; waited < 10_000; waited += 200) {
      if (await this.refreshPageScript()) return null;
      await sleep(200);
    }
    return { kind: 'dev server did not recover', detail: 'the page is not served 10 s after restoring .env / nexxo.config.json' };
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
