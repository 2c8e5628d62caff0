// What a user sees of the Vue, Svelte and Solid examples and fixtures, and of the PostCSS and
// Tailwind fixtures: the same checks after `nexxo build` and under `nexxo dev`. Every expected
// value was taken from the same project built by Vite 8 with the framework's official plugin.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const computed = (page, selector, property) =>
  page.$eval(selector, (el, name) => getComputedStyle(el)[name], property);
const textOf = (page, selector) => page.textContent(selector);

/** The title colour each example's own `<style>` (or, for Solid, the template's CSS) gives its h1. */
export const EXAMPLES = {
  'vue-ts': { title: 'Nexxo + Vue', titleColor: 'rgb(66, 184, 131)' },
  'svelte-ts': { title: 'Nexxo + Svelte', titleColor: 'rgb(255, 62, 0)' },
  'solid-ts': { title: 'Nexxo + Solid', titleColor: 'rgb(8, 6, 13)' },
};

/**
 * An example made by create-vite: the title, its colour, both images (the PNG emitted as a file,
 * the small SVG inlined in builds), the global stylesheet, and a counter that counts clicks.
 */
export async function checkExample(page, name, { dev = false } = {}) {
  const { title, titleColor } = EXAMPLES[name];
  await page.waitForSelector('[data-testid=counter]');
  assert.equal(await textOf(page, '[data-testid=title]'), title);
  assert.equal(await computed(page, '[data-testid=title]', 'color'), titleColor);
  assert.equal(await computed(page, 'body', 'marginTop'), '0px', 'the global stylesheet');
  const images = await page.$$eval('#center img', (imgs) =>
    Promise.all(imgs.map((img) => img.decode().then(() => [img.getAttribute('src'), img.naturalWidth]))),
  );
  assert.equal(images.length, 2);
  assert.match(images[0][0], /\/(assets\/hero-[\w-]{8}\.png|src\/assets\/hero\.png)$/, 'the PNG is a file of its own');
  // The build inlines a small SVG; the dev server serves it where it is, as Vite does.
  if (dev) assert.match(images[1][0], /^\/src\/assets\/\w+\.svg$/, 'the SVG is served where it is');
  else assert.match(images[1][0], /^data:image\/svg\+xml/, 'the small SVG is inlined');
  assert.ok(images.every(([, width]) => width > 0), `images render: ${JSON.stringify(images)}`);
  await clickCounter(page, 2);
  assert.equal((await textOf(page, '[data-testid=counter]')).trim(), 'Count is 2');
}

/** Clicks the example's counter `times` times. */
export async function clickCounter(page, times) {
  for (let i = 0; i < times; i++) await page.click('[data-testid=counter]');
}

/**
 * tests/fixtures/vue-features: `<script setup lang="ts">` with typed props, an options-API
 * component with a `<style module>` read through `$style`, scoped styles that stay inside their
 * component, SCSS, `v-bind()` in CSS (reactive), `<style src>`, default and named slots.
 */
export async function checkVueFeatures(page) {
  await page.waitForSelector('#greeting');
  assert.equal(await textOf(page, '#greeting'), 'Hello, Nexxo! (2)', 'defineProps<{…}>()');
  assert.equal(await computed(page, '#greeting', 'color'), 'rgb(0, 0, 255)', 'scoped style applies inside');
  assert.equal(await computed(page, '#outside', 'color'), 'rgb(0, 0, 0)', 'scoped style stays inside its component');

  const moduleClass = await page.getAttribute('#options-counter', 'class');
  assert.notEqual(moduleClass, 'button', '$style.button is the CSS Module class, not the source name');
  assert.match(moduleClass, /button/);
  assert.equal(await computed(page, '#options-counter', 'backgroundColor'), 'rgb(0, 128, 0)', '<style module>');
  await page.click('#options-counter');
  assert.equal(await textOf(page, '#options-counter'), 'options clicks: 1');
  assert.equal(await textOf(page, '#options-doubled'), 'doubled: 2', 'options-API computed');

  assert.equal(await computed(page, '#scss-box .inner', 'color'), 'rgb(128, 0, 128)', '<style lang="scss">');
  assert.equal(await computed(page, '#card', 'paddingTop'), '12px', '<style src="./card.css">');
  assert.equal(await textOf(page, '#card #card-body'), 'slotted body', 'default slot');
  assert.equal(await textOf(page, '#card footer'), 'slotted footer', 'named slot');

  assert.equal(await computed(page, '#themed', 'color'), 'rgb(255, 165, 0)', 'v-bind() in CSS');
  await page.click('#retheme');
  await page.waitForFunction(() => getComputedStyle(document.querySelector('#themed')).color === 'rgb(0, 0, 128)');
}

