// The lanes steps of NRL, BP, and RMHL / node perturbation for W lanes; included by lane_kernels.c once per
// compilation with W, NRL_KERNEL, BP_KERNEL, HEBBIAN_KERNEL, FOLD_KERNEL, UPDATE_KERNEL, KERNEL_TARGET and PREFIX
// defined. The act kernels add to the trace (delayed tasks) unless `immediate`, where UPDATE_KERNEL learns.
// Each function mirrors a Swift one, named beside it; the loops over lanes (k < W) are what the compiler
// turns into vector instructions.
#if defined(__x86_64__)

#define NRL_CAT(a, b) a##b
#define NRL_XCAT(a, b) NRL_CAT(a, b)
#define F(name) NRL_XCAT(PREFIX, name)
#define TARGET __attribute__((target(KERNEL_TARGET)))

#ifndef NRL_SCALAR_HELPERS
#define NRL_SCALAR_HELPERS
static inline uint64_t nrl_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// `Xoshiro256.next` of one lane whose state is at s[k], s[W + k], s[2W + k], s[3W + k].
static inline uint64_t nrl_next_one(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3) {
    uint64_t result = nrl_rotl(*s1 * 5, 7) * 9;
    uint64_t t = *s1 << 17;
    *s2 ^= *s0; *s3 ^= *s1; *s1 ^= *s2; *s0 ^= *s3;
    *s2 ^= t;
    *s3 = nrl_rotl(*s3, 45);
    return result;
}

static inline double nrl_next_double(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3) {
    return (double)(nrl_next_one(s0, s1, s2, s3) >> 11) * 0x1.0p-53;
}

/// `Gaussian.slowPath` and then `Gaussian.sample` until a sample is accepted, on one lane's generator.
__attribute__((noinline))
static double nrl_slow_sample(uint64_t *s0, uint64_t *s1, uint64_t *s2, uint64_t *s3, int layer, double candidate,
                              double u, const double *x, const double *f, double r) {
    for (;;) {
        if (layer == 0) {
            for (;;) {
                double a = -log(1 - nrl_next_double(s0, s1, s2, s3)) / r;
                double b = -log(1 - nrl_next_double(s0, s1, s2, s3));
                if (2 * b >= a * a) return u < 0 ? -(r + a) : r + a;
            }
        }
        double y = f[layer + 1] + (f[layer] - f[layer + 1]) * nrl_next_double(s0, s1, s2, s3);
        if (y < exp(-0.5 * candidate * candidate)) return candidate;
        // A fresh draw, as Gaussian.sample's loop makes.
        uint64_t bits = nrl_next_one(s0, s1, s2, s3);
        layer = (int)(bits & 0xFF);
        u = (double)(bits >> 11) * 0x1.0p-52 - 1.0;
        candidate = u * x[layer];
        if (fabs(candidate) < x[layer + 1]) return candidate;
    }
}
#endif

// One value of every lane. The aligned(…) lowers the alignment the compiler assumes, so these load
// and store straight from the lane-major buffers.
typedef float F(vf) __attribute__((vector_size(W * 4), aligned(4)));
typedef double F(vd) __attribute__((vector_size(W * 8), aligned(8)));
typedef uint64_t F(vu) __attribute__((vector_size(W * 8), aligned(8)));
typedef int64_t F(vi) __attribute__((vector_size(W * 8), aligned(8)));
typedef int32_t F(vm) __attribute__((vector_size(W * 4), aligned(4)));
#define VF F(vf)
#define VD F(vd)
#define VU F(vu)
#define VI F(vi)
#define VM F(vm)
#define LOADF(p) (*(const VF *)(p))
#define STOREF(p, v) (*(VF *)(p) = (v))

/// `LaneRandom.next`: the next 64 bits of every lane.
TARGET static inline VU F(next)(uint64_t *s) {
    VU *v = (VU *)s;
    VU s0 = v[0], s1 = v[1], s2 = v[2], s3 = v[3];
    VU m = s1 * 5;
    VU result = ((m << 7) | (m >> 57)) * 9;
    VU t = s1 << 17;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 45) | (s3 >> 19);
    v[0] = s0; v[1] = s1; v[2] = s2; v[3] = s3;
    return result;
}

