// tests/lib/jsonints.mjs - integers in a JSON text that JavaScript cannot hold exactly
// (beyond 2^53): 64-bit ids must be strings in JSON (docs/ARCHITECTURE.md, "JSON ids").
// JSON.parse would already have rounded them, so the text is scanned token by token.
const LIMIT = 2n ** 53n;

// [{ path, value }] for every integer token whose magnitude exceeds 2^53.
export function unsafeIntegers(text) {
  const found = [];
  const stack = []; // keys and indices down to the current value
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const str = () => {
    let s = '';
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') { s += text[i + 1]; i += 2; } else s += text[i++];
    }
    i++;
    return s;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws(); const k = str(); ws(); i++; // colon
        stack.push(k); value(); stack.pop(); ws();
        if (text[i++] === '}') return;
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (let n = 0; ; n++) {
        stack.push(n); value(); stack.pop(); ws();
        if (text[i++] === ']') return;
      }
    }
    if (c === '"') { str(); return; }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?|^(true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) throw new Error(`not JSON at ${i}: ${text.slice(i, i + 20)}`);
    i += m[0].length;
    if (/^-?\d+$/.test(m[0])) {
      const v = BigInt(m[0]);
      if ((v < 0n ? -v : v) > LIMIT) found.push({ path: stack.join('.'), value: m[0] });
    }
  };
  value();
  return found;
}
