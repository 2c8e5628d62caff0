#!/usr/bin/env node
// Nexxo's benchmark runner: generates the apps, builds and serves each with every tool
// (interleaved run by run), and writes results.json, SVG charts and BENCHMARKS.md.
//
//   node bench/run.mjs                       all apps, all tools, 5 runs
//   node bench/run.mjs --apps react-1k --tools nexxo,vite --runs 3
//   node bench/run.mjs --smoke --out /tmp/x  the test suite's quick check (smallest app, 2 tools)
//   node bench/run.mjs --report bench/results/<date>/results.json   only rewrite BENCHMARKS.md
//   node bench/run.mjs --apps react-1k --carry bench/results/<earlier>/results.json
//                                            rerun one app, keep the others' earlier sections
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { generateAngularApp, generateNextApp, generateReactApp, generateSassApp } from './lib/generate.mjs';
import { generateSvelteApp, generateVueApp } from './lib/generate-sfc.mjs';
import { outputSize, startProcess, timeBuild, waitForHttp } from './lib/measure.mjs';
import { nexxoAvailable, nexxoBin, tools as allTools, versionOf } from './lib/tools.mjs';
import { METRICS, writeReport } from './lib/report.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);

const APPS = {
  smoke: { kind: 'react', size: 50, description: 'React 19 + TS, 50 components (smoke test of the runner).' },
  'react-1k': { kind: 'react', size: 1000, description: 'React 19 + TS, 1,000 components in a tree, each with a CSS Module and an SVG icon; half the tree behind a lazy route.' },
  'react-5k': { kind: 'react', size: 5000, description: 'React 19 + TS, 5,000 components (same shape).' },
  'react-10k': { kind: 'react', size: 10000, description: 'React 19 + TS, 10,000 components (same shape).' },
  'vue-1k': { kind: 'vue', size: 1000, description: 'Vue 3 + TS, the same 1,000-component tree as single-file components (`<script setup lang="ts">`, template, scoped style, SVG icon); half the tree behind a lazy route.' },
  'svelte-1k': { kind: 'svelte', size: 1000, description: 'Svelte 5 + TS, the same 1,000-component tree as `.svelte` components (`<script lang="ts">`, markup, scoped style, SVG icon); half the tree behind a lazy route.' },
  'angular-1k': { kind: 'angular', size: 1000, description: 'Angular, 1,000 standalone components in the same tree shape (builds only).' },
  sass: { kind: 'sass', size: 300, description: 'Bootstrap 5 from npm plus 300 generated Sass partials (variables, mixins, nesting), compiled and minified (builds only).' },
};

const { values: options } = parseArgs({
  options: {
    apps: { type: 'string', default: 'react-1k,react-10k,vue-1k,svelte-1k,angular-1k,sass' },
    tools: { type: 'string' },
    runs: { type: 'string', default: '5' },
    edits: { type: 'string', default: '5' },
    out: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    report: { type: 'string' },
    carry: { type: 'string' },
    'no-markdown': { type: 'boolean', default: false },
  },
});

const log = (...parts) => console.error('[bench]', ...parts);

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The folder a tool works in for an app (Next.js gets its own variant of the app). */
function appDir(appName, tool) {
  return path.join(benchDir, '.apps', tool.kinds.includes('next') ? `${appName}-next` : appName);
}

/** Kinds of app served in a browser for dev start and HMR; the others measure builds only. */
const DEV_KINDS = new Set(['react', 'vue', 'svelte']);

function supports(tool, app) {
  return tool.kinds.includes(app.kind) || (app.kind === 'react' && tool.kinds.includes('next'));
}

function generate(appName, app) {
  const dir = path.join(benchDir, '.apps', appName);
  log(`generating ${appName}`);
  if (app.kind === 'react') {
    const facts = generateReactApp(dir, app.size);
    generateNextApp(`${dir}-next`, app.size);
    return facts;
  }
  if (app.kind === 'vue') return generateVueApp(dir, app.size);
  if (app.kind === 'svelte') return generateSvelteApp(dir, app.size);
  if (app.kind === 'angular') generateAngularApp(dir, app.size);
  if (app.kind === 'sass') generateSassApp(dir, app.size);
  return null;
}

function clearCaches(dir, tool, out) {
  for (const cache of [...tool.caches, out]) rmSync(path.join(dir, cache), { recursive: true, force: true });
}

function record(result, key, value) {
  (result.samples[key] ??= []).push(value);
}

async function measureBuild(tool, dir, result, warm) {
  const build = tool.build();
  if (!warm) clearCaches(dir, tool, build.out);
  else rmSync(path.join(dir, build.out), { recursive: true, force: true });
  const { seconds, peakRss } = await timeBuild(build.command, build.args, { cwd: dir, env: build.env });
  record(result, warm ? 'buildWarm' : 'buildCold', seconds);
  if (!warm) {
    record(result, 'buildRss', peakRss);
    const size = outputSize(path.join(dir, build.out));
    record(result, 'outRaw', size.raw);
    record(result, 'outGzip', size.gzip);
  }
}

