import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResolveError, candidates, containerLookup, hostsLookup, parseResolvConf } from '../../../src/wasi/name-resolver.js';
import { FakeDns } from '../../support/fake-dns.js';

const SERVER = '127.53.0.1';
let dns: FakeDns;

beforeAll(async () => {
  dns = await FakeDns.start(SERVER, {
    'api.default.svc.cluster.local': ['10.96.0.10'],
    'example.org': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  });
});

afterAll(async () => {
  await dns.close();
});

const files = (entries: Record<string, string>) => (path: string): string | undefined => entries[path];

const POD_RESOLV = `# written by the CRI for the pod
nameserver ${SERVER}
search default.svc.cluster.local svc.cluster.local cluster.local
options ndots:5
`;

describe("names resolved through the container's own files", () => {
  it("answers from the container's /etc/hosts before asking any server", async () => {
    const read = files({ '/etc/hosts': '127.0.0.1 localhost\n10.1.2.3  my-pod   # the pod\n', '/etc/resolv.conf': POD_RESOLV });
    const before = dns.questions.length;
    expect(await containerLookup('my-pod', 0, read)).toEqual([{ address: '10.1.2.3', family: 4 }]);
    expect(await containerLookup('MY-POD', 4, read)).toEqual([{ address: '10.1.2.3', family: 4 }]);
    expect(dns.questions.length).toBe(before);
  });

  it("asks the container's nameserver through its search domains, as ndots says", async () => {
    const read = files({ '/etc/resolv.conf': POD_RESOLV });
    const before = dns.questions.length;
    expect(await containerLookup('api', 4, read)).toEqual([{ address: '10.96.0.10', family: 4 }]);
    expect(dns.questions.slice(before)).toEqual(['api.default.svc.cluster.local A']);
    // Fewer dots than ndots: the search domains first, then the name as it is.
    expect(candidates('example.org', parseResolvConf(POD_RESOLV))).toEqual([
      'example.org.default.svc.cluster.local', 'example.org.svc.cluster.local', 'example.org.cluster.local', 'example.org',
    ]);
    expect(await containerLookup('example.org', 0, read)).toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ]);
    expect(candidates('example.org.', parseResolvConf(POD_RESOLV))).toEqual(['example.org']);
  });

  it('says the name does not exist when no candidate resolves, and try again when the server does not answer', async () => {
    await expect(containerLookup('nowhere', 0, files({ '/etc/resolv.conf': POD_RESOLV }))).rejects.toEqual(new ResolveError('noname'));
    const silent = files({ '/etc/resolv.conf': 'nameserver 127.53.0.2\noptions timeout:1 attempts:1\n' });
    await expect(containerLookup('anything', 4, silent)).rejects.toEqual(new ResolveError('again'));
  });

  it('leaves a container without /etc/resolv.conf to the node, and reads resolv.conf the way glibc does', async () => {
    expect(await containerLookup('localhost', 0, files({}))).toBeUndefined();
    expect(parseResolvConf('domain corp.example\noptions ndots:2 timeout:3 attempts:4 rotate\n')).toEqual({
      nameservers: ['127.0.0.1'], search: ['corp.example'], ndots: 2, timeoutMs: 3000, attempts: 4,
    });
    expect(hostsLookup('::1 localhost ip6-localhost\n127.0.0.1 localhost\n', 'localhost', 6)).toEqual([{ address: '::1', family: 6 }]);
  });
});
