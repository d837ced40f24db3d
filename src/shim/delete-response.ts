/**
 * Encodes containerd.task.v2.DeleteResponse {pid=1, exit_status=2,
 * exited_at=3 Timestamp{seconds=1, nanos=2}} by hand: `delete` runs after
 * every container, and loading the generated codecs would double its cost.
 */

function varint(value: number, out: number[]): void {
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function field(number: number, wireType: number, out: number[]): void {
  varint((number << 3) | wireType, out);
}

export function encodeDeleteResponse(pid: number, exitStatus: number, exitedAt: Date): Uint8Array {
  const ms = exitedAt.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  const timestamp: number[] = [];
  if (seconds !== 0) {
    field(1, 0, timestamp);
    varint(seconds, timestamp);
  }
  if (nanos !== 0) {
    field(2, 0, timestamp);
    varint(nanos, timestamp);
  }
  const out: number[] = [];
  if (pid !== 0) {
    field(1, 0, out);
    varint(pid, out);
  }
  if (exitStatus !== 0) {
    field(2, 0, out);
    varint(exitStatus, out);
  }
  field(3, 2, out);
  varint(timestamp.length, out);
  out.push(...timestamp);
  return Uint8Array.from(out);
}
