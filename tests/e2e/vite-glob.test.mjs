// Vite's glob-backed imports, in the built app and under `nexxo dev`, in Chromium:
// `import.meta.glob` (eager and lazy, `import: 'default'` and a named export, `query: '?raw'`,
// `**` with a negative pattern, an alias pattern), a dynamic import with a variable
// (`import(`./locales/${lang}.js`)`, picked by a button, an unknown value rejected), and
// `new URL(`./flags/${name}.svg`, import.meta.url)`. In dev, a file added to or removed from a
// glob's folder shows on the page without a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import { sharedBrowser, openPage, startDev, buildOrThrow, serve, writeProject } from './harness.mjs';

const browser = sharedBrowser();
let root;

const files = {
  'nexxo.config.json': JSON.stringify({ resolve: { alias: { '@': './src' } } }),
  'index.html': `<!doctype html>
<html><head><title>glob</title><link rel="icon" href="data:,"></head>
<body>
<p id="eager"></p><p id="lazy"></p><p id="raw"></p><p id="alias"></p><p id="widgets"></p>
<input id="lang" value="fr"><button id="load">load</button><p id="locale"></p>
<script type="module" src="/src/main.ts"></script>
</body></html>`,
  'src/main.ts': `import './widgets.ts';
const $ = (id: string) => document.getElementById(id)!;

const eager = import.meta.glob('./items/*.ts', { eager: true, import: 'default' });
$('eager').textContent = Object.entries(eager).map(([key, value]) => key + '=' + value).join(',');

const lazy = import.meta.glob<{ default: string }>(['./items/**/*.ts', '!**/skip.ts']);
Promise.all(Object.entries(lazy).map(async ([key, load]) => key + '=' + (await load()).default))
  .then((parts) => ($('lazy').textContent = parts.join(',')));

const notes = import.meta.glob('./notes/*.txt', { query: '?raw', import: 'default', eager: true });
$('raw').textContent = Object.values(notes).map((text) => String(text).trim()).join(',');

const pages = import.meta.glob('@/pages/*.ts', { import: 'title' });
Promise.all(Object.entries(pages).map(async ([key, load]) => key + '=' + (await load())))
  .then((parts) => ($('alias').textContent = parts.join(',')));

$('load').addEventListener('click', async () => {
  const lang = ($('lang') as HTMLInputElement).value;
  try {
    const locale = await import(\`./locales/\${lang}.js\`);
    $('locale').textContent = locale.greeting;
  } catch (error) {
    $('locale').textContent = 'rejected: ' + (error as Error).message;
  }
});

for (const name of ['red', 'blue']) {
  const flag = document.createElement('img');
  flag.id = name;
  flag.src = new URL(\`./flags/\${name}.svg\`, import.meta.url).href;
  document.body.append(flag);
}
`,
  'src/widgets.ts': `const widgets = import.meta.glob('./widgets/*.ts', { eager: true, import: 'default' });
document.getElementById('widgets')!.textContent = Object.values(widgets).join(',');
import.meta.hot?.accept();
`,
  'src/widgets/one.ts': "export default 'one';\n",
  'src/widgets/two.ts': "export default 'two';\n",
  'src/items/a.ts': "export default 'A';\n",
  'src/items/b.ts': "export default 'B';\n",
  'src/items/skip.ts': "export default 'S';\n",
  'src/items/deep/c.ts': "export default 'C';\n",
  'src/notes/first.txt': 'first note\n',
  'src/notes/second.txt': 'second note\n',
  'src/pages/home.ts': "export const title = 'Home';\n",
  'src/pages/about.ts': "export const title = 'About';\n",
  'src/locales/en.js': "export const greeting = 'hello';\n",
  'src/locales/fr.js': "export const greeting = 'bonjour';\n",
  // Over assetsInlineLimit (4 kB): emitted as a file. The other is inlined as a data URL.
  'src/flags/red.svg': `<svg xmlns="http://www.w3.org/2000/svg" width="12" height="7"><!-- ${'x'.repeat(5000)} --><rect width="12" height="7" fill="red"/></svg>`,
  'src/flags/blue.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="3" height="5"><rect width="3" height="5" fill="blue"/></svg>',
};

const expected = {
  eager: './items/a.ts=A,./items/b.ts=B,./items/skip.ts=S',
  lazy: './items/a.ts=A,./items/b.ts=B,./items/deep/c.ts=C',
  raw: 'first note,second note',
  // Alias patterns give root-absolute keys, as in Vite; files sorted by path.
  alias: '/src/pages/about.ts=About,/src/pages/home.ts=Home',
  widgets: 'one,two',
  flags: 'red=12x7,blue=3x5',
};

before(async () => {
  root = await writeProject('nexxo-vite-glob-', files);
});

const textOf = (page, id) => page.evaluate((id) => document.getElementById(id).textContent, id);

/** Waits for the page to fill in, then reads every result shown. */
async function results(page) {
  await page.waitForFunction(
    () => ['eager', 'lazy', 'raw', 'alias', 'widgets'].every((id) => document.getElementById(id)?.textContent !== ''),
    null,
    { timeout: 10_000 },
  );
  await page.waitForFunction(() => ['red', 'blue'].every((id) => document.getElementById(id)?.complete));
  const flags = await page.evaluate(() =>
    ['red', 'blue'].map((id) => { const img = document.getElementById(id); return `${id}=${img.naturalWidth}x${img.naturalHeight}`; }).join(','),
  );
  const shown = { flags };
  for (const id of ['eager', 'lazy', 'raw', 'alias', 'widgets']) shown[id] = await textOf(page, id);
  return shown;
}

/** Picks a locale with the button; returns what the page shows for it. */
async function loadLocale(page, lang) {
  await page.fill('#lang', lang);
  await page.evaluate(() => (document.getElementById('locale').textContent = ''));
  await page.click('#load');
  await page.waitForFunction(() => document.getElementById('locale').textContent !== '');
  return textOf(page, 'locale');
}

async function checkApp(url) {
  const { page, problems } = await openPage(browser(), url);
  assert.deepEqual(await results(page), expected);
  assert.equal(await loadLocale(page, 'fr'), 'bonjour');
  assert.equal(await loadLocale(page, 'en'), 'hello');
  assert.equal(await loadLocale(page, 'de'), 'rejected: Unknown variable dynamic import: ./locales/de.js');
  assert.deepEqual(problems, []);
  return { page, problems };
}

test('the built app shows glob imports, a variable dynamic import and a new URL template', async () => {
  buildOrThrow(root);
  const server = await serve(path.join(root, 'dist'));
  try {
    const { page } = await checkApp(server.url);
    await page.close();
  } finally {
    await server.close();
  }
});

test('nexxo dev shows the same, and files added to or removed from a glob folder without a reload', async () => {
  const dev = await startDev(root);
  after(() => dev.stop());
  const { page, problems } = await checkApp(dev.url);
  // Survives hot updates, gone after a reload.
  await page.evaluate(() => (window.__nexxoTestMarker = 'kept'));

  await writeFile(path.join(root, 'src/widgets/three.ts'), "export default 'three';\n");
  await page.waitForFunction(() => document.getElementById('widgets').textContent === 'one,three,two');
  assert.equal(await page.evaluate(() => window.__nexxoTestMarker), 'kept', 'the page must not reload');

  await rm(path.join(root, 'src/widgets/one.ts'));
  await page.waitForFunction(() => document.getElementById('widgets').textContent === 'three,two');
  assert.equal(await page.evaluate(() => window.__nexxoTestMarker), 'kept', 'the page must not reload');
  assert.deepEqual(problems, [], 'no error on the page after the updates');
  await page.close();
});