/// at[k] = x[layer[k]] and next[k] = x[layer[k] + 1] for every lane: the ziggurat's layer edge and the next
/// one. They are neighbours, so each lane takes one 16-byte load and four lanes a transpose; two gathers
/// made a lanes step 8–17% slower on an AMD EPYC (Zen 4), whose gathers are slow.
TARGET static inline void F(edges)(const double *x, VU layer, VD *at, VD *next) {
    for (int q = 0; q < W / 4; q++) {
        const double *p0 = x + layer[4 * q], *p1 = x + layer[4 * q + 1];
        const double *p2 = x + layer[4 * q + 2], *p3 = x + layer[4 * q + 3];
        __m256d a = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(p0)), _mm_loadu_pd(p2), 1);  // x0 e0 x2 e2
        __m256d b = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(p1)), _mm_loadu_pd(p3), 1);  // x1 e1 x3 e3
        __m256d lo = _mm256_unpacklo_pd(a, b), hi = _mm256_unpackhi_pd(a, b);  // x0 x1 x2 x3, e0 e1 e2 e3
        memcpy((char *)at + 32 * q, &lo, 32);
        memcpy((char *)next + 32 * q, &hi, 32);
    }
}

/// `LaneGaussian.fill`: out[i·W + k] = Float(σ·N(0, 1)) for i < count: the ziggurat's fast path for all
/// lanes at once; a lane whose candidate leaves its layer's core finishes alone (`nrl_slow_sample`).
TARGET static void F(gaussians)(const nrl_lanes_step *st, float *out, int count) {
    const double *x = st->ziggurat_x;
    uint64_t *s = st->noise_random;
    VU *state = (VU *)s;
    // The generators stay in registers; they go back to memory only for a lane's slow path.
    VU s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
    const VD sigma = st->sigma + (VD){0};
    for (int i = 0; i < count; i++) {
        VU m = s1 * 5;  // LaneRandom.next
        VU bits = ((m << 7) | (m >> 57)) * 9;
        VU t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 45) | (s3 >> 19);
        VU layer = bits & 0xFF;
        // bits >> 11 < 2⁵³: exact as a signed conversion too.
        VD u = __builtin_convertvector((VI)(bits >> 11), VD) * 0x1.0p-52 - 1.0;
        VD at, edge;
        F(edges)(x, layer, &at, &edge);
        VD candidate = u * at;
        VD magnitude = (VD)((VU)candidate & 0x7FFFFFFFFFFFFFFFull);
        VI inside = (VI)(magnitude < edge);
        if (__builtin_expect(__builtin_reduce_and(inside) == 0, 0)) {
            state[0] = s0; state[1] = s1; state[2] = s2; state[3] = s3;
            uint32_t outside = 0;
            for (int k = 0; k < W; k++) outside |= (uint32_t)(inside[k] == 0) << k;
            for (; outside; outside &= outside - 1) {
                int k = __builtin_ctz(outside);
                candidate[k] = nrl_slow_sample(&s[k], &s[W + k], &s[2 * W + k], &s[3 * W + k], (int)layer[k],
                                               candidate[k], u[k], x, st->ziggurat_f, st->ziggurat_r);
            }
            s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3];
        }
        STOREF(out + (size_t)i * W, __builtin_convertvector(sigma * candidate, VF));
    }
    state[0] = s0; state[1] = s1; state[2] = s2; state[3] = s3;
}

/// `LaneKernels.dot` (= `Kernels.dot`'s order) of row w with x, n elements.
TARGET static inline VF F(dot)(const float *w, const float *x, int n) {
    int i = 0;
    VF sum = {0};
    if (n >= 8) {
        int chunks = n / 8;
        // The eight running sums advance side by side (eight independent chains), each in its own order.
        VF acc[8];
        for (int j = 0; j < 8; j++) acc[j] = (VF){0};
        for (int c = 0; c < chunks; c++) {
            for (int j = 0; j < 8; j++) {
                size_t e = (size_t)(c * 8 + j) * W;
                acc[j] = acc[j] + LOADF(w + e) * LOADF(x + e);
            }
        }
        sum = acc[0];
        for (int j = 1; j < 8; j++) sum = sum + acc[j];
        i = chunks * 8;
    }
    if (i + 4 <= n) {
        const float *a = w + (size_t)i * W, *b = x + (size_t)i * W;
        VF step = ((LOADF(a) * LOADF(b) + LOADF(a + W) * LOADF(b + W)) + LOADF(a + 2 * W) * LOADF(b + 2 * W))
                  + LOADF(a + 3 * W) * LOADF(b + 3 * W);
        sum = sum + step;
        i += 4;
    }
    for (; i < n; i++) sum = sum + LOADF(w + (size_t)i * W) * LOADF(x + (size_t)i * W);
    return sum;
}

