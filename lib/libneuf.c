// SPDX-License-Identifier: MIT
/*
 * Copyright 2026 The neuf authors
 */
#include "libneuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>

#define MAX_DRM_DEVICES 64

struct neuf_device {
	int fd;
	char *node;
};

/* Is the DRM node open on @fd driven by neuf? */
static int fd_is_neuf(int fd)
{
	drmVersionPtr version = drmGetVersion(fd);
	bool neuf;

	if (!version)
		return -errno ? -errno : -EIO;
	neuf = version->name && strcmp(version->name, NEUF_DRIVER_NAME) == 0;
	drmFreeVersion(version);
	return neuf;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/*
 * Walk the render nodes, in the order of their minors, and call @fn on each
 * neuf one until @fn returns non-zero. Returns what @fn returned, 0 when
 * the walk ended, or a negative errno. A node that cannot be opened is
 * passed over (it may be another driver's, closed to us); the first such
 * error is left in @open_err, 0 if none. A node that went away after it
 * was listed (unbound, unloaded: ENOENT, ENXIO, ENODEV) is no error.
 *
 * Not through drmGetDevices2(): libdrm tells platform devices apart by
 * their device-tree name, or without one by their module alias, so two neuf
 * GPUs (both "platform:neuf") fold into one entry that keeps one render
 * node. libdrm still says which nodes are render nodes and which driver
 * drives them.
 */
static int for_each_neuf_node(int (*fn)(const char *node, int fd,
					unsigned int index, void *data),
			      void *data, int *open_err)
{
	unsigned int minors[MAX_DRM_DEVICES], count = 0, index = 0, m;
	char node[64];
	struct dirent *dent;
	int ret = 0;
	DIR *dir;

	*open_err = 0;
	dir = opendir(DRM_DIR_NAME);
	if (!dir)	/* no /dev/dri: no DRM device at all */
		return errno == ENOENT ? 0 : -errno;
	while ((dent = readdir(dir)) && count < MAX_DRM_DEVICES) {
		char end;

		if (sscanf(dent->d_name, "renderD%u%c", &m, &end) == 1)
			minors[count++] = m;
	}
	closedir(dir);
	qsort(minors, count, sizeof(minors[0]), cmp_uint);

	for (unsigned int i = 0; i < count && ret == 0; i++) {
		int fd, is_neuf;

		snprintf(node, sizeof(node), "%s/renderD%u", DRM_DIR_NAME,
			 minors[i]);
		fd = open(node, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			if (!*open_err && errno != ENOENT && errno != ENXIO &&
			    errno != ENODEV)
				*open_err = -errno;
			continue;
		}
		is_neuf = drmGetNodeTypeFromFd(fd) == DRM_NODE_RENDER ?
			  fd_is_neuf(fd) : 0;
		if (is_neuf > 0)
			ret = fn(node, fd, index++, data);
		else
			close(fd);
	}
	return ret;
}

static int count_one(const char *node, int fd, unsigned int index, void *data)
{
	(void)node;
	(void)index;
	close(fd);
	++*(int *)data;
	return 0;
}

int neuf_device_count(void)
{
	int count = 0, open_err = 0, ret;

	ret = for_each_neuf_node(count_one, &count, &open_err);
	if (ret < 0)
		return ret;
	/*
	 * None found: as in neuf_device_open(), a node that would not open
	 * may have been one.
	 */
	if (!count && open_err)
		return open_err;
	return count;
}

struct open_args {
	unsigned int index;
	struct neuf_device *dev;
};

static struct neuf_device *device_new(int fd, const char *node)
{
	struct neuf_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->node = strdup(node);
	if (!dev->node) {
		free(dev);
		return NULL;
	}
	dev->fd = fd;
	return dev;
}

static int open_one(const char *node, int fd, unsigned int index, void *data)
{
	struct open_args *args = data;

	if (index != args->index) {
		close(fd);
		return 0;
	}
	args->dev = device_new(fd, node);
	if (!args->dev) {
		close(fd);
		return -ENOMEM;
	}
	return 1;
}

int neuf_device_open(unsigned int index, struct neuf_device **out)
{
	struct open_args args = { .index = index };
	int open_err = 0, ret;

	ret = for_each_neuf_node(open_one, &args, &open_err);
	if (ret < 0)
		return ret;
	/* Not found: a node that would not open may have been it. */
	if (!args.dev)
		return open_err ? open_err : -ENODEV;
	*out = args.dev;
	return 0;
}

int neuf_device_open_fd(int fd, struct neuf_device **out)
{
	struct neuf_device *dev;
	char *node;
	int ret;

	ret = fd_is_neuf(fd);
	if (ret < 0)
		return ret;
	if (!ret)
		return -ENODEV;

	node = drmGetDeviceNameFromFd2(fd);
	dev = device_new(fd, node ? node : "");
	free(node);
	if (!dev)
		return -ENOMEM;
	*out = dev;
	return 0;
}

void neuf_device_close(struct neuf_device *dev)
{
	if (!dev)
		return;
	close(dev->fd);
	free(dev->node);
	free(dev);
}

int neuf_device_fd(const struct neuf_device *dev)
{
	return dev->fd;
}

const char *neuf_device_node(const struct neuf_device *dev)
{
	return dev->node;
}

int neuf_getparam(struct neuf_device *dev, uint32_t param, uint64_t *value)
{
	struct drm_neuf_getparam args = { .param = param };

	if (drmIoctl(dev->fd, DRM_IOCTL_NEUF_GETPARAM, &args))
		return -errno;
	*value = args.value;
	return 0;
}

const char *neuf_param_name(uint32_t param)
{
	switch (param) {
	case NEUF_PARAM_CHIP_ID:
		return "chip-id";
	case NEUF_PARAM_CHIP_REVISION:
		return "chip-revision";
	case NEUF_PARAM_NUM_ENGINES:
		return "num-engines";
	case NEUF_PARAM_VA_BITS:
		return "va-bits";
	case NEUF_PARAM_PAGE_SIZES:
		return "page-sizes";
	case NEUF_PARAM_FAULT_BUFFER_ENTRIES:
		return "fault-buffer-entries";
	case NEUF_PARAM_MAX_VMS:
		return "max-vms";
	case NEUF_PARAM_VRAM_SIZE:
		return "vram-size";
	default:
		return NULL;
	}
}

int neuf_vm_create(struct neuf_device *dev, uint32_t flags, uint32_t *vm_id)
{
	struct drm_neuf_vm_create args = { .flags = flags };

	if (drmIoctl(dev->fd, DRM_IOCTL_NEUF_VM_CREATE, &args))
		return -errno;
	*vm_id = args.vm_id;
	return 0;
}

int neuf_vm_destroy(struct neuf_device *dev, uint32_t vm_id)
{
	struct drm_neuf_vm_destroy args = { .vm_id = vm_id };

	return drmIoctl(dev->fd, DRM_IOCTL_NEUF_VM_DESTROY, &args) ? -errno : 0;
}

int neuf_exec(struct neuf_device *dev, uint32_t vm_id,
	      const struct neuf_dispatch *d, uint64_t *job_id)
{
	struct drm_neuf_exec args = {
		.vm_id = vm_id,
		.code = d->code,
		.grid_size = d->grid_size,
		.group_size = d->group_size,
		.in_syncobjs = (uint64_t)(uintptr_t)d->in_syncobjs,
		.num_in_syncobjs = d->num_in_syncobjs,
		.out_syncobj = d->out_syncobj,
	};

	memcpy(args.args, d->args, sizeof(args.args));
	if (drmIoctl(dev->fd, DRM_IOCTL_NEUF_EXEC, &args))
		return -errno;
	if (job_id)
		*job_id = args.job_id;
	return 0;
}

int neuf_job_status(struct neuf_device *dev, uint32_t vm_id, uint64_t job_id,
		    struct drm_neuf_job_status *st)
{
	struct drm_neuf_job_status args = { .vm_id = vm_id, .job_id = job_id };

	if (drmIoctl(dev->fd, DRM_IOCTL_NEUF_JOB_STATUS, &args))
		return -errno;
	*st = args;
	return 0;
}

int neuf_vm_stats(struct neuf_device *dev, uint32_t vm_id,
		  struct drm_neuf_vm_stats *stats)
{
	struct drm_neuf_vm_stats args = { .vm_id = vm_id };

	if (drmIoctl(dev->fd, DRM_IOCTL_NEUF_VM_STATS, &args))
		return -errno;
	*stats = args;
	return 0;
}

int neuf_device_stats(struct neuf_device *dev,
		      struct drm_neuf_device_stats *stats)
{
	struct drm_neuf_device_stats args = { 0 };

	if (drmIoctl(dev->fd, DRM_IOCTL_NEUF_DEVICE_STATS, &args))
		return -errno;
	*stats = args;
	return 0;
}

int neuf_svm_attr(struct neuf_device *dev, struct drm_neuf_svm_attr *args)
{
	if (drmIoctl(dev->fd, DRM_IOCTL_NEUF_SVM_ATTR, args))
		return -errno;
	return 0;
}

/* CLOCK_MONOTONIC now + @rel_ns, as drmSyncobjWait() wants, saturating. */
static int64_t deadline_ns(int64_t rel_ns)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (rel_ns <= 0)
		return now;
	if (rel_ns > INT64_MAX - now)
		return INT64_MAX;
	return now + rel_ns;
}

