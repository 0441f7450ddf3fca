/** `rampart openapi`: prints the OpenAPI document of the API this environment's configuration serves. */
import { Command } from "commander";
import { createRampart } from "../create-rampart.js";
import { ConfigError } from "../core/errors.js";
import { resolveConfig } from "../core/config/index.js";
import { configSlices } from "../create-rampart.js";
import { randomToken } from "../crypto/random.js";
import { commandLogger, envConfig, type Env } from "./context.js";
import { print } from "./output.js";

export function openapiCommand(env: Env = process.env): Command {
  return new Command("openapi")
    .description(
      "Print the OpenAPI 3.1 document (JSON) of the endpoints the current configuration serves. Reads no database.",
    )
    .action(async () => {
      const { config, issues } = envConfig(env);
      if (issues.length) throw new ConfigError(issues);
      // The document depends on which features and URLs are configured, not on secrets or data: a throwaway
      // secret and an in-memory database are enough to build the route table.
      const input = { ...config, secretKey: randomToken(32) };
      resolveConfig(input, [], configSlices());
      const rampart = await createRampart({ config: input, logger: commandLogger });
      try {
        const base = input.baseUrl ?? "http://localhost";
        const res = await rampart.fetch(
          new Request(new URL(rampart.config.urlPrefix + "/openapi.json", base), {
            headers: { accept: "application/json" },
          }),
        );
        print(JSON.stringify(await res.json(), null, 2));
      } finally {
        await rampart.close();
      }
    });
}
