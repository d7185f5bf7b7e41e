// The in-page trainer of chapter 1.6's cliff explorer: the reader picks a context size, a task, the
// longest training length and a number of updates, and the page trains the encoder-decoder of
// helpers/models/seq2seq.py (no attention) itself, in a worker, then measures its greedy-decoding
// accuracy at every source length and adds the curve to the figure.
//
// It repeats helpers/experiments/seq2seq_training.py's train_seq2seq in float64, from the initial
// weights PyTorch drew when the book was built (classic data scripts, one per context size, written
// by helpers/explorers/cliff_page.py and loaded when that size is first trained):
// - the batches come from torch's own generator, re-implemented: torch.Generator().manual_seed(s) is
//   the 32-bit Mersenne Twister (MT19937) seeded with s, and torch.randint(low, high) on the CPU takes
//   one 32-bit output per value, as low + output % (high - low), in the tensor's order;
// - the model is torch.nn.GRU's cell (gates r, z, n), tanh(W_c h + b_c) and the output layer, with
//   the cross-entropy averaged over the target's tokens (PAD ignored);
// - the gradients come from back-propagation through time written out by hand, are clipped to a
//   total norm of 1 as torch.nn.utils.clip_grad_norm_ does, and Adam (torch.optim.Adam's defaults,
//   lr 3e-3) takes the step.
// Its sums run in other orders than torch's, so the two differ in the last bits of each result.
// tests/explorers/test_cliff_page.py runs this file in node against PyTorch in float64: the batches
// equal torch's, the losses of the first 20 updates agree within 1e-9 (the error analysis is beside
// that test), and the accuracies equal accuracy_by_length's.
//
// Like the flow engine, it works from file://: a classic script, data scripts injected as <script>
// tags, and a Blob-URL worker (so the page stays responsive while it trains). Without JavaScript the
// figure keeps the context sizes trained when the book was built.
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------------------
  // Numerics: pure functions with no DOM. The worker runs a copy compiled from this function's
  // source, so nothing here may refer to anything outside trainerCore.
  function trainerCore() {
    "use strict";
    const BOS = 1, EOS = 2, FIRST = 3;    // token ids, as helpers/models/seq2seq.py (PAD, 0, is never fed)
    const EVAL_CHUNK = 64;                          // sources decoded in lockstep when measuring accuracy

    // torch's CPU generator: MT19937 (Matsumoto and Nishimura 1998) seeded by init_genrand(seed).
    function mt19937(seed) {
      const mt = new Uint32Array(624);
      mt[0] = seed >>> 0;
      for (let k = 1; k < 624; k++) {
        const p = mt[k - 1] ^ (mt[k - 1] >>> 30);
        mt[k] = (Math.imul(1812433253, p) + k) >>> 0;
      }
      let next = 624;
      function twist() {
        for (let k = 0; k < 624; k++) {
          const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
          mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
        }
        next = 0;
      }
      return function random() {               // the next 32-bit output, as a number in [0, 2^32)
        if (next >= 624) twist();
        let y = mt[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y >>> 0;
      };
    }

    // helpers.models.seq2seq.make_batch: n lengths uniform in [minLen, maxLen], then an n x maxLen
    // block of symbols of which each source takes its first `length`; the target copies or reverses it.
    function makeBatch(random, n, minLen, maxLen, task, vocab) {
      const span = maxLen + 1 - minLen, lengths = [], sources = [], targets = [];
      for (let i = 0; i < n; i++) lengths.push(minLen + random() % span);
      for (let i = 0; i < n; i++) {
        const row = [];
        for (let k = 0; k < maxLen; k++) row.push(FIRST + random() % vocab);
        const source = row.slice(0, lengths[i]);
        sources.push(source);
        targets.push(task === "reverse" ? source.slice().reverse() : source);
      }
      return { lengths, sources, targets };
    }

    // The parameters, named and shaped as the Seq2Seq module's (row-major, as torch stores them).
    function shapes(H, E, V) {
      return {
        embed: V * E,
        enc_ih: 3 * H * E, enc_hh: 3 * H * H, enc_bih: 3 * H, enc_bhh: 3 * H,
        dec_ih: 3 * H * E, dec_hh: 3 * H * H, dec_bih: 3 * H, dec_bhh: 3 * H,
        combine_w: H * H, combine_b: H, out_w: V * H, out_b: V,
      };
    }
    function zerosLike(P) {
      const G = {};
      for (const name in P) G[name] = new Float64Array(P[name].length);
      return G;
    }

    // Products over the examples of a batch, up to four examples at a time, so that each entry of W
    // is read once for four of them (measured in node at 192 x 64: 1.3 GMAC/s, against 0.5-0.8 for
    // one example at a time). Example j's vector starts at xo + j xs (its output at oo + j os).
    //
    // out(j)[i] = b[i] + sum_k W[i, k] x(j)[k]   (b may be null: no bias)
    function affineMany(W, b, rows, cols, X, xo, xs, n, out, oo, os) {
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const x0 = xo + j * xs, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        const o0 = oo + j * os, o1 = o0 + os, o2 = o1 + os, o3 = o2 + os;
        for (let i = 0, w = 0; i < rows; i++, w += cols) {
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let k = 0; k < cols; k++) {
            const m = W[w + k];
            s0 += m * X[x0 + k]; s1 += m * X[x1 + k]; s2 += m * X[x2 + k]; s3 += m * X[x3 + k];
          }
          const c = b ? b[i] : 0;
          out[o0 + i] = c + s0; out[o1 + i] = c + s1; out[o2 + i] = c + s2; out[o3 + i] = c + s3;
        }
      }
      for (; j < n; j++) {
        const x0 = xo + j * xs, o0 = oo + j * os;
        for (let i = 0, w = 0; i < rows; i++, w += cols) {
          let s0 = 0;
          for (let k = 0; k < cols; k++) s0 += W[w + k] * X[x0 + k];
          out[o0 + i] = (b ? b[i] : 0) + s0;
        }
      }
    }
    // A weight's gradient: G[i, k] += sum_j dy(j)[i] x(j)[k], and the bias's, g[i] += sum_j dy(j)[i]
    // (g may be null).
    function outerMany(G, g, rows, cols, D, dO, ds, X, xo, xs, n) {
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const x0 = xo + j * xs, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs, d0 = dO + j * ds;
        for (let i = 0, w = 0; i < rows; i++, w += cols) {
          const a = D[d0 + i], b = D[d0 + ds + i], c = D[d0 + 2 * ds + i], d = D[d0 + 3 * ds + i];
          for (let k = 0; k < cols; k++) G[w + k] += a * X[x0 + k] + b * X[x1 + k] + c * X[x2 + k] + d * X[x3 + k];
          if (g) g[i] += (a + b) + (c + d);
        }
      }
      for (; j < n; j++) {
        const x0 = xo + j * xs, d0 = dO + j * ds;
        for (let i = 0, w = 0; i < rows; i++, w += cols) {
          const a = D[d0 + i];
          for (let k = 0; k < cols; k++) G[w + k] += a * X[x0 + k];
          if (g) g[i] += a;
        }
      }
    }
    function transpose(W, rows, cols, out) {
      for (let i = 0; i < rows; i++) for (let k = 0; k < cols; k++) out[k * rows + i] = W[i * cols + k];
    }
    const sigmoid = (a) => 1 / (1 + Math.exp(-a));

    // The model's forward and backward passes over a batch of up to B examples of up to maxSteps
    // symbols, taken in lockstep, time step by time step (as torch's packed sequences are): with the
    // examples in order of decreasing length, those still running at a step are the first ones, and
    // their states lie side by side (state of example j at step t: (t B + j) H).
    //
    // The GRUs' input side reads an embedding row, one of V tokens: W_ih e_v + b_ih is computed once
    // per token when a batch begins (the weights do not change within it) instead of at every step, and
    // the steps' input-side gradients are summed per token and turned into the gradients of W_ih, b_ih
    // and the embedding when the batch ends. The gradients passed back through a product W x use W's
    // transpose, written once a batch, so that they too are products of the kind above.
    function makeModel(P, H, E, V, maxSteps, B) {
      const G3 = 3 * H, steps = maxSteps + 1;
      const side = (name, n) => ({ ih: `${name}_ih`, hh: `${name}_hh`, bih: `${name}_bih`, bhh: `${name}_bhh`,
        h: new Float64Array((n + 1) * B * H), r: new Float64Array(n * B * H), z: new Float64Array(n * B * H),
        nn: new Float64Array(n * B * H), hn: new Float64Array(n * B * H), tokens: new Int32Array(n * B),
        table: new Float64Array(V * G3),       // row v: W_ih e_v + b_ih
        dTable: new Float64Array(V * G3),      // row v: the batch's input-side gradients at token v, summed
        hhT: new Float64Array(H * G3) });      // W_hh's transpose
      const enc = side("enc", maxSteps), dec = side("dec", steps);
      const combined = new Float64Array(steps * B * H), probs = new Float64Array(steps * B * V);
      const combineT = new Float64Array(H * H), outT = new Float64Array(H * V);
      const gh = new Float64Array(B * G3), dgh = new Float64Array(B * G3), back = new Float64Array(B * H);
      const dh = new Float64Array(B * H), dOut = new Float64Array(B * V), dPre = new Float64Array(B * H);

      function beginBatch() {
        for (const s of [enc, dec]) {
          for (let v = 0; v < V; v++) affineMany(P[s.ih], P[s.bih], G3, E, P.embed, v * E, 0, 1, s.table, v * G3, 0);
          s.dTable.fill(0);
          transpose(P[s.hh], G3, H, s.hhT);
        }
        transpose(P.combine_w, H, H, combineT);
        transpose(P.out_w, V, H, outT);
      }
      // the summed input-side gradients into G: W_ih's, b_ih's and the embedding rows'
      function endBatch(G) {
        for (const s of [enc, dec]) {
          outerMany(G[s.ih], G[s.bih], G3, E, s.dTable, 0, G3, P.embed, 0, E, V);
          for (let v = 0; v < V; v++) {        // embedding row v += W_ih^T (row v of dTable)
            const row = s.dTable, ih = P[s.ih], ge = G.embed;
            for (let i = 0, w = 0; i < G3; i++) {
              const d = row[v * G3 + i];
              for (let k = 0; k < E; k++, w++) ge[v * E + k] += ih[w] * d;
            }
          }
        }
      }

      // torch.nn.GRU's cell at step t of one side for its first n examples (tokens already in place):
      // r = s(W_ir x + b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
      // h' = (1 - z) n + z h; h' goes to step t + 1.
      function gruStep(s, t, n) {
        affineMany(P[s.hh], P[s.bhh], G3, H, s.h, t * B * H, H, n, gh, 0, G3);
        const gi = s.table;
        for (let j = 0; j < n; j++) {
          const x = s.tokens[t * B + j] * G3, g = j * G3, o0 = (t * B + j) * H, next = o0 + B * H;
          for (let i = 0; i < H; i++) {
            const o = o0 + i;
            const r = sigmoid(gi[x + i] + gh[g + i]), z = sigmoid(gi[x + H + i] + gh[g + H + i]);
            const nv = Math.tanh(gi[x + 2 * H + i] + r * gh[g + 2 * H + i]);
            s.r[o] = r; s.z[o] = z; s.nn[o] = nv; s.hn[o] = gh[g + 2 * H + i];
            s.h[next + i] = (1 - z) * nv + z * s.h[o];
          }
        }
      }
      // Back through step t for the first n examples, given dh (the loss's gradient on their h'):
      // W_hh's and b_hh's gradients into G, the input side's into dTable's rows, and dh becomes the
      // gradient on the step's incoming h.
      function gruBack(s, t, n, G) {
        const dgi = s.dTable;
        for (let j = 0; j < n; j++) {
          const x = s.tokens[t * B + j] * G3, g = j * G3, o0 = (t * B + j) * H;
          for (let i = 0; i < H; i++) {
            const o = o0 + i, r = s.r[o], z = s.z[o], nv = s.nn[o], d = dh[j * H + i];
            const dn = d * (1 - z), dz = d * (s.h[o] - nv);
            dh[j * H + i] = d * z;
            const dan = dn * (1 - nv * nv), daz = dz * z * (1 - z), dar = dan * s.hn[o] * r * (1 - r);
            dgi[x + i] += dar; dgi[x + H + i] += daz; dgi[x + 2 * H + i] += dan;
            dgh[g + i] = dar; dgh[g + H + i] = daz; dgh[g + 2 * H + i] = dan * r;
          }
        }
        outerMany(G[s.hh], G[s.bhh], G3, H, dgh, 0, G3, s.h, t * B * H, H, n);
        affineMany(s.hhT, null, H, G3, dgh, 0, G3, n, back, 0, H);
        for (let i = 0; i < n * H; i++) dh[i] += back[i];
      }

      // Encodes sources (in order of decreasing length) and puts each one's last state at the
      // decoder's step 0.
      function encode(sources) {
        const n = sources.length;
        enc.h.fill(0, 0, n * H);
        for (let t = 0, active = n; t < sources[0].length; t++) {
          while (sources[active - 1].length <= t) active--;
          for (let j = 0; j < active; j++) enc.tokens[t * B + j] = sources[j][t];
          gruStep(enc, t, active);
        }
        for (let j = 0; j < n; j++) {
          const at = (sources[j].length * B + j) * H;
          dec.h.set(enc.h.subarray(at, at + H), j * H);
        }
      }
      // decoder step t's logits for its first n examples, as a softmax in probs; returns nothing,
      // leaves each example's log-sum-exp in lse[j]
      const lse = new Float64Array(B);
      function readOut(t, n) {
        affineMany(P.combine_w, P.combine_b, H, H, dec.h, (t + 1) * B * H, H, n, combined, t * B * H, H);
        for (let i = t * B * H, end = i + n * H; i < end; i++) combined[i] = Math.tanh(combined[i]);
        affineMany(P.out_w, P.out_b, V, H, combined, t * B * H, H, n, probs, t * B * V, V);
        for (let j = 0; j < n; j++) {
          const po = (t * B + j) * V;
          let top = -Infinity, total = 0;
          for (let v = 0; v < V; v++) top = Math.max(top, probs[po + v]);
          for (let v = 0; v < V; v++) total += Math.exp(probs[po + v] - top);
          lse[j] = top + Math.log(total);
        }
      }

      // Teacher forcing on sources (in order of decreasing length) and their targets: the summed
      // cross-entropy of the target tokens (and EOS), and, with G, its gradient times `scale` added
      // to G (the GRUs' input side at endBatch).
      function lossAndGradient(sources, targets, G, scale) {
        const n = sources.length, T = sources[0].length + 1;
        const running = (t) => { let a = n; while (a > 0 && sources[a - 1].length < t) a--; return a; };
        encode(sources);
        let loss = 0;
        for (let t = 0; t < T; t++) {
          const active = running(t);                       // examples with step t: length + 1 > t
          for (let j = 0; j < active; j++) dec.tokens[t * B + j] = t === 0 ? BOS : targets[j][t - 1];
          gruStep(dec, t, active);
          readOut(t, active);
          for (let j = 0; j < active; j++) {
            const L = sources[j].length, y = t < L ? targets[j][t] : EOS, po = (t * B + j) * V;
            loss += lse[j] - probs[po + y];
            for (let v = 0; v < V; v++) probs[po + v] = Math.exp(probs[po + v] - lse[j]);
          }
        }
        if (!G) return loss;
        for (let t = T - 1; t >= 0; t--) {
          const active = running(t), entering = t === T - 1 ? 0 : running(t + 1);
          dh.fill(0, entering * H, active * H);             // an example's last step: nothing comes from later
          for (let j = 0; j < active; j++) {
            const L = sources[j].length, y = t < L ? targets[j][t] : EOS, po = (t * B + j) * V;
            for (let v = 0; v < V; v++) dOut[j * V + v] = scale * (probs[po + v] - (v === y ? 1 : 0));
          }
          outerMany(G.out_w, G.out_b, V, H, dOut, 0, V, combined, t * B * H, H, active);
          affineMany(outT, null, H, V, dOut, 0, V, active, dPre, 0, H);
          for (let j = 0, c = t * B * H; j < active * H; j++) dPre[j] *= 1 - combined[c + j] * combined[c + j];
          outerMany(G.combine_w, G.combine_b, H, H, dPre, 0, H, dec.h, (t + 1) * B * H, H, active);
          affineMany(combineT, null, H, H, dPre, 0, H, active, back, 0, H);
          for (let i = 0; i < active * H; i++) dh[i] += back[i];
          gruBack(dec, t, active, G);
        }
        // dh holds the gradient on each example's last encoder state; an example joins the encoder's
        // backward pass at its own last step
        const fromDecoder = Float64Array.from(dh.subarray(0, n * H));
        for (let t = sources[0].length - 1, active = 0; t >= 0; t--) {
          const before = active;
          while (active < n && sources[active].length > t) active++;
          dh.set(fromDecoder.subarray(before * H, active * H), before * H);
          gruBack(enc, t, active, G);
        }
        return loss;
      }

      // Greedy decoding for L + 1 steps (helpers' Seq2Seq.generate) of sources all of length L: how
      // many tokens of each match its target and EOS.
      function tokensRight(sources, targets) {
        const n = sources.length, L = sources[0].length, right = new Array(n).fill(0);
        encode(sources);
        for (let t = 0; t <= L; t++) {
          for (let j = 0; j < n; j++) {
            if (t === 0) { dec.tokens[j] = BOS; continue; }
            const po = ((t - 1) * B + j) * V;
            let best = 0;
            for (let v = 1; v < V; v++) if (probs[po + v] > probs[po + best]) best = v;
            dec.tokens[t * B + j] = best;
          }
          gruStep(dec, t, n);
          readOut(t, n);
        }
        for (let j = 0; j < n; j++) {
          for (let t = 0; t <= L; t++) {
            const po = (t * B + j) * V;
            let best = 0;
            for (let v = 1; v < V; v++) if (probs[po + v] > probs[po + best]) best = v;
            if (best === (t < L ? targets[j][t] : EOS)) right[j]++;
          }
        }
        return right;
      }
      return { beginBatch, endBatch, lossAndGradient, tokensRight };
    }

    // torch.nn.utils.clip_grad_norm_(max_norm): the norm of the parameters' gradient norms; every
    // gradient is scaled by max_norm / (norm + 1e-6) when that is below 1. Returns the norm.
    function clipGradNorm(G, maxNorm) {
      let total = 0;
      for (const name in G) {
        let s = 0;
        for (const g of G[name]) s += g * g;
        total += s;                               // sqrt(s) squared, without the extra rounding
      }
      const norm = Math.sqrt(total), coef = maxNorm / (norm + 1e-6);
      if (coef < 1) for (const name in G) { const g = G[name]; for (let i = 0; i < g.length; i++) g[i] *= coef; }
      return norm;
    }

    // torch.optim.Adam with its defaults (betas 0.9, 0.999, eps 1e-8, no weight decay), step `step` >= 1.
    function adamStep(P, G, state, lr, step) {
      const b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const stepSize = lr / (1 - Math.pow(b1, step)), root = Math.sqrt(1 - Math.pow(b2, step));
      for (const name in P) {
        const p = P[name], g = G[name], m = state.m[name], v = state.v[name];
        for (let i = 0; i < p.length; i++) {
          m[i] += (1 - b1) * (g[i] - m[i]);
          v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i];
          p[i] -= stepSize * (m[i] / (Math.sqrt(v[i]) / root + eps));
        }
      }
    }

    // A training run as train_seq2seq: `weights` {name: Float64Array} (copied), `o` the settings
    // {hidden, emb, vocab, task, minLen, maxLen, batch, lr, seed}. run.update() takes one step and
    // returns its loss.
    function trainer(weights, o) {
      const V = o.vocab + FIRST, P = {};
      const want = shapes(o.hidden, o.emb, V);
      for (const name in want) {
        if (!weights[name] || weights[name].length !== want[name])
          throw new Error(`weights.${name} must hold ${want[name]} numbers`);
        P[name] = Float64Array.from(weights[name]);
      }
      const model = makeModel(P, o.hidden, o.emb, V, o.maxLen, o.batch);
      const random = mt19937(o.seed), G = zerosLike(P), state = { m: zerosLike(P), v: zerosLike(P) };
      let step = 0;
      function update() {
        const batch = makeBatch(random, o.batch, o.minLen, o.maxLen, o.task, o.vocab);
        let count = 0;
        for (const L of batch.lengths) count += L + 1;       // the target's tokens and EOS: what is not PAD
        for (const name in G) G[name].fill(0);
        // longest first (a stable sort), for the lockstep of makeModel
        const order = batch.lengths.map((L, i) => i).sort((i, k) => batch.lengths[k] - batch.lengths[i] || i - k);
        model.beginBatch();
        const loss = model.lossAndGradient(order.map((i) => batch.sources[i]), order.map((i) => batch.targets[i]), G, 1 / count);
        model.endBatch(G);
        clipGradNorm(G, 1);
        adamStep(P, G, state, o.lr, ++step);
        return loss / count;
      }
      // accuracy_by_length: n fresh sources of each length from a generator seeded `seed`
      // (onLength(i) is called as length i is done)
      function accuracy(lengths, n, seed, onLength) {
        const fresh = mt19937(seed), token = [], sequence = [];
        const chunk = Math.min(n, EVAL_CHUNK);
        const evaluator = makeModel(P, o.hidden, o.emb, V, Math.max(...lengths), chunk);
        evaluator.beginBatch();
        for (const L of lengths) {
          const batch = makeBatch(fresh, n, L, L, o.task, o.vocab);
          let tokens = 0, whole = 0;
          for (let b = 0; b < n; b += chunk) {
            const rights = evaluator.tokensRight(batch.sources.slice(b, b + chunk), batch.targets.slice(b, b + chunk));
            for (const right of rights) {
              tokens += right;
              if (right === L + 1) whole++;
            }
          }
          token.push(tokens / (n * (L + 1)));
          sequence.push(whole / n);
          if (onLength) onLength(token.length);
        }
        return { token, sequence };
      }
      return { update, accuracy, get step() { return step; } };
    }

    return { mt19937, makeBatch, trainer, clipGradNorm };
  }

  const core = trainerCore();
  if (typeof module !== "undefined") module.exports = { core, trainerCore, reach };   // node: the tests

  // The longest length up to which at least half of whole sequences come out right (0: none), as
  // helpers/experiments/seq2seq_training.py's reach.
  function reach(lengths, sequence) {
    let longest = 0;
    for (let i = 0; i < lengths.length && sequence[i] >= 0.5; i++) longest = lengths[i];
    return longest;
  }

  // ---------------------------------------------------------------------------------------------
  // The worker: trains in slices of about 100 ms, so that a Stop message is read between them, and
  // reports after each slice; then measures the accuracy of what it trained, length by length.
  function workerSource() {
    return `const core = (${trainerCore.toString()})();
let stop = false;
self.onmessage = (e) => {
  const m = e.data;
  if (m.stop) { stop = true; return; }
  stop = false;
  const run = core.trainer(m.weights, m.settings), losses = [], started = Date.now();
  function slice() {
    const until = Date.now() + 100;
    while (run.step < m.updates && !stop && Date.now() < until) losses.push(run.update());
    self.postMessage({ step: run.step, loss: losses[losses.length - 1], ms: Date.now() - started });
    if (run.step < m.updates && !stop) { setTimeout(slice, 0); return; }
    const trained = Date.now();
    const acc = run.accuracy(m.eval.lengths, m.eval.n, m.eval.seed,
                             (done) => self.postMessage({ step: run.step, measured: done, ms: Date.now() - started }));
    self.postMessage({ done: true, step: run.step, losses, accuracy: acc, ms: Date.now() - started,
                       trainMs: trained - started, evalMs: Date.now() - trained });
  }
  slice();
};`;
  }

  // ---------------------------------------------------------------------------------------------
  // The page: controls under the figure, the weights' scripts, the worker, the new curve.
  const SCRIPT_BASE = (typeof document !== "undefined" && document.currentScript && document.currentScript.src || "")
    .replace(/[^/]*$/, "");
  const MAX_CURVES = 6;          // curves trained in the page the figure keeps (the oldest goes first)

  function loadWeights(hidden) {
    return new Promise((resolve, reject) => {
      const done = () => {
        const d = window.COPY_TRAINER_DATA && window.COPY_TRAINER_DATA[hidden];
        if (!d) return reject(new Error(`no weights for a context of ${hidden}`));
        const w = {};
        for (const name in d.w) {
          const bytes = atob(d.w[name]), view = new DataView(new ArrayBuffer(bytes.length));
          for (let i = 0; i < bytes.length; i++) view.setUint8(i, bytes.charCodeAt(i));
          w[name] = new Float64Array(bytes.length / 4);
          for (let k = 0; k < w[name].length; k++) w[name][k] = view.getFloat32(4 * k, true);
        }
        resolve(w);
      };
      if (window.COPY_TRAINER_DATA && window.COPY_TRAINER_DATA[hidden]) return done();
      const s = document.createElement("script");
      s.src = `${SCRIPT_BASE}copytrain_h${hidden}.js`;
      s.onload = done;
      s.onerror = () => reject(new Error(`could not load ${s.src}`));
      document.head.appendChild(s);
    });
  }

  function element(tag, props, ...children) {
    const e = Object.assign(document.createElement(tag), props || {});
    e.append(...children);
    return e;
  }
  const seconds = (ms) => (ms < 60000 ? `${Math.round(ms / 1000)} s` : `${Math.floor(ms / 60000)} min ${Math.round(ms / 1000) % 60} s`);
  const percent = (v) => `${Math.round(100 * v)}%`;

  class Trainer {
    constructor(spec, gd) {
      this.spec = spec;
      this.gd = gd;
      this.worker = null;
      this.added = [];             // indices of the curves this page added
      this.build(gd.closest("figure") || gd);
    }

    build(figure) {
      const s = this.spec, d = s.defaults;
      const size = element("select");
      for (const h of s.sizes) size.add(new Option(String(h), String(h), false, h === d.hidden));
      const task = element("select");
      for (const t of s.tasks) task.add(new Option(t, t, false, t === d.task));
      const maxLen = element("input", { type: "number", min: s.maxLen[0], max: s.maxLen[1], step: 1, value: d.maxLen,
        className: "flow-number" });
      const updates = element("input", { type: "number", min: s.updates[0], max: s.updates[1], step: s.updates[2],
        value: d.updates, className: "flow-number" });
      const train = element("button", { type: "button", className: "copy-train", textContent: "Train in this page" });
      const stop = element("button", { type: "button", className: "copy-stop", textContent: "Stop", disabled: true });
      const bar = element("progress", { max: 1, value: 0 });
      bar.setAttribute("aria-label", "training progress");
      const line = element("p", { className: "copy-progress" });
      const status = element("p", { className: "flow-status" });
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      const box = element("div", { className: "flow-controls copy-trainer-controls" },
        element("p", { className: "copy-title" }, "Train another model, in this page:"),
        element("label", {}, "context size ", size, " numbers"),
        element("label", {}, "task ", task),
        element("label", {}, `train on lengths ${s.run.minLen} to `, maxLen),
        element("label", {}, "updates ", updates),
        element("span", { className: "copy-buttons" }, train, " ", stop),
        element("span", { className: "copy-bar" }, bar, line),
        status);
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "train an encoder-decoder in this page");
      // under the figure: the controls above it (course.js's slider) are the figure's own, these add to it
      figure.parentNode.insertBefore(box, figure.nextSibling);
      Object.assign(this, { box, size, task, maxLen, updates, train, stop, bar, line, status });
      train.addEventListener("click", () => this.start());
      stop.addEventListener("click", () => this.halt());
      for (const input of [maxLen, updates]) input.addEventListener("change", () => this.settings());
      status.textContent = "Pick a context size and press Train: this page trains the model itself, in float64, " +
        "from the weights PyTorch drew, and adds its accuracy curve to the figure.";
    }

    // The controls' values, or null (and the reason on the status line) when one is out of range.
    settings() {
      const s = this.spec, out = { hidden: Number(this.size.value), task: this.task.value };
      const fields = [["maxLen", this.maxLen, "the longest training length", s.maxLen[0], s.maxLen[1], 1],
                      ["updates", this.updates, "updates", s.updates[0], s.updates[1], s.updates[2]]];
      for (const [key, input, name, low, high, step] of fields) {
        const v = Number(input.value);
        if (!Number.isInteger(v) || v < low || v > high || (v - low) % step) {
          input.setAttribute("aria-invalid", "true");
          this.status.textContent = `${name} must be a whole number from ${low} to ${high}` +
            (step > 1 ? ` in steps of ${step}` : "") + `; got ${input.value === "" ? "nothing" : input.value}.`;
          return null;
        }
        input.removeAttribute("aria-invalid");
        out[key] = v;
      }
      return out;
    }

    start() {
      const chosen = this.settings();
      if (!chosen || this.worker) return;
      const label = `context ${chosen.hidden}, ${chosen.task}, lengths ${this.spec.run.minLen}–${chosen.maxLen}`;
      this.setBusy(true);
      this.bar.max = chosen.updates;
      this.bar.value = 0;
      this.line.textContent = "";
      this.status.textContent = `Training ${label} for ${chosen.updates} updates…`;
      this.box.dataset.state = "training";
      loadWeights(chosen.hidden).then((weights) => {
        const url = URL.createObjectURL(new Blob([workerSource()], { type: "text/javascript" }));
        this.worker = new Worker(url);
        URL.revokeObjectURL(url);
        this.worker.onmessage = (e) => this.report(e.data, chosen, label);
        this.worker.onerror = (e) => this.fail(e.message);
        const settings = Object.assign({ hidden: chosen.hidden, task: chosen.task, maxLen: chosen.maxLen }, this.spec.run);
        this.worker.postMessage({ weights, settings, updates: chosen.updates, eval: this.spec.eval });
      }).catch((err) => this.fail(err.message));
    }

    halt() {
      if (!this.worker) return;
      this.worker.postMessage({ stop: true });
      this.stop.disabled = true;
      this.status.textContent = "Stopping after this update; then measuring what was trained…";
    }

    report(m, chosen, label) {
      const lengths = this.spec.eval.lengths;
      if (!m.done) {
        if (m.measured === undefined) {
          this.bar.value = m.step;
          const left = m.step ? m.ms / m.step * (chosen.updates - m.step) : NaN;
          this.line.textContent = `update ${m.step} of ${chosen.updates} · loss ${m.loss.toFixed(3)} · ` +
            `${seconds(m.ms)}` + (m.step < chosen.updates && isFinite(left) ? `, about ${seconds(left)} left` : "");
        } else {
          this.stop.disabled = true;          // training is over; the measurement takes seconds
          this.line.textContent = `measuring accuracy: length ${m.measured} of ${lengths.length}`;
        }
        return;
      }
      this.worker.terminate();
      this.worker = null;
      this.setBusy(false);
      const a = m.accuracy, stopped = m.step < chosen.updates;
      const name = `trained here: ${label}, ${m.step} updates`;
      const narrow = this.gd.clientWidth < (window.CourseFigures ? window.CourseFigures.NARROW_PX : 600);
      const shown = narrow && window.CourseFigures ? window.CourseFigures.wrap(name, 12, this.gd.clientWidth - 60) : name;
      const trace = { x: lengths, y: a.token.map((v) => 100 * v), name: shown, mode: "lines+markers",
        hovertemplate: "%{y:.1f}%", line: { width: 2 } };
      if (this.added.length >= MAX_CURVES) {
        Plotly.deleteTraces(this.gd, this.added.shift());
        this.added = this.added.map((i) => i - 1);
      }
      Plotly.addTraces(this.gd, trace);
      this.added.push(this.gd.data.length - 1);
      // on a phone the legend inside the plot would cover the curves once it names a trained model:
      // it goes under the plot, one entry a row, wrapped (plotly makes room for it below the axis title)
      if (narrow)
        Plotly.relayout(this.gd, { "legend.orientation": "v", "legend.x": 0, "legend.xanchor": "left",
          "legend.y": -0.25, "legend.yanchor": "top" });
      const last = m.losses[m.losses.length - 1], far = lengths.length - 1;
      this.line.textContent = `${m.step} updates in ${seconds(m.ms)} · last loss ${last.toFixed(3)}`;
      const longest = reach(lengths, a.sequence);
      this.status.textContent = `${stopped ? "Stopped at update " + m.step + ". " : ""}Added “${name}”: tokens right ` +
        `${percent(a.token[0])} at length ${lengths[0]} and ${percent(a.token[far])} at ${lengths[far]}; ` +
        (longest ? `whole sequences right at least half the time up to length ${longest}.`
          : `whole sequences right less than half the time at every length.`);
      Object.assign(this.box.dataset, { state: "done", step: String(m.step), token: JSON.stringify(a.token),
        sequence: JSON.stringify(a.sequence), losses: JSON.stringify(m.losses), trainMs: String(m.trainMs),
        evalMs: String(m.evalMs) });
    }

    fail(message) {
      if (this.worker) this.worker.terminate();
      this.worker = null;
      this.setBusy(false);
      this.box.dataset.state = "failed";
      this.status.textContent = `The training stopped with an error: ${message}`;
    }

    setBusy(busy) {
      this.train.disabled = busy;
      this.stop.disabled = !busy;
      for (const input of [this.size, this.task, this.maxLen, this.updates]) input.disabled = busy;
      if (!busy && document.activeElement === document.body) this.train.focus();
    }
  }

  const STYLE = `.copy-trainer-controls { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.4rem;
  margin: .6rem 0; font-size: .9rem; color: var(--pst-color-text-base, inherit); }
.copy-trainer-controls .copy-title { flex-basis: 100%; margin: 0; font-weight: 600; }
.copy-trainer-controls .copy-bar { flex-basis: 100%; display: flex; flex-wrap: wrap; align-items: center; gap: .3rem 1rem; }
.copy-trainer-controls progress { width: 14rem; max-width: 100%; }
.copy-trainer-controls .copy-progress { margin: 0; font-size: .8rem; font-variant-numeric: tabular-nums; }
.copy-trainer-controls .flow-status { flex-basis: 100%; margin: 0; font-size: .8rem; }
html[data-theme="dark"] .copy-trainer-controls { color-scheme: dark; }`;

  function start(tries) {
    const markers = [...document.querySelectorAll("div.copy-trainer[data-spec]")];
    if (!markers.length) return;
    if (typeof Plotly === "undefined" || markers.some((m) => !(m.parentNode.querySelector(".plotly-graph-div") || {})._fullLayout)) {
      if (tries < 100) setTimeout(() => start(tries + 1), 50);      // plotly.js still drawing
      return;
    }
    document.head.appendChild(element("style", { textContent: STYLE }));
    window.CopyTrainer = { core, trainers: markers.map((m) => new Trainer(JSON.parse(m.dataset.spec),
      m.parentNode.querySelector(".plotly-graph-div"))) };
  }
  if (typeof document !== "undefined") {
    if (document.readyState === "complete") start(0); else window.addEventListener("load", () => start(0));
  }
})();
