// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf-fuzz: fuzz neuf's ioctls (tools/fuzz/neuf_fuzz.c says how), and
 * say what it found. The seed comes first in the output; the same seed,
 * calls and workers replay the same calls.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "neuf_fuzz.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: neuf-fuzz [--seed N] [--calls N] [--workers N] [--device N]\n"
		"                 [--job-timeout-ms MS] [--json FILE]\n"
		"  --seed N            the run's seed (default: from the clock, printed)\n"
		"  --calls N           ioctl calls over all workers (default 100000)\n"
		"  --workers N         processes, each with a memory churn thread (2)\n"
		"  --device N          the neuf device's index (0)\n"
		"  --job-timeout-ms MS the job watchdog for the run, put back after\n"
		"                      (default 1000; 0 leaves it as it is)\n"
		"  --json FILE         write the report as JSON\n"
		"Exit status: 0 no finding, 1 findings, 2 could not run.\n");
	exit(2);
}

static uint64_t number(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		usage();
	return v;
}

static void write_json(const char *path, const struct neuf_fuzz_config *c,
		       const struct neuf_fuzz_report *r)
{
	FILE *fp = fopen(path, "w");

	if (!fp) {
		fprintf(stderr, "neuf-fuzz: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(fp, "{\"seed\": %" PRIu64 ", \"workers\": %u, \"calls\": %" PRIu64
		", \"ok\": %" PRIu64 ", \"refused\": %" PRIu64
		", \"unexpected\": %" PRIu64 ", \"wrong\": %" PRIu64
		", \"jobs\": %" PRIu64 ", \"jobs_failed\": %" PRIu64
		", \"jobs_lost\": %" PRIu64 ", \"mm_ops\": %" PRIu64
		", \"forks\": %" PRIu64 ", \"escapes\": %" PRIu64
		", \"tainted\": %s, \"taint\": %lu, \"findings\": %" PRIu64 "}\n",
		c->seed, c->workers, r->calls, r->ok, r->refused, r->unexpected,
		r->wrong, r->jobs, r->jobs_failed, r->jobs_lost, r->mm_ops,
		r->forks, r->escapes, r->tainted ? "true" : "false", r->taint,
		neuf_fuzz_findings(r));
	fclose(fp);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'c' },
		{ "workers", required_argument, NULL, 'w' },
		{ "device", required_argument, NULL, 'd' },
		{ "job-timeout-ms", required_argument, NULL, 't' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct neuf_fuzz_config cfg = {
		.calls = 100000, .workers = 2, .job_timeout_ms = 1000,
		.log = stderr,
	};
	struct neuf_fuzz_report rep;
	const char *json = NULL;
	struct timespec ts;
	bool seeded = false;
	time_t start;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': cfg.seed = number(optarg); seeded = true; break;
		case 'c': cfg.calls = number(optarg); break;
		case 'w': cfg.workers = (unsigned int)number(optarg); break;
		case 'd': cfg.device = (unsigned int)number(optarg); break;
		case 't': cfg.job_timeout_ms = (unsigned int)number(optarg); break;
		case 'j': json = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || !cfg.workers || cfg.workers > 64)
		usage();
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &ts);
		cfg.seed = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	printf("neuf-fuzz: seed %" PRIu64 ", %" PRIu64 " calls, %u workers "
	       "(replay: neuf-fuzz --seed %" PRIu64 " --calls %" PRIu64
	       " --workers %u)\n", cfg.seed, cfg.calls, cfg.workers, cfg.seed,
	       cfg.calls, cfg.workers);
	fflush(stdout);

	start = time(NULL);
	ret = neuf_fuzz_run(&cfg, &rep);
	if (ret) {
		fprintf(stderr, "neuf-fuzz: could not run: %s\n", strerror(-ret));
		return 2;
	}
	printf("neuf-fuzz: %" PRIu64 " calls in %lld s: %" PRIu64 " ok, %" PRIu64
	       " refused, %" PRIu64 " unexpected errnos, %" PRIu64
	       " well-formed calls failed; %" PRIu64 " jobs (%" PRIu64
	       " failed, %" PRIu64 " never ended); %" PRIu64 " memory operations; %"
	       PRIu64 " children, %" PRIu64 " escapes; kernel %s\n",
	       rep.calls, (long long)(time(NULL) - start), rep.ok, rep.refused,
	       rep.unexpected, rep.wrong, rep.jobs, rep.jobs_failed,
	       rep.jobs_lost, rep.mm_ops, rep.forks, rep.escapes,
	       rep.tainted ? "TAINTED" : "not tainted");
	if (rep.first_call)
		printf("neuf-fuzz: first finding: worker %u, call %" PRIu64 ": %s\n",
		       rep.first_worker, rep.first_call, rep.first);
	if (json)
		write_json(json, &cfg, &rep);
	return neuf_fuzz_findings(&rep) ? 1 : 0;
}
