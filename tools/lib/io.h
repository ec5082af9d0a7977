// SPDX-License-Identifier: Apache-2.0
/*
 * What cnibench's C tools share: the monotonic clock in nanoseconds and whole reads and writes on a socket (retrying
 * short transfers and EINTR). Header-only, so each tool stays one self-contained binary.
 */
#ifndef CNB_IO_H
#define CNB_IO_H

#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Read exactly n bytes; 0 on success, -1 on error or early end of stream. */
static inline int read_full(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t got = read(fd, p, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Write exactly n bytes; 0 on success, -1 on error. */
static inline int write_full(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t put = write(fd, p, n);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return -1;
		p += put;
		n -= (size_t)put;
	}
	return 0;
}

#endif
