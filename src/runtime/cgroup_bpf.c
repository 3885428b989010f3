/* cgroup_bpf.c - device access control on cgroup v2.
 *
 * cgroup v2 has no devices.allow/deny; the kernel instead asks a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup, once per
 * open/mknod, with a struct bpf_cgroup_dev_ctx. We translate the OCI rule list
 * into such a program so that a rule list means the same on v1 and v2:
 *   - rules are tried from the last to the first and the first match decides
 *     (the last matching rule wins, as each v1 write overrides earlier ones);
 *   - a type 'a' rule is "every device, every access", as v1 treats it, so it
 *     becomes the verdict for everything no later rule matched (and rules
 *     before it can never decide: they are not emitted, the verifier refuses
 *     unreachable code);
 *   - an allow rule matches when the requested access is a subset of the
 *     rule's, a deny rule when it shares any bit with it (asking for rw past a
 *     "deny w" must fail);
 *   - with no 'a' rule the default is allow, as a new v1 cgroup inherits the
 *     root's allow-all.
 * The instructions are written out here (no libbpf): register r1 holds the
 * context, r2..r5 the type, access, major and minor, r1 is reused as scratch
 * once they are loaded. */
#include <inttypes.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/util.h"
#include "cgroup-internal.h"

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R_TYPE BPF_REG_2
#define R_ACCESS BPF_REG_3
#define R_MAJOR BPF_REG_4
#define R_MINOR BPF_REG_5

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)
/* A cgroup's own attachments; more would mean someone else manages it. */
#define MAX_OLD_PROGS 64

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static struct bpf_insn ldx_w(uint8_t dst, uint8_t src, int16_t off)
{
	return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}

static struct bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm)
{
	return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}

