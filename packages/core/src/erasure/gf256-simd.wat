;; GF(2^8) multiply-accumulate on WebAssembly SIMD: the split nibble-table technique of
;; klauspost/reedsolomon and ISA-L. A product c·x in GF(2^8) is linear in x, so
;; c·x = c·(x & 0x0f) ^ c·(x & 0xf0): two 16-entry tables per coefficient (`lo`, the products with
;; 0..15, and `hi`, with 0x00, 0x10 .. 0xf0), looked up 16 bytes at a time by i8x16.swizzle.
;; Indices are always 0..15 (masked or shifted), so swizzle never takes its out-of-range path and
;; the result equals the portable table-driven coder's byte for byte (tested).
;;
;; Source of packages/core/src/erasure/gf256-simd.wasm.ts: after editing, run
;; `npm run build:wasm -w packages/core` (core's tests fail when the committed bytes drift).
(module
  (memory (export "memory") 1)

  ;; out[r] = Σ_c coef[r][c] · in[c] over `len` bytes (a multiple of 16), for r < rows, c < cols.
  ;; `tables` holds rows × cols entries (row-major) of 32 bytes: the coefficient's `lo` table, then
  ;; its `hi` table. Input c starts at inputs + c·stride, output r at outputs + r·stride.
  ;; Each output is summed in registers over all inputs, 64 bytes at a time, and stored once.
  ;; (x >> 4 per byte is a 16-bit lane shift then the nibble mask: the bits that cross from the
  ;; neighbouring byte land in the masked-off high nibble.)
  (func (export "apply") (param $rows i32) (param $cols i32) (param $tables i32) (param $inputs i32) (param $outputs i32) (param $stride i32) (param $len i32)
    (local $r i32) (local $c i32) (local $pos i32) (local $len64 i32) (local $row i32) (local $t i32) (local $src i32) (local $dst i32)
    (local $mask v128) (local $lo v128) (local $hi v128) (local $x v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (if (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $cols))) (then (return)))
    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $len64 (i32.and (local.get $len) (i32.const -64)))
    (local.set $row (local.get $tables))
    (local.set $dst (local.get $outputs))
    (loop $rows
      ;; 64 bytes per turn
      (local.set $pos (i32.const 0))
      (block $done64
        (br_if $done64 (i32.ge_u (local.get $pos) (local.get $len64)))
        (loop $next64
          (local.set $a0 (v128.const i64x2 0 0))
          (local.set $a1 (v128.const i64x2 0 0))
          (local.set $a2 (v128.const i64x2 0 0))
          (local.set $a3 (v128.const i64x2 0 0))
          (local.set $t (local.get $row))
          (local.set $src (i32.add (local.get $inputs) (local.get $pos)))
          (local.set $c (local.get $cols))
          (loop $cols
            (local.set $lo (v128.load offset=0 (local.get $t)))
            (local.set $hi (v128.load offset=16 (local.get $t)))
          (local.set $x (v128.load offset=0 (local.get $src)))
          (local.set $a0 (v128.xor (local.get $a0) (v128.xor
            (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (local.get $mask)))
            (i8x16.swizzle (local.get $hi) (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $mask))))))
          (local.set $x (v128.load offset=16 (local.get $src)))
          (local.set $a1 (v128.xor (local.get $a1) (v128.xor
            (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (local.get $mask)))
            (i8x16.swizzle (local.get $hi) (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $mask))))))
          (local.set $x (v128.load offset=32 (local.get $src)))
          (local.set $a2 (v128.xor (local.get $a2) (v128.xor
            (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (local.get $mask)))
            (i8x16.swizzle (local.get $hi) (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $mask))))))
          (local.set $x (v128.load offset=48 (local.get $src)))
          (local.set $a3 (v128.xor (local.get $a3) (v128.xor
            (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (local.get $mask)))
            (i8x16.swizzle (local.get $hi) (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $mask))))))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (local.set $src (i32.add (local.get $src) (local.get $stride)))
            (local.set $c (i32.sub (local.get $c) (i32.const 1)))
            (br_if $cols (local.get $c)))
          (v128.store offset=0 (i32.add (local.get $dst) (local.get $pos)) (local.get $a0))
          (v128.store offset=16 (i32.add (local.get $dst) (local.get $pos)) (local.get $a1))
          (v128.store offset=32 (i32.add (local.get $dst) (local.get $pos)) (local.get $a2))
          (v128.store offset=48 (i32.add (local.get $dst) (local.get $pos)) (local.get $a3))
          (local.set $pos (i32.add (local.get $pos) (i32.const 64)))
          (br_if $next64 (i32.lt_u (local.get $pos) (local.get $len64)))))
      ;; the rest, 16 bytes per turn
      (block $done
        (br_if $done (i32.ge_u (local.get $pos) (local.get $len)))
        (loop $next
          (local.set $a0 (v128.const i64x2 0 0))
          (local.set $t (local.get $row))
          (local.set $src (i32.add (local.get $inputs) (local.get $pos)))
          (local.set $c (local.get $cols))
          (loop $cols
            (local.set $lo (v128.load offset=0 (local.get $t)))
            (local.set $hi (v128.load offset=16 (local.get $t)))
          (local.set $x (v128.load offset=0 (local.get $src)))
          (local.set $a0 (v128.xor (local.get $a0) (v128.xor
            (i8x16.swizzle (local.get $lo) (v128.and (local.get $x) (local.get $mask)))
            (i8x16.swizzle (local.get $hi) (v128.and (i16x8.shr_u (local.get $x) (i32.const 4)) (local.get $mask))))))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (local.set $src (i32.add (local.get $src) (local.get $stride)))
            (local.set $c (i32.sub (local.get $c) (i32.const 1)))
            (br_if $cols (local.get $c)))
          (v128.store (i32.add (local.get $dst) (local.get $pos)) (local.get $a0))
          (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
          (br_if $next (i32.lt_u (local.get $pos) (local.get $len)))))
      (local.set $row (i32.add (local.get $row) (i32.mul (local.get $cols) (i32.const 32))))
      (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $r) (local.get $rows)))))
)
