/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * The SVM scenarios every backend of svm_backend.h runs (svm_scenarios.c).
 */
#ifndef NEUF_SVM_SCENARIOS_H
#define NEUF_SVM_SCENARIOS_H

#include <stddef.h>
#include <stdint.h>

struct svm_backend;

/**
 * svm_scenarios_open() - open the backend the scenarios run on, or skip
 * @b: the backend (NULL: out of memory)
 *
 * Call it from an igt_fixture() before svm_scenarios(): when the backend
 * cannot open (no GPU, no driver, no HMM) the subtests that follow skip
 * with the reason the backend gave.
 */
void svm_scenarios_open(struct svm_backend *b);

/**
 * svm_scenarios() - the shared SVM subtests, on @on
 * @on: the backend, opened by svm_scenarios_open() in a fixture before
 *
 * Call it from igt_main(): it declares the subtests.
 */
void svm_scenarios(struct svm_backend *on);

/**
 * svm_check_gpu_follows_cpu() - the GPU sees what the CPU sees, both ways
 * @buf: @n words the caller changed under the GPU (split, collapsed,
 *	migrated their pages...)
 * @dst: @n words for the GPU's copy
 * @n: how many words
 * @seed: the pattern the CPU writes into @buf
 *
 * The GPU reads what the CPU writes now, and its read-modify-write reaches
 * the CPU. Runs on the backend svm_scenarios() was given.
 */
void svm_check_gpu_follows_cpu(uint32_t *buf, uint32_t *dst, size_t n,
			       uint32_t seed);

/**
 * svm_fill_pages_and_check() - one GPU store per page, checked by the CPU
 * @p: the memory
 * @len: its length, a multiple of the page size
 * @first: the GPU writes @first + i into the first u32 of page i
 *
 * Runs on the backend svm_scenarios() was given.
 */
void svm_fill_pages_and_check(uint8_t *p, size_t len, uint32_t first);

#endif /* NEUF_SVM_SCENARIOS_H */
