// tests/lib/ids.mjs - identifiers the tests make up: resident ID numbers (GB 11643, with their
// check character), mobile numbers, and unified social credit codes (GB 32100).
//
// The sequences are seeded from the process id, so that test files running side by side on
// one database (the PostgreSQL pass) do not make the same numbers.

// GB 11643: weights 2^(17-i) mod 11, check character from "10X98765432".
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
export const idCheck = (first17) => '10X98765432'[[...first17].reduce((s, c, i) => s + Number(c) * ID_WEIGHTS[i], 0) % 11];
// The first 17 characters completed with their check character.
export const withIdCheck = (first17) => first17 + idCheck(first17);

// A generator of ID numbers: `${area}${birth}${seq}${check}` with a 3-digit sequence that
// starts after `seed` and wraps at 1000. The generator takes an optional birth date.
export function idNumbers({ birth = '19900101', area = '540102', seed = process.pid % 1000 } = {}) {
  let seq = seed;
  return (b = birth) => {
    seq = (seq + 1) % 1000;
    return withIdCheck(`${area}${b}${String(seq).padStart(3, '0')}`);
  };
}

// A generator of mobile numbers: `${prefix}` and an 8-digit sequence.
export function phones(prefix, { seed = (process.pid * 7919) % 100000000 } = {}) {
  let seq = seed;
  return () => `${prefix}${String((seq = (seq + 1) % 100000000)).padStart(8, '0')}`;
}

// How the pages show ID numbers and phones.
export const maskId = (n) => `${n.slice(0, 4)}${'*'.repeat(10)}${n.slice(14)}`;
export const maskPhone = (p) => `${p.slice(0, 3)}****${p.slice(7)}`;

// GB 32100: 31 characters, weights 3^i mod 31, check = 31 - sum mod 31.
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
export function usccCheck(first17) {
  const sum = [...first17].reduce((s, c, i) => s + USCC_CHARS.indexOf(c) * USCC_WEIGHTS[i], 0);
  const c = 31 - (sum % 31);
  return USCC_CHARS[c === 31 ? 0 : c];
}
// A generator of credit codes `91540102MA#####X1` + check, the 5 digits a sequence.
export function usccs({ seed = (process.pid * 31) % 100000 } = {}) {
  let seq = seed;
  return () => {
    seq = (seq + 1) % 100000;
    const first17 = `91540102MA${String(seq).padStart(5, '0')}X1`;
    return first17 + usccCheck(first17);
  };
}
