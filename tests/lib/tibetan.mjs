// tests/lib/tibetan.mjs - how Tibetan a rendered bo page is (issue 11: "aim at >= 90% for
// bo pages outside names and numbers").
//
// tibetanShare(page) (a playwright page) looks at the text a person can see and counts
// letters (Unicode \p{L}: Tibetan consonants, Han characters, Latin letters; Tibetan vowel
// signs and subjoined letters are marks and count for neither side). The share is the
// Tibetan letters (U+0F00..U+0FFF) over all letters counted. Not counted:
//   - text inside an element marked as another language (lang="zh", "zh-CN", "en": names
//     kept in Chinese on purpose, a marked fallback) or marked translate="no";
//   - <code>, <kbd>, <samp>, <script>, <style>, <template>, and what is not rendered
//     (display:none, visibility:hidden, the hidden attribute);
//   - digits and punctuation (no letters), words holding a digit (identifiers, numbers,
//     dates: XZ-MZ-001, 540102…, SM3), words whose letters are all capital Latin (codes and
//     units: PDF, JPEG/PNG, JSON, B, KB), file names and keys (a dot between letters:
//     photo.png), addresses (with @ or ://).
// Placeholders of visible inputs count as visible text; option texts of a select count
// (a person reads them when choosing).
// Returns {share (0..1, 1 when there are no letters), tibetan, letters, other: the most
// frequent non-Tibetan words, [[word, count]...]}.
export async function tibetanShare(page) {
  return page.evaluate(() => {
    const SKIP = 'script,style,template,noscript,code,kbd,samp,[translate="no"],[hidden]';
    const foreign = (el) => {
      const marked = el.closest('[lang]');
      const lang = (marked?.getAttribute('lang') || 'bo').toLowerCase();
      return !lang.startsWith('bo');
    };
    const shown = (el) => {
      if (el.closest(SKIP)) return false;
      if (el.closest('option')) return !el.closest('select')?.closest(SKIP);
      return el.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true });
    };
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (el && shown(el) && !foreign(el)) texts.push(n.data);
    }
    for (const el of document.body.querySelectorAll('input[placeholder], textarea[placeholder]')) {
      if (shown(el) && !foreign(el)) texts.push(el.getAttribute('placeholder'));
    }
    let tibetan = 0, letters = 0;
    const other = new Map();
    for (const text of texts) {
      for (const word of text.split(/\s+/)) {
        if (!word || /\d/.test(word) || /@|:\/\/|\w\.\w/.test(word)) continue;
        if (/^[A-Z]+$/.test(word.replace(/[^\p{L}]/gu, ''))) continue;
        const all = word.match(/\p{L}/gu) ?? [];
        const tib = word.match(/[\u0F00-\u0FFF]/gu)?.filter((c) => /\p{L}/u.test(c)) ?? [];
        letters += all.length;
        tibetan += tib.length;
        if (all.length > tib.length) other.set(word, (other.get(word) ?? 0) + 1);
      }
    }
    return {
      share: letters === 0 ? 1 : tibetan / letters,
      tibetan,
      letters,
      other: [...other].sort((a, b) => b[1] - a[1]).slice(0, 15),
    };
  });
}