/**
 * tests/fixtures/svelte5: runes ($state, $derived, $props with defaults), TypeScript whose imports
 * are used only in the markup, component styles scoped to their component.
 */
export async function checkSvelte5(page) {
  await page.waitForSelector('#increment');
  assert.equal(await computed(page, '#title', 'color'), 'rgb(255, 62, 0)');
  assert.equal(await textOf(page, '#increment'), 'clicks: 0', 'a function imported for the markup');
  await page.click('#increment');
  await page.click('#increment');
  assert.equal(await textOf(page, '#increment'), 'clicks: 2', '$state');
  assert.equal(await textOf(page, '#doubled'), 'doubled: 4', '$derived');
  const badges = await page.$$eval('main .badge', (els) => els.map((el) => [el.textContent, getComputedStyle(el).color]));
  assert.deepEqual(badges, [
    ['typed props (info)', 'rgb(0, 0, 255)'],
    ['warning (warn)', 'rgb(200, 120, 0)'],
  ], 'a component imported for the markup, $props with a default, its own SCSS styles with a partial');
  assert.equal(await computed(page, '#outside', 'color'), 'rgb(0, 0, 0)', 'component styles stay inside');
  // @lucide/svelte's icon: a `.svelte` file inside a package (pre-bundled in dev).
  const icon = await page.$eval('#icon svg', (svg) => [svg.getAttribute('width'), svg.getAttribute('stroke')]);
  assert.deepEqual(icon, ['32', 'rgb(0, 128, 0)'], 'a Svelte component library renders');
}

/** tests/fixtures/svelte4: `export let`, `$:`, `on:click`, `new App({ target, props })`. */
export async function checkSvelte4(page) {
  await page.waitForSelector('#increment');
  assert.equal(await textOf(page, '#title'), 'Hello Svelte 4', 'export let from props');
  assert.equal(await computed(page, '#title', 'color'), 'rgb(255, 62, 0)');
  await page.click('#increment');
  await page.click('#increment');
  assert.equal(await textOf(page, '#increment'), 'count: 2');
  assert.equal(await textOf(page, '#doubled'), 'doubled: 4', 'reactive statement');
  assert.equal(await textOf(page, 'main .note'), 'classic props');
  assert.equal(await computed(page, 'main .note', 'color'), 'rgb(0, 0, 255)');
  assert.equal(await computed(page, '#outside', 'color'), 'rgb(0, 0, 0)', 'component styles stay inside');
}

/** tests/fixtures/solid: signals, `<For>`, `<Show>` with a fallback, a .jsx and typed .tsx files. */
export async function checkSolid(page) {
  await page.waitForSelector('#todos li');
  assert.equal(await textOf(page, '#title'), 'Solid todos');
  assert.equal(await computed(page, '#title', 'color'), 'rgb(46, 79, 143)', 'style object');
  const items = () => page.$$eval('#todos li', (lis) => lis.map((li) => `${li.textContent}:${li.className}`));
  assert.deepEqual(await items(), ['write the fixture:done', 'build it with nexxo:'], '<For> and classList');
  assert.equal(await textOf(page, '#remaining'), '1 left');
  assert.equal(await page.$('#details'), null, '<Show> hides');
  await page.click('#add');
  assert.deepEqual(await items(), ['write the fixture:done', 'build it with nexxo:', 'todo 3:']);
  assert.equal(await textOf(page, '#remaining'), '2 left');
  await page.click('#toggle');
  assert.equal(await textOf(page, '#details'), 'details from a .jsx component');
  assert.equal(await textOf(page, '#toggle'), 'hide');
}

