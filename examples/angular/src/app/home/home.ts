import { Component, signal } from '@angular/core';
import { Greeting } from '../greeting/greeting';
import { FruitList } from '../data/fruit-list';

@Component({
  selector: 'app-home',
  imports: [Greeting, FruitList],
  template: `
    <section class="home">
      <p id="count">Count is {{ count() }}</p>
      <button id="increment" (click)="increment()">Increment</button>
      <app-fruit-list />
      @defer (on timer(50ms)) {
        <app-greeting name="deferred" />
      } @placeholder {
        <p id="placeholder">Loading greeting…</p>
      }
    </section>
  `,
  styles: `
    .home {
      padding: 1rem;
    }
    #count {
      font-weight: 700;
    }
  `,
})
export class Home {
  protected readonly count = signal(0);

  increment() {
    this.count.update((value) => value + 1);
  }
}
