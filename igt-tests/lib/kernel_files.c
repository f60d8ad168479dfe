// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_files.h"

int kfile_write(const char *path, const char *text)
{
	ssize_t len = (ssize_t)strlen(text), n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, text, (size_t)len);
	n = n == len ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return (int)n;
}

long long kfile_read_number(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

long long kfile_read_key(const char *path, const char *key)
{
	size_t klen = strlen(key);
	long long value = -1;
	char line[256];
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			value = strtoll(line + klen + 1, NULL, 10);
	fclose(f);
	return value;
}

bool kfile_has_word(const char *path, const char *word)
{
	char buf[4096], *save = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *s = strtok_r(buf, " \n", &save); s;
	     s = strtok_r(NULL, " \n", &save))
		if (!strcmp(s, word))
			return true;
	return false;
}
