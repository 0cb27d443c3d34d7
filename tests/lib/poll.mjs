// poll.mjs - wait for something that happens after a response (the search index is built
// after commit, docs/internals/search.md): call fn every `interval` ms until it returns a
// truthy value, at most `cap` ms; then return that value, or the last value if it never was.
export async function poll(fn, { interval = 20, cap = 5000 } = {}) {
  const end = Date.now() + cap;
  for (;;) {
    const v = await fn();
    if (v || Date.now() >= end) return v;
    await new Promise((r) => setTimeout(r, interval));
  }
}
