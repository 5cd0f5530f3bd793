// The three compilations of lane_step.h and the choice between them.
#pragma STDC FP_CONTRACT OFF  // a·b + c stays two roundings, as in Swift
// The 8-wide kernel passes 512-bit vectors between static functions, whose ABI nobody else sees.
#pragma clang diagnostic ignored "-Wpsabi"
#include "lane_kernels.h"
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define W 16
#define NRL_KERNEL nrl_lanes_act16
#define BP_KERNEL bp_lanes_act16
#define HEBBIAN_KERNEL hebbian_lanes_act16
#define FOLD_KERNEL nrl_lanes_fold16
#define UPDATE_KERNEL nrl_lanes_update16
#define KERNEL_TARGET "avx512f,avx512dq,avx512vl,avx512bw"
#define PREFIX k16_
#include "lane_step.h"
#undef W
#undef NRL_KERNEL
#undef BP_KERNEL
#undef HEBBIAN_KERNEL
#undef FOLD_KERNEL
#undef UPDATE_KERNEL
#undef KERNEL_TARGET
#undef PREFIX

#define W 8
#define NRL_KERNEL nrl_lanes_act8_avx512
#define BP_KERNEL bp_lanes_act8_avx512
#define HEBBIAN_KERNEL hebbian_lanes_act8_avx512
#define FOLD_KERNEL nrl_lanes_fold8_avx512
#define UPDATE_KERNEL nrl_lanes_update8_avx512
#define KERNEL_TARGET "avx512f,avx512dq,avx512vl,avx512bw"
#define PREFIX k8z_
#include "lane_step.h"
#undef NRL_KERNEL
#undef BP_KERNEL
#undef HEBBIAN_KERNEL
#undef FOLD_KERNEL
#undef UPDATE_KERNEL
#undef KERNEL_TARGET
#undef PREFIX

#define NRL_KERNEL nrl_lanes_act8
#define BP_KERNEL bp_lanes_act8
#define HEBBIAN_KERNEL hebbian_lanes_act8
#define FOLD_KERNEL nrl_lanes_fold8
#define UPDATE_KERNEL nrl_lanes_update8
#define KERNEL_TARGET "avx2"
#define PREFIX k8_
#include "lane_step.h"

int nrl_lanes_kernel_width(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) return 16;
    if (__builtin_cpu_supports("avx2")) return 8;
#endif
    return 0;
}

#if !defined(__x86_64__)
void nrl_lanes_act16(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void nrl_lanes_act8(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void nrl_lanes_act8_avx512(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void bp_lanes_act16(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void bp_lanes_act8(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void bp_lanes_act8_avx512(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void nrl_lanes_fold16(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void nrl_lanes_fold8(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void nrl_lanes_fold8_avx512(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void hebbian_lanes_act16(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void nrl_lanes_update16(nrl_lanes_step *step, const nrl_lanes_update *update) { (void)step; (void)update; __builtin_trap(); }
void nrl_lanes_update8(nrl_lanes_step *step, const nrl_lanes_update *update) { (void)step; (void)update; __builtin_trap(); }
void nrl_lanes_update8_avx512(nrl_lanes_step *step, const nrl_lanes_update *update) { (void)step; (void)update; __builtin_trap(); }
void hebbian_lanes_act8(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
void hebbian_lanes_act8_avx512(nrl_lanes_step *step) { (void)step; __builtin_trap(); }
#endif
