import { describe, expect, it } from 'vitest';
import { containerd } from '../../../src/generated/index.js';
import { encodeDeleteResponse } from '../../../src/shim/delete-response.js';

describe('encodeDeleteResponse', () => {
  it('writes the same bytes as the generated codec', () => {
    const at = new Date(1_795_326_204_908);
    const expected = containerd.task.v2.DeleteResponse.encode({
      pid: 31712,
      exitStatus: 137,
      exitedAt: { seconds: 1_795_326_204, nanos: 908_000_000 },
    }).finish();
    expect(Buffer.from(encodeDeleteResponse(31712, 137, at))).toEqual(Buffer.from(expected));
  });

  it('decodes back to pid, status and time, with a zero pid omitted', () => {
    const decoded = containerd.task.v2.DeleteResponse.decode(encodeDeleteResponse(0, 137, new Date(5_000)));
    expect(decoded.pid).toBe(0);
    expect(decoded.exitStatus).toBe(137);
    expect(decoded.exitedAt?.seconds).toBe(5);
  });
});
