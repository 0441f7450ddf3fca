import { z } from "zod";
import { key } from "./declare.js";

/**
 * Clock skew between instances and the database. Signed values carry the time they were made; a value made
 * "in the future" came from an instance whose clock runs fast, and would otherwise live longer by the skew.
 */
export const clockSlice = z
  .strictObject({
    futureToleranceSeconds: key(z.number().int().min(0).max(300).default(60), {
      env: "RAMPART_CLOCK_FUTURE_TOLERANCE",
      doc: "A signed value (auth token, emailed link, CSRF token…) whose issue time is further in the future than this is refused as expired: a fast instance's tokens must not outlive their lifetime.",
    }),
    checkIntervalSeconds: key(z.number().int().min(0).default(300), {
      env: "RAMPART_CLOCK_CHECK_INTERVAL",
      doc: "How often the instance compares its clock with the database's (also once at start); 0 turns the check off.",
    }),
    skewThresholdSeconds: key(z.number().int().min(1).default(10), {
      env: "RAMPART_CLOCK_SKEW_THRESHOLD",
      doc: "A measured skew larger than this is logged as a warning, and authenticator (TOTP) codes are then judged on the database's time instead of the instance's.",
    }),
  })
  .prefault({});
