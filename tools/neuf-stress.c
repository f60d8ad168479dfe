// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 *
 * neuf-stress: run one part of make stress (tools/stress/) at length and
 * write its figures as JSON. Exit status 0: the part found nothing; 1: it
 * found something (printed); 2: usage; 77: it cannot run here.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "neuf_stress.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: neuf-stress PART [--seed N] [--procs N] [--ops N]\n"
		"                   [--device N] [--job-timeout-ms MS] [--no-compaction]\n"
		"                   [--json FILE]\n"
		"  PART              churn, oom, hang, unbind, isolation or alloc\n"
		"  --seed N          replay a run (default: from the clock; printed)\n"
		"  --procs N         processes (churn: 8; hang: VMs beside the hung one: 2)\n"
		"  --ops N           churn: mm operations per process (10000); oom: kills\n"
		"                    (100); hang, unbind: rounds (50); isolation: tries\n"
		"                    of each scenario (20); alloc: neuf's functions to\n"
		"                    sweep one by one (0: all)\n"
		"  --device N        which neuf device (0)\n"
		"  --job-timeout-ms  hang: the job watchdog during the part (500)\n"
		"  --no-compaction   churn: never compact all of memory (as make check)\n"
		"  --json FILE       write the figures as JSON\n");
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "procs", required_argument, NULL, 'p' },
		{ "ops", required_argument, NULL, 'o' },
		{ "device", required_argument, NULL, 'd' },
		{ "job-timeout-ms", required_argument, NULL, 't' },
		{ "no-compaction", no_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const uint64_t default_ops[NEUF_STRESS_PARTS] = {
		[NEUF_STRESS_CHURN] = 10000, [NEUF_STRESS_OOM] = 100,
		[NEUF_STRESS_HANG] = 50, [NEUF_STRESS_UNBIND] = 50,
		[NEUF_STRESS_ISOLATION] = 20, [NEUF_STRESS_ALLOC] = 0,
	};
	struct neuf_stress_config cfg = { .log = stderr };
	enum neuf_stress_part part = NEUF_STRESS_PARTS;
	struct neuf_stress_report rep;
	const char *json = NULL;
	char replay[160];
	bool seeded = false;
	struct timespec ts;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': cfg.seed = number(optarg); seeded = true; break;
		case 'p': cfg.procs = (unsigned int)number(optarg); break;
		case 'o': cfg.ops = number(optarg); break;
		case 'd': cfg.device = (unsigned int)number(optarg); break;
		case 't': cfg.job_timeout_ms = (unsigned int)number(optarg); break;
		case 'c': cfg.no_compaction = true; break;
		case 'j': json = optarg; break;
		default: usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	for (unsigned int p = 0; p < NEUF_STRESS_PARTS; p++)
		if (!strcmp(argv[optind], neuf_stress_part_name(p)))
			part = p;
	if (part == NEUF_STRESS_PARTS || cfg.procs > 64)
		usage();
	if (!cfg.ops)
		cfg.ops = default_ops[part];
	if (!cfg.procs)
		cfg.procs = part == NEUF_STRESS_CHURN ? 8 : 2;
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &ts);
		cfg.seed = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	printf("neuf-stress: %s, seed %" PRIu64 ", %u processes, %" PRIu64
	       " operations (replay: %s)\n", argv[optind], cfg.seed, cfg.procs,
	       cfg.ops, neuf_stress_replay(part, &cfg, replay, sizeof(replay)));
	fflush(stdout);

	ret = neuf_stress_run(part, &cfg, &rep);
	if (ret == -EOPNOTSUPP) {
		printf("neuf-stress: %s cannot run here\n", argv[optind]);
		return 77;
	}
	if (ret) {
		fprintf(stderr, "neuf-stress: could not run: %s\n", strerror(-ret));
		return 2;
	}
	printf("neuf-stress: %s in %.1f s: %" PRIu64 " processes, %" PRIu64
	       " operations, %" PRIu64 " jobs (%" PRIu64 " failed on purpose), %"
	       PRIu64 " events, %" PRIu64 " recovered, %" PRIu64 " attempts, %"
	       PRIu64 " escapes, %" PRIu64 " of %" PRIu64 " bytes wrong, %"
	       PRIu64 " failures\n", argv[optind], (double)rep.usec / 1e6,
	       rep.procs, rep.ops, rep.jobs, rep.jobs_failed, rep.events,
	       rep.recovered, rep.attempts, rep.escapes, rep.wrong_bytes,
	       rep.bytes_checked, rep.failures);
	if (rep.first[0])
		printf("neuf-stress: first: %s\n", rep.first);
	if (json) {
		FILE *fp = fopen(json, "w");

		if (!fp) {
			fprintf(stderr, "neuf-stress: %s: %s\n", json, strerror(errno));
			return 2;
		}
		neuf_stress_write_json(fp, part, &cfg, &rep);
		fclose(fp);
	}
	return neuf_stress_problems(&rep) ? 1 : 0;
}
