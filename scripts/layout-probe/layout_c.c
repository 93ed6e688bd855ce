// SPDX-License-Identifier: GPL-2.0
/*
 * Where C puts the task_struct fields that Rust code reads, for
 * scripts/layout.sh to compare with layout_rs.rs. Never loaded.
 */
#include <linux/module.h>
#include <linux/sched.h>

/* In the order of LAYOUT_FIELDS in scripts/layout.sh. */
const unsigned long auditns_layout_c[] = {
	sizeof(struct task_struct),
	offsetof(struct task_struct, pid),
	offsetof(struct task_struct, tgid),
	offsetof(struct task_struct, real_parent),
	offsetof(struct task_struct, group_leader),
	offsetof(struct task_struct, children),
	offsetof(struct task_struct, start_time),
	offsetof(struct task_struct, audit_context),
};
EXPORT_SYMBOL_GPL(auditns_layout_c);

MODULE_DESCRIPTION("task_struct layout probe, C side");
MODULE_LICENSE("GPL");
