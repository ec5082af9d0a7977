// SPDX-License-Identifier: Apache-2.0
/*
 * cnb-perf: cnibench's native traffic engine for the whole netperf matrix (TCP_STREAM, UDP_STREAM, TCP_RR, UDP_RR,
 * TCP_CRR) with netperf's semantics, one JSON result per sample. In a pinned single-flow test, client, server, both
 * network stacks and the datapath share one CPU, so every cycle the tool spends on itself hides part of the
 * datapath's cost: the loops here do one system call per message, allocate nothing and format nothing while measuring.
 * The contract (command line, protocol, JSON) is documented in docs/engine.md; this is also what cluster mode runs in
 * pods, so it depends on libc alone.
 *
 *   cnb-perf server --port P [--bind IP]
 *   cnb-perf client --server IP --port P --test TEST --size N [--response N] --duration S [--warmup S]
 *                   [--server-cpu N] [--rate BITS_PER_S]
 *   cnb-perf server --port P [--bind IP] --direct 1 --test TCP_RR|TCP_CRR --size N [--response N] [--workers N]
 *   cnb-perf client ... --direct 1
 *
 * Direct mode is for a server behind a load balancer (a Kubernetes Service): no control connection and no session,
 * so every data connection stands alone and may reach another backend. The server is started per sample with the
 * test and sizes on its command line, and serves every connection on its one port from pre-forked workers (one per
 * flow of the sample, at least four);
 * the client reports its own side only ("server": null). The transaction loops are the same as in session mode.
 *   cnb-perf --version
 *
 * The server is long-lived: it listens on a control port and forks one child per sample (a "session"), so a client
 * killed mid-sample costs only its session and the next sample needs no start-up. A session opens its data socket on
 * an ephemeral port, pins itself to --server-cpu if asked, serves the test, and reports its side over the control
 * connection. Control messages are text lines: "test=TCP_RR size=1024 response=1024 cpu=1 seconds=2" from the client,
 * "ok port=40123" or "error <why>" back; then "start" and "stop" mark the measured window (the receiver counts bytes
 * between them), and "report" asks for the session's JSON.
 *
 * Semantics, as netperf's: STREAM size = bytes per send (-m); RR/CRR size = request size, --response = response size
 * (-r req,rsp); in TCP_CRR the server closes first and the client waits for its FIN, so TIME_WAIT stays on the
 * server's side; UDP_STREAM sends as fast as the path takes (or, with --rate, paced to that many bits per second). Throughput is what the receiver got in the measured
 * window; UDP loss comes from sequence numbers carried in each datagram. Per-transaction latency (RR, CRR) goes into a
 * histogram with buckets floor(ln(ns) / ln(1.01)), the buckets of src/analysis/histogram.ts, so samples pool exactly.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

#define VERSION "cnb-perf 1"
#define MAX_MESSAGE (1 << 20)
/*
 * The receiver reads up to 1 MB per call: all that is queued. With 128 KB reads (netperf's default, its socket buffer
 * size) one sample in four or five on a pinned veth path ran ~30% faster than the rest, a second mode set by how
 * sender and receiver happened to interleave on the CPU; with draining reads the samples agree within a few percent.
 */
#define STREAM_READ MAX_MESSAGE
#define BUCKETS 2400             /* 1.01^2400 ns is far beyond any transaction */
#define CONNECT_TIMEOUT_MS 5000
#define UDP_RR_TIMEOUT_MS 200    /* a lost UDP request/response counts as an error, then the next one goes */
#define SESSION_GRACE_S 60       /* a session outlives its planned length by at most this */

enum test { TCP_STREAM, UDP_STREAM, TCP_RR, UDP_RR, TCP_CRR };
static const char *test_names[] = { "TCP_STREAM", "UDP_STREAM", "TCP_RR", "UDP_RR", "TCP_CRR" };

static char tx[MAX_MESSAGE];
static char rx[MAX_MESSAGE];
static uint64_t histogram[BUCKETS];

static void fail(const char *what)
{
	fprintf(stderr, "cnb-perf: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void usage(void)
{
	fputs("usage: cnb-perf server --port P [--bind IP]\n"
	      "       cnb-perf client --server IP --port P --test TCP_STREAM|UDP_STREAM|TCP_RR|UDP_RR|TCP_CRR --size N\n"
	      "                       [--response N] --duration S [--warmup S] [--server-cpu N] [--rate BITS_PER_S]\n"
	      "       cnb-perf server|client ... --direct 1 --test TCP_RR|TCP_CRR --size N [--response N]   (no control channel)\n"
	      "       cnb-perf --version\n",
	      stderr);
	exit(2);
}

static int parse_test(const char *name)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(name, test_names[i]) == 0)
			return i;
	return -1;
}

