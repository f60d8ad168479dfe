// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * Measurement helpers shared by neuf-bench and neuf-bench-nvidia (see
 * bench_util.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

const char *const bench_mode_names[BENCH_NUM_MODES] = { "read", "write", "rw" };

uint64_t bench_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void bench_die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", bench_prog, what, strerror(err));
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_quantile(double *v, unsigned int n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(unsigned int)(q * (n - 1) + 0.5)];
}

void bench_populate(uint8_t *p, size_t len)
{
	for (size_t off = 0; off < len; off += BENCH_PAGE_SZ)
		p[off] = (uint8_t)(off >> 12) | 1;
}

uint64_t bench_cpu_pass(enum bench_mode m, uint8_t *p, size_t npages)
{
	volatile uint8_t *v = p;
	uint64_t t0 = bench_now_ns();
	uint8_t sum = 0;

	for (size_t i = 0; i < npages; i++) {
		if (m != BENCH_WRITE)
			sum += v[i * BENCH_PAGE_SZ];
		if (m != BENCH_READ)
			v[i * BENCH_PAGE_SZ] = (uint8_t)(sum + i);
	}
	return bench_now_ns() - t0;
}

unsigned int bench_for_each_item(const char *arg,
				 void (*one)(void *ctx, const char *item),
				 void *ctx)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	unsigned int n = 0;

	if (!copy)
		bench_die("strdup", ENOMEM);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), n++)
		one(ctx, tok);
	free(copy);
	return n;
}

unsigned int bench_parse_count(const char *s, unsigned int max)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v || v > max)
		return 0;
	return (unsigned int)v;
}

struct size_list {
	unsigned int *sizes;
	unsigned int max;
	unsigned int n;
	bool bad;
};

static void add_size(void *ctx, const char *mib)
{
	struct size_list *l = ctx;
	unsigned int v = bench_parse_count(mib, 4096);

	if (!v || l->n == l->max)
		l->bad = true;
	else
		l->sizes[l->n++] = v;
}

unsigned int bench_parse_sizes(const char *arg, unsigned int *sizes,
			       unsigned int max)
{
	struct size_list l = { .sizes = sizes, .max = max };

	bench_for_each_item(arg, add_size, &l);
	return l.bad ? 0 : l.n;
}

struct case_list {
	const char *const *names;
	unsigned int bits;
	bool bad;
};

static void add_case(void *ctx, const char *name)
{
	struct case_list *l = ctx;
	unsigned int i;

	for (i = 0; l->names[i]; i++)
		if (!strcmp(name, l->names[i]))
			break;
	if (!l->names[i])
		l->bad = true;
	else
		l->bits |= 1u << i;
}

unsigned int bench_parse_cases(const char *arg, const char *const *names)
{
	struct case_list l = { .names = names };

	bench_for_each_item(arg, add_case, &l);
	return l.bad ? 0 : l.bits;
}

void bench_json_sep(FILE *f, bool *first)
{
	fprintf(f, "%s\n    ", *first ? "" : ",");
	*first = false;
}

int bench_take_option(struct bench_options *o, const char *name,
		      const char *value, const char *const *cases,
		      unsigned int max_samples)
{
	if (!strcmp(name, "--sizes")) {
		o->num_sizes = bench_parse_sizes(value, o->sizes,
						 BENCH_MAX_SIZES);
		return o->num_sizes ? 1 : -1;
	}
	if (!strcmp(name, "--only")) {
		o->only = bench_parse_cases(value, cases);
		return o->only ? 1 : -1;
	}
	if (!strcmp(name, "--runs")) {
		o->runs = bench_parse_count(value, BENCH_MAX_RUNS);
		return o->runs ? 1 : -1;
	}
	if (!strcmp(name, "--samples")) {
		o->samples = bench_parse_count(value, max_samples);
		return o->samples >= 2 ? 1 : -1;
	}
	if (!strcmp(name, "--out")) {
		o->out = value;
		return 1;
	}
	return 0;
}
