export default function About() {
  return (
    <section id="about">
      <h1>About</h1>
      <p>This route was loaded lazily in mode {import.meta.env.MODE}.</p>
    </section>
  );
}