/// `F(dot)` of row w with x and with y at once, loading each weight once: the same two sums, in the same order.
TARGET static inline void F(dot2)(const float *w, const float *x, const float *y, int n, VF *sx, VF *sy) {
    int i = 0;
    VF sum_x = {0}, sum_y = {0};
    if (n >= 8) {
        int chunks = n / 8;
        VF ax[8], ay[8];
        for (int j = 0; j < 8; j++) ax[j] = ay[j] = (VF){0};
        for (int c = 0; c < chunks; c++) {
            for (int j = 0; j < 8; j++) {
                size_t e = (size_t)(c * 8 + j) * W;
                VF wv = LOADF(w + e);
                ax[j] = ax[j] + wv * LOADF(x + e);
                ay[j] = ay[j] + wv * LOADF(y + e);
            }
        }
        sum_x = ax[0]; sum_y = ay[0];
        for (int j = 1; j < 8; j++) { sum_x = sum_x + ax[j]; sum_y = sum_y + ay[j]; }
        i = chunks * 8;
    }
    if (i + 4 <= n) {
        const float *a = w + (size_t)i * W, *b = x + (size_t)i * W, *c = y + (size_t)i * W;
        VF w0 = LOADF(a), w1 = LOADF(a + W), w2 = LOADF(a + 2 * W), w3 = LOADF(a + 3 * W);
        sum_x = sum_x + (((w0 * LOADF(b) + w1 * LOADF(b + W)) + w2 * LOADF(b + 2 * W)) + w3 * LOADF(b + 3 * W));
        sum_y = sum_y + (((w0 * LOADF(c) + w1 * LOADF(c + W)) + w2 * LOADF(c + 2 * W)) + w3 * LOADF(c + 3 * W));
        i += 4;
    }
    for (; i < n; i++) {
        VF wv = LOADF(w + (size_t)i * W);
        sum_x = sum_x + wv * LOADF(x + (size_t)i * W);
        sum_y = sum_y + wv * LOADF(y + (size_t)i * W);
    }
    *sx = sum_x; *sy = sum_y;
}

/// LeakyReLU.value of n units: a ≥ 0 ? a : 0.1·a.
TARGET static inline void F(leaky_relu)(const float *a, float *out, int n) {
    for (int i = 0; i < n; i++) {
        VF v = LOADF(a + (size_t)i * W);
        VM keep = (VM)(v >= 0);
        STOREF(out + (size_t)i * W, (VF)(((VM)v & keep) | ((VM)(0.1f * v) & ~keep)));
    }
}

/// NRL's two passes layer by layer: the clean one and the noisy one (noise on every unit, sharing the clean
/// W_1·x_0), each as `propagate` computes it, with each weight row read once for both.
TARGET static void F(propagate_clean_and_noisy)(const nrl_lanes_step *st) {
    size_t in_offset = 0, unit_offset = 0, weight_offset = 0;
    for (int l = 0; l < st->layer_count; l++) {
        int n_in = st->fan_in[l], n_out = st->fan_out[l];
        float *x = st->clean_inputs + in_offset * W, *a = st->clean_pre + unit_offset * W;
        float *y = st->noisy_inputs + in_offset * W, *b = st->noisy_pre + unit_offset * W;
        const float *xi = st->noise + unit_offset * W;
        const float *w = st->weights + weight_offset * W;
        for (int i = 0; i < n_out; i++) {
            VF clean, noisy;
            if (l == 0) {
                clean = F(dot)(w + (size_t)i * n_in * W, x, n_in);
                noisy = clean;
            } else {
                F(dot2)(w + (size_t)i * n_in * W, x, y, n_in, &clean, &noisy);
            }
            STOREF(a + (size_t)i * W, clean);
            STOREF(b + (size_t)i * W, noisy + LOADF(xi + (size_t)i * W));
        }
        if (l + 1 < st->layer_count) {
            F(leaky_relu)(a, x + (size_t)n_in * W, n_out);
            F(leaky_relu)(b, y + (size_t)n_in * W, n_out);
        }
        in_offset += (size_t)n_in;
        unit_offset += (size_t)n_out;
        weight_offset += (size_t)n_in * (size_t)n_out;
    }
}

