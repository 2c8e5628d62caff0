import logoUrl from './logo.png';
import config, { features } from './features.json';
import { createCounter } from './counter';

const title = import.meta.env.NEXXO_APP_TITLE ?? 'Nexxo + TypeScript';
document.querySelector<HTMLHeadingElement>('#title')!.textContent = title;
document.querySelector<HTMLImageElement>('#logo')!.src = logoUrl;

const list = document.querySelector<HTMLUListElement>('#features')!;
list.dataset.app = config.name;
for (const feature of features) {
  const item = document.createElement('li');
  item.textContent = feature;
  list.append(item);
}

const counter = createCounter();
const countLabel = document.querySelector<HTMLSpanElement>('#count')!;
document.querySelector<HTMLButtonElement>('#counter')!.addEventListener('click', () => {
  countLabel.textContent = String(counter.increment());
});

document.querySelector<HTMLButtonElement>('#load-lazy')!.addEventListener('click', async () => {
  const { renderDetails } = await import('./details');
  renderDetails(document.querySelector<HTMLElement>('#details')!);
});
