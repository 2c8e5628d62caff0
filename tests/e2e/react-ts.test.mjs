// examples/react-ts (React 19 from the committed package-lock) in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, openPage, sharedBrowser, builtApp } from './harness.mjs';

const root = path.join(repoRoot, 'examples/react-ts');
const browser = sharedBrowser();
const app = builtApp(root);

test('the React app renders, keeps state, and opens the lazy route on click', async () => {
  const { page, problems } = await openPage(browser(), app().url);
  await page.waitForSelector('#home h1');
  assert.equal(await page.textContent('#home h1'), 'Nexxo + React');
  await page.click('#counter');
  await page.click('#counter');
  assert.equal(await page.textContent('#counter'), 'count is 2');
  const logoWidth = await page.$eval('#react-logo', (img) => img.complete && img.naturalWidth);
  assert.ok(logoWidth > 0, 'the inlined SVG renders');
  assert.equal(await page.$eval('#react-logo', (img) => getComputedStyle(img).height), '64px', 'CSS Module class');
  assert.equal(await page.$eval('nav', (nav) => getComputedStyle(nav).display), 'flex', 'nested rule in a CSS Module');
  assert.equal(await page.$eval('body', (body) => getComputedStyle(body).marginTop), '0px', 'global CSS');

  const aboutRequests = () => app().requests.filter((p) => /\/assets\/About-[\w-]+\.js$/.test(p)).length;
  assert.equal(aboutRequests(), 0, 'the lazy route is not loaded up front');
  await page.click('#nav-about');
  await page.waitForSelector('#about');
  assert.match(await page.textContent('#about p'), /loaded lazily in mode production/);
  assert.equal(aboutRequests(), 1);
  assert.deepEqual(problems, []);
  await page.close();
});
