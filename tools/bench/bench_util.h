/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Measurement helpers shared by neuf-bench (neuf against test_hmm and the
 * CPU, in the guest) and neuf-bench-nvidia (an NVIDIA GPU against the CPU,
 * on the host): the clock, the CPU's own pass over memory, quantiles, the
 * command line's lists and the JSON records' separators, so that both
 * measure and report the same way.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The benchmarks touch memory once per page of this size. */
#define BENCH_PAGE_SZ 4096ul

/**
 * enum bench_mode - how a pass touches each page
 * @BENCH_READ: one load
 * @BENCH_WRITE: one store
 * @BENCH_RW: a load, then a store
 * @BENCH_NUM_MODES: the number of modes
 */
enum bench_mode { BENCH_READ, BENCH_WRITE, BENCH_RW, BENCH_NUM_MODES };

/* The modes' names in the JSON records: "read", "write", "rw". */
extern const char *const bench_mode_names[BENCH_NUM_MODES];

/*
 * The program's name, which starts bench_die()'s messages: each tool
 * defines it.
 */
extern const char bench_prog[];

/**
 * bench_now_ns() - the monotonic clock
 *
 * Return: CLOCK_MONOTONIC in nanoseconds.
 */
uint64_t bench_now_ns(void);

/**
 * bench_die() - print "PROG: @what: strerror(@err)" on stderr and exit(1)
 * @what: what failed
 * @err: a positive errno
 */
void bench_die(const char *what, int err);

/**
 * bench_quantile() - the value at a fraction of some samples
 * @v: the samples, sorted in place
 * @n: how many (at least one)
 * @q: the fraction, from 0 to 1 (0.5: the median)
 *
 * Return: the value at fraction @q of the sorted @v; after the call @v[0]
 * is the minimum and @v[@n - 1] the maximum.
 */
double bench_quantile(double *v, unsigned int n, double q);

/**
 * bench_populate() - have the CPU write one byte in each page
 * @p: the memory, page aligned
 * @len: its length in bytes
 */
void bench_populate(uint8_t *p, size_t len);

/**
 * bench_cpu_pass() - one access per page by the CPU
 * @m: the access
 * @p: the first page
 * @npages: how many pages
 *
 * Return: the pass's wall time in nanoseconds.
 */
uint64_t bench_cpu_pass(enum bench_mode m, uint8_t *p, size_t npages);

/**
 * bench_for_each_item() - call a function for each item of a comma list
 * @arg: the list ("P1,P3")
 * @one: called with @ctx and each non-empty item, in order
 * @ctx: passed to @one
 *
 * Return: the number of items (0: the list is empty, a usage error).
 */
unsigned int bench_for_each_item(const char *arg,
				 void (*one)(void *ctx, const char *item),
				 void *ctx);

/* The most --runs and --sizes the benchmarks take. */
#define BENCH_MAX_RUNS 64
#define BENCH_MAX_SIZES 16

/**
 * struct bench_options - the command-line options both benchmarks take
 * @sizes: --sizes, in MiB
 * @num_sizes: how many
 * @only: --only: bit i set to run the case named i
 * @runs: --runs: runs per figure
 * @samples: --samples: P3's samples
 * @out: --out: the JSON's path, NULL for stdout
 */
struct bench_options {
	unsigned int sizes[BENCH_MAX_SIZES];
	unsigned int num_sizes;
	unsigned int only;
	unsigned int runs;
	unsigned int samples;
	const char *out;
};

/* Their defaults: every size and case, 5 runs, 200 samples, stdout. */
#define BENCH_OPTIONS_DEFAULT { .sizes = { 1, 4, 16, 64, 256 }, \
	.num_sizes = 5, .only = ~0u, .runs = 5, .samples = 200 }

/**
 * bench_take_option() - take one of the options of struct bench_options
 * @o: the options
 * @name: the option, e.g. "--runs"
 * @value: its value
 * @cases: --only's case names, NULL-terminated
 * @max_samples: the most --samples allowed
 *
 * Return: 1 if @name is one of them and @value is good, 0 if @name is not
 * one of them, -1 if @value is not good (a usage error). --samples must
 * be at least 2.
 */
int bench_take_option(struct bench_options *o, const char *name,
		      const char *value, const char *const *cases,
		      unsigned int max_samples);

/**
 * bench_parse_count() - parse a count option's value (--runs, --samples)
 * @s: the value, decimal
 * @max: the largest count allowed
 *
 * Return: the count, or 0 if @s is not a decimal number from 1 to @max
 * and nothing else (a usage error).
 */
unsigned int bench_parse_count(const char *s, unsigned int max);

/**
 * bench_parse_sizes() - parse --sizes: a comma list of MiB counts
 * @arg: the list ("1,4,16")
 * @sizes: filled with the sizes, in order
 * @max: room in @sizes
 *
 * Return: the number of sizes, or 0 if the list is empty, holds a size
 * that is not from 1 to 4096, or holds more than @max (a usage error).
 */
unsigned int bench_parse_sizes(const char *arg, unsigned int *sizes,
			       unsigned int max);

/**
 * bench_parse_cases() - parse --only: a comma list of case names
 * @arg: the list ("P1,P3")
 * @names: the cases' names, NULL-terminated (at most 32)
 *
 * Return: bit i set for each item that is @names[i], or 0 if the list is
 * empty or holds a name not in @names (a usage error).
 */
unsigned int bench_parse_cases(const char *arg, const char *const *names);

/**
 * bench_json_sep() - start a record of a JSON list: a comma after the
 * previous one, a new line and the records' indent
 * @f: the JSON
 * @first: true before the first record of the list; cleared
 */
void bench_json_sep(FILE *f, bool *first);

#endif /* BENCH_UTIL_H */
