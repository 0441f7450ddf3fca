/**
 * The passkeys pages' browser script (bundled with @simplewebauthn/browser by scripts/build-passkeys-script.mjs
 * into ../script.generated.ts, served inline under the page's CSP nonce). It knows no URLs: each ceremony form
 * the server rendered carries its options as JSON and its action (`<url>/<state>`); the script runs the ceremony
 * when the form's button is pressed (or at once for autofill) and posts the browser's answer as `credential`.
 *
 * Markup: <form data-wan-ceremony="register|authenticate|autofill" action method="post"> with
 * <script type="application/json" data-wan-options>…</script>, <input type="hidden" name="credential"> and an
 * element [data-wan-error] for a message. A browser without WebAuthn gets that message instead.
 */
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
} from "@simplewebauthn/browser";

function show(form: HTMLFormElement, message: string): void {
  const box = form.querySelector<HTMLElement>("[data-wan-error]");
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
}

async function run(form: HTMLFormElement): Promise<void> {
  const kind = form.dataset.wanCeremony;
  const optionsText = form.querySelector("script[data-wan-options]")?.textContent ?? "";
  const field = form.querySelector<HTMLInputElement>("input[name=credential]");
  if (!field || !optionsText) return;
  const optionsJSON = JSON.parse(optionsText);
  try {
    const answer =
      kind === "register"
        ? await startRegistration({ optionsJSON })
        : await startAuthentication({ optionsJSON, useBrowserAutofill: kind === "autofill" });
    field.value = JSON.stringify(answer);
    form.submit();
  } catch (error) {
    // Autofill that the user never picked is aborted when another ceremony starts: not an error to show.
    if (kind === "autofill") return;
    const name = error instanceof Error ? error.name : "";
    show(
      form,
      name === "NotAllowedError" || name === "AbortError"
        ? form.dataset.wanCancelled || "The passkey request was cancelled or timed out. Try again."
        : form.dataset.wanFailed || "Your browser could not use a passkey here.",
    );
  }
}

async function start(): Promise<void> {
  const forms = Array.from(document.querySelectorAll<HTMLFormElement>("form[data-wan-ceremony]"));
  if (!forms.length) return;
  if (!browserSupportsWebAuthn()) {
    for (const form of forms) show(form, form.dataset.wanUnsupported || "This browser does not support passkeys.");
    return;
  }
  for (const form of forms) {
    if (form.dataset.wanCeremony === "autofill") {
      if (await browserSupportsWebAuthnAutofill()) void run(form);
      continue;
    }
    form.addEventListener("submit", (event) => {
      if (form.querySelector<HTMLInputElement>("input[name=credential]")?.value) return;
      event.preventDefault();
      void run(form);
    });
  }
}

void start();
