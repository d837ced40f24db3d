import dns from 'node:dns';
import net from 'node:net';

/**
 * Host names resolved the way the container's own C library would: through the
 * container's /etc/hosts and /etc/resolv.conf (in a Kubernetes pod, the files
 * the CRI mounts: the pod's hostname, the cluster DNS server, its search
 * domains and ndots; under Docker, its embedded DNS), not the node's. A
 * container with no /etc/resolv.conf (a plain `ctr run` of an image without
 * one) resolves as the node does.
 */

export interface Address {
  address: string;
  family: 4 | 6;
}

/** Reads a file of the guest's filesystem; undefined when it is not there. */
export type GuestFileReader = (guestPath: string) => string | undefined;

/** Why a name did not resolve, as getaddrinfo says it. */
export class ResolveError extends Error {
  readonly reason: 'noname' | 'again' | 'fail';

  // No parameter properties: the worker loads these sources with Node's type stripping.
  constructor(reason: 'noname' | 'again' | 'fail') {
    super(reason);
    this.reason = reason;
  }
}

interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
  timeoutMs: number;
  attempts: number;
}

/** resolv.conf(5): nameserver, search (or domain), options ndots/timeout/attempts; glibc's defaults otherwise. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1, timeoutMs: 5_000, attempts: 2 };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...values] = line.split(/\s+/);
    if (keyword === 'nameserver' && values[0] !== undefined && net.isIP(values[0].replace(/%.*$/, '')) !== 0) conf.nameservers.push(values[0]);
    else if (keyword === 'search') conf.search = values;
    else if (keyword === 'domain' && values[0] !== undefined) conf.search = [values[0]];
    else if (keyword === 'options') {
      for (const option of values) {
        const [name, value] = option.split(':');
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) continue;
        if (name === 'ndots') conf.ndots = Math.min(n, 15);
        else if (name === 'timeout') conf.timeoutMs = Math.max(1, Math.min(n, 30)) * 1000;
        else if (name === 'attempts') conf.attempts = Math.max(1, Math.min(n, 5));
      }
    }
  }
  // No nameserver line: glibc asks the local host.
  if (conf.nameservers.length === 0) conf.nameservers.push('127.0.0.1');
  return conf;
}

/** The addresses /etc/hosts gives `name` (case-insensitive), in file order. */
export function hostsLookup(text: string, name: string, family: 0 | 4 | 6): Address[] {
  const wanted = name.toLowerCase().replace(/\.$/, '');
  const found: Address[] = [];
  for (const raw of text.split('\n')) {
    const [address, ...names] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (address === undefined || names.length === 0) continue;
    const kind = net.isIP(address);
    if (kind === 0 || (family !== 0 && kind !== family)) continue;
    if (names.some((n) => n.toLowerCase() === wanted)) found.push({ address, family: kind as 4 | 6 });
  }
  return found;
}

/** The names to ask DNS for, in order, as resolv.conf's search list and ndots say. */
export function candidates(name: string, conf: Pick<ResolvConf, 'search' | 'ndots'>): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const searched = conf.search.map((domain) => `${name}.${domain.replace(/\.$/, '')}`);
  const dots = name.split('.').length - 1;
  return dots >= conf.ndots ? [name, ...searched] : [...searched, name];
}

const NOT_FOUND = new Set<string>([dns.NOTFOUND, dns.NODATA, dns.NONAME, dns.BADNAME]);

async function query(resolver: dns.promises.Resolver, name: string, family: 0 | 4 | 6): Promise<Address[] | 'missing'> {
  const asks: Promise<Address[]>[] = [];
  if (family !== 6) asks.push(resolver.resolve4(name).then((a) => a.map((address) => ({ address, family: 4 as const }))));
  if (family !== 4) asks.push(resolver.resolve6(name).then((a) => a.map((address) => ({ address, family: 6 as const }))));
  const settled = await Promise.allSettled(asks);
  const found = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
  if (found.length > 0) return found;
  const failures = settled.map((s) => (s.status === 'rejected' ? ((s.reason as { code?: string }).code ?? '') : dns.NODATA));
  if (failures.every((code) => NOT_FOUND.has(code))) return 'missing';
  throw new ResolveError('again');
}

/**
 * Resolves `name` for the guest (IPv4 first with family 0); throws ResolveError.
 * Undefined when neither the container's /etc/hosts names it nor does it have an
 * /etc/resolv.conf: then it resolves as the node does.
 */
export async function containerLookup(name: string, family: 0 | 4 | 6, readFile: GuestFileReader): Promise<Address[] | undefined> {
  const hosts = readFile('/etc/hosts');
  if (hosts !== undefined) {
    const found = hostsLookup(hosts, name, family);
    if (found.length > 0) return found;
  }
  const resolvConf = readFile('/etc/resolv.conf');
  if (resolvConf === undefined) return undefined;
  const conf = parseResolvConf(resolvConf);
  const resolver = new dns.promises.Resolver({ timeout: conf.timeoutMs, tries: conf.attempts });
  resolver.setServers(conf.nameservers);
  let unanswered = false;
  for (const candidate of candidates(name, conf)) {
    try {
      const found = await query(resolver, candidate, family);
      if (found !== 'missing') return found;
    } catch {
      unanswered = true; // a server that does not answer: the next name may still resolve
    }
  }
  throw new ResolveError(unanswered ? 'again' : 'noname');
}
