/** Conversions between wire messages (generated) and the task service's plain values. */
import { containerd, google } from '../../generated/index.js';
import type { MountSpec } from '../../task/events.js';

export type WireTimestamp = google.protobuf.Timestamp.$Properties;

export function toTimestamp(date: Date): WireTimestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function optionalTimestamp(date: Date | undefined): WireTimestamp | undefined {
  return date === undefined ? undefined : toTimestamp(date);
}

export function mountsFrom(wire: readonly containerd.types.Mount.$Properties[] | null | undefined): MountSpec[] {
  return (wire ?? []).map((m) => ({
    type: m.type ?? '',
    source: m.source ?? '',
    target: m.target ?? '',
    options: [...(m.options ?? [])],
  }));
}
