// Generators of the single-file-component apps (Vue 3 and Svelte 5): the React app's tree, icons,
// stylesheet text, lazy route and hot-update targets, written in each framework's own format, with
// the config of every tool that serves them.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROWSERSLIST, childrenOf, cssModule, icon, ICONS, INDEX_HTML, subtree, TARGETS, write } from './generate.mjs';

const benchPackage = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'));

/** The framework version the bench installs: the app declares the same one, as a real app would
 * (and Nexxo finds the framework there, with no config). */
function installedVersion(name) {
  const version = benchPackage.dependencies?.[name] ?? benchPackage.devDependencies?.[name];
  if (!version) throw new Error(`bench/package.json does not list ${name}`);
  return version;
}

/** Which roots render eagerly and which behind the lazy route, as in the React app. */
function treePlan(components) {
  const n = components + 1;
  const roots = childrenOf(0, n);
  const eager = roots.slice(0, Math.ceil(roots.length / 2));
  const lazy = roots.slice(eager.length);
  const eagerNodes = eager.flatMap((c) => subtree(c, n));
  const leaf = Math.max(...eagerNodes.filter((i) => childrenOf(i, n).length === 0));
  return { n, eager, lazy, firstRenderNodes: eagerNodes.length, leaf };
}

/** Sources both frameworks share: icons, the icon helper, the global stylesheet. */
function writeSharedSources(root) {
  for (let k = 0; k < ICONS; k++) write(root, `src/icons/icon${k}.svg`, icon(k));
  write(root, 'src/icon-url.ts', `// Tools disagree on what an SVG import gives (a URL or an image object).
export const iconUrl = (icon: unknown): string =>
  typeof icon === 'string' ? icon : (icon as { src: string }).src;
`);
  write(root, 'src/global.css', `body {
  margin: 0;
  font-family: system-ui, sans-serif;
}
`);
}

/** package.json, tsconfig, index.html and the configs of Nexxo, Vite and Rsbuild. */
function writeProject(root, { framework, tsconfig, vitePlugin, rsbuildPlugin }) {
  write(root, 'package.json', JSON.stringify({
    name: path.basename(root),
    private: true,
    type: 'module',
    browserslist: BROWSERSLIST,
    dependencies: { [framework]: installedVersion(framework) },
  }, null, 2));
  write(root, 'tsconfig.json', JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', strict: true, skipLibCheck: true, isolatedModules: true, noEmit: true, lib: ['ES2022', 'DOM'], ...tsconfig },
    include: ['src'],
  }, null, 2));
  write(root, 'index.html', INDEX_HTML.replace('/src/main.tsx', '/src/main.ts'));
  write(root, 'index.rsbuild.html', INDEX_HTML.replace('    <script type="module" src="/src/main.tsx"></script>\n', ''));
  write(root, 'nexxo.config.json', JSON.stringify({ build: { sourcemap: true, target: TARGETS } }, null, 2));
  write(root, 'vite.config.mjs', `import { defineConfig } from 'vite';
import ${vitePlugin.import} from '${vitePlugin.package}';
export default defineConfig({ plugins: [${vitePlugin.call}], build: { sourcemap: true, target: ${JSON.stringify(TARGETS)} } });
`);
  write(root, 'rsbuild.config.mjs', `import { defineConfig } from '@rsbuild/core';
import ${rsbuildPlugin.import} from '${rsbuildPlugin.package}';
export default defineConfig({
  plugins: [${rsbuildPlugin.call}],
  html: { template: './index.rsbuild.html' },
  source: { entry: { index: './src/main.ts' } },
  output: { sourceMap: { js: 'source-map', css: true }, overrideBrowserslist: ${JSON.stringify(BROWSERSLIST)} },
});
`);
}

function vueComponent(i, n) {
  const children = childrenOf(i, n);
  return `<script setup lang="ts">
import icon from '../icons/icon${i % ICONS}.svg';
import { iconUrl } from '../icon-url';
${children.map((c) => `import C${c} from './C${c}.vue';`).join('\n')}
</script>

<template>
  <div class="box" data-c="${i}">
    <img :src="iconUrl(icon)" width="8" height="8" alt="" />
    <span class="label">C${i}</span>
${children.map((c) => `    <C${c} />`).join('\n')}
  </div>
</template>

<style scoped>
${cssModule(i)}</style>
`;
}

/**
 * The Vue 3 app: `<script setup lang="ts">` components with a template and scoped styles, in the
 * React app's tree. Returns the facts the runner needs, as `generateReactSources` does.
 */
