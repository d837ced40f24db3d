;; The pipe probe of pipe-drain.ts (see there for why). WASI fds 0 and 1 are read
;; ends of the pipes to watch. `readable_within(timeout_ns, nfds)` polls fds
;; 0..nfds-1 (nfds is 1 or 2) for reading together with a relative clock, and
;; answers a bit mask of the fds that were readable (bytes in their pipe), or -1
;; if poll_oneoff failed.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "readable_within") (param $timeout_ns i64) (param $nfds i32) (result i32)
    (local $fd i32) (local $at i32) (local $events i32) (local $mask i32) (local $userdata i64)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 512))
    ;; subscriptions of 48 bytes from 0: fd_read (tag 1) on fd i with userdata i + 1
    (block $subscribed
      (loop $subscribe
        (br_if $subscribed (i32.ge_u (local.get $fd) (local.get $nfds)))
        (local.set $at (i32.mul (local.get $fd) (i32.const 48)))
        (i64.store (local.get $at) (i64.extend_i32_u (i32.add (local.get $fd) (i32.const 1))))
        (i32.store8 offset=8 (local.get $at) (i32.const 1))
        (i32.store offset=16 (local.get $at) (local.get $fd))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $subscribe)))
    ;; then the clock (tag 0), monotonic, relative timeout, userdata 0
    (local.set $at (i32.mul (local.get $nfds) (i32.const 48)))
    (i32.store offset=16 (local.get $at) (i32.const 1))
    (i64.store offset=24 (local.get $at) (local.get $timeout_ns))
    ;; events of 32 bytes from 256, their count at 200
    (if (call $poll_oneoff (i32.const 0) (i32.const 256) (i32.add (local.get $nfds) (i32.const 1)) (i32.const 200))
      (then (return (i32.const -1))))
    (local.set $events (i32.load (i32.const 200)))
    (local.set $at (i32.const 256))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $events)))
        (local.set $userdata (i64.load (local.get $at)))
        ;; an fd event without error: that fd's pipe holds bytes
        (if (i32.and (i64.ne (local.get $userdata) (i64.const 0)) (i32.eqz (i32.load16_u offset=8 (local.get $at))))
          (then (local.set $mask (i32.or (local.get $mask)
            (i32.shl (i32.const 1) (i32.wrap_i64 (i64.sub (local.get $userdata) (i64.const 1))))))))
        (local.set $at (i32.add (local.get $at) (i32.const 32)))
        (local.set $events (i32.sub (local.get $events) (i32.const 1)))
        (br $next)))
    (local.get $mask)))
