;; The pipe probe of pipe-drain.ts (see there for why): is WASI fd 0 (a read end
;; of the pipe) readable within a timeout?
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; Waits up to $timeout_ns for fd 0 to become readable: 1 if it did, 0 if the time ran out, -1 on error.
  (func (export "readable_within") (param $timeout_ns i64) (result i32)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 256))
    ;; subscription 0 at 0: userdata 1, tag fd_read, fd 0
    (i64.store (i32.const 0) (i64.const 1))
    (i32.store8 (i32.const 8) (i32.const 1))
    ;; subscription 1 at 48: userdata 2, tag clock, monotonic, relative timeout
    (i64.store (i32.const 48) (i64.const 2))
    (i32.store (i32.const 64) (i32.const 1))
    (i64.store (i32.const 72) (local.get $timeout_ns))
    (if (call $poll_oneoff (i32.const 0) (i32.const 128) (i32.const 2) (i32.const 96))
      (then (return (i32.const -1))))
    ;; readable if any event (of the one or two) carries userdata 1 with no error
    (i32.or
      (i32.and (i64.eq (i64.load (i32.const 128)) (i64.const 1)) (i32.eqz (i32.load16_u (i32.const 136))))
      (i32.and
        (i32.ge_u (i32.load (i32.const 96)) (i32.const 2))
        (i32.and (i64.eq (i64.load (i32.const 160)) (i64.const 1)) (i32.eqz (i32.load16_u (i32.const 168))))))))
