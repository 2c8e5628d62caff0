import { count, setCount } from './count.ts'

function Counter() {
  return (
    <button
      type="button"
      class="counter"
      data-testid="counter"
      onClick={() => setCount((count) => count + 1)}
    >
      Count is {count()}
    </button>
  )
}

export default Counter