export function generateVueApp(root, components) {
  rmSync(root, { recursive: true, force: true });
  const plan = treePlan(components);
  for (let i = 1; i < plan.n; i++) write(root, `src/components/C${i}.vue`, vueComponent(i, plan.n));
  writeSharedSources(root);
  write(root, 'src/env.d.ts', `declare module '*.svg' { const value: any; export default value; }
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
`);
  write(root, 'src/routes/LazyRoute.vue', `<script setup lang="ts">
${plan.lazy.map((c) => `import C${c} from '../components/C${c}.vue';`).join('\n')}
</script>

<template>
  <section id="lazy-route">
${plan.lazy.map((c) => `    <C${c} />`).join('\n')}
  </section>
</template>
`);
  write(root, 'src/App.vue', `<script setup lang="ts">
import { defineAsyncComponent, ref } from 'vue';
${plan.eager.map((c) => `import C${c} from './components/C${c}.vue';`).join('\n')}
import './global.css';

const LazyRoute = defineAsyncComponent(() => import('./routes/LazyRoute.vue'));
const route = ref<'home' | 'lazy'>('home');
const count = ref(0);
</script>

<template>
  <main>
    <h1 id="title">Bench v0</h1>
    <button id="go-lazy" @click="route = 'lazy'">lazy</button>
    <button id="count" @click="count++">count {{ count }}</button>
    <section v-if="route === 'home'" id="home">
${plan.eager.map((c) => `      <C${c} />`).join('\n')}
    </section>
    <LazyRoute v-else />
  </main>
</template>
`);
  write(root, 'src/main.ts', `import { createApp } from 'vue';
import App from './App.vue';

createApp(App).mount('#root');
`);
  writeProject(root, {
    framework: 'vue',
    tsconfig: {},
    vitePlugin: { import: 'vue', package: '@vitejs/plugin-vue', call: 'vue()' },
    rsbuildPlugin: { import: '{ pluginVue }', package: '@rsbuild/plugin-vue', call: 'pluginVue()' },
  });
  return { firstRenderNodes: plan.firstRenderNodes, rootFile: 'src/App.vue', leafFile: `src/components/C${plan.leaf}.vue`, leafIndex: plan.leaf };
}

function svelteComponent(i, n) {
  const children = childrenOf(i, n);
  return `<script lang="ts">
  import icon from '../icons/icon${i % ICONS}.svg';
  import { iconUrl } from '../icon-url';
${children.map((c) => `  import C${c} from './C${c}.svelte';`).join('\n')}
</script>

<div class="box" data-c="${i}">
  <img src={iconUrl(icon)} width="8" height="8" alt="" />
  <span class="label">C${i}</span>
${children.map((c) => `  <C${c} />`).join('\n')}
</div>

<style>
${cssModule(i)}</style>
`;
}

/**
 * The Svelte 5 app: `<script lang="ts">` components with markup and (component-scoped) styles,
 * in the React app's tree. Returns the facts the runner needs, as `generateReactSources` does.
 */
export function generateSvelteApp(root, components) {
  rmSync(root, { recursive: true, force: true });
  const plan = treePlan(components);
  for (let i = 1; i < plan.n; i++) write(root, `src/components/C${i}.svelte`, svelteComponent(i, plan.n));
  writeSharedSources(root);
  write(root, 'src/env.d.ts', `/// <reference types="svelte" />
declare module '*.svg' { const value: any; export default value; }
`);
  write(root, 'src/routes/LazyRoute.svelte', `<script lang="ts">
${plan.lazy.map((c) => `  import C${c} from '../components/C${c}.svelte';`).join('\n')}
</script>

<section id="lazy-route">
${plan.lazy.map((c) => `  <C${c} />`).join('\n')}
</section>
`);
  write(root, 'src/App.svelte', `<script lang="ts">
${plan.eager.map((c) => `  import C${c} from './components/C${c}.svelte';`).join('\n')}
  import './global.css';

  let route: 'home' | 'lazy' = $state('home');
  let count = $state(0);
</script>

<main>
  <h1 id="title">Bench v0</h1>
  <button id="go-lazy" onclick={() => (route = 'lazy')}>lazy</button>
  <button id="count" onclick={() => count++}>count {count}</button>
  {#if route === 'home'}
    <section id="home">
${plan.eager.map((c) => `      <C${c} />`).join('\n')}
    </section>
  {:else}
    {#await import('./routes/LazyRoute.svelte')}
      <p>loading</p>
    {:then lazyRoute}
      <lazyRoute.default />
    {/await}
  {/if}
</main>
`);
  write(root, 'src/main.ts', `import { mount } from 'svelte';
import App from './App.svelte';

mount(App, { target: document.getElementById('root')! });
`);
  writeProject(root, {
    framework: 'svelte',
    // Imports used only in markup must survive TypeScript's transpile (svelte-preprocess).
    tsconfig: { verbatimModuleSyntax: true },
    vitePlugin: { import: '{ svelte }', package: '@sveltejs/vite-plugin-svelte', call: 'svelte()' },
    rsbuildPlugin: { import: '{ pluginSvelte }', package: '@rsbuild/plugin-svelte', call: 'pluginSvelte()' },
  });
  return { firstRenderNodes: plan.firstRenderNodes, rootFile: 'src/App.svelte', leafFile: `src/components/C${plan.leaf}.svelte`, leafIndex: plan.leaf };
}
