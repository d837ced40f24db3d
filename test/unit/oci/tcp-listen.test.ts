import { describe, expect, it } from 'vitest';
import { TCP_LISTEN_ANNOTATION, tcpListenAddresses } from '../../../src/oci/tcp-listen.js';

describe('the tcplisten annotation', () => {
  it('asks for nothing when absent', () => {
    expect(tcpListenAddresses({})).toEqual([]);
  });

  it('reads IPv4 and bracketed IPv6 addresses, comma-separated', () => {
    expect(tcpListenAddresses({ [TCP_LISTEN_ANNOTATION]: '127.0.0.1:8080, [::1]:9090' })).toEqual([
      { host: '127.0.0.1', port: 8080 },
      { host: '::1', port: 9090 },
    ]);
  });

  it('refuses a host name or a missing port, quoting the value', () => {
    expect(() => tcpListenAddresses({ [TCP_LISTEN_ANNOTATION]: 'localhost:8080' })).toThrow(/"localhost:8080" is not an IP address and port/);
    expect(() => tcpListenAddresses({ [TCP_LISTEN_ANNOTATION]: '127.0.0.1' })).toThrow(/tcplisten/);
    expect(() => tcpListenAddresses({ [TCP_LISTEN_ANNOTATION]: '127.0.0.1:70000' })).toThrow(/70000/);
  });
});
