// The in-page engine of the gradient-flow explorers (chapters 1.3 and 1.4).
//
// The same back-propagation through time as helpers/gradient_flow.py and helpers/gated_flow.py, in
// JavaScript, on the matrices and inputs PyTorch drew when the book was built (the data scripts
// written by helpers/explorers/flow_export.py, loaded when a hidden size is first picked). The
// matrix-vector products and the non-linearities (tanh and sigmoid), nearly all the work, run in
// WebAssembly SIMD (flow_kernels.wat, assembled into flow_kernels.js at build time) where the browser
// has it, in plain JavaScript where it has not; so does the rest of each step's arithmetic (but for
// 1.3's identity init, whose product is a diagonal). FlowEngine.useWasm = false (or ?wasm=off in the
// page's address) forces the plain path; both give the same bits.
//
// Its arithmetic is specified to the last bit, so that tests/flow_mirror.py (NumPy) reproduces every
// curve exactly on any CPU: float64 is plain IEEE doubles (JavaScript has no fused multiply-add);
// float32 rounds every +, -, *, / with Math.fround (exact: double rounding is innocuous for these);
// a sum over units runs k = 0, 1, 2, ..., and in float32 rounds each product and then each running
// sum to float32, as WebAssembly's f32x4 mul and add and NumPy's float32 arrays do; tanh, sigmoid
// and exp are this file's own, built from +, -, *, / and exact scaling by powers of two (so they
// give the same bits everywhere, within 2 ulps of the true value); norms are taken in float64.
// The WebAssembly kernels keep that order: a SIMD lane holds a row, never part of a sum (each lane
// adds its own row's terms k = 0, 1, ...), and plain WebAssembly has no fused multiply-add, so the
// two paths agree bit for bit. tests/test_flow_engine.py checks the curves of both against the
// mirror bit for bit (in node, under wasmtime and in the page), and the mirror against PyTorch
// within a bound derived from the condition of the computation.
//
// float32 against torch: this engine rounds each product and then each sum, two roundings a term;
// torch's float32 CPU kernels (MKL / oneDNN and ATen's own on AVX2 and AVX-512 paths) fuse the
// multiply and the add, one rounding a term, and sum in blocked orders. Neither is the exact
// answer; tests/flow_bounds.py bounds each within gamma_n sum |t_i| for a sum of n terms, which
// holds for both (two roundings a term are what gamma_n counts), so the mirror-versus-PyTorch test
// covers the difference.
//
// Everything here works from file:// (a downloaded copy of the site): a classic script, data
// scripts injected as <script> tags, and Blob-URL workers for the long cases so that dragging a
// control never freezes the page. Without JavaScript the precomputed figure stays.
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------------------
  // Numerics: pure functions with no DOM. Their source is copied into the workers, so they must
  // not refer to anything outside flowCore.
  //
  // flowCore(single) is the numerics of one precision: R rounds a result to it (Math.fround in
  // float32, nothing in float64) and Type holds its arrays. Each precision gets a copy compiled from
  // this function's source on its own (coresSource), so that V8 sees one R at every call and inlines
  // it: one shared copy choosing R at run time computed float32 at half the speed (measured in node,
  // chapter 1.3 at hidden 128, length 200: 13.4 ms a move of the four inits against 7.1 ms).
  function flowCore(single) {
    "use strict";
    const f32 = Math.fround;
    const R = single ? f32 : (x) => x;
    const Type = single ? Float32Array : Float64Array;
    const PRECISION = single ? "float32" : "float64";
    const matvec = single ? matvec32 : matvec64;     // the plain products, and the identity init's
    const diagonal = single ? diagonal32 : diagonal64;

    // out[j] = sum_k M[j, k] x[xo + k] in float64, four rows at a time so that each x[k] is loaded
    // once for four rows. Each row sums in order k = 0, 1, ..., every product and every sum rounded
    // on its own: torch's kernels and BLAS libraries use other orders and fused multiply-adds, which
    // tests/test_flow_engine.py allows for within a bound derived from the computation's condition.
    function matvec64(M, rows, cols, x, xo, out) {
      let j = 0;
      for (; j + 3 < rows; j += 4) {
        const r0 = j * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (let k = 0; k < cols; k++) {
          const v = x[xo + k];
          a0 += M[r0 + k] * v; a1 += M[r1 + k] * v; a2 += M[r2 + k] * v; a3 += M[r3 + k] * v;
        }
        out[j] = a0; out[j + 1] = a1; out[j + 2] = a2; out[j + 3] = a3;
      }
      for (; j < rows; j++) {
        let a = 0;
        for (let k = 0, r = j * cols; k < cols; k++) a += M[r + k] * x[xo + k];
        out[j] = a;
      }
    }

    // The same in float32: each product is rounded to float32, then each running sum (two roundings
    // a term, no fused multiply-add), which is what WebAssembly's f32x4.mul and f32x4.add compute and
    // what NumPy's float32 arrays compute. x is first copied into doubles: converting each float32 as
    // it is loaded cost a quarter more.
    let xs = new Float64Array(0);
    function matvec32(M, rows, cols, x, xo, out) {
      if (xs.length < cols) xs = new Float64Array(cols);
      for (let k = 0; k < cols; k++) xs[k] = x[xo + k];
      let j = 0;
      for (; j + 3 < rows; j += 4) {
        const r0 = j * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (let k = 0; k < cols; k++) {
          const v = xs[k];
          a0 = f32(a0 + f32(M[r0 + k] * v)); a1 = f32(a1 + f32(M[r1 + k] * v));
          a2 = f32(a2 + f32(M[r2 + k] * v)); a3 = f32(a3 + f32(M[r3 + k] * v));
        }
        out[j] = a0; out[j + 1] = a1; out[j + 2] = a2; out[j + 3] = a3;
      }
      for (; j < rows; j++) {
        let a = 0;
        for (let k = 0, r = j * cols; k < cols; k++) a = f32(a + f32(M[r + k] * xs[k]));
        out[j] = a;
      }
    }

    // The identity init scaled: W h is s * h. The dense product adds only exact zeros to that (and
    // 0 * inf = NaN where the dense one would give NaN, which is drawn as inf all the same).
    function diagonal64(M, rows, cols, x, xo, out) {
      for (let j = 0; j < rows; j++) out[j] = M[j * cols + j] * x[xo + j];
    }
    function diagonal32(M, rows, cols, x, xo, out) {
      for (let j = 0; j < rows; j++) out[j] = f32(M[j * cols + j] * x[xo + j]);
    }

    // --- the products of one run: y = M x for the few matrices a run uses, at every step -----------
    // Plain JavaScript: plainProducts(product).matrices([[M, rows, cols], ...]) takes the run's
    // matrices (row-major) once; .mv(m, x, xo, out) then sets out[j] = sum_k M[j, k] x[xo + k], by
    // matvec64 / matvec32 above, or by the diagonal of the identity init. A step writes its
    // pre-activations into P.a (as long as the run's tallest matrix), then P.sigmoid(o, n) and
    // P.tanh(o, n) replace a[o .. o + n) by R(sigmoid(a)) or R(tanh(a)), in place.
    // WebAssembly SIMD: runMemory() below, where the ...Wasm twins of tanhFlow, rnnGrad, lstmGrad and
    // gruGrad keep every array and call flow_kernels.wat's kernels (mv64, mv64h and mv32: the same
    // sums in the same order, measured in V8 at 8 to 11 times the speed of matvec32, 4 to 5 times
    // matvec64's; sigmoid and tanh: the same operations in the same order as this file's, two lanes
    // at a time; and each step's element-wise arithmetic). The two paths give the same bits.
    let wasm = null;        // the kernels' exports, once setKernels has compiled them
    // Matrices a run marks as kept (1.4's weights: gatedParams gives the same arrays at every run) stay
    // packed in the memory from run to run, found by identity, so that a drag of the gate bias packs
    // nothing; the others are packed after them at each run. Past KEPT_BYTES the kept ones start over.
    let kept = new Map(), keptEnd = 0;
    const KEPT_BYTES = 32 << 20;

    // Compiles the kernels (base64 of flow_kernels.wat's bytes); false, and the plain path, where
    // WebAssembly or its SIMD is missing. Synchronous: the module is a few kilobytes.
    function setKernels(b64) {
      wasm = null;
      kept = new Map();
      keptEnd = 0;
      try {
        if (typeof WebAssembly !== "object" || typeof b64 !== "string") return false;
        const bin = atob(b64), bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        if (!WebAssembly.validate(bytes)) return false;     // no SIMD here
        wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
      } catch (err) {
        wasm = null;
      }
      return wasm !== null;
    }

    function kernelFor(job) { return job.wasm !== false && wasm ? "wasm" : "js"; }

    function plainProducts(product) {
      const P = {
        a: null,
        matrices(list) {
          P.a = new Type(Math.max(...list.map(([, rows]) => rows)));
          return list.map(([M, rows, cols]) => ({ M, rows, cols }));
        },
        mv: (m, x, xo, out) => product(m.M, m.rows, m.cols, x, xo, out),
        sigmoid(o, n) { const a = P.a; for (let j = o; j < o + n; j++) a[j] = R(sigmoid(a[j])); },
        tanh(o, n) { const a = P.a; for (let j = o; j < o + n; j++) a[j] = R(tanh(a[j])); },
      };
      return P;
    }

    const jsProducts = () => plainProducts(matvec);
    const diagonalProducts = () => plainProducts(diagonal);

    // A run's WebAssembly memory. mem.matrices([[M, rows, cols], ...], keep) packs the run's matrices
    // (row-major; keep: the same arrays at every run, never changed) and returns them for
    // mem.mvAt(m, x, out): out = M x, x and out byte offsets in the memory, out as long as
    // rowsOut(rows). Then mem.arrays({name: length, ...}) places the run's arrays after them:
    // {at: {name: byte offset}, of: {name: the array}}. They hold what the last run left there: the
    // caller fills those it reads before it writes them. The memory grows once a run if need be, in
    // arrays (growing detaches views, so they are made after).
    // The kernels read a matrix by blocks of B rows (32 in float32, 16 in float64), the block's B
    // entries of column k side by side: P[b][k][r] = M[B b + r, k], zero rows padding the last block.
    const B = single ? 32 : 16;
    const rowsOut = (rows) => Math.ceil(rows / B) * B;   // the length of a product's out
    function runMemory() {
      const size = Type.BYTES_PER_ELEMENT, memory = wasm.memory;
      let arraysAt = 0;
      // In float64 a matrix whose every entry is a float32 (1.4's weights: torch builds its modules in
      // float32, and gated_flow converts them exactly) is stored in float32 and widened as it is read
      // (mv64h): the same products and sums from half the bytes (measured in node on 1.4's W_hh at
      // hidden 128: 4.0 GMAC/s against mv64's 3.2).
      const halved = (M) => !single && M.every((v) => v === f32(v));
      const bytes = (rows, cols, half = false) => Math.ceil(rows / B) * B * cols * (half ? 4 : size);
      const fit = (end) => {
        if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
      };
      return {
        matrices(list, keep = false) {
          if (keep && keptEnd + list.reduce((n, [M, r, c]) => n + (kept.has(M) ? 0 : bytes(r, c)), 0) > KEPT_BYTES) {
            kept = new Map();
            keptEnd = 0;
          }
          let at = keptEnd;
          const fresh = [];
          const placed = list.map(([M, r, c]) => {
            let m = keep ? kept.get(M) : undefined;
            if (!m) {
              const half = halved(M);
              m = { M, rows: r, cols: c, blocks: Math.ceil(r / B), at, half,
                    kernel: single ? wasm.mv32 : half ? wasm.mv64h : wasm.mv64 };
              at += bytes(r, c, half);
              fresh.push(m);
              if (keep) { kept.set(M, m); keptEnd = at; }
            }
            return m;
          });
          arraysAt = at;
          fit(arraysAt);
          for (const m of fresh) {
            const P = new (m.half ? Float32Array : Type)(memory.buffer, m.at, m.blocks * B * m.cols).fill(0);
            for (let j = 0; j < m.rows; j++) {
              const base = ((j / B) | 0) * B * m.cols + (j % B);
              for (let k = 0, r = j * m.cols; k < m.cols; k++) P[base + k * B] = m.M[r + k];
            }
          }
          return placed;
        },
        arrays(lengths) {
          const at = {}, of = {};
          let end = arraysAt;
          for (const [name, n] of Object.entries(lengths)) { at[name] = end; end += Math.ceil((n * size) / 16) * 16; }
          fit(end);
          for (const [name, n] of Object.entries(lengths)) of[name] = new Type(memory.buffer, at[name], n);
          return { at, of };
        },
        mvAt: (m, x, out) => m.kernel(m.at, m.blocks, m.cols, x, out),
      };
    }

    // --- exp, tanh and sigmoid of this engine's own ----------------------------------------------
    // Math.exp and Math.tanh are not specified to the bit (browsers differ), so the engine brings
    // its own, made of +, -, *, / and multiplications by exact powers of two only: the same
    // operations in the same order give the same bits in NumPy (tests/flow_mirror.py). Measured
    // against 40-digit references (tests/test_flow_engine.py): within 2 ulps over the whole range.
    //
    // exp(x): write x = k ln 2 + r with k the integer nearest x / ln 2 (adding and subtracting
    // 1.5 * 2^52 rounds to it) and |r| <= ln 2 / 2, ln 2 split in two so that k * LN2_HI is exact.
    // On that interval e^r = 1 + r + r^2 Q(r), Q a degree-10 polynomial interpolating
    // (e^r - 1 - r) / r^2 at Chebyshev points of [-0.35, 0.35] (error below 4e-19). The three
    // additions that matter keep their rounding errors (the larger operand first, so the error is
    // (a - s) + b, exactly or far below an ulp) and add them back at the end: e^x within about half
    // an ulp in the normal range.
    // Then e^x = 2^k e^r: one multiplication by 2^k, or two when 2^k is not a normal double, the first
    // exact and the second rounding once (so subnormal results and overflow are rounded correctly).
    const INV_LN2 = 1.4426950408889634, ROUNDER = 6755399441055744;
    const LN2_HI = 0.6931471806019545, LN2_LO = -4.2009150726810846e-11;
    const E0 = 0.5, E1 = 0.1666666666666667, E2 = 0.04166666666666667, E3 = 0.008333333333325551,
      E4 = 0.0013888888888883332, E5 = 0.00019841269876840357, E6 = 2.480158732699005e-05,
      E7 = 2.755725286336732e-06, E8 = 2.755727183153613e-07, E9 = 2.5106262550879078e-08,
      E10 = 2.0915433598076003e-09;
    const POW2 = new Float64Array(2047);       // POW2[k + 1023] = 2^k for -1022 <= k <= 1023, exactly
    POW2[1023] = 1;
    for (let k = 1; k <= 1023; k++) POW2[1023 + k] = POW2[1022 + k] * 2;
    for (let k = 1; k <= 1022; k++) POW2[1023 - k] = POW2[1024 - k] * 0.5;

    function exp(x) {
      if (!(x > -746)) return x !== x ? x : 0;   // NaN; below -745.2 e^x rounds to 0
      if (x > 710) return Infinity;              // above 709.79 e^x overflows
      const kf = (x * INV_LN2 + ROUNDER) - ROUNDER;
      const rh = x - kf * LN2_HI, lo = kf * LN2_LO, r = rh - lo, rl = (rh - r) - lo;   // x - k ln 2 = r + rl
      const r2 = r * r;
      const q = E0 + r * (E1 + r * (E2 + r * (E3 + r * (E4 + r * (E5 + r * (E6 + r * (E7 + r * (E8 + r * (E9 + r * E10)))))))));
      const t = r2 * q, ph = r + t, pl = (r - ph) + t;   // e^r - 1 = ph + pl, the rounding of r + t kept
      const y0 = 1 + ph, k = kf | 0;
      const y = y0 + (((1 - y0) + ph) + (pl + rl * y0));   // e^(r + rl) = 1 + ph + pl + rl e^r, rounded once
      if (k < -1000) return (y * POW2[k + 2023]) * POW2[23];          // 2^(k + 1000), then 2^-1000
      if (k > 1000) return (y * POW2[k + 23]) * POW2[2023];           // 2^(k - 1000), then 2^1000
      return y * POW2[k + 1023];
    }

    // tanh(x), odd. Below 2^-28, tanh(x) rounds to x. Below 0.55, x + x^3 P(x^2), P a degree-10
    // polynomial interpolating (tanh(x) - x) / x^3 at Chebyshev points of x^2 in [0, 0.3025]
    // (error below 5e-18 relative): no cancellation, whereas 1 - 2 / (e^2x + 1) would lose bits
    // where tanh is small. From 0.55 (tanh >= 0.5, so the subtraction loses nothing) to 22 that
    // formula; beyond 22, +-1 (tanh(x) rounds to 1 from 19.1 on).
    const T0 = -0.3333333333333333, T1 = 0.13333333333332714, T2 = -0.053968253967434016,
      T3 = 0.021869488493666944, T4 = -0.008863234397814355, T5 = 0.003592110378689024,
      T6 = -0.001455661830100716, T7 = 0.0005889360520074057, T8 = -0.0002346347410887237,
      T9 = 8.511313685577672e-05, T10 = -2.060276537636634e-05;

    function tanh(x) {
      const a = x < 0 ? -x : x;
      if (a < 3.725290298461914e-09) return x;   // 2^-28 (and 0 and -0 as they are)
      if (a < 0.55) {
        const s = x * x;
        return x + (x * s) * (T0 + s * (T1 + s * (T2 + s * (T3 + s * (T4 + s * (T5 + s * (T6 + s * (T7 + s * (T8 + s * (T9 + s * T10))))))))));
      }
      if (a < 22) {
        const t = 1 - 2 / (exp(a + a) + 1);
        return x < 0 ? -t : t;
      }
      return a !== a ? x : x < 0 ? -1 : 1;       // NaN stays NaN, +-inf gives +-1
    }

    // sigmoid(x), from e = e^-|x| in (0, 1]: 1 / (1 + e) or e / (1 + e) for |x| < 1; beyond, the
    // small side as e - e^2 / (1 + e) (the correction is at most a quarter of e, so e's own error
    // shrinks instead of adding up) and the large side as 1 minus that.
    function sigmoid(x) {
      const e = exp(x >= 0 ? -x : x);
      if (x > -1 && x < 1) return x >= 0 ? 1 / (1 + e) : e / (1 + e);
      const s = e - (e * e) / (1 + e);
      return x > 0 ? 1 - s : s;                  // NaN stays NaN
    }

    // ||v|| in float64, as helpers takes it: the square root of the sum of squares, summed in order
    // (entries below ~1e-162 square to 0, above ~1e154 to inf, in torch as here).
    function norm(v, o, n) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v[o + k] * v[o + k];
      return Math.sqrt(s);
    }

    function transpose(M, rows, cols, Type) {
      const T = new Type(rows * cols);
      for (let j = 0; j < rows; j++) for (let k = 0; k < cols; k++) T[k * rows + j] = M[j * cols + k];
      return T;
    }

    // The inputs of length L: the prefix PyTorch drew once, then the last min(L, 16) values that
    // torch's randn(L) regenerates (see helpers/flow_export.py).
    function inputsFor(d, L) {
      let start = 0;
      for (let l = d.minLen; l < L; l++) start += Math.min(l, d.tail);
      const n = Math.min(L, d.tail);
      const x = new Float64Array(L);
      x.set(d.prefix.subarray(0, L - n));
      x.set(d.tails.subarray(start, start + n), L - n);
      return x;
    }

    // --- chapter 1.3: ||dL/dh_t|| of a tanh RNN, as helpers.gradient_flow -------------------------
    // W_hh = base * (radius / natural radius), computed in float64 and rounded to float32 when
    // asked, exactly as gradient_flow does; h_t = tanh(x_t w_ih + W_hh h_{t-1}); L = readout . h_T;
    // dL/dh_{t-1} = W_hh^T [(1 - h_t^2) * dL/dh_t].
    function recurrentMatrix(d, init, radius) {
      const H = d.hidden, scale = radius / d.natural[init], W = new Type(H * H);
      if (init === "identity") for (let j = 0; j < H; j++) W[j * H + j] = scale;
      else W.set(d.bases[init].map((b) => b * scale));   // the product in float64, then stored (rounded)
      return W;
    }

    function tanhFlow(d, init, radius, L) {
      const H = d.hidden;
      const P = init === "identity" ? diagonalProducts() : jsProducts();
      const W = recurrentMatrix(d, init, radius);
      const [Wm, WTm] = P.matrices([[W, H, H], [transpose(W, H, H, Type), H, H]]);
      const x = inputsFor(d, L);
      const states = new Type(L * H), a = new Type(H), A = P.a, AH = A.subarray(0, H);
      for (let t = 0; t < L; t++) {
        const xt = R(x[t]);
        if (t > 0) P.mv(Wm, states, (t - 1) * H, a); else a.fill(0);
        for (let j = 0; j < H; j++) {
          const drive = R(xt * R(d.wih[j]));            // inputs @ w_ih.T, then baddbmm adds W h
          A[j] = R(drive + a[j]);
        }
        P.tanh(0, H);
        states.set(AH, t * H);
      }
      const g = new Type(H), u = new Type(H), norms = new Float64Array(L);
      for (let j = 0; j < H; j++) g[j] = R(d.readout[j]);
      norms[L - 1] = norm(g, 0, H);
      for (let t = L - 1; t > 0; t--) {
        for (let j = 0; j < H; j++) {
          const h = states[t * H + j];
          u[j] = R(g[j] * R(1 - R(h * h)));               // times tanh'(a_t) = 1 - h_t^2
        }
        P.mv(WTm, u, 0, g);                              // one Jacobian, transposed
        norms[t - 1] = norm(g, 0, H);
      }
      return norms;
    }

    // --- chapter 1.4: |dL/dx_t| of nn.RNN, and of the LSTM and GRU steps of helpers/gated.py -----
    // The loss is the sum of the last step's output; the keep gate (LSTM forget, GRU update) is the
    // second block of the biases: bias_ih gets `bias` there and bias_hh 0, as gated_flow does.
    // A cell's weights in this precision and W_hh transposed are made once for each data (they do not
    // depend on the bias or the length) and kept packed by runMemory; the biases are copied each run.
    const weightsOf = new WeakMap();
    function gatedParams(d, cell, bias) {
      const H = d.hidden, w = d.weights[cell];
      if (!weightsOf.has(d)) weightsOf.set(d, {});
      const made = weightsOf.get(d);
      if (!made[cell]) {
        const whh = Type.from(w.weight_hh);
        made[cell] = { wih: Type.from(w.weight_ih), whh, whhT: transpose(whh, w.weight_ih.length, H, Type) };
      }
      const p = Object.assign({ H, rows: w.weight_ih.length, bih: Type.from(w.bias_ih), bhh: Type.from(w.bias_hh) },
                              made[cell]);
      if (cell !== "rnn" && bias !== null) {
        for (let j = H; j < 2 * H; j++) { p.bih[j] = R(bias); p.bhh[j] = 0; }
      }
      return p;
    }

    function gatedFlow(d, cell, bias, L, inWasm) {
      const p = gatedParams(d, cell, bias);
      const x = inputsFor(d, L);
      return (inWasm ? { rnn: rnnGradWasm, lstm: lstmGradWasm, gru: gruGradWasm }
                     : { rnn: rnnGrad, lstm: lstmGrad, gru: gruGrad })[cell](p, x, L);
    }

    // W_hh h forward, W_hh^T (...) backward and dL/dx_t = w_ih . (...) go to the run's products (w_ih a
    // matrix of one row; the ...Wasm twins below keep the three packed from run to run).
    function rnnGrad(p, x, L) {
      const { H, wih, whh, whhT, bih, bhh } = p;
      const P = jsProducts();
      const [Wm, WTm, Xm] = P.matrices([[whh, H, H], [whhT, H, H], [wih, 1, H]]);
      const hs = new Type(L * H), hh = new Type(H), A = P.a, AH = A.subarray(0, H);
      for (let t = 0; t < L; t++) {
        if (t > 0) P.mv(Wm, hs, (t - 1) * H, hh); else hh.fill(0);
        for (let j = 0; j < H; j++) {   // (x w_ih + b_ih) + (W_hh h + b_hh), as torch's RNN cell adds them
          A[j] = R(R(R(x[t] * wih[j]) + bih[j]) + R(hh[j] + bhh[j]));
        }
        P.tanh(0, H);
        hs.set(AH, t * H);
      }
      const dh = new Type(H).fill(1), u = new Type(H), dx = new Type(1), out = new Float64Array(L);
      for (let t = L - 1; t >= 0; t--) {
        for (let j = 0; j < H; j++) { const h = hs[t * H + j]; u[j] = R(dh[j] * R(1 - R(h * h))); }
        P.mv(Xm, u, 0, dx);
        out[t] = Math.abs(dx[0]);
        if (t > 0) P.mv(WTm, u, 0, dh);
      }
      return out;
    }

    function lstmGrad(p, x, L) {
      const { H, wih, whh, whhT, bih, bhh } = p;
      const G = 4 * H, P = jsProducts();
      const [Wm, WTm, Xm] = P.matrices([[whh, G, H], [whhT, H, G], [wih, 1, G]]);
      const gates = new Type(L * G), cs = new Type(L * H), tcs = new Type(L * H), hs = new Type(L * H);
      const hh = new Type(G), A = P.a, AH = A.subarray(0, H), AG = A.subarray(0, G);
      for (let t = 0; t < L; t++) {
        if (t > 0) P.mv(Wm, hs, (t - 1) * H, hh); else hh.fill(0);
        const q = t * G;
        for (let j = 0; j < G; j++) {       // ((x W_ih + b_ih) + h W_hh) + b_hh, as lstm_step writes it
          A[j] = R(R(R(R(x[t] * wih[j]) + bih[j]) + hh[j]) + bhh[j]);
        }
        P.sigmoid(0, 2 * H); P.tanh(2 * H, H); P.sigmoid(3 * H, H);   // i, f, g, o
        gates.set(AG, q);
        for (let j = 0; j < H; j++) {
          const i = gates[q + j], f = gates[q + H + j], g = gates[q + 2 * H + j];
          const cPrev = t > 0 ? cs[(t - 1) * H + j] : 0;
          const c = R(R(f * cPrev) + R(i * g));
          cs[t * H + j] = c;
          A[j] = c;
        }
        P.tanh(0, H);
        tcs.set(AH, t * H);
        for (let j = 0; j < H; j++) hs[t * H + j] = R(gates[q + 3 * H + j] * A[j]);
      }
      const dh = new Type(H).fill(1), dc = new Type(H), da = new Type(G), dx = new Type(1), out = new Float64Array(L);
      for (let t = L - 1; t >= 0; t--) {
        const q = t * G;
        for (let j = 0; j < H; j++) {
          const i = gates[q + j], f = gates[q + H + j], g = gates[q + 2 * H + j], o = gates[q + 3 * H + j];
          const tc = tcs[t * H + j], cPrev = t > 0 ? cs[(t - 1) * H + j] : 0;
          const dct = R(dc[j] + R(R(dh[j] * o) * R(1 - R(tc * tc))));   // the cell's own path plus h's
          da[j] = R(R(R(dct * g) * R(1 - i)) * i);                        // sigmoid' = y (1 - y)
          da[H + j] = R(R(R(dct * cPrev) * R(1 - f)) * f);
          da[2 * H + j] = R(R(dct * i) * R(1 - R(g * g)));
          da[3 * H + j] = R(R(R(dh[j] * tc) * R(1 - o)) * o);
          dc[j] = R(dct * f);                                             // the additive highway
        }
        P.mv(Xm, da, 0, dx);
        out[t] = Math.abs(dx[0]);
        if (t > 0) P.mv(WTm, da, 0, dh);
      }
      return out;
    }

    function gruGrad(p, x, L) {
      const { H, wih, whh, whhT, bih, bhh } = p;
      const G = 3 * H, P = jsProducts();
      const [Wm, WTm, Xm] = P.matrices([[whh, G, H], [whhT, H, G], [wih, 1, G]]);
      const rzn = new Type(L * G), hns = new Type(L * H), hs = new Type(L * H), hh = new Type(G);
      const A = P.a, AG = A.subarray(0, G);
      for (let t = 0; t < L; t++) {
        if (t > 0) P.mv(Wm, hs, (t - 1) * H, hh); else hh.fill(0);
        const q = t * G;
        for (let j = 0; j < H; j++) {       // gru_step: r and z from both sides, n = tanh(xn + r * hn)
          A[j] = R(R(R(x[t] * wih[j]) + bih[j]) + R(hh[j] + bhh[j]));
          A[H + j] = R(R(R(x[t] * wih[H + j]) + bih[H + j]) + R(hh[H + j] + bhh[H + j]));
        }
        P.sigmoid(0, 2 * H);                 // r, z
        for (let j = 0; j < H; j++) {
          const xn = R(R(x[t] * wih[2 * H + j]) + bih[2 * H + j]), hn = R(hh[2 * H + j] + bhh[2 * H + j]);
          A[2 * H + j] = R(xn + R(A[j] * hn));
          hns[t * H + j] = hn;
        }
        P.tanh(2 * H, H);                    // n
        rzn.set(AG, q);
        for (let j = 0; j < H; j++) {
          const z = A[H + j], n = A[2 * H + j], hPrev = t > 0 ? hs[(t - 1) * H + j] : 0;
          hs[t * H + j] = R(R(R(1 - z) * n) + R(z * hPrev));
        }
      }
      const dh = new Type(H).fill(1), dxg = new Type(G), dhg = new Type(G), back = new Type(H);
      const keep = new Type(H), dx = new Type(1), out = new Float64Array(L);
      for (let t = L - 1; t >= 0; t--) {
        const q = t * G;
        for (let j = 0; j < H; j++) {
          const r = rzn[q + j], z = rzn[q + H + j], n = rzn[q + 2 * H + j], hn = hns[t * H + j];
          const hPrev = t > 0 ? hs[(t - 1) * H + j] : 0;
          const dan = R(R(dh[j] * R(1 - z)) * R(1 - R(n * n)));
          const dz = R(R(dh[j] * hPrev) - R(dh[j] * n));
          const dar = R(R(R(dan * hn) * R(1 - r)) * r);
          const daz = R(R(dz * R(1 - z)) * z);
          dxg[j] = dar; dxg[H + j] = daz; dxg[2 * H + j] = dan;
          dhg[j] = dar; dhg[H + j] = daz; dhg[2 * H + j] = R(dan * r);     // the reset gate scales W_hn h
          keep[j] = R(dh[j] * z);                                           // z h: the GRU's highway
        }
        P.mv(Xm, dxg, 0, dx);
        out[t] = Math.abs(dx[0]);
        if (t > 0) {
          P.mv(WTm, dhg, 0, back);
          for (let j = 0; j < H; j++) dh[j] = R(keep[j] + back[j]);
        }
      }
      return out;
    }

    // tanhFlow, rnnGrad, lstmGrad and gruGrad again, every array in the WebAssembly memory and every
    // step's arithmetic in flow_kernels.wat (its element-wise kernels: the same operations in the same
    // order, rounded in this precision, 4 or 2 lanes at a time), so that nothing is copied between
    // JavaScript and the kernels. Measured in node at hidden 256 / length 1000 in float32, the
    // JavaScript loops took a quarter of an LSTM curve (37 of 147 ms) and a fifth of 1.3's. The 1.4
    // kernels take x_t rounded to this precision, as tests/flow_mirror.py does; the JavaScript path's
    // R(x_t * w) is the same number because the inputs are float32 values (torch draws them in float32).
    const kernel = (name) => wasm[name + (single ? "32" : "64")];

    function tanhFlowWasm(d, init, radius, L) {
      const H = d.hidden, s = Type.BYTES_PER_ELEMENT, Hs = H * s, P = runMemory();
      const W = recurrentMatrix(d, init, radius);
      const [Wm, WTm] = P.matrices([[W, H, H], [transpose(W, H, H, Type), H, H]]);
      const x = inputsFor(d, L);
      const { at, of } = P.arrays({ wih: H, hh: rowsOut(H), states: L * H, g: rowsOut(H), u: H });
      of.wih.set(d.wih); of.hh.fill(0);               // rounded to this precision as they are stored
      const pre = kernel("rnn_pre"), back = kernel("tanh_back"), tanh = kernel("tanh");
      for (let t = 0; t < L; t++) {
        if (t > 0) P.mvAt(Wm, at.states + (t - 1) * Hs, at.hh);
        pre(R(x[t]), at.wih, at.hh, at.states + t * Hs, H);
        tanh(at.states + t * Hs, H);
      }
      const norms = new Float64Array(L);
      of.g.set(d.readout);
      norms[L - 1] = norm(of.g, 0, H);
      for (let t = L - 1; t > 0; t--) {
        back(at.g, at.states + t * Hs, at.u, H);
        P.mvAt(WTm, at.u, at.g);
        norms[t - 1] = norm(of.g, 0, H);
      }
      return norms;
    }

    // What 1.4's three twins share: the cell's matrices packed (kept from run to run), its w_ih and
    // biases copied, W_hh h_0 = 0, h_0 = 0 (zero) and dL/dh after the last step = 1, then the cell's
    // own arrays (own: {name: length}).
    function gatedMemory(p, own) {
      const { H, rows, wih, whh, whhT, bih, bhh } = p, P = runMemory();
      const [Wm, WTm, Xm] = P.matrices([[whh, rows, H], [whhT, H, rows], [wih, 1, rows]], true);
      const { at, of } = P.arrays(Object.assign({ wih: rows, bih: rows, bhh: rows, hh: rowsOut(rows), zero: H,
                                                  dh: rowsOut(H), dx: rowsOut(1) }, own));
      of.wih.set(wih); of.bih.set(bih); of.bhh.set(bhh);
      of.hh.fill(0); of.zero.fill(0); of.dh.fill(1);
      return { P, Wm, WTm, Xm, at, of };
    }

    function rnnGradWasm(p, x, L) {
      const { H } = p, s = Type.BYTES_PER_ELEMENT, Hs = H * s;
      const { P, Wm, WTm, Xm, at, of } = gatedMemory(p, { hs: L * H, u: H });
      const pre = kernel("split_pre"), back = kernel("tanh_back"), tanh = kernel("tanh");
      for (let t = 0; t < L; t++) {
        if (t > 0) P.mvAt(Wm, at.hs + (t - 1) * Hs, at.hh);
        pre(R(x[t]), at.wih, at.bih, at.hh, at.bhh, at.hs + t * Hs, H);
        tanh(at.hs + t * Hs, H);
      }
      const out = new Float64Array(L);
      for (let t = L - 1; t >= 0; t--) {
        back(at.dh, at.hs + t * Hs, at.u, H);
        P.mvAt(Xm, at.u, at.dx);
        out[t] = Math.abs(of.dx[0]);
        if (t > 0) P.mvAt(WTm, at.u, at.dh);
      }
      return out;
    }

    function lstmGradWasm(p, x, L) {
      const { H } = p, G = 4 * H, s = Type.BYTES_PER_ELEMENT, Hs = H * s;
      const { P, Wm, WTm, Xm, at, of } = gatedMemory(p, { gates: L * G, cs: L * H, tcs: L * H, hs: L * H, dc: H,
                                                           da: G });
      of.dc.fill(0);                                     // dL/dc after the last step (c_0 is zero too)
      const pre = kernel("lstm_pre"), cell = kernel("lstm_cell"), mul = kernel("mul"), back = kernel("lstm_back");
      const sigmoid = kernel("sigmoid"), tanh = kernel("tanh");
      for (let t = 0; t < L; t++) {
        if (t > 0) P.mvAt(Wm, at.hs + (t - 1) * Hs, at.hh);
        const g = at.gates + t * G * s, c = at.cs + t * Hs, tc = at.tcs + t * Hs;
        pre(R(x[t]), at.wih, at.bih, at.hh, at.bhh, g, G);
        sigmoid(g, 2 * H); tanh(g + 2 * Hs, H); sigmoid(g + 3 * Hs, H);         // i, f, g, o
        cell(g, g + Hs, g + 2 * Hs, t > 0 ? c - Hs : at.zero, c, tc, H);
        tanh(tc, H);
        mul(g + 3 * Hs, tc, at.hs + t * Hs, H);
      }
      const out = new Float64Array(L);
      for (let t = L - 1; t >= 0; t--) {
        const g = at.gates + t * G * s, da = at.da;
        back(g, g + Hs, g + 2 * Hs, g + 3 * Hs, at.tcs + t * Hs, t > 0 ? at.cs + (t - 1) * Hs : at.zero, at.dh, at.dc,
             da, da + Hs, da + 2 * Hs, da + 3 * Hs, at.dc, H);
        P.mvAt(Xm, da, at.dx);
        out[t] = Math.abs(of.dx[0]);
        if (t > 0) P.mvAt(WTm, da, at.dh);
      }
      return out;
    }

    function gruGradWasm(p, x, L) {
      const { H } = p, G = 3 * H, s = Type.BYTES_PER_ELEMENT, Hs = H * s;
      const { P, Wm, WTm, Xm, at, of } = gatedMemory(p, { rzn: L * G, hns: L * H, hs: L * H, dxg: G, dhg: G, keep: H,
                                                           back: rowsOut(H) });
      const pre = kernel("split_pre"), candidate = kernel("gru_n"), state = kernel("gru_h");
      const back = kernel("gru_back"), add = kernel("add"), sigmoid = kernel("sigmoid"), tanh = kernel("tanh");
      const w = 2 * Hs;   // the n block's offset in w_ih, the biases and W_hh h
      for (let t = 0; t < L; t++) {
        if (t > 0) P.mvAt(Wm, at.hs + (t - 1) * Hs, at.hh);
        const q = at.rzn + t * G * s, xt = R(x[t]);
        pre(xt, at.wih, at.bih, at.hh, at.bhh, q, 2 * H);
        sigmoid(q, 2 * H);                                                      // r, z
        candidate(xt, at.wih + w, at.bih + w, at.hh + w, at.bhh + w, q, q + 2 * Hs, at.hns + t * Hs, H);
        tanh(q + 2 * Hs, H);                                                    // n
        state(q + Hs, q + 2 * Hs, t > 0 ? at.hs + (t - 1) * Hs : at.zero, at.hs + t * Hs, H);
      }
      const out = new Float64Array(L);
      for (let t = L - 1; t >= 0; t--) {
        const q = at.rzn + t * G * s;
        back(q, q + Hs, q + 2 * Hs, at.hns + t * Hs, t > 0 ? at.hs + (t - 1) * Hs : at.zero, at.dh,
             at.dxg, at.dxg + Hs, at.dxg + 2 * Hs, at.dhg, at.dhg + Hs, at.dhg + 2 * Hs, at.keep, H);
        P.mvAt(Xm, at.dxg, at.dx);
        out[t] = Math.abs(of.dx[0]);
        if (t > 0) {
          P.mvAt(WTm, at.dhg, at.back);
          add(at.keep, at.back, at.dh, H);
        }
      }
      return out;
    }

    // One job: a curve, from decoded data `d`. Used by the page and by the workers alike. It runs in
    // WebAssembly when the kernels are set and the job does not say wasm: false (1.3's identity init,
    // a diagonal product, in JavaScript either way).
    function run(d, job) {
      if ((job.dtype === "float32") !== single) throw new Error(`a ${PRECISION} core was given a ${job.dtype} job`);
      const inWasm = kernelFor(job) === "wasm";
      if (job.engine === "gradient-flow") {
        return (inWasm && job.init !== "identity" ? tanhFlowWasm : tanhFlow)(d, job.init, job.radius, job.seqLen);
      }
      return gatedFlow(d, job.cell, job.bias, job.seqLen, inWasm);
    }

    // Work of a job in multiply-adds, to decide between this thread and a worker.
    function cost(d, job) {
      const H = d.hidden, gates = job.engine === "gradient-flow" ? 1 : { rnn: 1, lstm: 4, gru: 3 }[job.cell];
      return 2 * gates * (job.init === "identity" ? 1 : H) * H * job.seqLen;
    }

    return { run, cost, setKernels, kernelFor, exp, tanh, sigmoid };
  }

  // The two precisions' copies, each parsed from flowCore's source on its own (see flowCore). The
  // workers compile the same text.
  function coresSource() {
    return `({ float32: (${flowCore.toString()})(true), float64: (${flowCore.toString()})(false) })`;
  }
  const cores = new Function(`return ${coresSource()};`)();
  // exp, tanh and sigmoid are float64 in both copies; cost is the same too.
  const core = {
    run: (d, job) => cores[job.dtype].run(d, job),
    cost: cores.float64.cost,
    kernelFor: (job) => cores.float64.kernelFor(job),
    // compiles the kernels into both copies (each has its own WebAssembly memory)
    setKernels: (b64) => [cores.float32.setKernels(b64), cores.float64.setKernels(b64)].every(Boolean),
    exp: cores.float64.exp, tanh: cores.float64.tanh, sigmoid: cores.float64.sigmoid,
  };

  // ---------------------------------------------------------------------------------------------
  // Data: classic scripts next to this one in _static, injected on demand (fetch is blocked from
  // file://), decoded once.
  const SCRIPT_BASE = (typeof document !== "undefined" && document.currentScript && document.currentScript.src || "")
    .replace(/[^/]*$/, "");
  const decoded = {};

  function fromBase64(text, Type) {
    const bin = atob(text), bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Type(bytes.buffer);
  }

  function decode(raw) {
    const d = { hidden: raw.hidden, minLen: raw.minLen, maxLen: raw.maxLen, tail: raw.tail };
    if (raw.bases) {                  // gradient flow: float64 throughout
      d.natural = raw.natural;
      d.bases = {};
      for (const k in raw.bases) d.bases[k] = fromBase64(raw.bases[k], Float64Array);
      d.wih = fromBase64(raw.w_ih, Float64Array);
      d.readout = fromBase64(raw.readout, Float64Array);
      d.prefix = fromBase64(raw.prefix, Float64Array);
      d.tails = fromBase64(raw.tails, Float64Array);
    } else {                          // gated flow: nn.Module weights and inputs are float32
      d.weights = {};
      for (const cell in raw.weights) {
        d.weights[cell] = {};
        for (const k in raw.weights[cell]) d.weights[cell][k] = fromBase64(raw.weights[cell][k], Float32Array);
      }
      d.prefix = Float64Array.from(fromBase64(raw.prefix, Float32Array));
      d.tails = Float64Array.from(fromBase64(raw.tails, Float32Array));
    }
    return d;
  }

  // The WebAssembly kernels: flow_kernels.js (written at build time from flow_kernels.wat), loaded
  // once beside the first data. Resolves to their base64, for the workers, or null where they could
  // not be loaded or compiled (an older copy of the site, no SIMD): then the plain JavaScript path.
  let kernels = null, kernelsB64 = null;
  function loadKernels() {
    if (!kernels) {
      kernels = new Promise((resolve) => {
        const done = () => {
          const b64 = window.FLOW_KERNELS && window.FLOW_KERNELS.simd;
          kernelsB64 = core.setKernels(b64) ? b64 : null;
          resolve(kernelsB64);
        };
        if (window.FLOW_KERNELS) return done();
        const s = document.createElement("script");
        s.src = `${SCRIPT_BASE}flow_kernels.js`;
        s.onload = done;
        s.onerror = () => resolve(null);
        document.head.appendChild(s);
      });
    }
    return kernels;
  }

  function loadData(engine, seed, hidden) {
    const key = `${engine}/s${seed}/h${hidden}`;
    if (!decoded[key]) {
      decoded[key] = new Promise((resolve, reject) => {
        const done = () => window.FLOW_DATA && window.FLOW_DATA[key]
          ? resolve({ key, d: decode(window.FLOW_DATA[key]) }) : reject(new Error(`no data for ${key}`));
        if (window.FLOW_DATA && window.FLOW_DATA[key]) return done();
        const s = document.createElement("script");
        s.src = `${SCRIPT_BASE}flowdata_${engine}_s${seed}_h${hidden}.js`;
        s.onload = done;
        s.onerror = () => { delete decoded[key]; reject(new Error(`could not load ${s.src}`)); };
        document.head.appendChild(s);
      });
    }
    return Promise.all([decoded[key], loadKernels()]).then(([loaded]) => loaded);
  }

  // ---------------------------------------------------------------------------------------------
  // Workers: a Blob URL holding flowCore's source (file workers are blocked from file://). A batch
  // of jobs above PAGE_WORK multiply-adds goes to a small pool, so the curves of one figure compute
  // side by side and a long case never blocks the page. Results come back as transferred buffers.
  const PAGE_WORK = 1e7;          // below this (~10 ms) the round trip to a worker was measured to cost more
  const LONG_WORK = 3e7;          // above this the status line says the figure is on its way
  let pool = null;

  // The workers compile the same kernels as the page (from the same base64), or go without them.
  function workerSource() {
    return `const cores = ${coresSource()};
for (const c of Object.values(cores)) c.setKernels(${JSON.stringify(kernelsB64)});
const data = {};
self.onmessage = (e) => {
  const m = e.data, core = cores[m.job.dtype];
  if (m.d) data[m.key] = m.d;
  const out = core.run(data[m.key], m.job);
  self.postMessage({ id: m.id, out, kernel: core.kernelFor(m.job) }, [out.buffer]);
};`;
  }

  const CORES = Math.max(1, (typeof navigator !== "undefined" && navigator.hardwareConcurrency) || 2);
  const POOL_SIZE = 4;            // a figure has at most four curves

  // A batch uses one worker per core at most, its jobs handed out largest first, each to the least
  // loaded. One worker per job would share the cores among more threads, which finishes three equal
  // curves on two cores in 1.5 curves' time instead of 2 if the workers had the cores to themselves,
  // but the page draws its frames on them too. 1.3's four curves at hidden 256, length 1000, 18 rounds
  // of each way side by side (benchmarks/flow_page.py (a) and (b)): four workers held the page's
  // frames 50 ms apart (median, float64; worst 83) and 33 (float32; worst 67), two workers 33 (worst 50)
  // and 25 (worst 33), and the update took as long (111 and 112 ms float64, 94 and 88 float32).
  const workersFor = (jobCount) => Math.min(CORES, jobCount);

  function makePool() {
    const url = URL.createObjectURL(new Blob([workerSource()], { type: "text/javascript" }));
    const workers = [];
    for (let i = 0; i < POOL_SIZE; i++) {
      const w = new Worker(url);
      w.sent = new Set();          // data keys this worker already holds
      w.waiting = new Map();
      w.load = 0;                  // multiply-adds queued on this worker
      w.onmessage = (e) => {
        const r = w.waiting.get(e.data.id);
        w.waiting.delete(e.data.id);
        w.load -= r.cost;
        r.resolve(e.data);
      };
      w.onerror = (e) => { for (const r of w.waiting.values()) r.reject(new Error(e.message)); w.waiting.clear(); w.load = 0; };
      workers.push(w);
    }
    let id = 0;
    // Jobs go to the least loaded of the first `width` workers; workers stay warm between updates.
    return function runInWorker(key, d, job, width) {
      const w = workers.slice(0, width).reduce((a, b) => (b.load < a.load ? b : a));
      const msg = { id: ++id, key, job }, cost = core.cost(d, job);
      if (!w.sent.has(key)) { msg.d = d; w.sent.add(key); }
      w.load += cost;
      return new Promise((resolve, reject) => { w.waiting.set(msg.id, { resolve, reject, cost }); w.postMessage(msg); });
    };
  }

  // Curves already computed, by data and job: going back to a setting (or from one init to all
  // four) redraws without recomputing. The oldest go first past CACHE_SIZE (8 kB a curve at L 1000).
  const CACHE_SIZE = 256;
  const cache = new Map();

  // The curves of a batch of jobs, from the cache, the workers and this thread, whether any went to
  // a worker, and the kernels that computed the fresh ones ("wasm", "js"; filled as they arrive).
  // The workers are sent theirs first, so this thread's share overlaps them. Each job says whether
  // its products may use WebAssembly (FlowEngine.useWasm), so that a cached curve is found again
  // only on the same path.
  function computeAll(key, d, batch) {
    const wasm = !(typeof window !== "undefined" && window.FlowEngine && window.FlowEngine.useWasm === false);
    const jobs = batch.map((job) => Object.assign({}, job, { wasm }));
    const ids = jobs.map((job) => key + JSON.stringify(job)), curves = new Array(jobs.length);
    const fresh = [], kernels = new Set();
    jobs.forEach((job, k) => {
      if (cache.has(ids[k])) {
        curves[k] = cache.get(ids[k]);
        cache.delete(ids[k]);
        cache.set(ids[k], curves[k]);        // most recently used last
      } else fresh.push(k);
    });
    // All of a batch goes to the workers once it is worth the round trip, the light curves too (the
    // identity init in 1.3): the workers' copies of the code are warm, this thread's may not be, and
    // this thread is left free to draw. Computed here, 1.3's identity curve at hidden 256, length 1000
    // held the page for 67 ms between two frames (benchmarks/flow_page.py (b)); in a worker, 17 to 33.
    const work = fresh.reduce((sum, k) => sum + core.cost(d, jobs[k]), 0);
    const toWorkers = typeof Worker === "undefined" || work <= PAGE_WORK ? [] : fresh;
    if (toWorkers.length) {
      pool = pool || makePool();
      const width = workersFor(toWorkers.length);
      const largestFirst = toWorkers.slice().sort((a, b) => core.cost(d, jobs[b]) - core.cost(d, jobs[a]));
      for (const k of largestFirst) curves[k] = pool(key, d, jobs[k], width).then((r) => { kernels.add(r.kernel); return r.out; });
    }
    for (const k of fresh) {
      if (curves[k]) continue;
      curves[k] = Promise.resolve(core.run(d, jobs[k]));
      kernels.add(core.kernelFor(jobs[k]));
    }
    for (const k of fresh) {
      cache.set(ids[k], curves[k]);
      curves[k].catch(() => cache.delete(ids[k]));
      if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
    }
    return { curves: Promise.all(curves), inWorker: toWorkers.length > 0, kernels };
  }

  // ---------------------------------------------------------------------------------------------
  // Axes and traces, as helpers/plots.py draws them: 0 sits on the floor, inf and NaN on the ceiling.
  const LIMITS = { float32: [1e-47, 1e40], float64: [5e-324, 1.7976931348623157e308] };

  function gradientAxis(dtype, title) {
    const [floor, ceiling] = LIMITS[dtype];
    const lo = Math.trunc(Math.log10(floor)), hi = Math.trunc(Math.log10(ceiling));
    const step = dtype === "float32" ? 10 : 50;
    const vals = [floor], text = ["0 (underflow)"];
    for (let k = lo - (((lo % step) + step) % step) + step; k < hi; k += step) {
      if (k - lo < step / 2 || hi - k < step / 2) continue;   // a label would sit on the floor's or ceiling's
      vals.push(10 ** k); text.push(`1e${k}`);
    }
    vals.push(ceiling); text.push("inf (overflow)");
    return { type: "log", range: [lo - 1, hi + 1], title: { text: title }, tickvals: vals, ticktext: text };
  }

  function encode(norms, dtype) {
    const [floor, ceiling] = LIMITS[dtype];
    return Array.from(norms, (v) => (v === 0 ? floor : Number.isFinite(v) ? v : ceiling));
  }

  // latest step where `bad` holds (trouble begins there: the gradient flows backwards), or -1
  function latest(norms, bad) {
    for (let t = norms.length - 1; t >= 0; t--) if (bad(norms[t])) return t;
    return -1;
  }

  function traceLabel(name, norms) {
    const inf = latest(norms, (v) => !Number.isFinite(v)), zero = latest(norms, (v) => v === 0);
    return name + (inf >= 0 ? ` · inf from t=${inf} back` : "") + (zero >= 0 ? ` · 0 from t=${zero} back` : "");
  }

  const fixed = (v, n) => Number(v).toFixed(n);

  // ---------------------------------------------------------------------------------------------
  // The two explorers: their controls, their curves and their titles.
  const INITS = ["default", "xavier", "orthogonal", "identity"];
  const PRESET_LENGTHS = [20, 100, 1000];
  const FIGURE_HEIGHT = 520, FIGURE_MARGIN = { t: 100, b: 60 };   // title (two lines) and legend above, axis below
  const FIGURE_TITLE_Y = 0.95;   // plotly anchors a two-line title's top by its second line: lower it into the figure
  const SETTLE_MS = 150;      // a pause in the changes this long gets the full redraw
  // a control's value, written only when it differs (a write can lay the page out again: syncControls)
  const setValue = (input, value) => { if (input.value !== value) input.value = value; };

  const SPECS = {
    "gradient-flow": {
      start: { radius: 1.0, seqLen: 1000, init: "all", hidden: 64, dtype: "float32" },
      traces: INITS,
      sliderKey: "radius",
      fineStep: 0.01,                          // the range input above the figure: every 0.01
      yTitle: "‖∂L/∂hₜ‖ (log scale)",
      controls: [
        { key: "radius", label: "|W_h| = ρ (0.05–2)", kind: "number", min: 0.05, max: 2.0, step: 0.01 },
        { key: "seqLen", label: "length (10–1000 steps)", kind: "length" },
        { key: "init", label: "init of W_hh", kind: "select", options: ["all"].concat(INITS) },
        { key: "hidden", label: "hidden size (units)", kind: "select", options: [16, 32, 64, 128, 256] },
        { key: "dtype", label: "precision (dtype)", kind: "select", options: ["float32", "float64"] },
      ],
      jobs: (s) => INITS.filter((i) => s.init === "all" || s.init === i).map((init) => ({
        trace: init, job: { engine: "gradient-flow", init, radius: s.radius, seqLen: s.seqLen, dtype: s.dtype } })),
      label: (name) => name,
      title: (s) => `How much gradient reaches step t (tanh RNN)<br>hidden ${s.hidden}, ${s.dtype}, ` +
        `|W_h| = ${fixed(s.radius, 2)}, length ${s.seqLen}`,
    },
    "gated-flow": {
      start: { bias: null, seqLen: 100, hidden: 64, dtype: "float32" },
      traces: ["rnn", "lstm", "gru"],
      sliderKey: "bias",
      fineStep: 0.05,
      yTitle: "‖∂L/∂xₜ‖ (log scale)",
      controls: [
        { key: "bias", label: "gate bias (−4 to 8)", kind: "number", min: -4, max: 8,
          step: 0.05, empty: null, emptyLabel: "PyTorch default" },
        { key: "seqLen", label: "length (10–1000 steps)", kind: "length" },
        { key: "hidden", label: "hidden size (units)", kind: "select", options: [16, 32, 64, 128, 256] },
        { key: "dtype", label: "precision (dtype)", kind: "select", options: ["float32", "float64"] },
      ],
      // the RNN has no gate: its job ignores the bias, so a drag of the bias redraws it from the cache
      jobs: (s) => ["rnn", "lstm", "gru"].map((cell) => ({
        trace: cell, job: { engine: "gated-flow", cell, bias: cell === "rnn" ? null : s.bias, seqLen: s.seqLen, dtype: s.dtype } })),
      label: (name) => ({ rnn: "RNN (no gate)", lstm: "LSTM (forget gate)", gru: "GRU (update gate)" })[name],
      title: (s) => `Gradient reaching step t from a loss at the last step<br>hidden ${s.hidden}, ${s.dtype}, ` +
        `gate bias ${s.bias === null ? "PyTorch default" : fixed(s.bias, 2)}, length ${s.seqLen}`,
    },
  };

  class Explorer {
    constructor(marker, gd) {
      this.engine = marker.dataset.engine;
      this.seed = Number(marker.dataset.seed);
      this.spec = SPECS[this.engine];
      this.gd = gd;
      this.state = Object.assign({}, this.spec.start);
      this.version = 0;            // bumped by every change; a result for an older one is redrawn over
      this.drawn = -1;
      this.running = false;        // an update loop is under way: it picks up every later change
      this.waiters = [];
      this.lastSet = -Infinity;    // when set() last ran: changes closer than SETTLE_MS are a drag
      this.curves = {};
      this.lastUpdateMs = NaN;
      this.baseLayout = JSON.parse(JSON.stringify(gd.layout));
      this.buildControls(gd.closest("figure") || gd);
      // course.js lays the figure out for a phone (layout() asks it) and redraws it across that width
      if (window.CourseFigures) window.CourseFigures.onRedraw(gd, () => { this.drawnLook = null; this.set({}); });
    }

    // Controls above the figure. They replace the static figure's plotly slider and length buttons
    // at the first draw: replotting those on every change took most of a 60 fps frame.
    buildControls(figure) {
      const box = document.createElement("div");
      box.className = "flow-controls";
      this.inputs = {};
      for (const c of this.spec.controls) {
        let label = document.createElement("label"), input;
        label.textContent = c.label + " ";
        if (c.kind === "select") {
          input = document.createElement("select");
          for (const o of c.options) input.add(new Option(String(o), String(o)));
          input.addEventListener("change", () => this.set({ [c.key]: typeof c.options[0] === "number" ? Number(input.value) : input.value }));
        } else if (c.kind === "length") {
          input = document.createElement("input");
          Object.assign(input, { type: "range", min: 10, max: 1000, step: 1 });
          const number = document.createElement("input");
          Object.assign(number, { type: "number", min: 10, max: 1000, step: 1, className: "flow-number" });
          number.setAttribute("aria-label", "length in steps (10–1000), typed");
          input.addEventListener("input", () => this.set({ seqLen: Number(input.value) }));
          number.addEventListener("change", () => this.set({ seqLen: clamp(Math.round(Number(number.value)), 10, 1000) }));
          this.inputs.seqLenNumber = number;
          label.append(ownLayout(input), " ", number);
          box.append(label);
          label = document.createElement("span");
          for (const L of PRESET_LENGTHS) label.append(this.button(`length ${L}`, { seqLen: L }), " ");
        } else {
          input = document.createElement("input");
          Object.assign(input, { type: "number", min: c.min, max: c.max, step: "any", className: "flow-number" });
          input.setAttribute("aria-label", `${c.label}, typed`);
          input.addEventListener("change", () => {
            const v = input.value === "" && "empty" in c ? c.empty : clamp(Number(input.value), c.min, c.max);
            if (v === null || Number.isFinite(v)) this.set({ [c.key]: v });
          });
          const slide = document.createElement("input");   // dragged: a new curve at every position
          Object.assign(slide, { type: "range", min: c.min, max: c.max, step: this.spec.fineStep });
          slide.dataset.key = c.key + "Range";
          slide.addEventListener("input", () => this.set({ [c.key]: Number(slide.value) }));
          this.inputs[c.key + "Range"] = slide;
          label.append(ownLayout(slide), " ");
        }
        input.dataset.key = c.key;
        if (c.kind !== "length") label.append(input);
        if ("empty" in c) {
          const b = this.button(c.emptyLabel, { [c.key]: c.empty });
          (this.defaultButtons = this.defaultButtons || []).push(b);
          label.append(" ", b);
        }
        this.inputs[c.key] = input;
        box.append(label);
      }
      this.status = document.createElement("p");
      this.status.className = "flow-status";
      this.status.setAttribute("role", "status");        // read out when a recompute ends (aria-live polite)
      this.status.setAttribute("aria-atomic", "true");
      box.append(this.status);
      figure.parentNode.insertBefore(box, figure);
    }

    button(text, changes) {
      const b = document.createElement("button");
      Object.assign(b, { type: "button", textContent: text, className: "flow-preset" });
      b.addEventListener("click", (e) => { e.preventDefault(); this.set(changes); });
      return b;
    }

    // The controls show the state. Each is written only when its value differs: writing a number box
    // lays the whole page out again (2 to 3 ms a move at 1.4's drag, benchmarks/flow_page.py (c)), so
    // while the changes come fast (a drag, a held arrow key: `later`) the boxes catch up once they
    // pause, as the status line does; the sliders follow at once (the one being dragged is not written).
    syncControls(later = false) {
      const s = this.state;
      clearTimeout(this.boxesLater);
      if (later) this.boxesLater = setTimeout(() => this.syncBoxes(), SETTLE_MS);
      else this.syncBoxes();
      const key = this.spec.sliderKey, slide = this.inputs[key + "Range"];
      if (document.activeElement !== slide && s[key] !== null) setValue(slide, String(s[key]));
      // a control left empty (the 1.4 gate bias: PyTorch's own drawn biases, uniform in ±1/√hidden
      // for each of the two bias vectors, so about 0) shows 0 on its slider and says it is the default
      const empty = this.spec.controls.find((c) => c.key === key && "empty" in c);
      if (empty && document.activeElement !== slide) {
        const isDefault = s[key] === empty.empty;
        if (isDefault) {
          setValue(slide, "0");
          slide.setAttribute("aria-valuetext", `${empty.emptyLabel} (each unit's drawn bias, about 0)`);
        } else if (slide.hasAttribute("aria-valuetext")) slide.removeAttribute("aria-valuetext");
        for (const b of this.defaultButtons || []) {
          if (b.getAttribute("aria-pressed") !== String(isDefault)) b.setAttribute("aria-pressed", String(isDefault));
        }
      }
    }

    // The number boxes (the one being typed in is left alone).
    syncBoxes() {
      const s = this.state;
      for (const c of this.spec.controls) {
        const input = this.inputs[c.key];
        if (document.activeElement === input) continue;
        setValue(input, s[c.key] === null ? "" : String(s[c.key]));
        if ("empty" in c && input.placeholder !== (s[c.key] === c.empty ? "default" : "")) {
          input.placeholder = s[c.key] === c.empty ? "default" : "";
        }
      }
      if (document.activeElement !== this.inputs.seqLenNumber) setValue(this.inputs.seqLenNumber, String(s.seqLen));
    }

    // Change some controls, recompute and redraw; resolves once the figure shows this state.
    set(changes) {
      Object.assign(this.state, changes);
      this.version++;
      const now = performance.now();
      this.syncControls(now - this.lastSet < SETTLE_MS);     // a change close on the last: a drag
      this.lastSet = now;
      const done = new Promise((resolve) => this.waiters.push({ version: this.version, resolve }));
      this.started = this.started || performance.now();
      if (!this.running) this.update();
      return done;
    }

    update() {
      this.running = true;
      this.updateLoop().catch((err) => {       // a bug, not a state: say so, and let the next change retry
        this.running = false;
        this.say(`The figure could not be redrawn (${err.message}).`);
      });
    }

    // Computes and draws until the figure shows the latest state. It returns in the same turn as
    // its last check of the version, so a set() made by a caller resuming later starts a new loop.
    async updateLoop() {
      while (this.drawn < this.version) {
        const version = this.version, s = Object.assign({}, this.state);
        const t0 = this.started || performance.now();
        this.started = 0;
        let loaded;
        try {
          loaded = await loadData(this.engine, this.seed, s.hidden);
        } catch (err) {
          this.say(`The data for hidden size ${s.hidden} could not be loaded (${err.message}).`);
          this.drawn = version;
          this.resolveUpTo(version, s);
          continue;
        }
        const jobs = this.spec.jobs(s);
        if (jobs.some((j) => core.cost(loaded.d, j.job) > LONG_WORK)) this.say("Computing in the background…");
        let curves;
        try {
          const batch = computeAll(loaded.key, loaded.d, jobs.map((j) => j.job));
          this.lastWhere = batch.inWorker ? "worker" : "page";
          curves = await batch.curves;
          this.lastKernels = [...batch.kernels].sort().join("+");   // "wasm", "js" ("" from the cache)
        } catch (err) {
          this.say(`The computation failed (${err.message}).`);
          this.drawn = version;
          this.resolveUpTo(version, s);
          continue;
        }
        this.curves = {};
        jobs.forEach((j, k) => { this.curves[j.trace] = curves[k]; });
        await this.draw(s);
        this.drawn = version;
        this.lastUpdateMs = performance.now() - t0;
        const text = `Computed in this page (${s.dtype}) from the matrices and inputs PyTorch drew when ` +
          `the book was built: ${this.lastUpdateMs.toFixed(0)} ms.`;
        this.say(text, this.moved);
        this.resolveUpTo(version, s);
      }
      this.running = false;
    }

    // The status line is announced (role=status). During a drag it would change at every frame, an
    // announcement and a relayout of the page each time, so after a moved figure it waits for a pause.
    say(text, afterPause = false) {
      clearTimeout(this.statusLater);
      if (afterPause) this.statusLater = setTimeout(() => { this.status.textContent = text; }, SETTLE_MS);
      else this.status.textContent = text;
    }

    resolveUpTo(version, s) {
      this.waiters = this.waiters.filter((w) => (w.version <= version ? (w.resolve(s), false) : true));
    }

    // Two ways to redraw. Plotly.react replots the whole figure when a trace's data changes, 20 to
    // 35 ms here, more than a 60 fps frame. So when only the curves' values, their legend entries
    // and the title differ from what is drawn (a drag of |W_h| or of the gate bias, with the same
    // axes and traces), each curve's SVG path and the title's lines are rewritten in place (under a
    // millisecond); a full react follows once the changes pause, so that the legend (where a curve
    // reaches inf or 0, which moves with the drag), hover labels and Plotly's state catch up.
    draw(s) {
      const data = this.traces(s), layout = this.layout(s);
      const look = JSON.stringify([layout.xaxis.range, s.dtype, data.map((t) => t.visible)]);
      clearTimeout(this.settle);
      this.moved = look === this.drawnLook && this.movePaths(data);
      if (this.moved) {
        this.gd.data.forEach((t, k) => { t.y = data[k].y; t.name = data[k].name; });
        // fresh arrays, so that react sees the data changed from what its last replot drew
        this.settle = setTimeout(() => Plotly.react(this.gd, data.map((t) => Object.assign({}, t, { y: t.y.slice() })), layout),
                                 SETTLE_MS);
        return this.moveTitle(layout.title.text) ? Promise.resolve() : Plotly.relayout(this.gd, { "title.text": layout.title.text });
      }
      this.drawnLook = look;
      return Plotly.react(this.gd, data, layout);
    }

    traces(s) {
      const spec = this.spec;
      this.lines = this.lines || spec.traces.map((_, i) => (this.gd.data[i] || {}).line);
      return spec.traces.map((name, k) => {
        const norms = this.curves[name];
        return {
          type: "scatter", mode: "lines", x0: 0, dx: 1, hovertemplate: "%{y:.3g}", line: this.lines[k],
          visible: !!norms, showlegend: !!norms,
          name: norms ? traceLabel(spec.label(name), norms) : spec.label(name),
          y: norms ? encode(norms, s.dtype) : [],
        };
      });
    }

    // The static face's slider and buttons go (the controls above replace them), and the room they
    // took. Each precision's axis is built once: react compares its tick arrays by identity.
    layout(s) {
      const base = this.baseLayout;
      this.axes = this.axes || {};
      this.axes[s.dtype] = this.axes[s.dtype] || Object.assign({}, base.yaxis, gradientAxis(s.dtype, this.spec.yTitle));
      const layout = Object.assign({}, base, {
        title: Object.assign({}, base.title, { text: this.spec.title(s), y: FIGURE_TITLE_Y }),
        xaxis: Object.assign({}, base.xaxis, { range: [0, s.seqLen - 1] }),
        yaxis: this.axes[s.dtype],
        sliders: [], updatemenus: [], height: FIGURE_HEIGHT,
        margin: Object.assign({}, base.margin, FIGURE_MARGIN),
      });
      return window.CourseFigures ? window.CourseFigures.adapt(this.gd, layout) : layout;   // a phone's layout
    }

    // Rewrites the drawn curves' paths in place; false when the figure is not as expected (then
    // the caller replots). The axes' ranges are fixed, so Plotly's own c2p maps values to pixels.
    movePaths(data) {
      const full = this.gd._fullLayout, shown = data.filter((t) => t.visible);
      const paths = [...this.gd.querySelectorAll(".scatterlayer .trace")].map((g) => g.querySelector("path.js-line"));
      if (!full || !full.xaxis || !full.yaxis || typeof full.yaxis.c2p !== "function" ||
          paths.length !== shown.length || paths.some((p) => !p)) return false;
      const x = full.xaxis, y = full.yaxis;
      shown.forEach((t, k) => {
        let d = "";
        for (let i = 0; i < t.y.length; i++) d += (i ? "L" : "M") + x.c2p(i).toFixed(2) + "," + y.c2p(t.y[i]).toFixed(2);
        paths[k].setAttribute("d", d);
      });
      return true;
    }

    // Rewrites the title's lines (Plotly draws one tspan per <br>-separated line); false when the
    // title is not drawn that way.
    moveTitle(text) {
      const title = this.gd.querySelector(".gtitle"), lines = text.split("<br>");
      const spans = title ? title.querySelectorAll("tspan.line") : [];
      if (spans.length !== lines.length || lines.some((line) => /[<&]/.test(line))) return false;
      lines.forEach((line, i) => {
        const span = spans[i], text = span.firstChild;
        if (span.textContent === line) return;
        // The text node's own data, where the line is one text node: replacing the node changes the page's
        // tree, which mystnb's div.cell:has(> *:nth-child(2)) rule answers with a restyle of the cell and
        // a repaint of the chapter below it, at every move of a drag.
        if (text && text.nodeType === Node.TEXT_NODE && text === span.lastChild) text.data = line;
        else span.textContent = line;
      });
      title.setAttribute("data-unformatted", text);
      this.gd.layout.title.text = text;
      return true;
    }
  }

  // A range input in a box of its own, so that moving its thumb (the reader's drag, or syncControls
  // writing the value) lays out the input alone: Chromium lays out from an element with size and layout
  // containment (course.css) unless it is a flex item, as the input would be in its label. Without the
  // box each move of a drag laid out the whole page, its 15,865 layout objects: 2.8 ms of layout a move
  // on 1.3 at hidden 128 / length 200 (Chromium's trace), against 1.7 to 2.0 ms for the slider and the
  // figure's SVG alone with it.
  function ownLayout(input) {
    const box = document.createElement("span");
    box.className = "flow-range";
    box.append(input);
    return box;
  }

  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }

  const STYLE = `.flow-controls { display: flex; flex-wrap: wrap; gap: .3rem 1.4rem; margin: .6rem 0; font-size: .9rem;
  color: var(--pst-color-text-base, inherit); }
.flow-controls label { white-space: nowrap; }
.flow-controls input[type=range] { width: 11rem; vertical-align: middle; }
.flow-controls .flow-number { width: 5.5rem; }
.flow-controls .flow-preset { font-size: .8rem; padding: 0 .4rem; }
.flow-controls .flow-status { flex-basis: 100%; margin: 0; font-size: .8rem; opacity: .75; }
html[data-theme="dark"] .flow-controls { color-scheme: dark; }`;

  function start() {
    if (document.querySelector("div.flow-engine[data-engine]")) {
      const style = document.createElement("style");
      style.textContent = STYLE;
      document.head.appendChild(style);
    }
    // useWasm: false sends the products to plain JavaScript (the same bits); ?wasm=off in the address too
    window.FlowEngine = { core, explorers: [], ready: null, useWasm: !/[?&]wasm=off\b/.test(location.search) };
    const markers = [...document.querySelectorAll("div.flow-engine[data-engine]")];
    const ready = [];
    for (const marker of markers) {
      if (!SPECS[marker.dataset.engine] || typeof Plotly === "undefined") continue;
      const gd = marker.parentNode.querySelector(".plotly-graph-div");
      if (!gd || !gd.data) continue;
      const explorer = new Explorer(marker, gd);
      window.FlowEngine.explorers.push(explorer);
      ready.push(explorer.set({}));
    }
    window.FlowEngine.ready = Promise.all(ready);
  }

  if (typeof module !== "undefined") module.exports = { core, decode, traceLabel };   // node, for quick checks
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})();
