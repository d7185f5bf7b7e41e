;; The matrix-vector products and the tanh and sigmoid of the in-page engine (flow_engine.js), in WebAssembly
;; with 128-bit SIMD.
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
;; accumulators keep the adder busy while each row's own sum stays in order. A pass of the inner loop
;; takes two terms, k then k + 1, while two are left, and the last term of an odd count alone: half the
;; loop's bookkeeping per term (measured in node at 1024 x 256: 9.2-9.8 GMAC/s in float32 one term a pass,
;; 10-12.6 two; 4.8 and 5.5-5.9 in float64).
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
    (local $xk i32) (local $end i32) (local $last i32) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 2))))
    (local.set $last (i32.sub (local.get $end) (i32.const 4)))
    (block $done (loop $block
      (br_if $done (i32.eqz (local.get $blocks)))
      (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
      (local.set $a4 (v128.const i32x4 0 0 0 0)) (local.set $a5 (v128.const i32x4 0 0 0 0))
      (local.set $a6 (v128.const i32x4 0 0 0 0)) (local.set $a7 (v128.const i32x4 0 0 0 0))
      (local.set $xk (local.get $x))
      ;; two terms of every row per pass while two are left (k, then k + 1: the order stays), then one
      (block $paired (loop $pair
        (br_if $paired (i32.ge_u (local.get $xk) (local.get $last)))
        (local.set $v (v128.load32_splat offset=0 (local.get $xk)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load offset=0 (local.get $m)) (local.get $v))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $m)) (local.get $v))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $m)) (local.get $v))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $m)) (local.get $v))))
        (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (v128.load offset=64 (local.get $m)) (local.get $v))))
        (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (v128.load offset=80 (local.get $m)) (local.get $v))))
        (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (v128.load offset=96 (local.get $m)) (local.get $v))))
        (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (v128.load offset=112 (local.get $m)) (local.get $v))))
        (local.set $v (v128.load32_splat offset=4 (local.get $xk)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load offset=128 (local.get $m)) (local.get $v))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=144 (local.get $m)) (local.get $v))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=160 (local.get $m)) (local.get $v))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=176 (local.get $m)) (local.get $v))))
        (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (v128.load offset=192 (local.get $m)) (local.get $v))))
        (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (v128.load offset=208 (local.get $m)) (local.get $v))))
        (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (v128.load offset=224 (local.get $m)) (local.get $v))))
        (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (v128.load offset=240 (local.get $m)) (local.get $v))))
        (local.set $m (i32.add (local.get $m) (i32.const 256)))
        (local.set $xk (i32.add (local.get $xk) (i32.const 8)))
        (br $pair)))
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
    (local $xk i32) (local $end i32) (local $last i32) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 3))))
    (local.set $last (i32.sub (local.get $end) (i32.const 8)))
    (block $done (loop $block
      (br_if $done (i32.eqz (local.get $blocks)))
      (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
      (local.set $a4 (v128.const i32x4 0 0 0 0)) (local.set $a5 (v128.const i32x4 0 0 0 0))
      (local.set $a6 (v128.const i32x4 0 0 0 0)) (local.set $a7 (v128.const i32x4 0 0 0 0))
      (local.set $xk (local.get $x))
      ;; two terms of every row per pass while two are left (k, then k + 1: the order stays), then one
      (block $paired (loop $pair
        (br_if $paired (i32.ge_u (local.get $xk) (local.get $last)))
        (local.set $v (v128.load64_splat offset=0 (local.get $xk)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load offset=0 (local.get $m)) (local.get $v))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (v128.load offset=16 (local.get $m)) (local.get $v))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (v128.load offset=32 (local.get $m)) (local.get $v))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (v128.load offset=48 (local.get $m)) (local.get $v))))
        (local.set $a4 (f64x2.add (local.get $a4) (f64x2.mul (v128.load offset=64 (local.get $m)) (local.get $v))))
        (local.set $a5 (f64x2.add (local.get $a5) (f64x2.mul (v128.load offset=80 (local.get $m)) (local.get $v))))
        (local.set $a6 (f64x2.add (local.get $a6) (f64x2.mul (v128.load offset=96 (local.get $m)) (local.get $v))))
        (local.set $a7 (f64x2.add (local.get $a7) (f64x2.mul (v128.load offset=112 (local.get $m)) (local.get $v))))
        (local.set $v (v128.load64_splat offset=8 (local.get $xk)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load offset=128 (local.get $m)) (local.get $v))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (v128.load offset=144 (local.get $m)) (local.get $v))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (v128.load offset=160 (local.get $m)) (local.get $v))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (v128.load offset=176 (local.get $m)) (local.get $v))))
        (local.set $a4 (f64x2.add (local.get $a4) (f64x2.mul (v128.load offset=192 (local.get $m)) (local.get $v))))
        (local.set $a5 (f64x2.add (local.get $a5) (f64x2.mul (v128.load offset=208 (local.get $m)) (local.get $v))))
        (local.set $a6 (f64x2.add (local.get $a6) (f64x2.mul (v128.load offset=224 (local.get $m)) (local.get $v))))
        (local.set $a7 (f64x2.add (local.get $a7) (f64x2.mul (v128.load offset=240 (local.get $m)) (local.get $v))))
        (local.set $m (i32.add (local.get $m) (i32.const 256)))
        (local.set $xk (i32.add (local.get $xk) (i32.const 16)))
        (br $pair)))
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

  ;; --- exp, tanh and sigmoid, two lanes at a time ------------------------------------------------------------
  ;; flow_engine.js's own exp, tanh and sigmoid, the same operations in the same order on each f64x2 lane
  ;; (its comments say why each step is there): the same bits as the engine's JavaScript and as
  ;; tests/flow_mirror.py, whose vectorised form this follows. A branch of the scalar code becomes a lane
  ;; select: every lane computes every case and v128.bitselect keeps the one the scalar code returns.
  (func $exp (param $x v128) (result v128)
    (local $big v128) (local $kf v128) (local $k v128) (local $k2 v128) (local $rh v128) (local $lo v128)
    (local $r v128) (local $rl v128) (local $q v128) (local $t v128) (local $ph v128) (local $pl v128) (local $y0 v128)
    (local $y v128) (local $out v128)
    ;; x / ln 2 + 1.5 * 2^52 rounds to the nearest integer k, and holds it in its low bits: the bits of
    ;; 1.5 * 2^52 + k are those of 1.5 * 2^52 (0x4338000000000000) plus k, for |k| < 2^51.
    (local.set $big (f64x2.add (f64x2.mul (local.get $x) (v128.const f64x2 1.4426950408889634 1.4426950408889634)) (v128.const f64x2 6755399441055744 6755399441055744)))
    (local.set $kf (f64x2.sub (local.get $big) (v128.const f64x2 6755399441055744 6755399441055744)))
    (local.set $k (i64x2.sub (local.get $big) (v128.const i64x2 0x4338000000000000 0x4338000000000000)))
    (local.set $rh (f64x2.sub (local.get $x) (f64x2.mul (local.get $kf) (v128.const f64x2 0.6931471806019545 0.6931471806019545))))
    (local.set $lo (f64x2.mul (local.get $kf) (v128.const f64x2 -4.2009150726810846e-11 -4.2009150726810846e-11)))
    (local.set $r (f64x2.sub (local.get $rh) (local.get $lo)))
    (local.set $rl (f64x2.sub (f64x2.sub (local.get $rh) (local.get $r)) (local.get $lo)))
    ;; Q(r), innermost first: E0 + r (E1 + r (... + r E10))
    (local.set $q (v128.const f64x2 2.0915433598076003e-09 2.0915433598076003e-09))
    (local.set $q (f64x2.add (v128.const f64x2 2.5106262550879078e-08 2.5106262550879078e-08) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 2.755727183153613e-07 2.755727183153613e-07) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 2.755725286336732e-06 2.755725286336732e-06) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 2.480158732699005e-05 2.480158732699005e-05) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.00019841269876840357 0.00019841269876840357) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.0013888888888883332 0.0013888888888883332) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.008333333333325551 0.008333333333325551) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.04166666666666667 0.04166666666666667) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.1666666666666667 0.1666666666666667) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.5 0.5) (f64x2.mul (local.get $r) (local.get $q))))
    (local.set $t (f64x2.mul (f64x2.mul (local.get $r) (local.get $r)) (local.get $q)))
    (local.set $ph (f64x2.add (local.get $r) (local.get $t)))
    (local.set $pl (f64x2.add (f64x2.sub (local.get $r) (local.get $ph)) (local.get $t)))
    (local.set $y0 (f64x2.add (v128.const f64x2 1.0 1.0) (local.get $ph)))
    (local.set $y (f64x2.add (local.get $y0)
      (f64x2.add (f64x2.add (f64x2.sub (v128.const f64x2 1.0 1.0) (local.get $y0)) (local.get $ph))
                 (f64x2.add (local.get $pl) (f64x2.mul (local.get $rl) (local.get $y0))))))
    ;; y 2^k as (y 2^(k - k2)) 2^k2, k2 = -1000 below k = -1000, else 0 (a product by 1): the engine's
    ;; cases for subnormal results and normal ones (its third, k above 1000, is x above 693, which tanh and
    ;; sigmoid never ask for). 2^n is the double with exponent field n + 1023 and a zero fraction.
    (local.set $k2 (v128.and (i64x2.lt_s (local.get $k) (v128.const i64x2 -1000 -1000)) (v128.const i64x2 -1000 -1000)))
    (local.set $out (f64x2.mul
      (f64x2.mul (local.get $y)
        (i64x2.shl (i64x2.add (i64x2.sub (local.get $k) (local.get $k2)) (v128.const i64x2 1023 1023)) (i32.const 52)))
      (i64x2.shl (i64x2.add (local.get $k2) (v128.const i64x2 1023 1023)) (i32.const 52))))
    ;; at or below -746 (or NaN): 0, or the NaN itself. The engine's other edge, +inf above 710, is not
    ;; needed here: tanh and sigmoid use exp only at 2|x| < 44 and at -|x| (other lanes are not kept).
    (v128.bitselect (local.get $out)
      (v128.bitselect (local.get $x) (v128.const f64x2 0.0 0.0) (f64x2.ne (local.get $x) (local.get $x)))
      (f64x2.gt (local.get $x) (v128.const f64x2 -746.0 -746.0))))

  (func $tanh (param $x v128) (result v128)
    (local $a v128) (local $s v128) (local $q v128) (local $small v128) (local $t v128) (local $mid v128) (local $big v128)
    (local.set $a (f64x2.abs (local.get $x)))
    (local.set $s (f64x2.mul (local.get $x) (local.get $x)))
    ;; P(s), innermost first
    (local.set $q (v128.const f64x2 -2.060276537636634e-05 -2.060276537636634e-05))
    (local.set $q (f64x2.add (v128.const f64x2 8.511313685577672e-05 8.511313685577672e-05) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 -0.0002346347410887237 -0.0002346347410887237) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.0005889360520074057 0.0005889360520074057) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 -0.001455661830100716 -0.001455661830100716) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.003592110378689024 0.003592110378689024) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 -0.008863234397814355 -0.008863234397814355) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.021869488493666944 0.021869488493666944) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 -0.053968253967434016 -0.053968253967434016) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 0.13333333333332714 0.13333333333332714) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $q (f64x2.add (v128.const f64x2 -0.3333333333333333 -0.3333333333333333) (f64x2.mul (local.get $s) (local.get $q))))
    (local.set $small (f64x2.add (local.get $x) (f64x2.mul (f64x2.mul (local.get $x) (local.get $s)) (local.get $q))))
    (local.set $t (f64x2.sub (v128.const f64x2 1.0 1.0) (f64x2.div (v128.const f64x2 2.0 2.0)
      (f64x2.add (call $exp (f64x2.add (local.get $a) (local.get $a))) (v128.const f64x2 1.0 1.0)))))
    (local.set $mid (v128.bitselect (f64x2.neg (local.get $t)) (local.get $t) (f64x2.lt (local.get $x) (v128.const f64x2 0.0 0.0))))
    (local.set $big (v128.bitselect (local.get $x)
      (v128.bitselect (v128.const f64x2 -1.0 -1.0) (v128.const f64x2 1.0 1.0) (f64x2.lt (local.get $x) (v128.const f64x2 0.0 0.0)))
      (f64x2.ne (local.get $x) (local.get $x))))
    (v128.bitselect (local.get $x)
      (v128.bitselect (local.get $small)
        (v128.bitselect (local.get $mid) (local.get $big) (f64x2.lt (local.get $a) (v128.const f64x2 22.0 22.0)))
        (f64x2.lt (local.get $a) (v128.const f64x2 0.55 0.55)))
      (f64x2.lt (local.get $a) (v128.const f64x2 3.725290298461914e-09 3.725290298461914e-09))))

  (func $sigmoid (param $x v128) (result v128)
    (local $nonneg v128) (local $e v128) (local $d v128) (local $s v128)
    (local.set $nonneg (f64x2.ge (local.get $x) (v128.const f64x2 0.0 0.0)))
    (local.set $e (call $exp (v128.bitselect (f64x2.neg (local.get $x)) (local.get $x) (local.get $nonneg))))
    (local.set $d (f64x2.add (v128.const f64x2 1.0 1.0) (local.get $e)))
    (local.set $s (f64x2.sub (local.get $e) (f64x2.div (f64x2.mul (local.get $e) (local.get $e)) (local.get $d))))
    (v128.bitselect
      (f64x2.div (v128.bitselect (v128.const f64x2 1.0 1.0) (local.get $e) (local.get $nonneg)) (local.get $d))
      (v128.bitselect (f64x2.sub (v128.const f64x2 1.0 1.0) (local.get $s)) (local.get $s) (f64x2.gt (local.get $x) (v128.const f64x2 0.0 0.0)))
      (v128.and (f64x2.gt (local.get $x) (v128.const f64x2 -1.0 -1.0)) (f64x2.lt (local.get $x) (v128.const f64x2 1.0 1.0)))))

  ;; In place over n values from byte offset p: a[j] = f(a[j]). The 64 forms read and write doubles; the 32
  ;; forms read floats, compute in double as the engine does, and round the result once to float
  ;; (demote, round to nearest even: Math.fround). Two values a step, the last one alone when n is odd.

  (func (export "sigmoid64") (param $p i32) (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.lt_u (local.get $n) (i32.const 2)))
      (v128.store (local.get $p) (call $sigmoid (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br $next)))
    (if (local.get $n) (then
      (v128.store64_lane 0 (local.get $p) (call $sigmoid (v128.load64_zero (local.get $p)))))))

  (func (export "sigmoid32") (param $p i32) (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.lt_u (local.get $n) (i32.const 2)))
      (v128.store64_lane 0 (local.get $p)
        (f32x4.demote_f64x2_zero (call $sigmoid (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br $next)))
    (if (local.get $n) (then
      (v128.store32_lane 0 (local.get $p)
        (f32x4.demote_f64x2_zero (call $sigmoid (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $p)))))))))

  (func (export "tanh64") (param $p i32) (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.lt_u (local.get $n) (i32.const 2)))
      (v128.store (local.get $p) (call $tanh (v128.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br $next)))
    (if (local.get $n) (then
      (v128.store64_lane 0 (local.get $p) (call $tanh (v128.load64_zero (local.get $p)))))))

  (func (export "tanh32") (param $p i32) (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.lt_u (local.get $n) (i32.const 2)))
      (v128.store64_lane 0 (local.get $p)
        (f32x4.demote_f64x2_zero (call $tanh (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $n (i32.sub (local.get $n) (i32.const 2)))
      (br $next)))
    (if (local.get $n) (then
      (v128.store32_lane 0 (local.get $p)
        (f32x4.demote_f64x2_zero (call $tanh (f64x2.promote_low_f32x4 (v128.load32_zero (local.get $p)))))))))
)
