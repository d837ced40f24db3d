/**
 * The two protobuf messages inside ttrpc frames (ttrpc/request.proto, package
 * `ttrpc`; PROTOCOL.md §4). Written with protobufjs's Reader/Writer, the one
 * codec the generated code uses too, rather than with the generated types: the
 * ttrpc layer imports nothing else of the project. Proto3 rules: fields at
 * their default value are left out (a unit test checks these against the
 * generated codec).
 */
import protobuf from 'protobufjs/minimal.js';

const { Reader, Writer } = protobuf;
type ProtoReader = InstanceType<typeof Reader>;
type ProtoWriter = InstanceType<typeof Writer>;

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

export interface KeyValue {
  key: string;
  value: string;
}

export interface Request {
  /** Full proto service name, e.g. `containerd.task.v2.Task`. */
  service: string;
  /** Bare method name, e.g. `Create`. */
  method: string;
  payload: Uint8Array;
  /** The caller's deadline as a duration in nanoseconds; 0n for none. */
  timeoutNano: bigint;
  metadata: KeyValue[];
}

/** google.protobuf.Any, kept as raw bytes. */
export interface AnyMessage {
  typeUrl: string;
  value: Uint8Array;
}

/** google.rpc.Status. */
export interface Status {
  code: number;
  message: string;
  details: AnyMessage[];
}

export interface Response {
  /** Absent on success (what runc's shim sends); absent or code 0 both mean OK. */
  status?: Status;
  payload: Uint8Array;
}

function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

function putString(w: ProtoWriter, field: number, value: string): void {
  if (value.length > 0) w.uint32(tag(field, WIRE_BYTES)).string(value);
}

function putBytes(w: ProtoWriter, field: number, value: Uint8Array): void {
  if (value.length > 0) w.uint32(tag(field, WIRE_BYTES)).bytes(value);
}

function putMessage(w: ProtoWriter, field: number, encode: (inner: ProtoWriter) => void): void {
  w.uint32(tag(field, WIRE_BYTES)).fork();
  encode(w);
  w.ldelim();
}

/** Reads every field of one message, handing known ones to `onField` and skipping the rest. */
function readFields(
  r: ProtoReader,
  end: number,
  onField: (field: number, wireType: number) => boolean,
): void {
  while (r.pos < end) {
    const t = r.uint32();
    const field = t >>> 3;
    const wireType = t & 7;
    if (field === 0) throw new Error(`invalid protobuf field number 0 at offset ${r.pos}`);
    if (!onField(field, wireType)) r.skipType(wireType);
  }
  if (r.pos !== end) throw new Error('protobuf message ends inside a field');
}

function int64ToBigInt(value: { low: number; high: number } | number): bigint {
  if (typeof value === 'number') return BigInt(value);
  return (BigInt(value.high) << 32n) | BigInt(value.low >>> 0);
}

export function encodeRequest(request: Request): Uint8Array {
  const w = Writer.create();
  putString(w, 1, request.service);
  putString(w, 2, request.method);
  putBytes(w, 3, request.payload);
  if (request.timeoutNano !== 0n) w.uint32(tag(4, WIRE_VARINT)).int64(request.timeoutNano.toString());
  for (const { key, value } of request.metadata) {
    putMessage(w, 5, (inner) => {
      putString(inner, 1, key);
      putString(inner, 2, value);
    });
  }
  return w.finish();
}

export function decodeRequest(bytes: Uint8Array): Request {
  const r = Reader.create(bytes);
  const request: Request = { service: '', method: '', payload: new Uint8Array(0), timeoutNano: 0n, metadata: [] };
  readFields(r, r.len, (field, wireType) => {
    if (field === 1 && wireType === WIRE_BYTES) request.service = r.string();
    else if (field === 2 && wireType === WIRE_BYTES) request.method = r.string();
    else if (field === 3 && wireType === WIRE_BYTES) request.payload = r.bytes();
    else if (field === 4 && wireType === WIRE_VARINT) request.timeoutNano = int64ToBigInt(r.int64());
    else if (field === 5 && wireType === WIRE_BYTES) request.metadata.push(readKeyValue(r));
    else return false;
    return true;
  });
  return request;
}

function readKeyValue(r: ProtoReader): KeyValue {
  const end = r.uint32() + r.pos;
  const kv: KeyValue = { key: '', value: '' };
  readFields(r, end, (field, wireType) => {
    if (field === 1 && wireType === WIRE_BYTES) kv.key = r.string();
    else if (field === 2 && wireType === WIRE_BYTES) kv.value = r.string();
    else return false;
    return true;
  });
  return kv;
}

export function encodeResponse(response: Response): Uint8Array {
  const w = Writer.create();
  const { status } = response;
  if (status !== undefined) {
    putMessage(w, 1, (inner) => {
      if (status.code !== 0) inner.uint32(tag(1, WIRE_VARINT)).int32(status.code);
      putString(inner, 2, status.message);
      for (const detail of status.details) {
        putMessage(inner, 3, (any) => {
          putString(any, 1, detail.typeUrl);
          putBytes(any, 2, detail.value);
        });
      }
    });
  }
  putBytes(w, 2, response.payload);
  return w.finish();
}

export function decodeResponse(bytes: Uint8Array): Response {
  const r = Reader.create(bytes);
  const response: Response = { payload: new Uint8Array(0) };
  readFields(r, r.len, (field, wireType) => {
    if (field === 1 && wireType === WIRE_BYTES) response.status = readStatus(r);
    else if (field === 2 && wireType === WIRE_BYTES) response.payload = r.bytes();
    else return false;
    return true;
  });
  return response;
}

function readStatus(r: ProtoReader): Status {
  const end = r.uint32() + r.pos;
  const status: Status = { code: 0, message: '', details: [] };
  readFields(r, end, (field, wireType) => {
    if (field === 1 && wireType === WIRE_VARINT) status.code = r.int32();
    else if (field === 2 && wireType === WIRE_BYTES) status.message = r.string();
    else if (field === 3 && wireType === WIRE_BYTES) status.details.push(readAny(r));
    else return false;
    return true;
  });
  return status;
}

function readAny(r: ProtoReader): AnyMessage {
  const end = r.uint32() + r.pos;
  const any: AnyMessage = { typeUrl: '', value: new Uint8Array(0) };
  readFields(r, end, (field, wireType) => {
    if (field === 1 && wireType === WIRE_BYTES) any.typeUrl = r.string();
    else if (field === 2 && wireType === WIRE_BYTES) any.value = r.bytes();
    else return false;
    return true;
  });
  return any;
}
