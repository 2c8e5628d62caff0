// Generators of the benchmark apps. Every app is written from scratch into a folder, with the
// same sources for every tool and each tool's own config beside them.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const BRANCHING = 4;
export const ICONS = 20;

export function write(root, file, text) {
  const target = path.join(root, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
}

/** Children of component i in a 4-ary tree over 1..n (0 is the virtual root). */
export function childrenOf(i, n) {
  const children = [];
  for (let c = i * BRANCHING + 1; c <= i * BRANCHING + BRANCHING && c < n; c++) children.push(c);
  return children;
}

export function subtree(i, n) {
  const nodes = [];
  const stack = [i];
  while (stack.length) {
    const node = stack.pop();
    nodes.push(node);
    stack.push(...childrenOf(node, n));
  }
  return nodes;
}

export function icon(k) {
  const hue = (k * 37) % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="${3 + (k % 5)}" fill="hsl(${hue} 70% 50%)"/><rect x="2" y="2" width="${4 + (k % 7)}" height="3" fill="hsl(${(hue + 90) % 360} 60% 40%)"/></svg>\n`;
}

function reactComponent(i, n) {
  const children = childrenOf(i, n);
  const imports = children.map((c) => `import C${c} from './C${c}';`).join('\n');
  const rendered = children.map((c) => `      <C${c} />`).join('\n');
  return `import styles from './C${i}.module.css';
import icon from '../icons/icon${i % ICONS}.svg';
import { iconUrl } from '../icon-url';
${imports}

export default function C${i}() {
  return (
    <div className={styles.box} data-c="${i}">
      <img src={iconUrl(icon)} width={8} height={8} alt="" />
      <span className={styles.label}>C${i}</span>
${rendered}
    </div>
  );
}
`;
}

export function cssModule(i) {
  // Every module's text is distinct (hue and lightness together are unique up to 10,800
  // components), as in a real app: tools that name classes after a hash of the CSS text (Vite's
  // postcss-modules) would otherwise give identical modules one name and their minifiers drop the
  // repeated rules, which made the 10k outputs unequal work.
  const hue = (i * 7) % 360;
  const lightness = 45 + (Math.floor(i / 360) % 30);
  return `.box {
  padding: 1px 0 1px 4px;
  border-left: 1px solid hsl(${hue} 50% ${lightness}%);
  & > img {
    vertical-align: middle;
  }
}

.label {
  font-size: 10px;
  color: hsl(${hue} 40% ${lightness - 25}%);
  user-select: none;
}
`;
}

/**
 * The React 19 + TypeScript app: `components` components in a tree, each with a CSS Module and
 * an SVG icon; the home route renders the first half eagerly, a lazy route the other half.
 * Returns the facts the runner needs (how many nodes the first render shows, files to edit).
 */
export function generateReactSources(root, components) {
  const n = components + 1;
  for (let i = 1; i < n; i++) {
    write(root, `src/components/C${i}.tsx`, reactComponent(i, n));
    write(root, `src/components/C${i}.module.css`, cssModule(i));
  }
  for (let k = 0; k < ICONS; k++) write(root, `src/icons/icon${k}.svg`, icon(k));
  write(root, 'src/icon-url.ts', `// Tools disagree on what an SVG import gives (a URL or an image object).
export const iconUrl = (icon: unknown): string =>
  typeof icon === 'string' ? icon : (icon as { src: string }).src;
`);
  write(root, 'src/assets.d.ts', `declare module '*.svg' { const value: any; export default value; }
declare module '*.module.css' { const classes: Record<string, string>; export default classes; }
`);
  const roots = childrenOf(0, n);
  const eager = roots.slice(0, Math.ceil(roots.length / 2));
  const lazy = roots.slice(eager.length);
  write(root, 'src/routes/LazyRoute.tsx', `${lazy.map((c) => `import C${c} from '../components/C${c}';`).join('\n')}

export default function LazyRoute() {
  return (
    <section id="lazy-route">
${lazy.map((c) => `      <C${c} />`).join('\n')}
    </section>
  );
}
`);
  write(root, 'src/App.tsx', `import { lazy, Suspense, useState } from 'react';
${eager.map((c) => `import C${c} from './components/C${c}';`).join('\n')}
import './global.css';

const LazyRoute = lazy(() => import('./routes/LazyRoute'));

export default function App() {
  const [route, setRoute] = useState<'home' | 'lazy'>('home');
  return (
    <main>
      <h1 id="title">Bench v0</h1>
      <button id="go-lazy" onClick={() => setRoute('lazy')}>lazy</button>
      {route === 'home' ? (
        <section id="home">
${eager.map((c) => `          <C${c} />`).join('\n')}
        </section>
      ) : (
        <Suspense fallback={<p>loading</p>}>
          <LazyRoute />
        </Suspense>
      )}
    </main>
  );
}
`);
  write(root, 'src/global.css', `body {
  margin: 0;
  font-family: system-ui, sans-serif;
}
`);
  write(root, 'src/main.tsx', `import { createRoot } from 'react-dom/client';
import App from './App';

createRoot(document.getElementById('root')!).render(<App />);
`);
  const eagerNodes = eager.flatMap((c) => subtree(c, n));
  const leaf = Math.max(...eagerNodes.filter((i) => childrenOf(i, n).length === 0));
  return {
    firstRenderNodes: eagerNodes.length,
    rootFile: 'src/App.tsx',
    leafFile: `src/components/C${leaf}.tsx`,
    leafIndex: leaf,
  };
}

export const INDEX_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>bench</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
`;

export const TARGETS = ['chrome107', 'edge107', 'firefox104', 'safari16'];
export const BROWSERSLIST = ['chrome >= 107', 'edge >= 107', 'firefox >= 104', 'safari >= 16'];

/** The React app with every rival's config (one folder serves Vite, Rsbuild, Rspack, esbuild, Bun, Farm, Nexxo). */
export function generateReactApp(root, components) {
  rmSync(root, { recursive: true, force: true });
  const facts = generateReactSources(root, components);
  write(root, 'index.html', INDEX_HTML);
  write(root, 'package.json', JSON.stringify({ name: path.basename(root), private: true, type: 'module', browserslist: BROWSERSLIST }, null, 2));
  write(root, 'tsconfig.json', JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', jsx: 'react-jsx', strict: true, skipLibCheck: true, isolatedModules: true, noEmit: true, lib: ['ES2022', 'DOM'] },
    include: ['src'],
  }, null, 2));
  write(root, 'nexxo.config.json', JSON.stringify({ build: { sourcemap: true, target: TARGETS } }, null, 2));
  write(root, 'vite.config.mjs', `import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
export default defineConfig({ plugins: [react()], build: { sourcemap: true, target: ${JSON.stringify(TARGETS)} } });
`);
  write(root, 'rsbuild.config.mjs', `import { defineConfig } from '@rsbuild/core';
import { pluginReact } from '@rsbuild/plugin-react';
export default defineConfig({
  plugins: [pluginReact()],
  html: { template: './index.rsbuild.html' },
  source: { entry: { index: './src/main.tsx' } },
  output: { sourceMap: { js: 'source-map', css: true }, overrideBrowserslist: ${JSON.stringify(BROWSERSLIST)} },
});
`);
  write(root, 'index.rsbuild.html', INDEX_HTML.replace('    <script type="module" src="/src/main.tsx"></script>\n', ''));
  write(root, 'rspack.config.mjs', `import { defineConfig } from '@rspack/cli';
import { rspack } from '@rspack/core';
import { ReactRefreshRspackPlugin } from '@rspack/plugin-react-refresh';

const dev = process.env.NODE_ENV !== 'production';
export default defineConfig({
  entry: { main: './src/main.tsx' },
  devtool: dev ? 'cheap-module-source-map' : 'source-map',
  resolve: { extensions: ['.tsx', '.ts', '.js'] },
  experiments: { css: true },
  module: {
    rules: [
      {
        test: /\\.tsx?$/,
        loader: 'builtin:swc-loader',
        options: {
          jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic', development: dev, refresh: dev } } },
          env: { targets: ${JSON.stringify(BROWSERSLIST)} },
        },
        type: 'javascript/auto',
      },
      // Default-export class maps, as the other tools give.
      { test: /\\.module\\.css$/, type: 'css/module', parser: { namedExports: false } },
      { test: /\\.css$/, exclude: /\\.module\\.css$/, type: 'css' },
      { test: /\\.svg$/, type: 'asset' },
    ],
  },
  plugins: [new rspack.HtmlRspackPlugin({ template: './index.rsbuild.html' }), dev && new ReactRefreshRspackPlugin()].filter(Boolean),
  optimization: { minimizer: [new rspack.SwcJsMinimizerRspackPlugin(), new rspack.LightningCssMinimizerRspackPlugin()] },
  output: { clean: true },
});
`);
  write(root, 'farm.config.mjs', `import { defineConfig } from '@farmfe/core';
export default defineConfig({
  compilation: { input: { index: './index.html' }, sourcemap: true, output: { targetEnv: 'browser' } },
  plugins: ['@farmfe/plugin-react'],
});
`);
  return facts;
}