static int is_udp(int test)
{
	return test == UDP_STREAM || test == UDP_RR;
}

/* Run on `cpu`, or with cpu < 0 on every online CPU (the server may have inherited a narrower set). */
static void pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
	} else {
		long online = sysconf(_SC_NPROCESSORS_ONLN);
		for (long i = 0; i < online && i < CPU_SETSIZE; i++)
			CPU_SET((int)i, &set);
	}
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		fail("sched_setaffinity");
}

static int send_line(int fd, const char *line)
{
	return write_full(fd, line, strlen(line));
}

/* One control line (without the newline) into buf; -1 at EOF or error. Byte by byte: control traffic is tiny. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		if (c == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

static long field(const char *line, const char *key, long fallback)
{
	char pattern[32];
	snprintf(pattern, sizeof pattern, "%s=", key);
	const char *at = strstr(line, pattern);
	return at ? strtol(at + strlen(pattern), NULL, 10) : fallback;
}

static struct sockaddr_in address(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "cnb-perf: not an IPv4 address: %s\n", ip);
		exit(2);
	}
	return sa;
}

static void nodelay(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void receive_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* ------------------------------------------------------------------ server ----------------------------------- */

/* What a session shares between its data loop (main thread) and its control reader (second thread). */
static struct {
	int test, size, response, control, data, listener;
	_Atomic uint64_t bytes, datagrams, highest_seq;
	_Atomic int done;
	/* Snapshots at the "start" and "stop" marks: time, bytes, datagrams, highest sequence number. */
	uint64_t mark_ns[2], mark_bytes[2], mark_datagrams[2], mark_seq[2];
	int marks;
} session;

static void mark(int which)
{
	session.mark_ns[which] = now_ns();
	session.mark_bytes[which] = atomic_load_explicit(&session.bytes, memory_order_relaxed);
	session.mark_datagrams[which] = atomic_load_explicit(&session.datagrams, memory_order_relaxed);
	session.mark_seq[which] = atomic_load_explicit(&session.highest_seq, memory_order_relaxed);
	session.marks |= 1 << which;
}

/* Reads the client's control lines until "report" (or the client is gone), then stops the data loop. */
static void *control_reader(void *unused)
{
	(void)unused;
	char line[256];
	while (read_line(session.control, line, sizeof line) == 0) {
		if (strcmp(line, "start") == 0)
			mark(0);
		else if (strcmp(line, "stop") == 0)
			mark(1);
		else if (strcmp(line, "report") == 0)
			break;
	}
	atomic_store(&session.done, 1);
	/* Wake a data loop blocked in accept or read. */
	if (session.listener >= 0)
		shutdown(session.listener, SHUT_RDWR);
	if (session.data >= 0)
		shutdown(session.data, SHUT_RDWR);
	return NULL;
}

static void serve_tcp_stream(void)
{
	int fd = accept(session.listener, NULL, NULL);
	if (fd < 0)
		return;
	session.data = fd;
	uint64_t bytes = 0; /* the only writer: the reader thread only loads it */
	for (;;) {
		ssize_t got = read(fd, rx, STREAM_READ);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		bytes += (uint64_t)got;
		atomic_store_explicit(&session.bytes, bytes, memory_order_relaxed);
	}
}

static void serve_udp_stream(void)
{
	uint64_t bytes = 0, datagrams = 0, highest = 0;
	while (!atomic_load_explicit(&session.done, memory_order_relaxed)) {
		ssize_t got = recv(session.data, rx, MAX_MESSAGE, 0);
		if (got < 8)
			continue; /* a timeout (look at `done` again) or a datagram too short to carry a sequence number */
		uint64_t seq;
		memcpy(&seq, rx, sizeof seq);
		bytes += (uint64_t)got;
		datagrams++;
		highest = seq > highest ? seq : highest;
		atomic_store_explicit(&session.bytes, bytes, memory_order_relaxed);
		atomic_store_explicit(&session.datagrams, datagrams, memory_order_relaxed);
		atomic_store_explicit(&session.highest_seq, highest, memory_order_relaxed);
	}
}