/** Waits until the first render shows every eager component. */
async function waitRendered(page, facts) {
  await page.waitForFunction((count) => document.querySelectorAll('[data-c]').length >= count, facts.firstRenderNodes, {
    polling: 50,
    timeout: 180000,
  });
}

/** Watches the page for work still under way: HTTP requests in flight (WebSockets are not
 * requests, so HMR sockets do not count) and, for a tool that logs its hot-update builds to the
 * console (`tool.hmrConsole`), a build started but not finished. `quiet(ms)` resolves once neither
 * has been seen for `ms`, or after three minutes. */
function trackActivity(page, tool) {
  let inFlight = 0;
  let building = 0;
  let lastActivity = performance.now();
  const requestsChange = (delta) => () => {
    inFlight += delta;
    lastActivity = performance.now();
  };
  page.on('request', requestsChange(1));
  page.on('requestfinished', requestsChange(-1));
  page.on('requestfailed', requestsChange(-1));
  const patterns = tool.hmrConsole;
  if (patterns) {
    page.on('console', (message) => {
      const text = message.text();
      if (text.includes(patterns.busy)) building++;
      else if (text.includes(patterns.idle)) building = Math.max(0, building - 1);
      else return;
      lastActivity = performance.now();
    });
  }
  return {
    async quiet(ms) {
      const deadline = performance.now() + 180000;
      const busy = () => inFlight > 0 || building > 0 || performance.now() - lastActivity < ms;
      while (performance.now() < deadline && busy()) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** Edits `file` `edits` times, each time waiting for the DOM to show the change; returns ms each. */
async function hmrLatencies(page, dir, file, selector, search, edits) {
  const target = path.join(dir, file);
  const original = readFileSync(target, 'utf8');
  const latencies = [];
  try {
    for (let k = 1; k <= edits; k++) {
      const marker = `edit${k}x${Date.now() % 100000}`;
      const started = performance.now();
      writeFileSync(target, original.replace(search, `${search} ${marker}`));
      await page.waitForFunction(([s, m]) => document.querySelector(s)?.textContent.includes(m), [selector, marker], {
        polling: 'raf',
        timeout: 180000,
      });
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    writeFileSync(target, original);
  }
  return latencies;
}

async function measureDev(tool, dir, facts, result, browser, { warm, withHmr, edits }) {
  const build = tool.build();
  if (!warm) clearCaches(dir, tool, build.out);
  const port = await freePort();
  const dev = tool.dev(port);
  const url = `http://127.0.0.1:${port}/`;
  const context = await browser.newContext();
  const started = performance.now();
  const server = startProcess(dev.command, dev.args, { cwd: dir, env: dev.env });
  try {
    await waitForHttp(url, server);
    const page = await context.newPage();
    const activity = trackActivity(page, tool);
    await page.goto(url, { timeout: 300000 });
    await waitRendered(page, facts);
    record(result, warm ? 'devWarm' : 'devCold', (performance.now() - started) / 1000);
    if (withHmr) {
      await activity.quiet(2000);
      for (const latency of await hmrLatencies(page, dir, facts.rootFile, '#title', 'Bench v0', edits)) record(result, 'hmrRoot', latency);
      const leafSearch = `>C${facts.leafIndex}`;
      const leafSelector = `[data-c="${facts.leafIndex}"] > span`;
      for (const latency of await hmrLatencies(page, dir, facts.leafFile, leafSelector, leafSearch, edits)) record(result, 'hmrLeaf', latency);
      record(result, 'devRss', server.currentRss());
    }
  } finally {
    await context.close();
    await server.stop();
  }
}

/** Runs one measurement; on failure every metric in `keys` records why. Skipped when the first
 * metric already has a reason (not applicable, or failed in an earlier run). */
async function attempt(result, keys, action) {
  if (result.notes[keys[0]]) return;
  try {
    await action();
  } catch (error) {
    const reason = `failed: ${String(error.message).split('\n')[0].slice(0, 160)}`;
    log(reason);
    log(String(error.message).slice(0, 2000));
    // Metrics this attempt measured before failing keep their samples.
    for (const key of keys) if (!result.samples[key]?.length) result.notes[key] = reason;
  }
}

async function benchmark() {
  const smoke = options.smoke;
  const appNames = smoke ? ['smoke'] : options.apps.split(',');
  const toolNames = options.tools?.split(',') ?? (smoke ? ['nexxo', 'vite'] : allTools.map((t) => t.name));
  const runs = smoke ? 1 : Number(options.runs);
  const edits = smoke ? 2 : Number(options.edits);
  const selectedTools = allTools.filter((t) => toolNames.includes(t.name));
  const date = new Date().toISOString().slice(0, 10);
  const resultsDir = path.resolve(options.out ?? path.join(benchDir, 'results', date));
  const results = {
    date,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown CPU',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()}`,
      node: process.versions.node,
    },
    tools: Object.fromEntries(selectedTools.map((t) => [t.name, versionOf(t)])),
    runs,
    apps: {},
  };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const appName of appNames) {
      const app = APPS[appName];
      if (!app) throw new Error(`unknown app ${appName}; known: ${Object.keys(APPS).join(', ')}`);
      const facts = generate(appName, app);
      const appResult = { description: app.description, date, runs, tools: {} };
      results.apps[appName] = appResult;
      const active = [];
      for (const tool of selectedTools) {
        // Tools for other kinds of app (Angular CLI on React, Next.js on Angular) get no row,
        // except where Nexxo lacks a feature a user would expect.
        if (!supports(tool, app)) {
          const lacking = tool.lacks?.[app.kind];
          if (lacking) {
            // Every metric: the table shows only the columns some other tool measured.
            appResult.tools[tool.name] = { samples: {}, notes: Object.fromEntries(METRICS.map((m) => [m.key, lacking])) };
          }
          continue;
        }
        const result = { samples: {}, notes: {} };
        appResult.tools[tool.name] = result;
        if (tool.name === 'nexxo' && !nexxoAvailable()) {
          result.notes.buildCold = `nexxo binary missing at ${nexxoBin}`;
          continue;
        }
        if (!tool.persistentCache) result.notes.buildWarm = 'no persistent build cache';
        const devApplies = DEV_KINDS.has(app.kind);
        if (!devApplies || !tool.dev) {
          const reason = devApplies ? tool.devUnsupported : 'builds only for this app';
          for (const key of ['devCold', 'devWarm', 'hmrRoot', 'hmrLeaf', 'devRss']) result.notes[key] = reason;
        }
        active.push(tool);
      }
      for (let run = 0; run < runs; run++) {
        for (const tool of active) {
          log(`${appName} ${tool.name}: build ${run + 1}/${runs}`);
          const result = appResult.tools[tool.name];
          await attempt(result, ['buildCold', 'buildRss', 'outRaw', 'outGzip'], () => measureBuild(tool, appDir(appName, tool), result, false));
          if (tool.persistentCache) {
            await attempt(result, ['buildWarm'], () => measureBuild(tool, appDir(appName, tool), result, true));
          }
        }
      }
      for (let run = 0; run < runs; run++) {
        for (const tool of active.filter((t) => t.dev && DEV_KINDS.has(app.kind))) {
          log(`${appName} ${tool.name}: dev ${run + 1}/${runs}`);
          const result = appResult.tools[tool.name];
          const dir = appDir(appName, tool);
          await attempt(result, ['devCold', 'hmrRoot', 'hmrLeaf', 'devRss'], () =>
            measureDev(tool, dir, facts, result, browser, { warm: false, withHmr: run === 0, edits }),
          );
          await attempt(result, ['devWarm'], () => measureDev(tool, dir, facts, result, browser, { warm: true, withHmr: false, edits }));
        }
      }
    }
  } finally {
    await browser.close();
  }
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = path.join(resultsDir, 'results.json');
  // Another run of the same day keeps the apps and tools it did not measure again.
  if (existsSync(resultsFile) && !smoke) {
    const earlier = JSON.parse(readFileSync(resultsFile, 'utf8'));
    for (const [name, app] of Object.entries(results.apps)) {
      const before = earlier.apps[name];
      if (before) app.tools = { ...before.tools, ...app.tools };
    }
    results.apps = { ...earlier.apps, ...results.apps };
    results.tools = { ...earlier.tools, ...results.tools };
  }
  // `--carry <earlier results.json>`: apps this run did not measure keep their earlier section
  // (with its own date and run count), so one app can be rerun without dropping the others.
  if (options.carry && !smoke) {
    const earlier = JSON.parse(readFileSync(options.carry, 'utf8'));
    for (const [name, app] of Object.entries(earlier.apps)) {
      if (results.apps[name]) continue;
      results.apps[name] = { date: earlier.date, runs: earlier.runs, ...app };
      for (const tool of Object.keys(app.tools)) results.tools[tool] ??= earlier.tools[tool];
    }
  }
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  log(`results in ${path.join(resultsDir, 'results.json')}`);
  return { results, resultsDir };
}

async function main() {
  let results;
  let resultsDir;
  if (options.report) {
    results = JSON.parse(readFileSync(options.report, 'utf8'));
    resultsDir = path.dirname(path.resolve(options.report));
  } else {
    ({ results, resultsDir } = await benchmark());
  }
  if (options['no-markdown'] || options.smoke) {
    const markdown = writeReport(results, resultsDir, path.join(resultsDir, 'BENCHMARKS.md'));
    writeFileSync(path.join(resultsDir, 'BENCHMARKS.md'), markdown);
  } else {
    const target = path.join(repoRoot, 'BENCHMARKS.md');
    writeFileSync(target, writeReport(results, resultsDir, target));
    log(`wrote ${target}`);
  }
}

if (!existsSync(path.join(benchDir, 'node_modules'))) {
  console.error('bench: run `npm ci` in bench/ first (see bench/README.md)');
  process.exit(2);
}
await main();
