import heroImg from './assets/hero.png'
import solidLogo from './assets/solid.svg'
import Counter from './Counter.tsx'
import './App.css'

function App() {
  return (
    <>
      <section id="center">
        <div class="hero">
          <img src={heroImg} class="base" width="170" height="179" alt="" />
          <img src={solidLogo} class="framework" alt="Solid logo" />
        </div>
        <div>
          <h1 data-testid="title">Nexxo + Solid</h1>
          <p>
            Edit <code>src/App.tsx</code> and save to test <code>HMR</code>
          </p>
        </div>
        <Counter />
      </section>

      <div class="ticks"></div>
    </>
  )
}

export default App