/* The next connection on `listener`, past interruptions and connections aborted while queued; -1 once it fails. */
static int accept_next(int listener)
{
	for (;;) {
		int fd = accept(listener, NULL, NULL);
		if (fd >= 0 || (errno != EINTR && errno != ECONNABORTED))
			return fd;
	}
}

/* One accepted TCP connection served to its end: TCP_CRR answers one request, TCP_RR each one until the peer closes. */
static void answer(int fd, int test, int size, int response)
{
	nodelay(fd);
	if (test == TCP_CRR) {
		if (read_full(fd, rx, (size_t)size) == 0)
			write_full(fd, tx, (size_t)response);
		return;
	}
	while (read_full(fd, rx, (size_t)size) == 0 && write_full(fd, tx, (size_t)response) == 0)
		;
}

static void serve_tcp_rr(void)
{
	int fd = accept(session.listener, NULL, NULL);
	if (fd < 0)
		return;
	session.data = fd;
	answer(fd, TCP_RR, session.size, session.response);
}

static void serve_udp_rr(void)
{
	struct sockaddr_in peer;
	while (!atomic_load_explicit(&session.done, memory_order_relaxed)) {
		socklen_t len = sizeof peer;
		ssize_t got = recvfrom(session.data, rx, MAX_MESSAGE, 0, (struct sockaddr *)&peer, &len);
		if (got <= 0)
			continue;
		sendto(session.data, tx, (size_t)session.response, 0, (struct sockaddr *)&peer, len);
	}
}

static void serve_tcp_crr(void)
{
	while (!atomic_load_explicit(&session.done, memory_order_relaxed)) {
		int fd = accept_next(session.listener);
		if (fd < 0)
			return;
		answer(fd, TCP_CRR, session.size, session.response);
		close(fd); /* the server closes first, as in netperf: TIME_WAIT stays here */
	}
}

static void report_session(void)
{
	char out[512];
	int n = 0;
	if (session.marks == 3) {
		double seconds = (double)(session.mark_ns[1] - session.mark_ns[0]) / 1e9;
		n = snprintf(out, sizeof out,
			     "{\"seconds\":%.6f,\"bytes\":%llu,\"datagrams\":%llu,\"first_seq\":%llu,\"last_seq\":%llu}\n", seconds,
			     (unsigned long long)(session.mark_bytes[1] - session.mark_bytes[0]),
			     (unsigned long long)(session.mark_datagrams[1] - session.mark_datagrams[0]),
			     (unsigned long long)session.mark_seq[0], (unsigned long long)session.mark_seq[1]);
	} else {
		n = snprintf(out, sizeof out, "{}\n");
	}
	write_full(session.control, out, (size_t)n);
}

/* One sample: set up from the request line, serve, report. Runs in a child of the long-lived server. */
static void run_session(int control)
{
	char line[256];
	alarm(SESSION_GRACE_S);
	if (read_line(control, line, sizeof line) != 0)
		_exit(0);
	char name[32] = "";
	const char *t = strstr(line, "test=");
	if (t)
		sscanf(t + 5, "%31s", name);
	session.test = parse_test(name);
	session.size = (int)field(line, "size", 0);
	session.response = (int)field(line, "response", session.size);
	session.control = control;
	session.data = -1;
	session.listener = -1;
	long seconds = field(line, "seconds", 0);
	if (session.test < 0 || session.size <= 0 || session.size > MAX_MESSAGE || session.response <= 0 || session.response > MAX_MESSAGE) {
		send_line(control, "error bad request\n");
		_exit(1);
	}
	if (session.test == UDP_STREAM && session.size < 8) {
		send_line(control, "error UDP_STREAM needs at least 8 bytes per datagram (the sequence number)\n");
		_exit(1);
	}
	alarm((unsigned)(seconds + SESSION_GRACE_S));
	pin_to((int)field(line, "cpu", -1));

	struct sockaddr_in local;
	socklen_t len = sizeof local;
	getsockname(control, (struct sockaddr *)&local, &len);
	local.sin_port = 0;
	int one = 1, fd = socket(AF_INET, is_udp(session.test) ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 || bind(fd, (struct sockaddr *)&local, sizeof local) != 0 ||
	    (!is_udp(session.test) && listen(fd, 4096) != 0) || getsockname(fd, (struct sockaddr *)&local, &len) != 0) {
		char error[160];
		snprintf(error, sizeof error, "error data socket: %s\n", strerror(errno));
		send_line(control, error);
		_exit(1);
	}
	if (is_udp(session.test)) {
		session.data = fd;
		receive_timeout(fd, UDP_RR_TIMEOUT_MS);
	} else {
		session.listener = fd;
	}
	memset(tx, 'r', (size_t)session.response);
	char ok[64];
	snprintf(ok, sizeof ok, "ok port=%d\n", ntohs(local.sin_port));
	if (send_line(control, ok) != 0)
		_exit(1);

	pthread_t reader;
	if (pthread_create(&reader, NULL, control_reader, NULL) != 0)
		_exit(1);
	switch (session.test) {
	case TCP_STREAM: serve_tcp_stream(); break;
	case UDP_STREAM: serve_udp_stream(); break;
	case TCP_RR: serve_tcp_rr(); break;
	case UDP_RR: serve_udp_rr(); break;
	case TCP_CRR: serve_tcp_crr(); break;
	}
	pthread_join(reader, NULL);
	report_session();
	_exit(0);
}

