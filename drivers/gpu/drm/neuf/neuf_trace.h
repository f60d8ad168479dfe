/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright 2026 The neuf authors
 *
 * Tracepoints of neuf's SVM core and job path, under events/neuf/.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM neuf

#if !defined(__NEUF_TRACE_H__) || defined(TRACE_HEADER_MULTI_READ)
#define __NEUF_TRACE_H__

#include <linux/tracepoint.h>
#include <linux/types.h>

TRACE_EVENT(neuf_svm_fault,
	    TP_PROTO(u32 instance, u64 addr, u8 access, u8 engines),
	    TP_ARGS(instance, addr, access, engines),
	    TP_STRUCT__entry(__field(u32, instance)
			     __field(u64, addr)
			     __field(u8, access)
			     __field(u8, engines)),
	    TP_fast_assign(__entry->instance = instance;
			   __entry->addr = addr;
			   __entry->access = access;
			   __entry->engines = engines;),
	    TP_printk("instance=%u addr=0x%llx access=%s engines=0x%x",
		      __entry->instance, __entry->addr,
		      __print_symbolic(__entry->access, { 0, "read" },
				       { 1, "write" }, { 2, "atomic" },
				       { 3, "prefetch" }),
		      __entry->engines)
);

TRACE_EVENT(neuf_svm_map,
	    TP_PROTO(u32 instance, u64 addr, u64 pte),
	    TP_ARGS(instance, addr, pte),
	    TP_STRUCT__entry(__field(u32, instance)
			     __field(u64, addr)
			     __field(u64, pte)),
	    TP_fast_assign(__entry->instance = instance;
			   __entry->addr = addr;
			   __entry->pte = pte;),
	    TP_printk("instance=%u addr=0x%llx pte=0x%llx",
		      __entry->instance, __entry->addr, __entry->pte)
);

TRACE_EVENT(neuf_svm_invalidate,
	    TP_PROTO(u32 instance, u64 start, u64 end, int event, bool blockable,
		     unsigned long cleared),
	    TP_ARGS(instance, start, end, event, blockable, cleared),
	    TP_STRUCT__entry(__field(u32, instance)
			     __field(u64, start)
			     __field(u64, end)
			     __field(int, event)
			     __field(bool, blockable)
			     __field(unsigned long, cleared)),
	    TP_fast_assign(__entry->instance = instance;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->event = event;
			   __entry->blockable = blockable;
			   __entry->cleared = cleared;),
	    TP_printk("instance=%u 0x%llx-0x%llx event=%d blockable=%d cleared=%lu",
		      __entry->instance, __entry->start, __entry->end,
		      __entry->event, __entry->blockable, __entry->cleared)
);

TRACE_EVENT(neuf_svm_replay,
	    TP_PROTO(unsigned int entries, unsigned int faults, unsigned int cancelled),
	    TP_ARGS(entries, faults, cancelled),
	    TP_STRUCT__entry(__field(unsigned int, entries)
			     __field(unsigned int, faults)
			     __field(unsigned int, cancelled)),
	    TP_fast_assign(__entry->entries = entries;
			   __entry->faults = faults;
			   __entry->cancelled = cancelled;),
	    TP_printk("entries=%u distinct=%u cancelled=%u",
		      __entry->entries, __entry->faults, __entry->cancelled)
);

TRACE_EVENT(neuf_job_run,
	    TP_PROTO(u32 instance, u64 job, unsigned int engine),
	    TP_ARGS(instance, job, engine),
	    TP_STRUCT__entry(__field(u32, instance)
			     __field(u64, job)
			     __field(unsigned int, engine)),
	    TP_fast_assign(__entry->instance = instance;
			   __entry->job = job;
			   __entry->engine = engine;),
	    TP_printk("instance=%u job=%llu engine=%u",
		      __entry->instance, __entry->job, __entry->engine)
);

TRACE_EVENT(neuf_job_end,
	    TP_PROTO(u32 instance, u64 job, int error, u64 addr),
	    TP_ARGS(instance, job, error, addr),
	    TP_STRUCT__entry(__field(u32, instance)
			     __field(u64, job)
			     __field(int, error)
			     __field(u64, addr)),
	    TP_fast_assign(__entry->instance = instance;
			   __entry->job = job;
			   __entry->error = error;
			   __entry->addr = addr;),
	    TP_printk("instance=%u job=%llu error=%d addr=0x%llx",
		      __entry->instance, __entry->job, __entry->error,
		      __entry->addr)
);

TRACE_EVENT(neuf_dmem_migrate,
	    TP_PROTO(int minor, u64 start, u64 end, bool to_vram,
		     unsigned int pages),
	    TP_ARGS(minor, start, end, to_vram, pages),
	    TP_STRUCT__entry(__field(int, minor)
			     __field(u64, start)
			     __field(u64, end)
			     __field(bool, to_vram)
			     __field(unsigned int, pages)),
	    TP_fast_assign(__entry->minor = minor;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->to_vram = to_vram;
			   __entry->pages = pages;),
	    TP_printk("minor=%d range=0x%llx-0x%llx to=%s pages=%u",
		      __entry->minor, __entry->start, __entry->end,
		      __entry->to_vram ? "vram" : "system", __entry->pages)
);

TRACE_EVENT(neuf_dmem_evict,
	    TP_PROTO(int minor, u64 offset, unsigned int pages),
	    TP_ARGS(minor, offset, pages),
	    TP_STRUCT__entry(__field(int, minor)
			     __field(u64, offset)
			     __field(unsigned int, pages)),
	    TP_fast_assign(__entry->minor = minor;
			   __entry->offset = offset;
			   __entry->pages = pages;),
	    TP_printk("minor=%d vram=0x%llx pages=%u", __entry->minor,
		      __entry->offset, __entry->pages)
);

#endif /* __NEUF_TRACE_H__ */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE neuf_trace
#include <trace/define_trace.h>
