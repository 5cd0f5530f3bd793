// One step of NRL, BP, or RMHL / node perturbation for W runs side by side, one per SIMD lane, compiled for AVX-512
// (W = 16) and AVX2 (W = 8) and chosen at run time. Swift's generic code cannot be compiled for those
// instruction sets without package-wide flags, which would bar NRLCore from being a dependency; a C
// function can carry its own target attribute. Every lane computes exactly the bits of the single-run
// path (docs/architecture.md, "Lanes"): the same generator, ziggurat, summation order, no fused
// multiply-add, libm per lane for exp and log.
#ifndef NRL_LANE_KERNELS_H
#define NRL_LANE_KERNELS_H

#include <stdint.h>

/// Buffers are lane-major: element i of lane k is at i·W + k.
typedef struct {
    int32_t layer_count;
    const int32_t *fan_in;      // per layer
    const int32_t *fan_out;     // per layer
    float *weights;             // layer after layer, row-major within a layer
    float *trace;               // the same layout as weights (BP: Σ_t ∇ log π(a_t))
    float *clean_inputs;        // x_0 … x_{L−1} of the clean pass (x_0: the observation, written by the caller)
    float *clean_pre;           // pre-activations of every layer's units
    float *noisy_inputs;
    float *noisy_pre;
    float *noise;               // ξ of every unit
    double *probabilities;      // clean π: output o of lane k at o·W + k
    double *log_clean;          // log π
    double *log_noisy;          // log π̃
    uint64_t *noise_random;     // xoshiro256** states: s0 of every lane, then s1, s2, s3
    uint64_t *action_random;
    const double *ziggurat_x;   // Gaussian's tables (257 entries each)
    const double *ziggurat_f;
    double ziggurat_r;
    double sigma;
    int64_t *actions;           // out: each lane's action
    float *errors;              // BP: ε of every unit
    // The trace's outer products are gathered and added NRL_LANES_FOLD steps at a time (one pass over the
    // trace instead of one per step; each element still adds them in step order, so the same bits):
    float *fold_scales;         // per pending step: the row factor (scale·u_i) of every unit
    float *fold_inputs;         // per pending step: every layer's inputs
    int32_t fold_pending;       // pending steps
    // Immediate tasks (learning every step): the act kernels leave the trace alone, and NRL's writes Δ here.
    int32_t immediate;
    double *changes;            // NRL, immediate: Δ = log π̃(a) − log π(a) of every lane
} nrl_lanes_step;

#define NRL_LANES_FOLD 8

/// 16 when this CPU runs the AVX-512 kernel, 8 when it runs the AVX2 one, 0 otherwise.
int nrl_lanes_kernel_width(void);

/// One step of every lane (clean pass, noise, noisy pass, action, trace), in `nrl_lanes_step`'s buffers.
/// Call only the width `nrl_lanes_kernel_width` admits.
void nrl_lanes_act16(nrl_lanes_step *step);
void nrl_lanes_act8(nrl_lanes_step *step);
void nrl_lanes_act8_avx512(nrl_lanes_step *step);  // 8 lanes in AVX-512 instructions

/// One step of BP (REINFORCE, delayed form) for every lane: clean pass, action, trace += ∇ log π(a).
/// Reads weights, clean_*, probabilities, log_clean, action_random, errors; writes actions and trace.
void bp_lanes_act16(nrl_lanes_step *step);
void bp_lanes_act8(nrl_lanes_step *step);
void bp_lanes_act8_avx512(nrl_lanes_step *step);

/// Adds the pending outer products to the trace (call before reading or changing it).
void nrl_lanes_fold16(nrl_lanes_step *step);
void nrl_lanes_fold8(nrl_lanes_step *step);
void nrl_lanes_fold8_avx512(nrl_lanes_step *step);

/// Learning now, for immediate tasks: weights_l += (s_l·u_i) x_{l−1}ᵀ for every layer l, element by element as
/// `LayerMatrices.addOuter` adds it, with s_l = scales[l·W + k] for lane k, u a value per unit, x every layer's inputs.
typedef struct {
    const float *scales;
    const float *units;
    const float *inputs;
} nrl_lanes_update;
void nrl_lanes_update16(nrl_lanes_step *step, const nrl_lanes_update *update);
void nrl_lanes_update8(nrl_lanes_step *step, const nrl_lanes_update *update);
void nrl_lanes_update8_avx512(nrl_lanes_step *step, const nrl_lanes_update *update);

/// One step of RMHL or node perturbation (delayed form; they differ only in the learning step) for every
/// lane: noise, the noisy pass in the clean_* buffers, the action from π̃, trace += ξ x̃ᵀ.
/// Reads weights, noise_random, action_random; writes noise, clean_*, probabilities, log_clean, actions, trace.
void hebbian_lanes_act16(nrl_lanes_step *step);
void hebbian_lanes_act8(nrl_lanes_step *step);
void hebbian_lanes_act8_avx512(nrl_lanes_step *step);

#endif