static int listen_on(const char *bind_ip, int port, int backlog)
{
	struct sockaddr_in sa = address(bind_ip, port);
	int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0)
		fail("socket");
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listener, (struct sockaddr *)&sa, sizeof sa) != 0)
		fail("bind");
	if (listen(listener, backlog) != 0)
		fail("listen");
	return listener;
}

#define DIRECT_WORKERS 4 /* concurrent connections a direct server serves by default (--workers: a sample's flows) */

/* One direct-mode worker: take connections from the shared listener and serve each to its end. */
static void direct_worker(int listener, int test, int size, int response)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* stopping the server (its first process) stops every worker */
	if (getppid() == 1)
		_exit(0);
	memset(tx, 'r', (size_t)response);
	for (;;) {
		int fd = accept_next(listener);
		if (fd < 0)
			_exit(1);
		answer(fd, test, size, response);
		close(fd); /* the server closes first, as in netperf: TIME_WAIT stays here */
	}
}

static int direct_server(const char *bind_ip, int port, int test, int size, int response, int workers)
{
	int listener = listen_on(bind_ip, port, 4096);
	for (int i = 0; i < workers; i++) {
		pid_t child = fork();
		if (child < 0)
			fail("fork");
		if (child == 0)
			direct_worker(listener, test, size, response);
	}
	for (;;)
		if (wait(NULL) < 0 && errno == ECHILD)
			return 1; /* every worker died: nothing left to serve */
}

static int server(const char *bind_ip, int port)
{
	int listener = listen_on(bind_ip, port, 64);
	signal(SIGCHLD, SIG_IGN); /* sessions are reaped by the kernel */
	for (;;) {
		int control = accept(listener, NULL, NULL);
		if (control < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fail("accept");
		}
		nodelay(control);
		pid_t child = fork();
		if (child == 0) {
			close(listener);
			run_session(control);
		}
		close(control);
	}
}

/* ------------------------------------------------------------------ client ----------------------------------- */

static struct {
	int test, size, response, duration_ms, warmup_ms;
	double rate_bps; /* UDP_STREAM pacing; 0: as fast as possible */
	uint64_t transactions, errors, bytes_sent, datagrams_sent, seq_start, seq_stop;
	uint64_t sum_ns, min_ns, max_ns;
	double seconds;
	long retransmits;
	int have_retransmits;
} result = { .min_ns = UINT64_MAX };

static void record(uint64_t ns)
{
	result.transactions++;
	result.sum_ns += ns;
	result.min_ns = ns < result.min_ns ? ns : result.min_ns;
	result.max_ns = ns > result.max_ns ? ns : result.max_ns;
	int bucket = (int)floor(log((double)ns) / log(1.01));
	histogram[bucket < 0 ? 0 : bucket >= BUCKETS ? BUCKETS - 1 : bucket]++;
}

/* connect() with a deadline, so an unreachable server is an error in seconds, not after TCP's minutes of SYNs. */
static int connect_within(int fd, const struct sockaddr_in *sa, int ms)
{
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
	if (rc != 0 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		rc = poll(&p, 1, ms);
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		int error = 0;
		socklen_t len = sizeof error;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
		errno = error;
		rc = error == 0 ? 0 : -1;
	}
	fcntl(fd, F_SETFL, flags);
	return rc;
}

