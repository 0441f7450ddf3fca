import { z } from "zod";
import { defineSlice } from "../../core/config/slice.js";

/**
 * Profile (a Rampart addition): the caller's own user, readable and — for the fields the app declares
 * updatable — writable. On whenever the app declares user fields, or when `enable` is set.
 */
const schema = z.object({
  enable: z.boolean().default(false),
  url: z.string().startsWith("/").default("/profile"),
});

export type ProfileConfig = z.output<typeof schema>;

export const profileSlice = defineSlice({
  key: "profile",
  schema,
  env: {
    SECURITY_PROFILE_ENABLE: ["enable", "bool"],
    SECURITY_PROFILE_URL: ["url", "string"],
  },
  meanings: {
    enable: "Serve GET/PUT /profile even when the app declares no user fields (it is always on when it declares some).",
    url: "Profile endpoint: GET answers the caller's serialized user, PUT updates the app-declared updatable fields.",
  },
});
