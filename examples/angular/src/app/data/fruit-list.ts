import { Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FruitService } from './fruit.service';

@Component({
  selector: 'app-fruit-list',
  template: `
    <ul id="fruits">
      @for (fruit of fruits(); track fruit.name) {
        <li>{{ fruit.name }} ({{ fruit.color }})</li>
      } @empty {
        <li>No fruit yet</li>
      }
    </ul>
  `,
})
export class FruitList {
  protected readonly fruits = toSignal(inject(FruitService).fruits(), { initialValue: [] });
}
