/** What `rampart doctor` reports: one finding per weakness, with the key to change and how. */
export type Severity = "error" | "warning" | "info";

export interface Finding {
  severity: Severity;
  /** Short stable id ("cookie-not-secure"), for scripts and for silencing in CI. */
  id: string;
  /** The config key or component concerned ("session.cookieSecure (SESSION_COOKIE_SECURE)", "Redis"). */
  subject: string;
  message: string;
  /** What to do about it. */
  fix?: string;
}

/** Exit codes: 0 nothing to fix, 3 warnings, 4 at least one error (1 and 2 keep their CLI-wide meanings). */
export const EXIT_WARNINGS = 3;
export const EXIT_ERRORS = 4;

export function exitCodeFor(findings: readonly Finding[]): number {
  if (findings.some((f) => f.severity === "error")) return EXIT_ERRORS;
  if (findings.some((f) => f.severity === "warning")) return EXIT_WARNINGS;
  return 0;
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.id.localeCompare(b.id));
}
