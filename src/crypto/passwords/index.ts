export { createPasswordHasher, type PasswordHasher } from "./hasher.js";
export { normalizePassword } from "./normalize.js";
export { defaultPasswordHashingOptions, type PasswordHashingOptions } from "./options.js";
