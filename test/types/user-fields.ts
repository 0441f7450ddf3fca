/**
 * Type-level checks of declared user fields and the public user view. Never run: test/types/types.test.ts
 * typechecks this file with tsc, and every `@ts-expect-error` line must really be an error.
 */
import { z } from "zod";
import { Hono } from "hono";
import { createRampart, type PublicUser } from "../../src/index.js";
import { requireRampart, type RampartEnv } from "../../src/adapters/hono.js";
import { withGuard } from "../../src/adapters/node.js";

export async function declaredFieldsAreTyped(): Promise<void> {
  const userFields = {
    first_name: { schema: z.string().max(50) },
    plan: { schema: z.enum(["free", "pro"]), update: false },
    age: { schema: z.number().int(), message: "Age is a whole number." },
  };
  const rampart = await createRampart({ config: { secretKey: "x".repeat(32) }, userFields });

  const outcome = await rampart.guards.check(new Request("http://127.0.0.1/"));
  if (outcome.ok) {
    const name: string | null = outcome.user.profile.first_name;
    const plan: "free" | "pro" | null = outcome.user.profile.plan;
    const age: number | null = outcome.user.profile.age;
    const email: string = outcome.user.email;
    void [name, plan, age, email];
    // @ts-expect-error a field nobody declared
    void outcome.user.profile.nickname;
    // @ts-expect-error the plan is one of the enum's values, not any string
    const wrong: "gold" | null = outcome.user.profile.plan;
    void wrong;
    // @ts-expect-error the public view has no password hash
    void outcome.user.password;
    // @ts-expect-error nor uniquifiers
    void outcome.user.fsUniquifier;
    // @ts-expect-error nor second-factor secrets
    void outcome.user.tfTotpSecret;
  }

  await rampart.api.createUser({ email: "a@x.test", profile: { plan: "pro", first_name: "Al", age: 30 } });
  // @ts-expect-error not a value of the plan's enum
  await rampart.api.createUser({ email: "a@x.test", profile: { plan: "gold" } });
  // @ts-expect-error age is a number
  await rampart.api.createUser({ email: "a@x.test", profile: { age: "thirty" } });
  // @ts-expect-error a field nobody declared
  await rampart.api.createUser({ email: "a@x.test", profile: { nickname: "al" } });

  // Adapters carry the same types.
  const app = new Hono<RampartEnv<typeof userFields>>();
  app.get("/me", requireRampart(rampart, rampart.guards.loginRequired()), (c) => {
    const plan: "free" | "pro" | null = c.get("rampart").user.profile.plan;
    // @ts-expect-error no hash here either
    void c.get("rampart").user.password;
    return c.json({ plan });
  });
  withGuard(rampart, rampart.guards.loginRequired(), (req, res) => {
    const first: string | null = req.rampart.user.profile.first_name;
    // @ts-expect-error first_name is a string
    const asNumber: number | null = req.rampart.user.profile.first_name;
    void asNumber;
    res.end(first ?? "");
  });

  // The view an app stores or sends is assignable to PublicUser of the same fields.
  const view: PublicUser<typeof userFields> = rampart.api.publicUser((await rampart.api.findUser("a@x.test"))!);
  void view;
}