static long total_retransmits(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof info;
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 ? (long)info.tcpi_total_retrans : -1;
}

/* Drives the measured window: warm-up until `from`, measurement until `until`; returns 1 while measuring. */
struct window {
	uint64_t from, until;
	int started;
	int control;
};

static void start_window(struct window *w)
{
	w->started = 1;
	if (w->control >= 0 && send_line(w->control, "start\n") != 0)
		fail("control connection lost");
}

static void client_tcp_stream(int data, struct window *w)
{
	long retrans_start = 0;
	for (uint64_t t = now_ns(); t < w->until; t = now_ns()) {
		if (!w->started && t >= w->from) {
			start_window(w);
			retrans_start = total_retransmits(data);
			result.bytes_sent = 0;
		}
		ssize_t put = write(data, tx, (size_t)result.size);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			fail("send");
		result.bytes_sent += (uint64_t)put;
	}
	long retrans_end = total_retransmits(data);
	if (retrans_start >= 0 && retrans_end >= 0) {
		result.retransmits = retrans_end - retrans_start;
		result.have_retransmits = 1;
	}
}

/* With --rate: wait until datagram `seq` is due (sleeping, so a paced sender leaves the CPU to the rest). */
static void pace(uint64_t begin, uint64_t seq)
{
	if (result.rate_bps <= 0)
		return;
	uint64_t due = begin + (uint64_t)((double)seq * result.size * 8 * 1e9 / result.rate_bps);
	uint64_t t = now_ns();
	if (due > t + 20000) {
		struct timespec ts = { .tv_sec = (time_t)(due / 1000000000ull), .tv_nsec = (long)(due % 1000000000ull) };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

static void client_udp_stream(int data, struct window *w)
{
	uint64_t seq = 0, begin = now_ns();
	for (uint64_t t = now_ns(); t < w->until; t = now_ns()) {
		pace(begin, seq);
		if (!w->started && t >= w->from) {
			start_window(w);
			result.seq_start = seq;
			result.datagrams_sent = 0;
			result.bytes_sent = 0;
		}
		seq++;
		memcpy(tx, &seq, sizeof seq);
		ssize_t put = send(data, tx, (size_t)result.size, 0);
		if (put < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED || errno == EINTR) {
				if (w->started)
					result.errors++;
				continue;
			}
			fail("send");
		}
		result.datagrams_sent++;
		result.bytes_sent += (uint64_t)put;
	}
	result.seq_stop = seq;
}

static void client_tcp_rr(int data, struct window *w)
{
	for (uint64_t t = now_ns(); t < w->until;) {
		if (!w->started && t >= w->from)
			start_window(w);
		if (write_full(data, tx, (size_t)result.size) != 0 || read_full(data, rx, (size_t)result.response) != 0)
			fail("request/response");
		uint64_t end = now_ns();
		if (w->started)
			record(end - t);
		t = end;
	}
}

static void client_udp_rr(int data, struct window *w)
{
	receive_timeout(data, UDP_RR_TIMEOUT_MS);
	for (uint64_t t = now_ns(); t < w->until;) {
		if (!w->started && t >= w->from)
			start_window(w);
		ssize_t got = -1;
		if (send(data, tx, (size_t)result.size, 0) == result.size)
			got = recv(data, rx, MAX_MESSAGE, 0);
		uint64_t end = now_ns();
		if (w->started) {
			if (got == result.response)
				record(end - t);
			else
				result.errors++;
		}
		t = end;
	}
}

static void client_tcp_crr(const struct sockaddr_in *sa, struct window *w)
{
	for (uint64_t t = now_ns(); t < w->until;) {
		if (!w->started && t >= w->from)
			start_window(w);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			fail("socket");
		nodelay(fd);
		char eof;
		int ok = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0 && write_full(fd, tx, (size_t)result.size) == 0 &&
			 read_full(fd, rx, (size_t)result.response) == 0 && read(fd, &eof, 1) == 0; /* the server's FIN */
		close(fd);
		uint64_t end = now_ns();
		if (w->started) {
			if (ok)
				record(end - t);
			else
				result.errors++;
		}
		t = end;
	}
}

static void print_result(const char *server_report)
{
	int rr = result.test == TCP_RR || result.test == UDP_RR || result.test == TCP_CRR;
	printf("{\"engine\":\"cnb-perf\",\"version\":1,\"test\":\"%s\",\"size\":%d,\"response\":%d,\"seconds\":%.6f,"
	       "\"transactions\":%llu,\"errors\":%llu,\"bytes_sent\":%llu,\"datagrams_sent\":%llu,\"first_seq\":%llu,"
	       "\"last_seq\":%llu",
	       test_names[result.test], result.size, result.response, result.seconds, (unsigned long long)result.transactions,
	       (unsigned long long)result.errors, (unsigned long long)result.bytes_sent, (unsigned long long)result.datagrams_sent,
	       (unsigned long long)result.seq_start, (unsigned long long)result.seq_stop);
	if (result.have_retransmits)
		printf(",\"retransmits\":%ld", result.retransmits);
	printf(",\"server\":%s", server_report[0] ? server_report : "null");
	if (rr) {
		printf(",\"mean_ns\":%.1f,\"min_ns\":%llu,\"max_ns\":%llu,\"histogram\":{\"base\":1.01,\"unit\":\"ns\",\"buckets\":[",
		       result.transactions ? (double)result.sum_ns / (double)result.transactions : 0.0,
		       (unsigned long long)(result.transactions ? result.min_ns : 0), (unsigned long long)result.max_ns);
		const char *sep = "";
		for (int i = 0; i < BUCKETS; i++) {
			if (histogram[i]) {
				printf("%s[%d,%llu]", sep, i, (unsigned long long)histogram[i]);
				sep = ",";
			}
		}
		printf("]}");
	}
	printf("}\n");
}

/* Direct mode: the data connection(s) go straight to ip:port, whichever backend a load balancer picks for each. */
static int direct_client(const char *ip, int port)
{
	struct sockaddr_in sa = address(ip, port);
	memset(tx, 'q', sizeof tx);
	int data = -1;
	if (result.test == TCP_RR) {
		data = socket(AF_INET, SOCK_STREAM, 0);
		if (data < 0)
			fail("socket");
		nodelay(data);
		if (connect_within(data, &sa, CONNECT_TIMEOUT_MS) != 0) {
			fprintf(stderr, "cnb-perf: cannot reach the server at %s:%d: %s\n", ip, port, strerror(errno));
			return 2;
		}
	}
	uint64_t begin = now_ns();
	struct window w = { .from = begin + (uint64_t)result.warmup_ms * 1000000ull, .control = -1 };
	w.until = w.from + (uint64_t)result.duration_ms * 1000000ull;
	if (result.test == TCP_RR)
		client_tcp_rr(data, &w);
	else
		client_tcp_crr(&sa, &w);
	if (!w.started)
		start_window(&w);
	result.seconds = (double)(now_ns() - w.from) / 1e9;
	if (data >= 0)
		close(data);
	print_result("");
	return result.transactions > 0 ? 0 : 1;
}

static int client(const char *ip, int port, int server_cpu)
{
	struct sockaddr_in sa = address(ip, port);
	int control = socket(AF_INET, SOCK_STREAM, 0);
	if (control < 0)
		fail("socket");
	if (connect_within(control, &sa, CONNECT_TIMEOUT_MS) != 0) {
		fprintf(stderr, "cnb-perf: cannot reach the server at %s:%d: %s\n", ip, port, strerror(errno));
		return 2;
	}
	nodelay(control);
	char line[256];
	long seconds = (result.duration_ms + result.warmup_ms) / 1000 + 1;
	snprintf(line, sizeof line, "test=%s size=%d response=%d cpu=%d seconds=%ld\n", test_names[result.test], result.size, result.response,
		 server_cpu, seconds);
	if (send_line(control, line) != 0 || read_line(control, line, sizeof line) != 0) {
		fprintf(stderr, "cnb-perf: the server at %s:%d closed the control connection\n", ip, port);
		return 2;
	}
	if (strncmp(line, "ok port=", 8) != 0) {
		fprintf(stderr, "cnb-perf: the server refused the test: %s\n", line);
		return 2;
	}
	struct sockaddr_in data_sa = address(ip, (int)field(line, "port", 0));
	memset(tx, 'q', sizeof tx);

	int data = -1;
	if (result.test != TCP_CRR) {
		data = socket(AF_INET, is_udp(result.test) ? SOCK_DGRAM : SOCK_STREAM, 0);
		if (data < 0)
			fail("socket");
		if (result.test == TCP_RR)
			nodelay(data);
		if (connect_within(data, &data_sa, CONNECT_TIMEOUT_MS) != 0) {
			fprintf(stderr, "cnb-perf: cannot open the data connection to %s:%d: %s\n", ip, ntohs(data_sa.sin_port), strerror(errno));
			return 2;
		}
	}
	uint64_t begin = now_ns();
	struct window w = { .from = begin + (uint64_t)result.warmup_ms * 1000000ull, .control = control };
	w.until = w.from + (uint64_t)result.duration_ms * 1000000ull;
	switch (result.test) {
	case TCP_STREAM: client_tcp_stream(data, &w); break;
	case UDP_STREAM: client_udp_stream(data, &w); break;
	case TCP_RR: client_tcp_rr(data, &w); break;
	case UDP_RR: client_udp_rr(data, &w); break;
	case TCP_CRR: client_tcp_crr(&data_sa, &w); break;
	}
	uint64_t end = now_ns();
	if (!w.started)
		start_window(&w);
	if (send_line(control, "stop\n") != 0)
		fail("control connection lost");
	result.seconds = (double)(end - w.from) / 1e9;
	if (data >= 0)
		shutdown(data, SHUT_WR); /* TCP_STREAM: the receiver reads to the end */
	char report[512] = "";
	if (send_line(control, "report\n") != 0 || read_line(control, report, sizeof report) != 0)
		report[0] = '\0';
	print_result(report);
	return result.transactions > 0 || result.bytes_sent > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts(VERSION);
		return 0;
	}
	if (argc < 2)
		usage();
	const char *bind_ip = "0.0.0.0", *server_ip = NULL;
	int port = 0, server_cpu = -1, direct = 0, workers = DIRECT_WORKERS;
	result.test = -1;
	result.response = -1;
	for (int i = 2; i < argc; i += 2) {
		const char *key = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!value)
			usage();
		if (strcmp(key, "--port") == 0) port = atoi(value);
		else if (strcmp(key, "--bind") == 0) bind_ip = value;
		else if (strcmp(key, "--server") == 0) server_ip = value;
		else if (strcmp(key, "--test") == 0) result.test = parse_test(value);
		else if (strcmp(key, "--size") == 0) result.size = atoi(value);
		else if (strcmp(key, "--response") == 0) result.response = atoi(value);
		else if (strcmp(key, "--duration") == 0) result.duration_ms = (int)(atof(value) * 1000);
		else if (strcmp(key, "--warmup") == 0) result.warmup_ms = (int)(atof(value) * 1000);
		else if (strcmp(key, "--server-cpu") == 0) server_cpu = atoi(value);
		else if (strcmp(key, "--rate") == 0) result.rate_bps = atof(value);
		else if (strcmp(key, "--direct") == 0) direct = atoi(value);
		else if (strcmp(key, "--workers") == 0) workers = atoi(value);
		else usage();
	}
	if (port <= 0 || port > 65535)
		usage();
	if (direct && (result.test != TCP_RR && result.test != TCP_CRR)) {
		fputs("cnb-perf: --direct serves TCP_RR and TCP_CRR only\n", stderr);
		return 2;
	}
	if (direct && result.response < 0)
		result.response = result.size;
	if (direct && (result.size <= 0 || result.size > MAX_MESSAGE || result.response <= 0 || result.response > MAX_MESSAGE || workers < 1 || workers > 256))
		usage();
	if (strcmp(argv[1], "server") == 0)
		return direct ? direct_server(bind_ip, port, result.test, result.size, result.response, workers) : server(bind_ip, port);
	if (strcmp(argv[1], "client") != 0 || !server_ip || result.test < 0 || result.size <= 0 || result.size > MAX_MESSAGE ||
	    result.duration_ms <= 0 || result.warmup_ms < 0)
		usage();
	if (result.response < 0)
		result.response = result.size;
	if (result.response <= 0 || result.response > MAX_MESSAGE)
		usage();
	if (result.test == UDP_STREAM && result.size < 8) {
		fputs("cnb-perf: UDP_STREAM needs at least 8 bytes per datagram (the sequence number)\n", stderr);
		return 2;
	}
	return direct ? direct_client(server_ip, port) : client(server_ip, port, server_cpu);
}
