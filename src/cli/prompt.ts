/**
 * Password input: `--password` when given, else a hidden prompt on a terminal (asked twice, like Click's
 * `confirmation_prompt`). Without a terminal and without `--password`, an error: scripts must pass it.
 */
import { CliError } from "./errors.js";

/** Reads one line from the terminal without echoing it. Ctrl-C aborts (exit 130). */
export function readHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  const out = process.stderr;
  return new Promise((resolve, reject) => {
    out.write(question);
    let value = "";
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const finish = (fn: () => void) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.removeListener("data", onData);
      out.write("\n");
      fn();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return finish(() => resolve(value));
        if (ch === "\u0003") return finish(() => reject(new CliError("Aborted!", 130)));
        if (ch === "\u0004") {
          if (value === "") return finish(() => reject(new CliError("Aborted!", 130)));
          return finish(() => resolve(value));
        }
        if (ch === "\u007f" || ch === "\b") value = [...value].slice(0, -1).join("");
        else if (ch >= " ") value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** The password from the option, or prompted twice on a terminal. */
export async function obtainPassword(given: string | undefined, label = "Password"): Promise<string> {
  if (given !== undefined) return given;
  if (!process.stdin.isTTY) {
    throw new CliError("No password given: pass --password (stdin is not a terminal, so it cannot be prompted for).");
  }
  for (;;) {
    const first = await readHidden(`${label}: `);
    const second = await readHidden("Repeat for confirmation: ");
    if (first === second) return first;
    process.stderr.write("Error: The two entered values do not match.\n");
  }
}