/// `LanePass.computeLayer` then the rest of `propagate`: every layer, noise added when `noisy`.
TARGET static void F(propagate)(const nrl_lanes_step *st, float *inputs, float *pre, int noisy) {
    size_t in_offset = 0, unit_offset = 0, weight_offset = 0;
    for (int l = 0; l < st->layer_count; l++) {
        int n_in = st->fan_in[l], n_out = st->fan_out[l];
        float *x = inputs + in_offset * W, *a = pre + unit_offset * W;
        const float *w = st->weights + weight_offset * W;
        const float *xi = st->noise + unit_offset * W;
        for (int i = 0; i < n_out; i++) {
            VF v = F(dot)(w + (size_t)i * n_in * W, x, n_in);
            if (noisy) v = v + LOADF(xi + (size_t)i * W);
            STOREF(a + (size_t)i * W, v);
        }
        if (l + 1 < st->layer_count) F(leaky_relu)(a, x + (size_t)n_in * W, n_out);
        in_offset += (size_t)n_in;
        unit_offset += (size_t)n_out;
        weight_offset += (size_t)n_in * (size_t)n_out;
    }
}

/// `LanePass.softmax` of lane k: π (when `probabilities`) and log π of the last layer's pre-activations z.
TARGET static inline void F(softmax)(const float *z, int n, int k, double *probabilities, double *log_probabilities) {
    double m = (double)z[k];
    for (int o = 1; o < n; o++) { double v = (double)z[o * W + k]; m = v >= m ? v : m; }  // Swift's max(m, v)
    double e[n];
    double s = 0.0;
    for (int o = 0; o < n; o++) {
        double d = (double)z[o * W + k] - m;
        e[o] = d == 0 ? 1.0 : exp(d);  // exp(±0) = 1 exactly (C Annex F)
        s += e[o];
    }
    double log_sum = m + log(s);
    for (int o = 0; o < n; o++) {
        log_probabilities[o * W + k] = (double)z[o * W + k] - log_sum;
        if (probabilities) probabilities[o * W + k] = e[o] / s;
    }
}

/// Lane k's clean policy (`LanePass.softmax`) from the last layer's pre-activations z, and its action:
/// `Categorical.sample` with the uniform from the lane's 64 bits.
TARGET static inline int F(clean_action)(const nrl_lanes_step *st, const float *z, int outputs, int k, uint64_t bits) {
    F(softmax)(z, outputs, k, st->probabilities, st->log_clean);
    double u = (double)(bits >> 11) * 0x1.0p-53;
    double cumulative = 0.0;
    for (int o = 0; o < outputs - 1; o++) {
        cumulative += st->probabilities[o * W + k];
        if (u < cumulative) return o;
    }
    return outputs - 1;
}

/// trace_l += (scale·u_l) x_{l−1}ᵀ for every layer (`LayerMatrices.addOuter`, `Kernels.axpy` row by row):
/// u holds a value per unit (node noise, or BP's errors), x every layer's inputs. Kept as pending until
/// NRL_LANES_FOLD steps are, then added (`FOLD_KERNEL`).
TARGET static void F(add_outer_products)(nrl_lanes_step *st, VF scale, const float *u, const float *x) {
    size_t units = 0, inputs = 0;
    for (int l = 0; l < st->layer_count; l++) { units += (size_t)st->fan_out[l]; inputs += (size_t)st->fan_in[l]; }
    float *a = st->fold_scales + (size_t)st->fold_pending * units * W;
    for (size_t i = 0; i < units; i++) STOREF(a + i * W, scale * LOADF(u + i * W));
    memcpy(st->fold_inputs + (size_t)st->fold_pending * inputs * W, x, sizeof(float) * inputs * W);
    if (++st->fold_pending == NRL_LANES_FOLD) FOLD_KERNEL(st);
}

