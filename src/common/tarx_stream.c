/* tarx_stream.c - layer decompression (zlib, libzstd) and DiffID digesting;
 * see tarx_int.h. Also tarx_sniff, tarx_diff_id and tarx_decompress, which
 * need nothing but the stream. */
#include "common/tarx_int.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "base/util.h"

#define TARX_BUF (128 * 1024)

struct tarx_stream {
	int fd;
	enum tarx_compression comp;
	bool in_eof;
	bool out_eof;
	unsigned char *in;
	size_t in_pos, in_len;
	unsigned char *out;
	z_stream z;
	bool z_init;
	ZSTD_DCtx *zstd;
	size_t zstd_last; /* last ZSTD_decompressStream result: 0 = at a frame end */
	struct digester *digest;
	uint64_t size;
};

enum tarx_compression tarx_sniff(const void *buf, size_t n)
{
	const unsigned char *b = buf;
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return TARX_GZIP;
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return TARX_ZSTD;
	return TARX_PLAIN;
}

void tarx_stream_free(struct tarx_stream *s)
{
	if (!s)
		return;
	if (s->z_init)
		inflateEnd(&s->z);
	ZSTD_freeDCtx(s->zstd);
	digester_free(s->digest);
	free(s->in);
	free(s->out);
	free(s);
}

/* Refill the input buffer when it is used up; sets in_eof at the end. */
static int fill_in(struct tarx_stream *s, struct berr *err)
{
	if (s->in_pos < s->in_len || s->in_eof)
		return 0;
	ssize_t n = RETRY_EINTR(read(s->fd, s->in, TARX_BUF));
	if (n < 0)
		return berr_set(err, berr_kind_from_errno(errno), errno, "reading layer");
	s->in_pos = 0;
	s->in_len = (size_t)n;
	s->in_eof = n == 0;
	return 0;
}

/* The sniffer wants a few bytes even when the first read returns fewer. */
static int fill_prefix(struct tarx_stream *s, struct berr *err)
{
	while (s->in_len < 4) {
		ssize_t n = RETRY_EINTR(read(s->fd, s->in + s->in_len, TARX_BUF - s->in_len));
		if (n < 0)
			return berr_set(err, berr_kind_from_errno(errno), errno, "reading layer");
		if (n == 0) {
			s->in_eof = s->in_len == 0;
			break;
		}
		s->in_len += (size_t)n;
	}
	return 0;
}

static int init_decoder(struct tarx_stream *s, struct berr *err)
{
	if (s->comp == TARX_GZIP) {
		/* 16 + MAX_WBITS: gzip wrapper only, not zlib or raw deflate. */
		if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "initialising gzip decompression");
		s->z_init = true;
	} else if (s->comp == TARX_ZSTD) {
		s->zstd = ZSTD_createDCtx();
		if (!s->zstd)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "initialising zstd decompression");
		/* Frames may ask for windows up to 2^27 (128 MiB) as zstd(1) allows
		 * by default; larger ones are refused rather than allocated. */
		ZSTD_DCtx_setParameter(s->zstd, ZSTD_d_windowLogMax, 27);
	}
	return 0;
}

int tarx_stream_new(int fd, struct tarx_stream **ret, struct berr *err)
{
	struct tarx_stream *s = calloc(1, sizeof(*s));
	_cleanup_(tarx_stream_freep) struct tarx_stream *guard = s;
	if (!s || !(s->in = malloc(TARX_BUF)) || !(s->out = malloc(TARX_BUF)) || !(s->digest = digester_new()))
		return berr_set(err, BERR_INTERNAL, ENOMEM, "reading layer");
	s->fd = fd;
	int r = fill_prefix(s, err);
	if (r < 0)
		return r;
	s->comp = tarx_sniff(s->in, s->in_len);
	r = init_decoder(s, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(guard);
	return 0;
}

/* One step of gunzip into s->out; 0 with nothing produced means "call again"
 * unless out_eof got set. */
static ssize_t gzip_step(struct tarx_stream *s, struct berr *err)
{
	int r = fill_in(s, err);
	if (r < 0)
		return r;
	if (s->in_eof && s->in_pos >= s->in_len)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "layer: gzip stream is truncated");
	s->z.next_in = s->in + s->in_pos;
	s->z.avail_in = (uInt)(s->in_len - s->in_pos);
	s->z.next_out = s->out;
	s->z.avail_out = TARX_BUF;
	int zr = inflate(&s->z, Z_NO_FLUSH);
	s->in_pos = s->in_len - s->z.avail_in;
	size_t produced = TARX_BUF - s->z.avail_out;
	if (zr == Z_STREAM_END) {
		/* Another gzip member may follow (concatenated gzip files). */
		r = fill_in(s, err);
		if (r < 0)
			return r;
		if (s->in_eof && s->in_pos >= s->in_len)
			s->out_eof = true;
		else
			inflateReset(&s->z);
	} else if (zr != Z_OK && !(zr == Z_BUF_ERROR && produced > 0)) {
		return berr_set_msg(err, BERR_INVALID, EINVAL, "layer: corrupt gzip stream: %s",
				    s->z.msg ? s->z.msg : "inflate failed");
	}
	return (ssize_t)produced;
}

