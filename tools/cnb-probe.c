// SPDX-License-Identifier: Apache-2.0
/*
 * cnb-probe: a short reference measurement taken just before and just after every sample, so that a sample taken
 * while the machine ran slow can be recognised. On the 2-vCPU VMs cnibench was built on, the machine's speed dips by
 * 5–30% for stretches of 20 s to minutes with steal time reading 0, and other programs' load is as invisible; a fixed
 * piece of work that always costs the same tells the two apart from the datapath's own cost.
 *
 *   cnb-probe      prints {"cpu_ms":6.6,"lo_rr_us":14.0,"lo_crr_us":62.1}
 *
 * Three parts, each timed on its own, about 50 ms in all, run on the CPU the sample runs on (the caller pins it; where
 * it does not, e.g. in a cluster's pod, the probe keeps to the one CPU it started on: see stay_on_one_cpu):
 *  - cpu_ms: a fixed integer loop (user-mode speed of this CPU);
 *  - lo_rr_us: TCP round trips of 64 bytes over loopback between two processes (wake-ups, syscalls, the TCP stack:
 *    what request/response tests are made of);
 *  - lo_crr_us: TCP connections over loopback, each connect, request, response, close by the server (what TCP_CRR
 *    is made of).
 * Each is a median (or, for the CPU loop, the fastest of eight slices): the hypervisor takes a VM's CPU away for a few
 * milliseconds now and then, which would double a 6 ms mean but costs a one-second sample under 1%. What moves a
 * median is a slowdown that lasts, which is what spoils a sample.
 * Loopback in the namespace it runs in: the probe's traffic never leaves it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

#define MESSAGE 64
#define RR_WARMUP 100
#define RR_COUNT 2000
#define CRR_COUNT 200
#define CPU_SLICES 8
#define CPU_LOOPS_PER_SLICE 500000L

static char buffer[MESSAGE];
static uint64_t times[RR_COUNT];

static void fail(const char *what)
{
	fprintf(stderr, "cnb-probe: %s failed\n", what);
	exit(2);
}

static int ascending(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double median_ns(uint64_t *values, int n)
{
	qsort(values, (size_t)n, sizeof *values, ascending);
	return (double)values[n / 2];
}

/* The whole loop's time, from its fastest slice: a slice the hypervisor interrupted does not count. */
static double cpu_ms(void)
{
	volatile uint64_t x = 88172645463325252ull;
	uint64_t fastest = UINT64_MAX;
	for (int slice = 0; slice < CPU_SLICES; slice++) {
		uint64_t start = now_ns();
		for (long i = 0; i < CPU_LOOPS_PER_SLICE; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		uint64_t took = now_ns() - start;
		fastest = took < fastest ? took : fastest;
	}
	return (double)fastest * CPU_SLICES / 1e6;
}

/* The server side: echo on the first connection until it closes, then answer one message per connection. */
static void serve(int listener)
{
	int one = 1, fd = accept(listener, NULL, NULL);
	if (fd < 0)
		_exit(1);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	while (read_full(fd, buffer, MESSAGE) == 0)
		write_full(fd, buffer, MESSAGE);
	close(fd);
	for (;;) {
		fd = accept(listener, NULL, NULL);
		if (fd < 0)
			_exit(0);
		if (read_full(fd, buffer, MESSAGE) == 0)
			write_full(fd, buffer, MESSAGE);
		close(fd);
	}
}

/*
 * Both processes of the loopback parts on one CPU, whatever the caller allowed. Left to the scheduler, the two land on
 * one CPU or on two by chance, and a cross-CPU round trip costs about four times a same-CPU one: measured on a 2-vCPU
 * VM, 15 unpinned runs read lo_rr_us 13.5 or 45-68, pinned ones 13.4-13.6. A reference that jumps between two modes
 * would mark every other sample as taken during a dip.
 */
static void stay_on_one_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t one;
	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof one, &one); /* a refusal leaves the caller's choice, as before */
}

static int connect_to(const struct sockaddr_in *sa)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		fail("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0)
		fail("connect");
	return fd;
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: cnb-probe\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	stay_on_one_cpu(); /* before the fork: the server inherits it */
	double cpu = cpu_ms();

	int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listener, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(listener, 256) != 0 ||
	    getsockname(listener, (struct sockaddr *)&sa, &len) != 0)
		fail("listen on loopback (is lo up in this namespace?)");
	pid_t server = fork();
	if (server < 0)
		fail("fork");
	if (server == 0)
		serve(listener);

	int fd = connect_to(&sa);
	for (int i = 0; i < RR_WARMUP; i++)
		if (write_full(fd, buffer, MESSAGE) || read_full(fd, buffer, MESSAGE))
			fail("round trip");
	for (int i = 0; i < RR_COUNT; i++) {
		uint64_t start = now_ns();
		if (write_full(fd, buffer, MESSAGE) || read_full(fd, buffer, MESSAGE))
			fail("round trip");
		times[i] = now_ns() - start;
	}
	double rr_us = median_ns(times, RR_COUNT) / 1e3;
	close(fd);

	for (int i = 0; i < CRR_COUNT; i++) {
		char eof;
		uint64_t start = now_ns();
		fd = connect_to(&sa);
		if (write_full(fd, buffer, MESSAGE) || read_full(fd, buffer, MESSAGE) || read(fd, &eof, 1) != 0)
			fail("connection");
		close(fd); /* after the server's close: TIME_WAIT stays on the server's side, as in cnb-perf */
		times[i] = now_ns() - start;
	}
	double crr_us = median_ns(times, CRR_COUNT) / 1e3;

	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	printf("{\"cpu_ms\":%.3f,\"lo_rr_us\":%.3f,\"lo_crr_us\":%.3f}\n", cpu, rr_us, crr_us);
	return 0;
}
