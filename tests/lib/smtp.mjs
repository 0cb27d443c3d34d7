// tests/lib/smtp.mjs - a real SMTP server for tests: Debian's python3-aiosmtpd with its
// Mailbox handler, writing each message it accepts to a maildir; mail() reads them back as
// {headers, text, html, messageId, subject} (base64 and RFC 2047 decoded).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  s.on('error', reject);
});

const canConnect = (port) => new Promise((resolve) => {
  const c = connect(port, '127.0.0.1');
  c.on('connect', () => { c.destroy(); resolve(true); });
  c.on('error', () => resolve(false));
});

export function decodeWords(s) {
  // Adjacent encoded words: the space between them is not text (RFC 2047 §6.2).
  const joined = s.replace(/\r?\n[ \t]/g, ' ').replace(/\?=\s+=\?/g, '?==?');
  return Buffer.concat(joined.split(/(=\?UTF-8\?B\?[^?]*\?=)/i).map((w) => {
    const m = /^=\?UTF-8\?B\?([^?]*)\?=$/i.exec(w);
    return m ? Buffer.from(m[1], 'base64') : Buffer.from(w, 'utf8');
  })).toString('utf8');
}

// Parse one stored message: headers of the top level and the text/html leaves.
export function parseMail(raw) {
  const [head] = raw.split(/\r?\n\r?\n/, 1);
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const parts = {};
  const re = /Content-Type: (text\/(?:plain|html))[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*?\r?\n([A-Za-z0-9+/=\r\n]+)/g;
  for (let m; (m = re.exec(raw));) parts[m[1]] = Buffer.from(m[2].replace(/\s+/g, ''), 'base64').toString('utf8');
  return {
    headers, raw,
    subject: decodeWords(headers.subject ?? ''),
    messageId: headers['message-id'],
    to: headers['x-rcptto'] ?? headers.to,
    text: parts['text/plain'] ?? '',
    html: parts['text/html'] ?? '',
  };
}

export async function startSmtp() {
  const dir = mkdtempSync(join(tmpdir(), 'ow-smtp-'));
  const port = await freePort();
  const proc = spawn(PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`,
    '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'mail')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (c) => { log += c; });
  for (let i = 0; i < 200 && !(await canConnect(port)); i++) await new Promise((r) => setTimeout(r, 25));
  if (!(await canConnect(port))) throw new Error(`aiosmtpd did not start: ${log}`);
  const mail = () => {
    const d = join(dir, 'mail', 'new');
    if (!existsSync(d)) return [];
    return readdirSync(d).sort().map((f) => parseMail(readFileSync(join(d, f), 'utf8')));
  };
  return {
    port, url: `smtp://127.0.0.1:${port}`, mail, log: () => log,
    // Poll until pred(mail()) is truthy (25 ms steps, at most `ms`); returns its value.
    async waitFor(pred, ms = 10000) {
      const end = Date.now() + ms;
      for (;;) {
        const v = pred(mail());
        if (v || Date.now() > end) return v;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop() { proc.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); },
  };
}
