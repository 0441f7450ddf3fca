import { BlockList, isIP } from "node:net";

/**
 * The client's address. The socket peer (which the adapters attach to the Request) is the only address nobody
 * can forge; a forwarding header is read only when that peer is one of the configured trusted proxies, and then
 * the chain is walked from the right (the entries the proxies appended), skipping trusted hops: the first
 * untrusted address is the client. A header from any other peer changes nothing.
 */
export type ForwardingHeader = "x-forwarded-for" | "forwarded" | "x-real-ip";

export interface TrustedProxies {
  /** True when `address` is a trusted proxy. */
  trusts(address: string): boolean;
  readonly header: ForwardingHeader;
  readonly empty: boolean;
}

/** A CIDR ("10.0.0.0/8", "2001:db8::/32") or a single address; null when it is neither. */
export function parseCidr(entry: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | null {
  const [rawAddress, rawPrefix, extra] = entry.trim().split("/");
  if (extra !== undefined || !rawAddress) return null;
  const address = normalizeAddress(rawAddress);
  const version = address ? isIP(address) : 0;
  if (!address || version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (rawPrefix !== undefined && !/^\d{1,3}$/.test(rawPrefix)) return null;
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

export function trustedProxies(entries: readonly string[], header: ForwardingHeader): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    // The config schema refuses bad entries; this guards direct callers.
    if (!cidr) throw new TypeError(`not an IP address or CIDR: ${entry}`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return {
    header,
    empty: entries.length === 0,
    trusts: (address) => {
      const normal = normalizeAddress(address);
      const version = normal ? isIP(normal) : 0;
      return version !== 0 && list.check(normal!, version === 4 ? "ipv4" : "ipv6");
    },
  };
}

/** The client address for a request whose socket peer is `peer`. */
export function resolveClientIp(peer: string | null, headers: Headers, proxies: TrustedProxies): string | null {
  const direct = peer === null ? null : (normalizeAddress(peer) ?? peer);
  if (direct === null || proxies.empty || !proxies.trusts(direct)) return direct;
  const chain = forwardedChain(headers, proxies.header);
  let client = direct;
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = chain[i]!;
    // An entry that is not an address (garbage, "unknown", an obfuscated name) ends the walk: the last trusted
    // hop is the best we know.
    if (hop === null) break;
    client = hop;
    if (!proxies.trusts(hop)) break;
  }
  return client;
}

/** The addresses the chosen header lists, left to right; null for an entry that is not an address. */
function forwardedChain(headers: Headers, header: ForwardingHeader): (string | null)[] {
  const value = headers.get(header);
  if (!value) return [];
  if (header === "x-real-ip") return [normalizeAddress(value)];
  if (header === "x-forwarded-for") return value.split(",").map((entry) => normalizeAddress(entry));
  // RFC 7239: elements separated by commas, pairs by semicolons; only `for=` names the client.
  return value.split(",").map((element) => {
    const pair = element
      .split(";")
      .map((p) => p.trim())
      .find((p) => /^for=/i.test(p));
    return pair ? normalizeAddress(pair.slice(4).replace(/^"|"$/g, "")) : null;
  });
}

/**
 * An address in one spelling: without port or brackets, IPv4-mapped IPv6 as IPv4, IPv6 lower case; null when
 * the text is not an IP address.
 */
export function normalizeAddress(text: string): string | null {
  let s = text.trim();
  if (s.length === 0 || s.length > 64) return null;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) s = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(":"));
  s = s.replace(/%.*$/, "").toLowerCase(); // a zone id names an interface, not a host
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (mapped) s = mapped[1]!;
  return isIP(s) === 0 ? null : s;
}

/**
 * The key a source is counted by: an IPv4 address as is, an IPv6 address by its /64 (one subscriber gets a whole
 * /64, so counting single IPv6 addresses would give each attacker 2^64 budgets). No address: "unknown".
 */
export function sourceGroup(ip: string | null): string {
  const address = ip === null ? null : normalizeAddress(ip);
  if (address === null) return "unknown";
  if (isIP(address) === 4) return address;
  return `${expandIpv6(address).slice(0, 4).join(":")}::/64`;
}

/**
 * The wider network an IPv6 source belongs to: its /48, the block a subscriber or site is commonly delegated
 * (65,536 /64s), counted by the per-source limits with a larger budget and used as the hash queue's fairness
 * key. null for IPv4 (one address is one source) and for no address.
 */
export function sourcePrefix48(ip: string | null): string | null {
  const address = ip === null ? null : normalizeAddress(ip);
  if (address === null || isIP(address) !== 6) return null;
  return `${expandIpv6(address).slice(0, 3).join(":")}::/48`;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail becomes two groups). */
function expandIpv6(address: string): string[] {
  let text = address;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...middle, ...right].map((g) => Number.parseInt(g, 16).toString(16));
}
