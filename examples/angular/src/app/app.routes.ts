import { Routes } from '@angular/router';
import { Home } from './home/home';

export const routes: Routes = [
  { path: '', component: Home },
  // Loaded on first visit: its own chunk.
  { path: 'about', loadComponent: () => import('./about/about').then((m) => m.About) },
];
