// Audits: `nexxo audit` on built fixtures (static checks, `--browser` with axe-core and web
// vitals in headless Chromium, `--format sarif`), and the dev server's audits panel, which
// shows a problem an edit introduces and clears it when the edit is undone, without a reload.
//
// tests/fixtures/audit-problems plants one problem per check (its README lists them);
// tests/fixtures/audit-clean is a small React app that must report none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, nexxo, buildOrThrow, sharedBrowser, openPage, copyProject, startDev, atomicEdit, rawGet } from './harness.mjs';

const problems = path.join(repoRoot, 'tests/fixtures/audit-problems');
const clean = path.join(repoRoot, 'tests/fixtures/audit-clean');
// The problems page loads an http:// picture from another host: no network is needed for it to
// fail at once.
const offline = { NEXXO_AUDIT_OFFLINE: '1' };

before(() => {
  buildOrThrow(problems);
  buildOrThrow(clean);
});

function audit(root, args = []) {
  const result = nexxo(['audit', root, ...args], { env: offline });
  return result;
}

function auditJson(root, args = []) {
  const result = audit(root, ['--format', 'json', ...args]);
  let report;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    assert.fail(`nexxo audit did not print JSON (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ...result, report };
}

/** Asserts that `rule` was reported on `file` (and at `line` when given). */
function assertFound(findings, rule, file, line) {
  const match = findings.find((f) => f.rule === rule && f.file === file && (line === undefined || f.line === line));
  const seen = findings.map((f) => `${f.rule} ${f.file ?? ''}:${f.line ?? ''}`).join('\n');
  assert.ok(match, `${rule} at ${file}${line ? `:${line}` : ''} not reported; found:\n${seen}`);
  return match;
}

const STATIC_PROBLEMS = [
  ['doctype', 'index.html', 1],
  ['charset', 'index.html', 2],
  ['document-title', 'index.html', 2],
  ['meta-description', 'index.html', 2],
  ['html-has-lang', 'index.html', 1],
  ['viewport', 'index.html', 2],
  ['canonical', 'index.html', 3],
  ['render-blocking-resources', 'index.html', 4],
  ['render-blocking-resources', 'index.html', 5],
  ['image-alt', 'index.html', 11],
  ['unsized-images', 'index.html', 11],
  ['mixed-content', 'index.html', 12],
  ['crawlable-anchors', 'index.html', 14],
  ['link-text', 'index.html', 15],
  ['external-anchors-use-rel-noopener', 'index.html', 16],
];

test('static audit: each planted problem with its file and line, source maps and chunk size, exit 1', () => {
  const { status, report } = auditJson(problems);
  assert.equal(status, 1, 'errors fail the audit');
  assert.equal(report.browser, false);
  for (const [rule, file, line] of STATIC_PROBLEMS) assertFound(report.findings, rule, file, line);
  const map = report.findings.find((f) => f.rule === 'public-source-maps');
  assert.match(map?.file ?? '', /^dist\/assets\/.+\.js\.map$/);
  const chunk = report.findings.find((f) => f.rule === 'chunk-size');
  assert.match(chunk?.file ?? '', /^dist\/assets\/.+\.js$/);
  assert.match(chunk.message, /over the 1 kB limit/);
  // The render-blocking stylesheet is named as such (the script on line 4 is the other one).
  const stylesheet = assertFound(report.findings, 'render-blocking-resources', 'index.html', 5);
  assert.match(stylesheet.element, /fonts\.example\.com\/legacy\.css/);
  assert.match(stylesheet.message, /stylesheet from another origin/);
  // src/words.ts is in the page's chunk and in its web worker's bundle, each read from the
  // .map beside it.
  const duplicated = assertFound(report.findings, 'duplicated-javascript', 'src/words.ts', 1);
  assert.equal(duplicated.category, 'performance');
  assert.match(duplicated.message, /^src\/words\.ts is shipped in 2 JavaScript files: dist\/assets\/index-[\w-]+\.js \(\d+\.\d kB\), dist\/assets\/worker-[\w-]+\.js \(\d+\.\d kB\); \d+\.\d kB is downloaded and run more than once$/);
  assert.equal(report.findings.filter((f) => f.rule === 'duplicated-javascript').length, 1, 'only the shared module');
  // second.html is clean without a browser.
  assert.ok(!report.findings.some((f) => f.file === 'second.html'), JSON.stringify(report.findings.filter((f) => f.file === 'second.html')));
});

test('static audit of the clean app: nothing found, exit 0, human output says so', () => {
  const result = audit(clean);
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /1 page\(s\) audited .*: 0 error\(s\), 0 warning\(s\)/);
});

test('SARIF output: rules, results and locations relative to the project root', () => {
  const result = audit(problems, ['--format', 'sarif']);
  assert.equal(result.status, 1);
  const sarif = JSON.parse(result.stdout);
  assert.equal(sarif.version, '2.1.0');
  const run = sarif.runs[0];
  const rules = run.tool.driver.rules.map((r) => r.id);
  for (const [rule] of STATIC_PROBLEMS) assert.ok(rules.includes(rule), `${rule} in ${rules}`);
  const alt = run.results.find((r) => r.ruleId === 'image-alt');
  assert.equal(rules[alt.ruleIndex], 'image-alt');
  assert.equal(alt.level, 'error');
  const location = alt.locations[0].physicalLocation;
  assert.equal(location.artifactLocation.uri, 'index.html');
  assert.equal(location.artifactLocation.uriBaseId, '%SRCROOT%');
  assert.equal(location.region.startLine, 11);
});

test('audit levels from the config: a rule turned off is not reported, one set to warn does not fail', async () => {
  const { writeFile } = await import('node:fs/promises');
  // A copy whose packages resolve as the original's (node_modules linked).
  const root = await copyProject(clean);
  const html = (await import('node:fs')).readFileSync(path.join(clean, 'index.html'), 'utf8');
  await writeFile(path.join(root, 'index.html'), html.replace(/\s*<meta name="description"[^>]*>/, ''));
  buildOrThrow(root);
  let result = auditJson(root);
  assert.equal(result.status, 1);
  assertFound(result.report.findings, 'meta-description', 'index.html', 3);
  await writeFile(path.join(root, 'nexxo.config.json'), JSON.stringify({ audit: { rules: { 'meta-description': 'warn' } } }));
  result = auditJson(root);
  assert.equal(result.status, 0, 'a warning does not fail');
  assert.equal(assertFound(result.report.findings, 'meta-description', 'index.html').severity, 'warning');
  await writeFile(path.join(root, 'nexxo.config.json'), JSON.stringify({ audit: { rules: { 'meta-description': 'off' } } }));
  result = auditJson(root);
  assert.equal(result.status, 0);
  assert.ok(!result.report.findings.some((f) => f.rule === 'meta-description'));
});

test('--browser: axe-core, web vitals (INP from clicks the audit makes) and console errors in headless Chromium', () => {
  const { status, stderr, report } = auditJson(problems, ['--browser']);
  assert.equal(status, 1, stderr);
  assert.equal(report.browser, true);
  // The static findings are still there, once each.
  for (const [rule, file, line] of STATIC_PROBLEMS) assertFound(report.findings, rule, file, line);
  assert.equal(report.findings.filter((f) => f.rule === 'image-alt' && f.file === 'index.html').length, 1, 'axe and the static check agree on one image');
  assert.equal(report.findings.filter((f) => f.rule === 'document-title' && f.file === 'index.html').length, 1, 'one missing title');
  // Only a browser sees these.
  // The page logs other errors too (the mixed-content image fails to load): the planted one is among them.
  assertFound(report.findings, 'errors-in-console', 'index.html');
  const consoleErrors = report.findings.filter((f) => f.rule === 'errors-in-console' && f.file === 'index.html').map((f) => f.message);
  assert.ok(consoleErrors.some((message) => /planted console error from legacy\.js/.test(message)), consoleErrors.join('\n'));
  const lazy = assertFound(report.findings, 'lcp-lazy-loaded', 'index.html');
  assert.match(lazy.element, /hero/);
  assert.match(assertFound(report.findings, 'prioritize-lcp-image', 'second.html').element, /hero/);
  assertFound(report.findings, 'cumulative-layout-shift', 'second.html');
  // A rule only axe-core has: the button without a name (critical impact: an error).
  const button = assertFound(report.findings, 'button-name', 'index.html');
  assert.equal(button.category, 'accessibility');
  assert.equal(button.severity, 'error');
  assert.match(button.helpUrl, /dequeuniversity\.com\/rules\/axe\/4\.14\/button-name/);
  // The audit clicked the buttons; the slow one's 300 ms handler is an INP over 200 ms.
  const inp = assertFound(report.findings, 'interaction-to-next-paint', 'index.html');
  assert.match(inp.element, /id="slow"/);
  assert.match(inp.message, /Interaction to Next Paint \d+ ms is over 200 ms/);
  const metrics = Object.fromEntries(report.metrics.map((m) => [m.page, m]));
  assert.ok(metrics['/index.html'].inpMs > 200, JSON.stringify(report.metrics));
  assert.ok(metrics['/index.html'].lcpMs > 0, JSON.stringify(report.metrics));
  assert.ok(metrics['/second.html'].cls > 0.1, JSON.stringify(report.metrics));
});

test('--browser on the clean app: nothing found', () => {
  const { status, stdout, stderr, report } = auditJson(clean, ['--browser']);
  assert.equal(status, 0, `${stdout}\n${stderr}`);
  assert.deepEqual(report.findings, []);
  assert.equal(report.metrics.length, 1);
  assert.ok(report.metrics[0].lcpMs > 0);
  // Its counter button was clicked (INP measured) and answers within the limit (no finding).
  assert.equal(typeof report.metrics[0].inpMs, 'number', JSON.stringify(report.metrics));
});

test('a missing outDir is an error that says to build first', async () => {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const os = await import('node:os');
  const root = await mkdtemp(path.join(os.tmpdir(), 'nexxo-audit-'));
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>x</title>');
  const result = audit(root);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /nexxo build/);
});

// --- dev ---

const browser = sharedBrowser();
let devRoot;
let dev;

before(async () => {
  devRoot = await copyProject(clean);
  dev = await startDev(devRoot);
});
after(async () => {
  await dev?.stop();
});

const panelItems = (page) =>
  page.evaluate(() => {
    const panel = document.querySelector('nexxo-audits-panel');
    if (!panel) return null;
    return Array.from(panel.shadowRoot.querySelectorAll('li')).map((li) => ({ rule: li.dataset.rule, where: li.dataset.where, empty: li.classList.contains('empty') }));
  });

test('dev: the audits panel shows a problem an edit introduces, with its line, and clears it when fixed', async () => {
  const { page, problems: pageProblems } = await openPage(browser(), dev.url);
  await page.waitForSelector('h1');
  // JSX elements carry their source location in dev.
  assert.equal(await page.getAttribute('h1', 'data-nexxo-source'), 'src/App.tsx:7:7');
  await page.evaluate(() => (window.__auditMarker = 'kept'));
  await page.click('nexxo-audits-button >> button');
  await page.waitForFunction(() => document.querySelector('nexxo-audits-panel')?.shadowRoot.querySelector('li'));
  assert.deepEqual(await panelItems(page), [{ rule: undefined, where: undefined, empty: true }], 'the clean app has no problems');

  await atomicEdit(devRoot, 'src/App.tsx', '<p>\n        A small', '<img src="/favicon.svg" width="48" height="48" />\n      <p>\n        A small');
  await page.waitForFunction(() => document.querySelector('nexxo-audits-panel')?.shadowRoot.querySelector('li[data-rule="image-alt"]'), null, { timeout: 20_000 });
  const items = await panelItems(page);
  const alt = items.find((item) => item.rule === 'image-alt');
  assert.equal(alt.where, 'src/App.tsx:9:7', JSON.stringify(items));
  assert.equal(await page.evaluate(() => window.__auditMarker), 'kept', 'no reload');

  await atomicEdit(devRoot, 'src/App.tsx', '<img src="/favicon.svg" width="48" height="48" />', '<img src="/favicon.svg" alt="" width="48" height="48" />');
  await page.waitForFunction(() => !document.querySelector('nexxo-audits-panel')?.shadowRoot.querySelector('li[data-rule="image-alt"]'), null, { timeout: 20_000 });
  assert.deepEqual(await panelItems(page), [{ rule: undefined, where: undefined, empty: true }]);
  assert.equal(await page.evaluate(() => window.__auditMarker), 'kept', 'no reload');
  assert.deepEqual(pageProblems, []);
  await page.close();
});

test('dev: /__nexxo/audits shows the app with the panel open; the panel code is refused to other sites', async () => {
  const { page } = await openPage(browser(), `${dev.url}__nexxo/audits`);
  const frame = await (await page.waitForSelector('iframe')).contentFrame();
  await frame.waitForSelector('h1');
  await frame.waitForFunction(() => document.querySelector('nexxo-audits-panel')?.shadowRoot.querySelector('li'));
  await page.close();
  const crossSite = await rawGet(dev.port, '/@nexxo/audit/panel.js', { 'sec-fetch-site': 'cross-site' });
  assert.equal(crossSite.status, 403);
  const withoutToken = await rawGet(dev.port, '/@nexxo/audit/panel.js');
  assert.equal(withoutToken.status, 403);
  const page2 = await rawGet(dev.port, '/__nexxo/audits', { 'sec-fetch-site': 'cross-site' });
  assert.equal(page2.status, 403);
});
