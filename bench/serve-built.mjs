// Runs `rampart serve` from the compiled build in bench/.build (what an installed package runs: plain
// JavaScript, no tsx transform at load time). Arguments after the script go to `serve`.
const cli = await import(new URL("./.build/cli/index.js", import.meta.url).href);
await cli.main([process.argv[0], "rampart", "serve", ...process.argv.slice(2)]);