int neuf_run(struct neuf_device *dev, uint32_t vm_id,
	     const struct neuf_dispatch *d, int64_t timeout_ns,
	     struct drm_neuf_job_status *st)
{
	struct neuf_dispatch mine = *d;
	uint64_t job_id = 0;
	uint32_t syncobj;
	int ret, status_ret;

	memset(st, 0, sizeof(*st));
	st->vm_id = vm_id;
	if (drmSyncobjCreate(dev->fd, 0, &syncobj))
		return -errno;
	mine.out_syncobj = syncobj;
	ret = neuf_exec(dev, vm_id, &mine, &job_id);
	if (ret)
		goto out;
	st->job_id = job_id;
	/* libdrm returns -1 or -errno here depending on the call: use errno. */
	if (drmSyncobjWait(dev->fd, &syncobj, 1, deadline_ns(timeout_ns), 0,
			   NULL))
		ret = -errno;
	/* Even after a timeout, tell the caller where the job is. */
	status_ret = neuf_job_status(dev, vm_id, job_id, st);
	if (!ret)
		ret = status_ret;
out:
	drmSyncobjDestroy(dev->fd, syncobj);
	return ret;
}

const char *neuf_access_name(uint32_t access)
{
	switch (access) {
	case NEUF_ACCESS_KIND_READ:
		return "read";
	case NEUF_ACCESS_KIND_WRITE:
		return "write";
	case NEUF_ACCESS_KIND_ATOMIC:
		return "atomic";
	case NEUF_ACCESS_KIND_PREFETCH:
		return "prefetch";
	default:
		return "unknown";
	}
}
