import { useState } from 'react';

export function Counter() {
  const [count, setCount] = useState(0);
  return (
    <button id="counter" onClick={() => setCount((c) => c + 1)}>
      count is {count}
    </button>
  );
}
