// How each tool builds and serves each kind of app. A tool without a command for an app kind or
// a metric gets a row saying why, never a silent gap.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = (name) => path.join(benchDir, 'node_modules/.bin', name);
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(process.env.HOME ?? '', '.cache/nexxo-target');
export const nexxoBin = process.env.NEXXO_BIN ?? path.join(targetDir, 'release/nexxo');

const ESBUILD_TARGET = 'chrome107,edge107,firefox104,safari16';

/** Version of an installed npm package (or of the Nexxo binary). */
export function versionOf(tool) {
  if (tool.name === 'nexxo') return tool.packageVersion;
  try {
    return JSON.parse(readFileSync(path.join(benchDir, 'node_modules', tool.package, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

export const tools = [
  {
    name: 'nexxo',
    packageVersion: '0.1.0',
    kinds: ['react', 'vue', 'svelte', 'sass', 'angular'],
    build: () => ({ command: nexxoBin, args: ['build', '.'], out: 'dist' }),
    dev: (port) => ({ command: nexxoBin, args: ['dev', '.', '--port', String(port)] }),
    caches: ['node_modules/.nexxo'],
    persistentCache: true,
  },
  {
    name: 'vite',
    package: 'vite',
    kinds: ['react', 'vue', 'svelte', 'sass'],
    build: () => ({ command: bin('vite'), args: ['build'], out: 'dist' }),
    dev: (port) => ({ command: bin('vite'), args: ['--port', String(port), '--strictPort', '--host', '127.0.0.1'] }),
    caches: ['node_modules/.vite'],
    persistentCache: false,
  },
  {
    name: 'rsbuild',
    package: '@rsbuild/core',
    kinds: ['react', 'vue', 'svelte', 'sass'],
    build: () => ({ command: bin('rsbuild'), args: ['build'], out: 'dist' }),
    dev: (port) => ({ command: bin('rsbuild'), args: ['dev', '--port', String(port), '--host', '127.0.0.1'] }),
    caches: ['node_modules/.cache'],
    persistentCache: false,
  },
  {
    name: 'rspack',
    package: '@rspack/core',
    kinds: ['react'],
    build: () => ({ command: bin('rspack'), args: ['build', '--mode', 'production'], env: { NODE_ENV: 'production' }, out: 'dist' }),
    dev: (port) => ({ command: bin('rspack'), args: ['serve', '--mode', 'development', '--port', String(port), '--host', '127.0.0.1'], env: { NODE_ENV: 'development' } }),
    caches: ['node_modules/.cache'],
    persistentCache: false,
  },
  {
    name: 'next',
    package: 'next',
    kinds: ['next'],
    build: () => ({ command: bin('next'), args: ['build', '--turbopack'], env: { NEXT_TELEMETRY_DISABLED: '1' }, out: '.next/static' }),
    dev: (port) => ({ command: bin('next'), args: ['dev', '--turbopack', '--port', String(port), '--hostname', '127.0.0.1'], env: { NEXT_TELEMETRY_DISABLED: '1' } }),
    caches: ['.next'],
    // Next's dev client logs each hot-update build; right after the first load of a cold start it
    // runs one (30 s on react-10k) and an edit saved meanwhile never reaches the page.
    hmrConsole: { busy: '[Fast Refresh] rebuilding', idle: '[Fast Refresh] done' },
    persistentCache: true,
  },
  {
    name: 'esbuild',
    package: 'esbuild',
    kinds: ['react'],
    build: () => ({
      command: bin('esbuild'),
      args: ['src/main.tsx', '--bundle', '--splitting', '--format=esm', '--minify', '--sourcemap', '--outdir=dist', '--loader:.svg=file', '--jsx=automatic', `--target=${ESBUILD_TARGET}`],
      out: 'dist',
    }),
    dev: null,
    devUnsupported: 'build only (esbuild has no HMR dev server)',
    caches: [],
    persistentCache: false,
  },
  {
    name: 'bun',
    package: 'bun',
    kinds: ['react'],
    build: () => ({
      command: bin('bun'),
      // --production: minify and NODE_ENV=production, as every other tool does for builds.
      args: ['build', 'src/main.tsx', '--outdir=dist', '--splitting', '--production', '--sourcemap=linked', '--target=browser', '--loader', '.svg:file'],
      out: 'dist',
    }),
    dev: null,
    devUnsupported: "build only (the issue compares Bun's bundler)",
    caches: [],
    persistentCache: false,
  },
  {
    name: 'farm',
    package: '@farmfe/core',
    kinds: ['react'],
    build: () => ({ command: bin('farm'), args: ['build'], out: 'dist' }),
    dev: (port) => ({ command: bin('farm'), args: ['start', '--port', String(port), '--host', '127.0.0.1'] }),
    caches: ['node_modules/.farm'],
    persistentCache: true,
  },
  {
    name: 'angular',
    package: '@angular/cli',
    kinds: ['angular'],
    build: () => ({ command: bin('ng'), args: ['build'], env: { NG_CLI_ANALYTICS: 'false' }, out: 'dist' }),
    dev: null,
    devUnsupported: 'the Angular case measures builds only',
    caches: ['.angular/cache'],
    persistentCache: true,
  },
];

/** Whether the Nexxo binary this run uses exists. */
export const nexxoAvailable = () => existsSync(nexxoBin);