/// Adds the pending steps' outer products to the trace: element (i, j) of layer l adds α_t,i·x_t,j for the
/// pending steps t in order, as it would have step by step.
TARGET void FOLD_KERNEL(nrl_lanes_step *st) {
    const int n = st->fold_pending;
    if (n == 0) return;
    size_t units = 0, inputs = 0;
    for (int l = 0; l < st->layer_count; l++) { units += (size_t)st->fan_out[l]; inputs += (size_t)st->fan_in[l]; }
    size_t in_offset = 0, unit_offset = 0, weight_offset = 0;
    for (int l = 0; l < st->layer_count; l++) {
        int rows = st->fan_out[l], cols = st->fan_in[l];
        float *m = st->trace + weight_offset * W;
        for (int i = 0; i < rows; i++) {
            VF alpha[NRL_LANES_FOLD];
            for (int t = 0; t < n; t++) alpha[t] = LOADF(st->fold_scales + ((size_t)t * units + unit_offset + (size_t)i) * W);
            float *row = m + (size_t)i * cols * W;
            for (int j = 0; j < cols; j++) {
                VF v = LOADF(row + (size_t)j * W);
                for (int t = 0; t < n; t++)
                    v = v + alpha[t] * LOADF(st->fold_inputs + ((size_t)t * inputs + in_offset + (size_t)j) * W);
                STOREF(row + (size_t)j * W, v);
            }
        }
        in_offset += (size_t)cols; unit_offset += (size_t)rows; weight_offset += (size_t)rows * (size_t)cols;
    }
    st->fold_pending = 0;
}

/// weights_l += (s_l·u_i) x_{l−1}ᵀ now, row by row as `LayerMatrices.addOuter` (`Kernels.axpy`) adds it.
TARGET void UPDATE_KERNEL(nrl_lanes_step *st, const nrl_lanes_update *update) {
    size_t in_offset = 0, unit_offset = 0, weight_offset = 0;
    for (int l = 0; l < st->layer_count; l++) {
        int rows = st->fan_out[l], cols = st->fan_in[l];
        VF scale = LOADF(update->scales + (size_t)l * W);
        const float *x = update->inputs + in_offset * W;
        float *m = st->weights + weight_offset * W;
        for (int i = 0; i < rows; i++) {
            VF alpha = scale * LOADF(update->units + (unit_offset + (size_t)i) * W);
            float *row = m + (size_t)i * cols * W;
            for (int j = 0; j < cols; j++)
                STOREF(row + (size_t)j * W, LOADF(row + (size_t)j * W) + alpha * LOADF(x + (size_t)j * W));
        }
        in_offset += (size_t)cols; unit_offset += (size_t)rows; weight_offset += (size_t)rows * (size_t)cols;
    }
}

TARGET void NRL_KERNEL(nrl_lanes_step *st) {
    const int layers = st->layer_count;
    int unit_count = 0;
    for (int l = 0; l < layers; l++) unit_count += st->fan_out[l];
    const int n0 = st->fan_in[0], outputs = st->fan_out[layers - 1];
    const int last_units = unit_count - outputs;

    // Noise for every unit (its own stream, so drawing it first changes nothing), then the clean pass
    // (ForwardPass.compute) and the noisy pass sharing W_1·x_0.
    F(gaussians)(st, st->noise, unit_count);
    memcpy(st->noisy_inputs, st->clean_inputs, sizeof(float) * (size_t)n0 * W);
    F(propagate_clean_and_noisy)(st);

    // Policies, actions (Categorical.sample on the clean π) and Δ = log π̃(a) − log π(a).
    VU bits = F(next)(st->action_random);
    VD change;
    for (int k = 0; k < W; k++) {
        int action = F(clean_action)(st, st->clean_pre + (size_t)last_units * W, outputs, k, bits[k]);
        F(softmax)(st->noisy_pre + (size_t)last_units * W, outputs, k, 0, st->log_noisy);
        st->actions[k] = action;
        change[k] = st->log_noisy[action * W + k] - st->log_clean[action * W + k];
    }
    if (st->immediate) {  // the continuous form learns after the step (UPDATE_KERNEL)
        *(VD *)st->changes = change;
        return;
    }

    // e_l += Float(Δ/‖ξ‖²)·ξ_l x̃_{l−1}ᵀ (LaneNRL.accumulateTrace).
    VD norm = {0};
    for (int i = 0; i < unit_count; i++) {
        VD v = __builtin_convertvector(LOADF(st->noise + (size_t)i * W), VD);
        norm = norm + v * v;
    }
    F(add_outer_products)(st, __builtin_convertvector(change / norm, VF), st->noise, st->noisy_inputs);
}

