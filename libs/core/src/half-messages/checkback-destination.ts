import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where the check-back may POST. A checkbackUrl comes from whoever may
 * prepare a transaction, and the service calls it from inside the operator's
 * network: left open, "prepare with checkbackUrl http://169.254.169.254/…"
 * makes the service fetch cloud credentials (issue 10, item 2). So by default
 * only public unicast addresses are called; anything internal must be listed
 * by the operator (POSTBOX_CHECKBACK_ALLOW on the service, `checkbackAllow`
 * in the library): host names, IP addresses and CIDRs, comma-separated.
 *
 * The rule is applied to the address the call actually connects to: the
 * lookup that vets a host name is the lookup the socket uses (no second
 * resolution a DNS-rebinding server could answer differently), and every
 * address the name resolves to must pass.
 */
export type CheckbackAllow = string | readonly string[];

/** Address ranges refused unless allowed, by the reason a refusal names. node:net's BlockList also matches their IPv4-mapped IPv6 forms (::ffff:10.0.0.5). */
const REFUSED_RANGES: readonly [reason: string, subnets: readonly string[]][] = [
  ['a loopback address', ['127.0.0.0/8', '::1/128']],
  ['a private address', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']],
  ['a link-local address (cloud metadata lives here)', ['169.254.0.0/16', 'fe80::/10']],
  ['a carrier-grade NAT address', ['100.64.0.0/10']],
  ['an unspecified address', ['0.0.0.0/8', '::/128']],
  ['a multicast address', ['224.0.0.0/4', 'ff00::/8']],
  ['a reserved address', ['240.0.0.0/4']],
];

const REFUSED = REFUSED_RANGES.map(([reason, subnets]) => [reason, blockListOf(subnets)] as const);

/** Refused destinations: connectable by nobody, so a refusal is final, not a retryable network error. */
export class CheckbackRefusedError extends Error {
  override name = 'CheckbackRefusedError';
  constructor(reason: string) {
    super(`refused: ${reason}`);
  }
}

/** A policy, or the allow list to build one from. */
export function checkbackPolicy(allow?: CheckbackAllow | CheckbackDestinationPolicy): CheckbackDestinationPolicy {
  return allow instanceof CheckbackDestinationPolicy ? allow : new CheckbackDestinationPolicy(allow);
}

export class CheckbackDestinationPolicy {
  private readonly allowedHosts = new Set<string>();
  private readonly allowedAddresses = new BlockList();

  /** Throws on an entry that is neither a host name, an IP address nor a CIDR (a typo must not silently allow nothing). */
  constructor(allow: CheckbackAllow = []) {
    const entries = (typeof allow === 'string' ? allow.split(',') : allow).map((e) => e.trim()).filter(Boolean);
    for (const entry of entries) {
      const [address, prefix, ...rest] = entry.split('/');
      const family = isIP(address ?? '');
      if (prefix !== undefined) {
        const bits = Number(prefix);
        const max = family === 4 ? 32 : 128;
        if (!family || rest.length > 0 || !/^\d{1,3}$/.test(prefix) || bits > max) throw badEntry(entry);
        this.allowedAddresses.addSubnet(address as string, bits, family === 4 ? 'ipv4' : 'ipv6');
      } else if (family) {
        this.allowedAddresses.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6');
      } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(entry)) {
        this.allowedHosts.add(hostKey(entry));
      } else {
        throw badEntry(entry);
      }
    }
  }

  /** Why a connection to this IP address is refused, or null when it may be called. */
  refusal(address: string): string | null {
    const family = isIP(address);
    if (!family) return `${address} is not an IP address`;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (this.allowedAddresses.check(address, type)) return null;
    for (const [reason, ranges] of REFUSED) if (ranges.check(address, type)) return `${address} is ${reason}`;
    return null;
  }

  /** The host was listed by name: called wherever it resolves (the operator vouched for it). */
  hostAllowed(hostname: string): boolean {
    return this.allowedHosts.has(hostKey(hostname));
  }

  /**
   * What can be decided without DNS (prepare time, a 400): the scheme, an IP
   * literal host, and "localhost" names (RFC 6761: always loopback). A name
   * that resolves inward is refused at call time, which checks again anyway.
   */
  literalRefusal(url: URL): string | null {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${url.protocol} is not http or https`;
    const host = bareHost(url.hostname);
    if (this.hostAllowed(host)) return null;
    if (isIP(host)) return this.refusal(host);
    const name = hostKey(host);
    if (name === 'localhost' || name.endsWith('.localhost')) return `${name} is a loopback name`;
    return null;
  }

  /**
   * A `lookup` for http.request: resolves every address of the name and
   * fails the connection when any of them is refused, so the socket can only
   * ever connect to an address this policy passed.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, verbatim: true, family: options.family }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      if (!this.hostAllowed(hostname)) {
        for (const { address } of addresses) {
          const reason = this.refusal(address);
          if (reason) return callback(new CheckbackRefusedError(reason), '', 0);
        }
      }
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      // Node >= 20 asks for all addresses (happy eyeballs) and types the callback for one.
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}

/** "[::1]" in a URL is "::1" to net. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function hostKey(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

function blockListOf(subnets: readonly string[]): BlockList {
  const list = new BlockList();
  for (const subnet of subnets) {
    const [address, prefix] = subnet.split('/') as [string, string];
    list.addSubnet(address, Number(prefix), isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

function badEntry(entry: string): Error {
  return new Error(`checkback allow list: "${entry}" is not a host name, an IP address or a CIDR`);
}