/**
 * Tailwind's red-600 as painted: v4 writes OKLCH, which a tool may keep or convert to another
 * notation for older targets (lightningcss writes `lab()` for Chrome 107), so the colour is
 * compared as the sRGB pixel the browser paints; v3 writes RGB.
 */
const TAILWIND_RED_600 = { 4: [231, 0, 11], 3: [220, 38, 38] };

/** The sRGB pixel `color` (any CSS colour notation) paints, through a canvas. */
export async function paintedRgb(page, color) {
  return page.evaluate((value) => {
    const context = document.createElement('canvas').getContext('2d');
    context.fillStyle = value;
    context.fillRect(0, 0, 1, 1);
    return Array.from(context.getImageData(0, 0, 1, 1).data.slice(0, 3));
  }, color);
}

/** Asserts two sRGB pixels match within rounding (1 step per channel). */
export function assertSameColor(actual, expected, what) {
  const close = actual.every((channel, i) => Math.abs(channel - expected[i]) <= 1);
  assert.ok(close, `${what}: painted rgb(${actual}) but expected rgb(${expected})`);
}

/**
 * The Tailwind fixtures: utilities used in index.html and only in a script, the project's own
 * theme colour, and the preflight reset.
 */
export async function checkTailwind(page, majorVersion) {
  await page.waitForSelector('#widget');
  const red = await paintedRgb(page, await computed(page, '#heading', 'color'));
  assertSameColor(red, TAILWIND_RED_600[majorVersion], 'text-red-600');
  assert.equal(await computed(page, '#heading', 'paddingTop'), '16px', 'p-4');
  assert.equal(await computed(page, '#heading', 'fontWeight'), '700', 'font-bold');
  assert.equal(await computed(page, '#widget', 'color'), 'rgb(18, 52, 86)', 'text-brand (theme)');
  assert.equal(await computed(page, '#widget', 'paddingLeft'), '24px', 'px-6, found in a script');
  assert.equal(await computed(page, '#widget', 'marginTop'), '8px', 'mt-2');
  assert.equal(await computed(page, '#widget', 'borderTopLeftRadius'), '8px', 'rounded-lg');
  assert.equal(await computed(page, 'body', 'marginTop'), '0px', 'preflight');
}

/** tests/fixtures/postcss-plugin: the project's own plugin turned `solid` into `double`; nesting. */
export async function checkPostcssPlugin(page) {
  await page.waitForSelector('#card');
  assert.equal(await computed(page, '#card', 'borderTopStyle'), 'double', 'the local PostCSS plugin ran');
  assert.equal(await computed(page, '#card', 'borderTopWidth'), '4px');
  assert.equal(await computed(page, '#card', 'borderTopColor'), 'rgb(10, 20, 30)');
  assert.equal(await computed(page, '#card .title', 'color'), 'rgb(0, 100, 0)', 'nested rule');
}

/** The 1-based line of `root/file` holding `text`. */
export async function lineOf(root, file, text) {
  const lines = (await readFile(path.join(root, file), 'utf8')).split('\n');
  const index = lines.findIndex((line) => line.includes(text));
  assert.ok(index >= 0, `${file} should contain ${text}`);
  return index + 1;
}

/** One syntax error per framework, in the example's component (as Vite reports them: the line
 * of the broken text). */
export const BROKEN_COMPONENTS = {
  'vue-ts': { file: 'src/components/Counter.vue', from: '{{ count }}', to: '{{ count }', line: '{{ count }}' },
  'svelte-ts': { file: 'src/App.svelte', from: '</h1>', to: '</h2>', line: '</h1>' },
  'solid-ts': { file: 'src/App.tsx', from: '</h1>', to: '</h2>', line: '</h1>' },
};
