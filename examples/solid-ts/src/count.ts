import { createSignal } from 'solid-js'

// The count lives in a module rather than in Counter: a hot update re-runs the edited component
// and the components it renders, so a signal a component creates starts again, while module
// state is kept.
export const [count, setCount] = createSignal(0)
