// tests/fixtures/css: computed styles in headless Chromium for @import (relative and npm),
// nesting, url() assets, Sass, CSS Modules with composes, ?inline/?url, and a lazy chunk's CSS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, openPage, sharedBrowser, builtApp } from './harness.mjs';

const root = path.join(repoRoot, 'tests/fixtures/css');
const browser = sharedBrowser();
const app = builtApp(root);

const style = (page, selector, property) =>
  page.$eval(selector, (el, p) => getComputedStyle(el).getPropertyValue(p), property);

test('stylesheets linked and imported apply in the browser', async () => {
  const { page, problems } = await openPage(browser(), app().url);
  await page.waitForFunction(() => document.querySelector('#info').textContent.length > 0);
  assert.equal(await style(page, 'body', 'margin-top'), '0px', 'normalize.css from node_modules');
  assert.equal(await style(page, 'h2', 'border-top-color'), 'rgb(10, 20, 30)', 'relative @import and custom properties');
  assert.equal(await style(page, '.card', 'color'), 'rgb(1, 2, 3)');
  assert.equal(await style(page, '.card .title', 'color'), 'rgb(200, 0, 0)', 'a nested rule');
  assert.equal(await style(page, '#sass-box', 'width'), '123px', 'a Sass variable from a partial');
  assert.equal(await style(page, '#sass-box', 'height'), '45px');
  assert.equal(await style(page, '#sass-box', 'color'), 'rgb(7, 8, 9)', '@use of a folder that @forwards a partial');
  assert.equal(await style(page, '#sass-indented', 'width'), '17px', 'indented .sass syntax with sass:math');

  const background = await style(page, '#bg-box', 'background-image');
  assert.match(background, /\/assets\/bg-[\w-]{8}\.png/, 'url() points at the hashed asset');
  const loaded = await page.evaluate(async (css) => {
    const src = css.match(/url\("(.*)"\)/)[1];
    const img = new Image();
    img.src = src;
    await img.decode();
    return img.naturalWidth;
  }, background);
  assert.ok(loaded > 0, 'the background image loads');

  const info = JSON.parse(await page.textContent('#info'));
  assert.match(info.paddedClass, /^button-module__padded__[\w-]+$/, 'CSS Module class names are scoped');
  assert.equal(await style(page, '#module-box', 'padding-left'), '11px');
  assert.equal(await style(page, '#composed-box', 'padding-left'), '11px', 'composes a local class');
  assert.equal(await style(page, '#composed-box', 'border-top-color'), 'rgb(0, 0, 255)', 'composes from another file');
  assert.equal(await style(page, '#composed-box', 'background-color'), 'rgb(0, 128, 0)');
  assert.match(info.inlineCss, /\.from-inline\{color:#040506\}/, '?inline gives the CSS text');
  assert.equal(info.rawCss, '.from-inline { color: rgb(4, 5, 6); }\n', '?raw gives the source text');
  assert.match(info.cssUrl, /^\/assets\/inline-[\w-]{8}\.css$/, '?url gives the emitted file');
  assert.match(await (await page.request.get(new URL(info.cssUrl, app().url).href)).text(), /\.from-inline/);
  assert.equal(await page.$('link[href="/src/global.css"]'), null, 'the source stylesheet link is replaced');
  assert.deepEqual(problems, []);
  await page.close();
});

test("a lazy chunk's styles apply before it renders", async () => {
  const { page, problems } = await openPage(browser(), app().url);
  await page.waitForSelector('#open-lazy');
  const lazyCss = () => app().requests.filter((p) => /\/assets\/lazy-[\w-]{8}\.css$/.test(p)).length;
  const before = lazyCss();
  await page.click('#open-lazy');
  await page.waitForSelector('#lazy-box');
  assert.equal(await page.getAttribute('#lazy-box', 'data-first-width'), '77px');
  assert.equal(lazyCss(), before + 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test('entry CSS is linked from the HTML in import order', () => {
  const html = readFileSync(path.join(root, 'dist/index.html'), 'utf8');
  const href = html.match(/<link rel="stylesheet" crossorigin href="\/(assets\/index-[\w-]{8}\.css)">/)[1];
  const css = readFileSync(path.join(root, 'dist', href), 'utf8');
  const order = ['normalize.css', '--brand', '.card', '#sass-box', '#sass-indented', 'shared-module__bordered', 'button-module__padded'];
  const positions = order.map((marker) => css.indexOf(marker));
  assert.ok(positions.every((p) => p >= 0), `${positions}`);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'rules follow import order');
});
