/* SPDX-License-Identifier: MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * libneuf: userspace access to neuf GPUs, over libdrm.
 *
 * Every function returns 0 (or a non-negative value where documented) on
 * success and a negative errno on failure; none of them touches errno's
 * meaning for the caller or keeps global state.
 */
#ifndef LIBNEUF_H
#define LIBNEUF_H

#include <stddef.h>
#include <stdint.h>

#include <drm/neuf_drm.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Name the neuf kernel driver registers with DRM. */
#define NEUF_DRIVER_NAME "neuf"

/** An open neuf render node. */
struct neuf_device;

/**
 * neuf_device_count() - count the neuf GPUs in the system
 *
 * Enumerates DRM devices with drmGetDevices2() and counts those with a
 * render node driven by neuf.
 *
 * Return: the number of neuf GPUs, or a negative errno.
 */
int neuf_device_count(void);

/**
 * neuf_device_open() - open the render node of a neuf GPU
 * @index: which neuf GPU, in drmGetDevices2() order, from 0
 * @out: the opened device, to be closed with neuf_device_close()
 *
 * Return: 0, -ENODEV if there is no such GPU, or another negative errno.
 */
int neuf_device_open(unsigned int index, struct neuf_device **out);

/**
 * neuf_device_open_fd() - wrap an already open DRM fd
 * @fd: an fd of a DRM node; on success the device owns it
 * @out: the device, to be closed with neuf_device_close()
 *
 * Return: 0, -ENODEV if @fd is not a neuf node, or another negative errno.
 */
int neuf_device_open_fd(int fd, struct neuf_device **out);

/** neuf_device_close() - close a device and its fd; NULL is a no-op. */
void neuf_device_close(struct neuf_device *dev);

/** neuf_device_fd() - the device's DRM fd, for drm* calls. */
int neuf_device_fd(const struct neuf_device *dev);

/** neuf_device_node() - path of the device node, e.g. /dev/dri/renderD128. */
const char *neuf_device_node(const struct neuf_device *dev);

/**
 * neuf_getparam() - read a device parameter
 * @dev: the device
 * @param: one of &enum drm_neuf_param
 * @value: the value read
 *
 * Return: 0 or a negative errno (-EINVAL for an unknown @param).
 */
int neuf_getparam(struct neuf_device *dev, uint32_t param, uint64_t *value);

/**
 * neuf_param_name() - printable name of a parameter, or NULL if unknown
 * @param: one of &enum drm_neuf_param
 */
const char *neuf_param_name(uint32_t param);

/** Lowest and highest parameter ids this library knows. */
#define NEUF_PARAM_FIRST NEUF_PARAM_CHIP_ID
#define NEUF_PARAM_LAST NEUF_PARAM_FAULT_BUFFER_ENTRIES

#ifdef __cplusplus
}
#endif

#endif /* LIBNEUF_H */
