/**
 * Cookie names. When cookies are Secure (every HTTPS deployment), Rampart's own cookies carry the `__Host-`
 * prefix: the browser then accepts them only with Secure, Path=/ and no Domain, so a sibling subdomain or a
 * plain-http page cannot plant or overwrite them. A name configured explicitly (e.g. Flask-Security's
 * `remember_token` for compatibility) is used as given.
 */
export function hostCookieName(config: { readonly session: { readonly cookieSecure: boolean } }, name: string): string {
  return config.session.cookieSecure ? `__Host-${name}` : name;
}
