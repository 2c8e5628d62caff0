// The Vue and Svelte generators write components their real compilers accept without a warning,
// and the facts the runner edits and counts hold in the written files.
// Run with `node --test bench/lib/` after `npm install` in bench/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { generateSvelteApp, generateVueApp } from './generate-sfc.mjs';

const require = createRequire(import.meta.url);
const COMPONENTS = 50;

function withApp(generate, check) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'nexxo-bench-sfc-'));
  try {
    check(root, generate(root, COMPONENTS));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function filesEndingWith(root, extension) {
  return readdirSync(root, { recursive: true }).filter((file) => file.endsWith(extension)).map((file) => path.join(root, file));
}

/** What the runner's HMR edits rely on: each search text occurs once in its file. */
function assertEditTargets(root, facts) {
  const occurrences = (file, text) => readFileSync(path.join(root, file), 'utf8').split(text).length - 1;
  assert.equal(occurrences(facts.rootFile, 'Bench v0'), 1);
  assert.equal(occurrences(facts.leafFile, `>C${facts.leafIndex}`), 1);
}

function countDataC(files) {
  return files.filter((file) => /data-c="\d+"/.test(readFileSync(file, 'utf8'))).length;
}

test('Vue app: every SFC compiles, the eager tree and edit targets match the facts', () => {
  const { parse, compileScript, compileTemplate, compileStyle } = require('vue/compiler-sfc');
  withApp(generateVueApp, (root, facts) => {
    const files = filesEndingWith(path.join(root, 'src'), '.vue');
    assert.equal(files.length, COMPONENTS + 2); // components, App and the lazy route
    for (const file of files) {
      const { descriptor, errors } = parse(readFileSync(file, 'utf8'), { filename: file });
      assert.deepEqual(errors, [], file);
      const id = path.basename(file);
      const script = compileScript(descriptor, { id, inlineTemplate: true });
      assert.match(script.content, /export default/, file);
      for (const style of descriptor.styles) {
        const compiled = compileStyle({ source: style.content, filename: file, id: `data-v-${id}`, scoped: style.scoped });
        assert.deepEqual(compiled.errors, [], file);
      }
      const template = compileTemplate({ source: descriptor.template.content, filename: file, id });
      assert.deepEqual(template.errors, [], file);
    }
    assert.equal(countDataC(files), COMPONENTS);
    assert.ok(facts.firstRenderNodes > 0 && facts.firstRenderNodes < COMPONENTS);
    assertEditTargets(root, facts);
    assert.ok(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies.vue);
  });
});

test('Svelte app: every component compiles without warnings, edit targets match the facts', () => {
  const { compile } = require('svelte/compiler');
  withApp(generateSvelteApp, (root, facts) => {
    const files = filesEndingWith(path.join(root, 'src'), '.svelte');
    assert.equal(files.length, COMPONENTS + 2);
    for (const file of files) {
      const { warnings } = compile(readFileSync(file, 'utf8'), { filename: file, generate: 'client', dev: true });
      assert.deepEqual(warnings.map((w) => w.message), [], file);
    }
    assert.equal(countDataC(files), COMPONENTS);
    assertEditTargets(root, facts);
    assert.ok(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies.svelte);
  });
});
