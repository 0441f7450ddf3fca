/** `rampart secrets generate`: fresh values for SECRET_KEY and SECURITY_PASSWORD_SALT. */
import { Command } from "commander";
import { randomToken } from "../crypto/random.js";
import { print } from "./output.js";

export function secretsCommand(): Command {
  return new Command("secrets").description("Secrets for the environment.").addCommand(
    new Command("generate")
      .description(
        "Print a fresh SECRET_KEY (32 random bytes) and SECURITY_PASSWORD_SALT (24 random bytes) as KEY=value lines.",
      )
      .action(() => {
        print(`SECRET_KEY=${randomToken(32)}`);
        print(`SECURITY_PASSWORD_SALT=${randomToken(24)}`);
      }),
  );
}
