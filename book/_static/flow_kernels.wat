;; The matrix-vector products of the in-page engine (flow_engine.js), in WebAssembly with 128-bit SIMD.
;;
;; out[j] = sum_k M[j, k] x[k], each row summed in the order k = 0, 1, 2, ..., every product and every
;; running sum rounded on its own (WebAssembly has no fused multiply-add and its f32 and f64 arithmetic is
;; IEEE 754, round to nearest, with subnormals): the same bits as the engine's plain JavaScript path and as
;; tests/flow_mirror.py. The lanes of a vector are rows, never terms of one sum: lane r of accumulator a
;; adds row (8 a + r) of the block's rows (f64: 2 a + r) term after term, so no sum is split or reordered.
;;
;; The matrix is stored by blocks of rows, so that the block's entries for one k are contiguous
;; (flow_engine.js, wasmProducts, writes it so, zero rows padding the last block):
;;   mv32: blocks of 32 rows, 8 accumulators of f32x4: P[b][k][r] = M[32 b + r, k], 128 bytes per k.
;;   mv64: blocks of 16 rows, 8 accumulators of f64x2: P[b][k][r] = M[16 b + r, k], 128 bytes per k.
;; Each k loads x[k] once for the whole block (load32_splat / load64_splat), and the 8 independent
;; accumulators keep the adder busy while each row's own sum stays in order.
;;
;; Arguments are byte offsets into the exported memory: m (the packed matrix), x (cols values), out
;; (blocks * 32, or * 16, values; the padding rows' are 0, or NaN where x holds an infinity or NaN, and
;; are not read). Sums start at +0, as in JavaScript.
;; Assembled to bytes when the book is built (helpers/explorers/flow_export.py, with wasmtime's wat2wasm)
;; into flow_kernels.js, which the engine loads beside the data; tests/test_flow_engine.py runs the same
;; bytes under wasmtime against the mirror.
(module
  (memory (export "memory") 1)

  (func (export "mv32") (param $m i32) (param $blocks i32) (param $cols i32) (param $x i32) (param $out i32)
    (local $xk i32) (local $end i32) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 2))))
    (block $done (loop $block
      (br_if $done (i32.eqz (local.get $blocks)))
      (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
      (local.set $a4 (v128.const i32x4 0 0 0 0)) (local.set $a5 (v128.const i32x4 0 0 0 0))
      (local.set $a6 (v128.const i32x4 0 0 0 0)) (local.set $a7 (v128.const i32x4 0 0 0 0))
      (local.set $xk (local.get $x))
      (block $summed (loop $k
        (br_if $summed (i32.ge_u (local.get $xk) (local.get $end)))
        (local.set $v (v128.load32_splat (local.get $xk)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load offset=0 (local.get $m)) (local.get $v))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $m)) (local.get $v))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $m)) (local.get $v))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $m)) (local.get $v))))
        (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (v128.load offset=64 (local.get $m)) (local.get $v))))
        (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (v128.load offset=80 (local.get $m)) (local.get $v))))
        (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (v128.load offset=96 (local.get $m)) (local.get $v))))
        (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (v128.load offset=112 (local.get $m)) (local.get $v))))
        (local.set $m (i32.add (local.get $m) (i32.const 128)))
        (local.set $xk (i32.add (local.get $xk) (i32.const 4)))
        (br $k)))
      (v128.store offset=0 (local.get $out) (local.get $a0)) (v128.store offset=16 (local.get $out) (local.get $a1))
      (v128.store offset=32 (local.get $out) (local.get $a2)) (v128.store offset=48 (local.get $out) (local.get $a3))
      (v128.store offset=64 (local.get $out) (local.get $a4)) (v128.store offset=80 (local.get $out) (local.get $a5))
      (v128.store offset=96 (local.get $out) (local.get $a6)) (v128.store offset=112 (local.get $out) (local.get $a7))
      (local.set $out (i32.add (local.get $out) (i32.const 128)))
      (local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))
      (br $block))))

  (func (export "mv64") (param $m i32) (param $blocks i32) (param $cols i32) (param $x i32) (param $out i32)
    (local $xk i32) (local $end i32) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 3))))
    (block $done (loop $block
      (br_if $done (i32.eqz (local.get $blocks)))
      (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
      (local.set $a4 (v128.const i32x4 0 0 0 0)) (local.set $a5 (v128.const i32x4 0 0 0 0))
      (local.set $a6 (v128.const i32x4 0 0 0 0)) (local.set $a7 (v128.const i32x4 0 0 0 0))
      (local.set $xk (local.get $x))
      (block $summed (loop $k
        (br_if $summed (i32.ge_u (local.get $xk) (local.get $end)))
        (local.set $v (v128.load64_splat (local.get $xk)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load offset=0 (local.get $m)) (local.get $v))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (v128.load offset=16 (local.get $m)) (local.get $v))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (v128.load offset=32 (local.get $m)) (local.get $v))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (v128.load offset=48 (local.get $m)) (local.get $v))))
        (local.set $a4 (f64x2.add (local.get $a4) (f64x2.mul (v128.load offset=64 (local.get $m)) (local.get $v))))
        (local.set $a5 (f64x2.add (local.get $a5) (f64x2.mul (v128.load offset=80 (local.get $m)) (local.get $v))))
        (local.set $a6 (f64x2.add (local.get $a6) (f64x2.mul (v128.load offset=96 (local.get $m)) (local.get $v))))
        (local.set $a7 (f64x2.add (local.get $a7) (f64x2.mul (v128.load offset=112 (local.get $m)) (local.get $v))))
        (local.set $m (i32.add (local.get $m) (i32.const 128)))
        (local.set $xk (i32.add (local.get $xk) (i32.const 8)))
        (br $k)))
      (v128.store offset=0 (local.get $out) (local.get $a0)) (v128.store offset=16 (local.get $out) (local.get $a1))
      (v128.store offset=32 (local.get $out) (local.get $a2)) (v128.store offset=48 (local.get $out) (local.get $a3))
      (v128.store offset=64 (local.get $out) (local.get $a4)) (v128.store offset=80 (local.get $out) (local.get $a5))
      (v128.store offset=96 (local.get $out) (local.get $a6)) (v128.store offset=112 (local.get $out) (local.get $a7))
      (local.set $out (i32.add (local.get $out) (i32.const 128)))
      (local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))
      (br $block))))
)
