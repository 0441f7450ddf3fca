/**
 * Mixed-script detection after Unicode TR39 ("Highly Restrictive"): a name may use letters of one script, or
 * combine Latin with the scripts Japanese, Chinese or Korean names mix (Han + Hiragana + Katakana, Han +
 * Bopomofo, Han + Hangul). Numbers and combining marks go with any script: only letters are judged.
 * "аlice" (Cyrillic а, Latin lice) is mixed; "Жанна", "Zoë", "田中taro" are not.
 */

/** ISO 15924 codes of the Unicode scripts (Script_Extensions values), Common and Inherited aside. */
const SCRIPT_CODES =
  "Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Bhks Bopo Brah Brai Bugi Buhd Cakm Cans Cari Cham " +
  "Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp Elba Elym Ethi Geor Glag Gong Gonm Goth Gran Grek " +
  "Gujr Guru Hang Hani Hano Hatr Hebr Hira Hluw Hmng Hmnp Hung Ital Java Kali Kana Kawi Khar Khmr Khoj Kits Knda " +
  "Kthi Lana Laoo Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc Medf Mend Merc Mero Mlym Modi " +
  "Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck Orkh Orya Osge Osma Ougr Palm Pauc Perm " +
  "Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur Sgnw Shaw Shrd Sidd Sind Sinh Sogd Sogo Sora Soyo " +
  "Sund Sylo Syrc Tagb Takr Tale Talu Taml Tang Tavt Telu Tfng Tglg Thaa Thai Tibt Tirh Tnsa Toto Ugar Vaii Vith " +
  "Wara Wcho Xpeo Xsux Yezi Yiii Zanb";

/** Only the codes this JavaScript engine knows (a newer script is then "unknown", see scriptsOf). */
const SCRIPTS: [string, RegExp][] = SCRIPT_CODES.split(" ").flatMap((code) => {
  try {
    return [[code, new RegExp(`^\\p{scx=${code}}$`, "u")] as [string, RegExp]];
  } catch {
    return [];
  }
});
/** Marks and numbers of any script (Arabic-Indic digits too) go with any letters; only letters are judged. */
const ANY_SCRIPT = /^[\p{scx=Zyyy}\p{scx=Zinh}\p{N}\p{M}]$/u;

/** TR39's augmented script sets: Han also counts as Japanese, Korean and Han-with-Bopomofo writing, etc. */
const AUGMENT: Record<string, string[]> = {
  Hani: ["Jpan", "Kore", "Hanb"],
  Hira: ["Jpan"],
  Kana: ["Jpan"],
  Hang: ["Kore"],
  Bopo: ["Hanb"],
};
/** Latin may be combined with each of these (TR39 "Highly Restrictive"). */
const WITH_LATIN = ["Jpan", "Kore", "Hanb"];

/** The scripts one character belongs to, or null when it goes with any (digits, marks). */
function scriptsOf(ch: string): Set<string> | null {
  if (ANY_SCRIPT.test(ch)) return null;
  const set = new Set<string>();
  for (const [code, re] of SCRIPTS) {
    if (!re.test(ch)) continue;
    set.add(code);
    for (const extra of AUGMENT[code] ?? []) set.add(extra);
  }
  // A script this engine knows but the list lacks: the character is its own script.
  if (set.size === 0) set.add(`U+${ch.codePointAt(0)!.toString(16)}`);
  return set;
}

export function isMixedScript(text: string): boolean {
  const sets = [...text].map(scriptsOf).filter((s): s is Set<string> => s !== null);
  if (sets.length === 0) return false;
  const common = (allowed: (code: string) => boolean) => sets.every((s) => [...s].some(allowed));
  const shared = [...sets[0]!].filter((code) => sets.every((s) => s.has(code)));
  if (shared.length > 0) return false;
  // Latin plus one East Asian writing system: every character is Latin or of that system.
  return !WITH_LATIN.some((system) => common((code) => code === "Latn" || code === system));
}
