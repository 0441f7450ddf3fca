/** A plain-http URL to this machine: allowed for a provider only there (a test, a local Keycloak). */
export function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
}

/** A plain-http URL to anything but this machine: never a provider's endpoint. */
export function isRemoteHttp(url: string): boolean {
  return new URL(url).protocol === "http:" && !isLoopbackHttp(url);
}
