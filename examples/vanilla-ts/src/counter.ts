export interface Counter {
  readonly value: number;
  increment(): number;
}

export function createCounter(start = 0): Counter {
  let value = start;
  return {
    get value() {
      return value;
    },
    increment() {
      value += 1;
      return value;
    },
  };
}
