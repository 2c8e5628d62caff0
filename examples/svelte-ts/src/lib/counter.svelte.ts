// The count lives in a runes module rather than in Counter.svelte: a hot update remounts the
// edited component and its children, so state a component owns starts again, while module
// state is kept.
export const counter = $state({ count: 0 })

export function increment(): void {
  counter.count += 1
}
