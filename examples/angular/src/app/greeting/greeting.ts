import { Component, input } from '@angular/core';

/** Shown inside the home page's `@defer` block: a chunk of its own. */
@Component({
  selector: 'app-greeting',
  template: `<p id="greeting" class="greeting">Hello from the {{ name() }} block</p>`,
  styles: `.greeting { font-style: italic; }`,
})
export class Greeting {
  readonly name = input.required<string>();
}
