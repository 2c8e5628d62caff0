// Loaded on demand: this module becomes its own chunk.
export function renderDetails(target: HTMLElement): void {
  const mode: string = import.meta.env.MODE;
  target.textContent = `Details loaded lazily (mode: ${mode})`;
  target.dataset.loaded = 'true';
}
