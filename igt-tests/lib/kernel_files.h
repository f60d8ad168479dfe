/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * The kernel's text files (sysfs, procfs, debugfs, tracefs, cgroupfs),
 * for tests and tools alike: errno-style, no IGT, no hidden state.
 */
#ifndef NEUF_KERNEL_FILES_H
#define NEUF_KERNEL_FILES_H

#include <stdbool.h>

/**
 * kfile_write() - write @text to the file at @path in one write()
 * @path: the file
 * @text: what to write
 *
 * Return: 0, or a negative errno (-EIO for a short write).
 */
int kfile_write(const char *path, const char *text);

/**
 * kfile_read_number() - the number a file starts with
 * @path: the file
 *
 * Return: the number, or -1 if the file cannot be read or holds none.
 */
long long kfile_read_number(const char *path);

/**
 * kfile_read_key() - the number after "@key " on a line of a file
 * @path: the file, of "KEY VALUE" lines (e.g. a cgroup's memory.stat)
 * @key: the key
 *
 * Return: the number on the last such line, or -1 without one.
 */
long long kfile_read_key(const char *path, const char *key);

/**
 * kfile_has_word() - whether a file's first 4 KiB hold @word, whole
 * @path: the file, of words separated by spaces and new lines
 * @word: the word
 *
 * Return: true if it does; false if not, or if the file cannot be read.
 */
bool kfile_has_word(const char *path, const char *word);

#endif /* NEUF_KERNEL_FILES_H */