static ssize_t zstd_step(struct tarx_stream *s, struct berr *err)
{
	int r = fill_in(s, err);
	if (r < 0)
		return r;
	if (s->in_eof && s->in_pos >= s->in_len) {
		if (s->zstd_last != 0)
			return berr_set_msg(err, BERR_INVALID, EINVAL, "layer: zstd stream is truncated");
		s->out_eof = true;
		return 0;
	}
	ZSTD_inBuffer in = { s->in, s->in_len, s->in_pos };
	ZSTD_outBuffer out = { s->out, TARX_BUF, 0 };
	size_t zr = ZSTD_decompressStream(s->zstd, &out, &in);
	if (ZSTD_isError(zr))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "layer: corrupt zstd stream: %s",
				    ZSTD_getErrorName(zr));
	s->in_pos = in.pos;
	s->zstd_last = zr;
	return (ssize_t)out.pos;
}

static ssize_t plain_step(struct tarx_stream *s, const void **ret_buf, struct berr *err)
{
	int r = fill_in(s, err);
	if (r < 0)
		return r;
	if (s->in_eof) {
		s->out_eof = true;
		return 0;
	}
	*ret_buf = s->in + s->in_pos;
	size_t n = s->in_len - s->in_pos;
	s->in_pos = s->in_len;
	return (ssize_t)n;
}

ssize_t tarx_stream_read(struct tarx_stream *s, const void **ret_buf, struct berr *err)
{
	const void *buf = s->out;
	ssize_t n = 0;
	while (n == 0 && !s->out_eof) {
		switch (s->comp) {
		case TARX_GZIP:
			n = gzip_step(s, err);
			break;
		case TARX_ZSTD:
			n = zstd_step(s, err);
			break;
		default:
			n = plain_step(s, &buf, err);
			break;
		}
		if (n < 0)
			return n;
	}
	if (n > 0) {
		int r = digester_update(s->digest, buf, (size_t)n);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "digesting layer");
		s->size += (uint64_t)n;
	}
	*ret_buf = buf;
	return n;
}

int tarx_stream_drain(struct tarx_stream *s, struct berr *err)
{
	const void *buf;
	ssize_t n;
	while ((n = tarx_stream_read(s, &buf, err)) > 0)
		;
	return n < 0 ? (int)n : 0;
}

int tarx_stream_finish(struct tarx_stream *s, struct tarx_result *ret)
{
	int r = digester_final(s->digest, ret->diff_id);
	if (r < 0)
		return r;
	ret->uncompressed_size = s->size;
	ret->compression = s->comp;
	return 0;
}

/* Shared by tarx_diff_id and tarx_decompress: copy the stream to out_fd
 * (or nowhere when out_fd < 0). */
static int stream_copy(int in_fd, int out_fd, struct tarx_result *ret, struct berr *err)
{
	_cleanup_tarx_stream_ struct tarx_stream *s = NULL;
	int r = tarx_stream_new(in_fd, &s, err);
	if (r < 0)
		return r;
	for (;;) {
		const void *buf;
		ssize_t n = tarx_stream_read(s, &buf, err);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		if (out_fd >= 0 && (r = write_all(out_fd, buf, (size_t)n)) < 0)
			return berr_set(err, berr_kind_from_errno(-r), -r, "writing decompressed layer");
	}
	struct tarx_result res = { 0 };
	r = tarx_stream_finish(s, &res);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "digesting layer");
	*ret = res;
	return 0;
}

int tarx_diff_id(int in_fd, struct tarx_result *ret, struct berr *err)
{
	return stream_copy(in_fd, -EBADF, ret, err);
}

int tarx_decompress(int in_fd, int out_fd, struct tarx_result *ret, struct berr *err)
{
	return stream_copy(in_fd, out_fd, ret, err);
}