/** The same components as a Next.js (App Router) app. */
export function generateNextApp(root, components) {
  rmSync(root, { recursive: true, force: true });
  const facts = generateReactSources(root, components);
  write(root, 'package.json', JSON.stringify({ name: path.basename(root), private: true, browserslist: BROWSERSLIST }, null, 2));
  write(root, 'next.config.mjs', `export default { productionBrowserSourceMaps: true, images: { unoptimized: true } };\n`);
  write(root, 'tsconfig.json', JSON.stringify({
    compilerOptions: { target: 'ES2022', lib: ['dom', 'ES2022'], module: 'esnext', moduleResolution: 'bundler', jsx: 'react-jsx', strict: true, skipLibCheck: true, isolatedModules: true, noEmit: true, esModuleInterop: true, resolveJsonModule: true, allowJs: false, incremental: false, plugins: [{ name: 'next' }] },
    include: ['src', 'app', 'next-env.d.ts'],
  }, null, 2));
  write(root, 'app/layout.tsx', `export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
`);
  write(root, 'app/page.tsx', `'use client';
import App from '../src/App';

export default function Page() {
  return <App />;
}
`);
  return facts;
}

/** An Angular app of `components` standalone components in the same tree shape (build only). */
export function generateAngularApp(root, components) {
  rmSync(root, { recursive: true, force: true });
  const n = components + 1;
  for (let i = 1; i < n; i++) {
    const children = childrenOf(i, n);
    write(root, `src/app/components/c${i}.ts`, `import { Component } from '@angular/core';
${children.map((c) => `import { C${c} } from './c${c}';`).join('\n')}

@Component({
  selector: 'c-${i}',
  imports: [${children.map((c) => `C${c}`).join(', ')}],
  template: \`<div class="box" data-c="${i}"><span class="label">C${i}</span>${children.map((c) => `<c-${c} />`).join('')}</div>\`,
  styles: \`${cssModule(i).replace(/`/g, '')}\`,
})
export class C${i} {}
`);
  }
  const roots = childrenOf(0, n);
  const eager = roots.slice(0, Math.ceil(roots.length / 2));
  const lazy = roots.slice(eager.length);
  write(root, 'src/app/lazy-route.ts', `import { Component } from '@angular/core';
${lazy.map((c) => `import { C${c} } from './components/c${c}';`).join('\n')}

@Component({ selector: 'lazy-route', imports: [${lazy.map((c) => `C${c}`).join(', ')}], template: \`${lazy.map((c) => `<c-${c} />`).join('')}\` })
export default class LazyRoute {}
`);
  write(root, 'src/app/home.ts', `import { Component } from '@angular/core';
${eager.map((c) => `import { C${c} } from './components/c${c}';`).join('\n')}

@Component({ selector: 'home-route', imports: [${eager.map((c) => `C${c}`).join(', ')}], template: \`${eager.map((c) => `<c-${c} />`).join('')}\` })
export class Home {}
`);
  write(root, 'src/app/app.ts', `import { Component } from '@angular/core';
import { RouterLink, RouterOutlet } from '@angular/router';

@Component({ selector: 'app-root', imports: [RouterOutlet, RouterLink], template: '<h1 id="title">Bench v0</h1><a id="go-lazy" routerLink="/lazy">lazy</a><router-outlet />' })
export class App {}
`);
  write(root, 'src/main.ts', `import { bootstrapApplication } from '@angular/platform-browser';
import { provideRouter } from '@angular/router';
import { provideZonelessChangeDetection } from '@angular/core';
import { App } from './app/app';
import { Home } from './app/home';

bootstrapApplication(App, {
  providers: [
    provideZonelessChangeDetection(),
    provideRouter([
      { path: '', component: Home },
      { path: 'lazy', loadComponent: () => import('./app/lazy-route') },
    ]),
  ],
});
`);
  write(root, 'src/index.html', `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bench</title><base href="/"></head><body><app-root></app-root></body></html>
`);
  // The packages an `ng new` app names (installed in the bench folder above it): build tools
  // find the app's framework there, as in a real project.
  const angularPackages = ['@angular/common', '@angular/compiler', '@angular/core', '@angular/platform-browser', '@angular/router', 'rxjs', 'tslib'];
  const devPackages = ['@angular/build', '@angular/cli', '@angular/compiler-cli', 'typescript'];
  const versions = (names) => Object.fromEntries(names.map((name) => [name, benchPackageVersion(name)]));
  write(root, 'package.json', JSON.stringify({ name: path.basename(root), private: true, browserslist: BROWSERSLIST, dependencies: versions(angularPackages), devDependencies: versions(devPackages) }, null, 2));
  write(root, 'tsconfig.json', JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'preserve', moduleResolution: 'bundler', strict: true, skipLibCheck: true, isolatedModules: true, experimentalDecorators: false, lib: ['ES2022', 'dom'], outDir: './out-tsc' },
    files: ['src/main.ts'],
    angularCompilerOptions: { strictTemplates: true },
  }, null, 2));
  write(root, 'angular.json', JSON.stringify({
    $schema: './node_modules/@angular/cli/lib/config/schema.json',
    version: 1,
    newProjectRoot: 'projects',
    cli: { analytics: false, cache: { enabled: true } },
    projects: {
      bench: {
        projectType: 'application',
        root: '',
        sourceRoot: 'src',
        architect: {
          build: {
            builder: '@angular/build:application',
            options: { browser: 'src/main.ts', index: 'src/index.html', tsConfig: 'tsconfig.json', outputPath: 'dist', sourceMap: true, optimization: true, budgets: [] },
          },
        },
      },
    },
  }, null, 2));
}

