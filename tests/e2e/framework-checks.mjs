// What a user sees of the Preact and Lit fixtures, checked the same way after `nexxo build` and
// under `nexxo dev`.
import assert from 'node:assert/strict';

/** The Preact fixture: a hook-driven counter. */
export async function checkPreactClicker(page) {
  await page.waitForSelector('#clicker');
  assert.equal(await page.textContent('#clicker'), 'preact clicks: 0');
  await page.click('#clicker');
  assert.equal(await page.textContent('#clicker'), 'preact clicks: 1');
}

/** The Lit fixture: a decorated custom element with scoped styles and a reactive property. */
export async function checkLitGreeting(page) {
  const greeting = page.locator('greeting-card #greeting');
  await greeting.waitFor();
  assert.equal(await greeting.textContent(), 'Hello, Nexxo!');
  assert.equal(await greeting.evaluate((el) => getComputedStyle(el).color), 'rgb(0, 128, 0)');
  await page.locator('greeting-card #bump').click();
  assert.equal(await page.locator('greeting-card #bump').textContent(), 'bumped 1');
}
