/** Input policies: new passwords (length, breached, complexity), email addresses and usernames. */
export {
  checkNewPassword,
  checkPasswordLength,
  codePointLength,
  contextWords,
  type PasswordContext,
} from "./password.js";
export {
  BreachedApiError,
  breachCount,
  checkBreachedPassword,
  parseRangeResponse,
  sha1Parts,
  type BreachedApiOptions,
} from "./breached.js";
export { passwordScore, prepareZxcvbn, withoutContextWords } from "./zxcvbn.js";
export {
  emailAddressProblem,
  normalizeEmailAddress,
  type EmailAddressProblem,
  type EmailAddressResult,
} from "./email.js";
export { checkUsername, type UsernameResult } from "./username.js";
