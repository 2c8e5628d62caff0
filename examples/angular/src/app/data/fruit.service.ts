import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';

export interface Fruit {
  name: string;
  color: string;
}

@Injectable({ providedIn: 'root' })
export class FruitService {
  private readonly http = inject(HttpClient);

  /** The list in `public/fruits.json`, copied as is to the output. */
  fruits() {
    return this.http.get<Fruit[]>('fruits.json');
  }
}
