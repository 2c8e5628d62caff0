import { lazy, Suspense, useState } from 'react';
import reactLogo from './react.svg';
import { Counter } from './Counter';
import styles from './App.module.css';

// The About route is its own chunk, fetched the first time it is opened.
const About = lazy(() => import('./routes/About'));

type Route = 'home' | 'about';

export function App() {
  const [route, setRoute] = useState<Route>('home');
  return (
    <main className={styles.app}>
      <nav>
        <button id="nav-home" onClick={() => setRoute('home')}>Home</button>
        <button id="nav-about" onClick={() => setRoute('about')}>About</button>
      </nav>
      <img id="react-logo" className={styles.logo} src={reactLogo} alt="React logo" />
      {route === 'home' ? (
        <section id="home">
          <h1>Nexxo + React</h1>
          <Counter />
        </section>
      ) : (
        <Suspense fallback={<p id="loading">Loading…</p>}>
          <About />
        </Suspense>
      )}
    </main>
  );
}