/// `Reinforce.act` for every lane: the clean pass, the action from π, ε by backpropagation, and (delayed form)
/// trace += ∇ log π(a) by backpropagation (`Backprop.addLogProbabilityGradient` with scale 1):
/// ε_L = Float(onehot(a) − π), ε_l = f′(a_l) ⊙ W_{l+1}ᵀ ε_{l+1} (axpy row by row), trace_l += ε_l x_{l−1}ᵀ.
TARGET void BP_KERNEL(nrl_lanes_step *st) {
    const int layers = st->layer_count;
    size_t unit_offset[layers + 1], in_offset[layers + 1], weight_offset[layers + 1];
    unit_offset[0] = in_offset[0] = weight_offset[0] = 0;
    for (int l = 0; l < layers; l++) {
        unit_offset[l + 1] = unit_offset[l] + (size_t)st->fan_out[l];
        in_offset[l + 1] = in_offset[l] + (size_t)st->fan_in[l];
        weight_offset[l + 1] = weight_offset[l] + (size_t)st->fan_in[l] * (size_t)st->fan_out[l];
    }
    const int outputs = st->fan_out[layers - 1];
    const size_t last_units = unit_offset[layers - 1];
    float *errors = st->errors;

    F(propagate)(st, st->clean_inputs, st->clean_pre, 0);
    VU bits = F(next)(st->action_random);
    for (int k = 0; k < W; k++) {
        int action = F(clean_action)(st, st->clean_pre + last_units * W, outputs, k, bits[k]);
        st->actions[k] = action;
        for (int o = 0; o < outputs; o++)
            errors[(last_units + (size_t)o) * W + k] = (float)((o == action ? 1.0 : 0.0) - st->probabilities[o * W + k]);
    }
    for (int l = layers - 2; l >= 0; l--) {
        const int n = st->fan_out[l], above = st->fan_out[l + 1];
        float *e = errors + unit_offset[l] * W;
        const float *e_above = errors + unit_offset[l + 1] * W, *w = st->weights + weight_offset[l + 1] * W;
        for (int j = 0; j < n; j++) STOREF(e + (size_t)j * W, (VF){0});
        for (int i = 0; i < above; i++) {
            VF alpha = LOADF(e_above + (size_t)i * W);
            const float *row = w + (size_t)i * n * W;
            for (int j = 0; j < n; j++) STOREF(e + (size_t)j * W, LOADF(e + (size_t)j * W) + alpha * LOADF(row + (size_t)j * W));
        }
        const float *a = st->clean_pre + unit_offset[l] * W;
        for (int j = 0; j < n; j++) {
            VF v = LOADF(a + (size_t)j * W);
            VM keep = (VM)(v >= 0);  // LeakyReLU.derivative: a ≥ 0 ? 1 : 0.1
            VF slope = (VF)(((VM)((VF){0} + 1.0f) & keep) | ((VM)((VF){0} + 0.1f) & ~keep));
            STOREF(e + (size_t)j * W, LOADF(e + (size_t)j * W) * slope);
        }
    }
    if (!st->immediate) F(add_outer_products)(st, (VF){0} + 1.0f, errors, st->clean_inputs);  // (1·ε_i): exact
}

/// `ExplicitNoiseHebbian.act` (RMHL and node perturbation, delayed form) for every lane: node noise for
/// every unit, the noisy pass, the action from π̃, trace_l += (1·ξ_l) x̃_{l−1}ᵀ. Its one pass is the
/// step's clean_* buffers, computed with noise.
TARGET void HEBBIAN_KERNEL(nrl_lanes_step *st) {
    const int layers = st->layer_count;
    int unit_count = 0;
    for (int l = 0; l < layers; l++) unit_count += st->fan_out[l];
    const int outputs = st->fan_out[layers - 1];
    const int last_units = unit_count - outputs;

    F(gaussians)(st, st->noise, unit_count);
    F(propagate)(st, st->clean_inputs, st->clean_pre, 1);
    VU bits = F(next)(st->action_random);
    for (int k = 0; k < W; k++)
        st->actions[k] = F(clean_action)(st, st->clean_pre + (size_t)last_units * W, outputs, k, bits[k]);
    if (!st->immediate) F(add_outer_products)(st, (VF){0} + 1.0f, st->noise, st->clean_inputs);  // (1·ξ_i): exact
}

#undef F
#undef TARGET
#undef VF
#undef VD
#undef VU
#undef VI
#undef VM
#undef LOADF
#undef STOREF
#endif