/** The version of `name` the bench folder pins in its package.json. */
function benchPackageVersion(name) {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return manifest.dependencies?.[name] ?? manifest.devDependencies?.[name] ?? '*';
}

/** The large Sass case: Bootstrap plus `partials` generated partials with variables, mixins and nesting. */
export function generateSassApp(root, partials) {
  rmSync(root, { recursive: true, force: true });
  const uses = [];
  for (let i = 0; i < partials; i++) {
    write(root, `src/styles/_part${i}.scss`, `$color-${i}: hsl(${(i * 13) % 360}, 50%, 50%);
@mixin card-${i}($pad) {
  padding: $pad;
  border: 1px solid $color-${i};
}
.part-${i} {
  @include card-${i}(${(i % 7) + 2}px);
  & .title { color: darken($color-${i}, 10%); }
  &:hover { background: lighten($color-${i}, 30%); }
  @media (min-width: ${600 + (i % 5) * 100}px) { display: flex; }
}
`);
    uses.push(`@use 'styles/part${i}';`);
  }
  // Sass wants every @use before other rules, so Bootstrap's @import comes last.
  write(root, 'src/main.scss', `${uses.join('\n')}\n@import 'bootstrap/scss/bootstrap';\n`);
  write(root, 'src/main.ts', `import './main.scss';\ndocument.body.dataset.ready = 'yes';\n`);
  write(root, 'index.html', INDEX_HTML.replace('/src/main.tsx', '/src/main.ts').replace('<div id="root"></div>', ''));
  write(root, 'package.json', JSON.stringify({ name: path.basename(root), private: true, type: 'module', browserslist: BROWSERSLIST }, null, 2));
  write(root, 'nexxo.config.json', JSON.stringify({ build: { sourcemap: true, target: TARGETS } }, null, 2));
  write(root, 'vite.config.mjs', `import { defineConfig } from 'vite';
export default defineConfig({ build: { sourcemap: true, target: ${JSON.stringify(TARGETS)} }, css: { preprocessorOptions: { scss: { loadPaths: ['src'], quietDeps: true, silenceDeprecations: ['import', 'global-builtin', 'color-functions'] } } } });
`);
  write(root, 'rsbuild.config.mjs', `import { defineConfig } from '@rsbuild/core';
import { pluginSass } from '@rsbuild/plugin-sass';
export default defineConfig({
  plugins: [pluginSass({ sassLoaderOptions: { sassOptions: { loadPaths: ['src'], quietDeps: true, silenceDeprecations: ['import', 'global-builtin', 'color-functions'] } } })],
  source: { entry: { index: './src/main.ts' } },
  output: { sourceMap: { js: 'source-map', css: true }, overrideBrowserslist: ${JSON.stringify(BROWSERSLIST)} },
});
`);
}
