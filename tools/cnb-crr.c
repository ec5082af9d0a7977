// SPDX-License-Identifier: Apache-2.0
/*
 * cnb-crr: cnibench's TCP_CRR engine (connect / request / response / close, one connection per transaction), used
 * where netperf is not installed. A Node loop tops out near 2.4k connections/s on a 2-vCPU box while the kernel does
 * several times that, so the engine is a small C program: blocking sockets, no allocation in the loop.
 *
 *   cnb-crr server <ipv4> <port> <size>
 *   cnb-crr client <ipv4> <port> <size> <seconds> <warmup-seconds>
 *
 * The server accepts, reads <size> bytes, writes <size> bytes and closes first, so TIME_WAIT lands on the server's
 * 4-tuples and the client never runs out of ephemeral ports. The client reads to EOF before closing (passive close),
 * timing each transaction from socket() to close(). After the warm-up it prints one JSON object: the transaction
 * count, the measured seconds, errors, and a latency histogram with buckets floor(ln(ns) / ln(1.01)) — the same
 * buckets as src/analysis/histogram.ts, so samples pool exactly.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE (1 << 20)
#define BUCKETS 2400 /* 1.01^2400 ns is far beyond any transaction */

static char buffer[MAX_SIZE];
static uint64_t histogram[BUCKETS];

static void die(const char *what)
{
	fprintf(stderr, "cnb-crr: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct sockaddr_in address(const char *ip, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "cnb-crr: not an IPv4 address: %s\n", ip);
		exit(2);
	}
	return sa;
}

/* Read exactly n bytes; 0 on success, -1 on error or early EOF. */
static int read_full(int fd, char *p, size_t n)
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

static int write_full(int fd, const char *p, size_t n)
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

static int serve(const char *ip, const char *port, size_t size)
{
	struct sockaddr_in sa = address(ip, port);
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (read_full(fd, buffer, size) == 0)
			write_full(fd, buffer, size);
		close(fd); /* active close: TIME_WAIT stays here */
	}
}

/* One transaction; returns its duration in ns, or 0 on failure. */
static uint64_t transaction(const struct sockaddr_in *sa, size_t size)
{
	int one = 1;
	uint64_t start = now_ns();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	int ok = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0 && write_full(fd, buffer, size) == 0 &&
		 read_full(fd, buffer, size) == 0;
	if (ok) {
		char eof;
		ok = read(fd, &eof, 1) == 0; /* wait for the server's FIN: we close passively */
	}
	close(fd);
	return ok ? now_ns() - start : 0;
}

static int client(const char *ip, const char *port, size_t size, double seconds, double warmup)
{
	struct sockaddr_in sa = address(ip, port);
	uint64_t begin = now_ns();
	uint64_t measure_from = begin + (uint64_t)(warmup * 1e9);
	uint64_t end = measure_from + (uint64_t)(seconds * 1e9);
	uint64_t count = 0, errors = 0, sum = 0, min = UINT64_MAX, max = 0;
	double log_base = log(1.01);
	memset(buffer, 'x', size);
	for (uint64_t t = now_ns(); t < end; t = now_ns()) {
		uint64_t ns = transaction(&sa, size);
		if (t < measure_from)
			continue;
		if (ns == 0) {
			errors++;
			continue;
		}
		count++;
		sum += ns;
		min = ns < min ? ns : min;
		max = ns > max ? ns : max;
		int bucket = (int)floor(log((double)ns) / log_base);
		histogram[bucket < 0 ? 0 : bucket >= BUCKETS ? BUCKETS - 1 : bucket]++;
	}
	double measured = (double)(now_ns() - measure_from) / 1e9;
	printf("{\"engine\":\"cnb-crr\",\"transactions\":%llu,\"errors\":%llu,\"seconds\":%.6f,"
	       "\"mean_ns\":%.1f,\"min_ns\":%llu,\"max_ns\":%llu,\"histogram\":{\"base\":1.01,\"unit\":\"ns\",\"buckets\":[",
	       (unsigned long long)count, (unsigned long long)errors, measured, count ? (double)sum / (double)count : 0.0,
	       (unsigned long long)(count ? min : 0), (unsigned long long)max);
	const char *sep = "";
	for (int i = 0; i < BUCKETS; i++) {
		if (histogram[i]) {
			printf("%s[%d,%llu]", sep, i, (unsigned long long)histogram[i]);
			sep = ",";
		}
	}
	printf("]}}\n");
	return count > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && strcmp(argv[1], "server") == 0) {
		size_t size = (size_t)atol(argv[4]);
		if (size == 0 || size > MAX_SIZE)
			goto usage;
		return serve(argv[2], argv[3], size);
	}
	if (argc == 7 && strcmp(argv[1], "client") == 0) {
		size_t size = (size_t)atol(argv[4]);
		if (size == 0 || size > MAX_SIZE)
			goto usage;
		return client(argv[2], argv[3], size, atof(argv[5]), atof(argv[6]));
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts("cnb-crr 1");
		return 0;
	}
usage:
	fprintf(stderr, "usage: cnb-crr server <ipv4> <port> <size>\n"
			"       cnb-crr client <ipv4> <port> <size> <seconds> <warmup-seconds>\n");
	return 2;
}
