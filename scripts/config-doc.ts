// Generates docs/configuration.md from the config schema defaults, the env mapping and the meanings table.
// Run: npx tsx scripts/config-doc.ts > docs/configuration.md (a test checks the file is current).
import { renderConfigReference } from "../src/core/config/render-reference.js";
process.stdout.write(renderConfigReference());