static struct bpf_insn mov64_reg(uint8_t dst, uint8_t src)
{
	return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

static struct bpf_insn mov64_imm(uint8_t dst, int32_t imm)
{
	return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

/* Conditional jump whose offset is patched once the rule's block is done. */
static struct bpf_insn jmp_imm(uint8_t op, uint8_t dst, int32_t imm)
{
	return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}

static struct bpf_insn exit_insn(void) { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

struct prog {
	struct bpf_insn *v;
	size_t n, cap;
};

static int emit(struct prog *p, struct bpf_insn i)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct bpf_insn *nv = realloc(p->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		p->v = nv;
		p->cap = cap;
	}
	p->v[p->n++] = i;
	return 0;
}

static int access_bits(const char *s, int32_t *ret)
{
	static const struct {
		char c;
		int32_t bit;
	} table[] = { { 'r', BPF_DEVCG_ACC_READ }, { 'w', BPF_DEVCG_ACC_WRITE }, { 'm', BPF_DEVCG_ACC_MKNOD } };
	int32_t bits = 0;
	for (const char *c = s; *c; c++) {
		size_t i = 0;
		while (i < ARRAY_SIZE(table) && table[i].c != *c)
			i++;
		if (i == ARRAY_SIZE(table))
			return -EINVAL;
		bits |= table[i].bit;
	}
	*ret = bits ? bits : ACC_ALL; /* OCI: no access given means rwm */
	return 0;
}

static bool valid_number(int64_t v) { return v == -1 || (v >= 0 && v <= INT32_MAX); }

/* The checks of one c/b rule; each jumps past the block when it fails. */
static int emit_checks(struct prog *p, const struct rt_device_rule *d, int32_t acc)
{
	int r = emit(p, jmp_imm(BPF_JNE, R_TYPE, d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
	if (r >= 0 && acc != ACC_ALL) {
		r = emit(p, mov64_reg(R1, R_ACCESS));
		if (r >= 0)
			r = emit(p, alu32_imm(BPF_AND, R1, d->allow ? (~acc & ACC_ALL) : acc));
		if (r >= 0)
			r = emit(p, jmp_imm(d->allow ? BPF_JNE : BPF_JEQ, R1, 0));
	}
	if (r >= 0 && d->major >= 0)
		r = emit(p, jmp_imm(BPF_JNE, R_MAJOR, (int32_t)d->major));
	if (r >= 0 && d->minor >= 0)
		r = emit(p, jmp_imm(BPF_JNE, R_MINOR, (int32_t)d->minor));
	return r;
}

static int emit_rule(struct prog *p, const struct rt_device_rule *d)
{
	int32_t acc;
	if ((d->type != 'c' && d->type != 'b') || access_bits(d->access, &acc) < 0 ||
	    !valid_number(d->major) || !valid_number(d->minor))
		return -EINVAL;
	size_t start = p->n;
	int r = emit_checks(p, d, acc);
	if (r >= 0)
		r = emit(p, mov64_imm(R0, d->allow ? 1 : 0));
	if (r >= 0)
		r = emit(p, exit_insn());
	if (r < 0)
		return r;
	/* Every jump of the block lands on the first instruction after it. */
	for (size_t i = start; i < p->n; i++)
		if (BPF_CLASS(p->v[i].code) == BPF_JMP && BPF_OP(p->v[i].code) != BPF_EXIT)
			p->v[i].off = (int16_t)(p->n - i - 1);
	return 0;
}

static int emit_prologue(struct prog *p)
{
	const struct bpf_insn pro[] = {
		ldx_w(R_TYPE, R1, offsetof(struct bpf_cgroup_dev_ctx, access_type)),
		mov64_reg(R_ACCESS, R_TYPE),
		alu32_imm(BPF_AND, R_TYPE, 0xFFFF),
		alu32_imm(BPF_RSH, R_ACCESS, 16),
		ldx_w(R_MAJOR, R1, offsetof(struct bpf_cgroup_dev_ctx, major)),
		ldx_w(R_MINOR, R1, offsetof(struct bpf_cgroup_dev_ctx, minor)),
	};
	for (size_t i = 0; i < ARRAY_SIZE(pro); i++) {
		int r = emit(p, pro[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int cg_bpf_build(const struct rt_device_rule *rules, size_t n, struct bpf_insn **ret, size_t *ret_n)
{
	/* The last 'a' rule is the default; nothing before it can decide. */
	size_t first = 0;
	bool verdict = true;
	for (size_t i = n; i > 0; i--)
		if (rules[i - 1].type == 'a') {
			first = i;
			verdict = rules[i - 1].allow;
			break;
		}
	struct prog p = { 0 };
	int r = emit_prologue(&p);
	for (size_t i = n; r >= 0 && i > first; i--)
		r = emit_rule(&p, &rules[i - 1]);
	if (r >= 0)
		r = emit(&p, mov64_imm(R0, verdict ? 1 : 0));
	if (r >= 0)
		r = emit(&p, exit_insn());
	if (r < 0) {
		free(p.v);
		return r;
	}
	*ret = p.v;
	*ret_n = p.n;
	return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
	return r < 0 ? -errno : (int)r;
}

/* The last line of the verifier's log says why a program was refused. */
static const char *last_log_line(char *log)
{
	size_t n = strlen(log);
	while (n > 0 && log[n - 1] == '\n')
		log[--n] = '\0';
	char *nl = strrchr(log, '\n');
	return nl ? nl + 1 : log;
}

/* Loaded without a log first: a successful load with a too small log buffer
 * fails with ENOSPC. The log is only fetched to explain a refusal. */
static int load_prog(const struct bpf_insn *v, size_t n, const char *dir, struct berr *err)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)v;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)"Apache-2.0";
	int fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	char log[16384] = "";
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	int r = sys_bpf(BPF_PROG_LOAD, &attr);
	if (r >= 0)
		close(r);
	return berr_set(err, fd == -EPERM ? BERR_FORBIDDEN : BERR_INTERNAL, -fd,
			"loading device filter for %s (%s)", dir, log[0] ? last_log_line(log) : "no log");
}

/* Ids of the device programs attached to this cgroup itself (not inherited). */
static int query_attached(int dirfd, uint32_t *ids, uint32_t *ret_n)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)dirfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = MAX_OLD_PROGS;
	int r = sys_bpf(BPF_PROG_QUERY, &attr);
	if (r < 0)
		return r;
	*ret_n = attr.query.prog_cnt;
	return 0;
}

static int detach_id(int dirfd, uint32_t id)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	_cleanup_close_ int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	int r = sys_bpf(BPF_PROG_DETACH, &attr);
	return r == -ENOENT ? 0 : r;
}

static int attach_prog(int dirfd, int prog)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)dirfd;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	return sys_bpf(BPF_PROG_ATTACH, &attr);
}

/* With BPF_F_ALLOW_MULTI every attached program must allow an access, so an
 * update attaches the new filter first and only then detaches the old ones:
 * there is never a moment without a filter. */
int cg_bpf_set_devices(int dirfd, const char *dir, const struct rt_device_rule *rules, size_t n,
		       struct berr *err)
{
	_cleanup_free_ struct bpf_insn *v = NULL;
	size_t nv;
	int r = cg_bpf_build(rules, n, &v, &nv);
	if (r < 0)
		return berr_set(err, r == -EINVAL ? BERR_INVALID : BERR_INTERNAL, -r,
				"translating device rules for %s", dir);
	uint32_t old[MAX_OLD_PROGS];
	uint32_t n_old = 0;
	if (query_attached(dirfd, old, &n_old) < 0)
		n_old = 0; /* nothing attached that we could replace */
	_cleanup_close_ int prog = load_prog(v, nv, dir, err);
	if (prog < 0)
		return prog;
	r = attach_prog(dirfd, prog);
	if (r < 0)
		return berr_set(err, r == -EPERM ? BERR_FORBIDDEN : BERR_INTERNAL, -r,
				"attaching device filter to %s", dir);
	for (uint32_t i = 0; i < n_old; i++) {
		r = detach_id(dirfd, old[i]);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "detaching old device filter %" PRIu32 " from %s",
					old[i], dir);
	}
	return 0;
}
