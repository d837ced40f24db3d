import dgram from 'node:dgram';
import net from 'node:net';

/**
 * A DNS server for tests (UDP, A and AAAA only): answers the names it was given,
 * NXDOMAIN for the rest, and records every question in order. Binds port 53 of a
 * loopback address of its own (resolv.conf cannot name another port), so it
 * needs root.
 */
export class FakeDns {
  readonly questions: string[] = [];
  private readonly socket: dgram.Socket;
  readonly address: string;

  private constructor(socket: dgram.Socket, address: string) {
    this.socket = socket;
    this.address = address;
  }

  static async start(address: string, records: Record<string, string[]>): Promise<FakeDns> {
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const server = new FakeDns(socket, address);
    socket.on('message', (query, peer) => {
      const answer = server.answer(query, records);
      if (answer !== undefined) socket.send(answer, peer.port, peer.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(53, address, () => resolve());
    });
    return server;
  }

  private answer(query: Buffer, records: Record<string, string[]>): Buffer | undefined {
    if (query.length < 12) return undefined;
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const length = query[at] as number;
      labels.push(query.subarray(at + 1, at + 1 + length).toString('latin1'));
      at += 1 + length;
    }
    const questionEnd = at + 5; // the root label, QTYPE, QCLASS
    const type = query.readUInt16BE(at + 1);
    const name = labels.join('.').toLowerCase();
    this.questions.push(`${name} ${type === 28 ? 'AAAA' : type === 1 ? 'A' : String(type)}`);
    const known = records[name];
    const addresses = (known ?? []).filter((a) => (type === 1 ? net.isIPv4(a) : type === 28 ? net.isIPv6(a) : false));
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8180 | (known === undefined ? 3 : 0), 2); // response, recursion desired and available; NXDOMAIN for unknown names
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const answers = addresses.map((address) => {
      const rdata = net.isIPv4(address) ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
      const record = Buffer.alloc(12);
      record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      record.writeUInt16BE(type, 2);
      record.writeUInt16BE(1, 4); // IN
      record.writeUInt32BE(30, 6); // TTL
      record.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([record, rdata]);
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}
