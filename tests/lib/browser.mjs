// tests/lib/browser.mjs - what the browser tests share: Debian's chromium through
// playwright-core with the flags this machine needs (FACTS.md), the check of which
// platform fonts drew a piece of text, the fonts that can shape Tibetan, and axe.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Fonts that can shape Tibetan (site.css lists them in --tibetan; Debian's
// fonts-tibetan-machine gives "Tibetan Machine Uni").
export const TIBETAN_FONT = /Tibetan|Jomolhari|Himalaya|Qomolangma|Monlam|DDC Uchen/i;

// env: more environment for the browser (FONTCONFIG_FILE, to hide the system's fonts).
export function launch({ env } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    ...(env ? { env: { ...process.env, ...env } } : {}),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// Which platform fonts Chromium used for the text of the first element matching `selector`.
export async function renderedFonts(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    assert.ok(nodeId, `no element ${selector}`);
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    return fonts;
  } finally {
    await cdp.detach();
  }
}

// axe (@axe-core/playwright) finds no violation on the page; each one is listed with the
// elements and why. With ran, also that axe passed some rules (it did run).
export async function assertNoAxeViolations(page, label, { ran = false } = {}) {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary}`).join('\n')}`);
  assert.deepEqual(summary, [], `axe violations on the ${label} page:\n${summary.join('\n')}`);
  if (ran) assert.ok(results.passes.length > 0, 'axe ran');
}
