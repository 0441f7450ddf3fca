import { z } from "zod";
import { key } from "../../core/config/declare.js";
import { defineSlice } from "../../core/config/slice.js";

/**
 * Profile (a Rampart addition): the caller's own user, readable and — for the fields the app declares
 * updatable — writable. On whenever the app declares user fields, or when `enable` is set.
 */
const schema = z.strictObject({
  enable: key(z.boolean().default(false), {
    env: "SECURITY_PROFILE_ENABLE",
    doc: "Serve GET/PUT /profile even when the app declares no user fields (it is always on when it declares some).",
  }),
  url: key(z.string().startsWith("/").default("/profile"), {
    env: "SECURITY_PROFILE_URL",
    doc: "Profile endpoint: GET answers the caller's serialized user, PUT updates the app-declared updatable fields.",
  }),
});

export type ProfileConfig = z.output<typeof schema>;

export const profileSlice = defineSlice({
  key: "profile",
  schema,
});

declare module "../../core/config/slice.js" {
  interface RampartConfigSlices {
    profile: typeof profileSlice;
  }
}
