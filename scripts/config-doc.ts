// Generates docs/configuration.md from the config schemas (core + every built-in feature's slice), the env
// mapping and the meanings tables. Run: npx tsx scripts/config-doc.ts > docs/configuration.md (a test checks it).
import { renderConfigReference } from "../src/core/config/render-reference.js";
import { configSlices } from "../src/create-rampart.js";
process.stdout.write(renderConfigReference(configSlices()));
