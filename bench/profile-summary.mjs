#!/usr/bin/env node
// Summarizes a .cpuprofile (node --cpu-prof): self time by function and by file, top entries.
//   node bench/profile-summary.mjs bench/results/profiles/<file>.cpuprofile [top]
import { readFileSync } from "node:fs";

const [file, topText] = process.argv.slice(2);
const top = Number(topText ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8"));
const self = new Map(profile.nodes.map((n) => [n.id, 0]));
const deltas = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++)
  self.set(profile.samples[i], self.get(profile.samples[i]) + (deltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFn = new Map();
const byFile = new Map();
for (const n of profile.nodes) {
  const t = self.get(n.id);
  const cf = n.callFrame;
  const where = (cf.url || "(native)")
    .replace(/^file:\/\/.*node_modules\//, "nm:")
    .replace(/^file:\/\/.*\/bench\/\.build\//, "src:");
  const key = `${cf.functionName || "(anon)"} ${where}:${cf.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  byFile.set(where, (byFile.get(where) ?? 0) + t);
}
const show = (title, map) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
};
// Inclusive time: a function counts once per sample in which it is anywhere on the stack.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
const label = (n) =>
  `${n.callFrame.functionName || "(anon)"} ${(n.callFrame.url || "(native)").replace(/^file:\/\/.*node_modules\//, "nm:").replace(/^file:\/\/.*\/bench\/\.build\//, "src:")}:${n.callFrame.lineNumber + 1}`;
const inclusive = new Map();
for (const [id, t] of self) {
  if (!t) continue;
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const key = label(nodeById.get(cur));
    if (!seen.has(key)) (seen.add(key), inclusive.set(key, (inclusive.get(key) ?? 0) + t));
  }
}
show("self time by function", byFn);
show("inclusive time by function", inclusive);
show("self time by file", byFile);
