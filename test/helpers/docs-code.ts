/**
 * Documentation code imports the package by name ("rampart", "rampart/feature", "rampart/express"…); tests run
 * it against the sources (the build in dist/ may be missing or stale). `src` is the path of src/ relative to
 * where the rewritten file is written. Module augmentations (`declare module "rampart/feature"`) follow too.
 */
export function againstSources(code: string, src: string): string {
  return code
    .replace(/(from|declare module) "rampart"/g, (_m, kw: string) => `${kw} "${src}/index.js"`)
    .replace(/(from|declare module) "rampart\/feature"/g, (_m, kw: string) => `${kw} "${src}/feature.js"`)
    .replace(/from "rampart\/(express|fastify|hono|node)"/g, (_m, a: string) => `from "${src}/adapters/${a}.js"`);
}

/** The fenced blocks of one language in a markdown text, in order. */
export function fencedBlocks(markdown: string, lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp("^```" + lang + "\\s*\\n([\\s\\S]*?)^```\\s*$", "gm");
  for (const m of markdown.matchAll(re)) out.push(m[1]!);
  return out;
}
