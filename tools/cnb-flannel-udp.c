// SPDX-License-Identifier: Apache-2.0
/*
 * cnb-flannel-udp: Flannel's UDP backend, the way flanneld ran it (its udp backend's packet loop was C too): the
 * kernel routes pod traffic for other nodes into a TUN device (flannel0); this daemon reads each IP packet from it,
 * looks up which node owns the destination's /24 and sends the bare packet to that node in one UDP datagram (port
 * 8285); datagrams arriving on the port are written back into flannel0. One packet per read(2), one per sendto(2):
 * the user/kernel crossings are the cost this datapath exists to show.
 *
 *   cnb-flannel-udp <tun> <local-ipv4> <port> <cidr>=<node-ipv4> [<cidr>=<node-ipv4> ...]
 *
 * The TUN device is created and configured by `ip tuntap add ... mode tun` beforehand; this program attaches to it
 * (TUNSETIFF, IFF_TUN | IFF_NO_PI). It runs until SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ROUTES 256
#define MAX_PACKET 65536

struct route {
	uint32_t network; /* host byte order */
	uint32_t mask;
	struct sockaddr_in node;
};

static struct route routes[MAX_ROUTES];
static int route_count;
static volatile sig_atomic_t stopping;
static unsigned long long sent, received, unroutable;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "cnb-flannel-udp: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_tun(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/net/tun");
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF");
	return fd;
}

static void parse_route(const char *arg)
{
	char cidr[64], node[64];
	unsigned prefix;
	struct in_addr addr;
	const char *eq = strchr(arg, '=');
	const char *slash = strchr(arg, '/');
	if (!eq || !slash || slash > eq || route_count == MAX_ROUTES || (size_t)(eq - arg) >= sizeof cidr) {
		fprintf(stderr, "cnb-flannel-udp: bad route %s (want a.b.c.d/len=node-ip)\n", arg);
		exit(2);
	}
	memcpy(cidr, arg, (size_t)(slash - arg));
	cidr[slash - arg] = 0;
	prefix = (unsigned)atoi(slash + 1);
	snprintf(node, sizeof node, "%s", eq + 1);
	struct route *r = &routes[route_count++];
	if (inet_pton(AF_INET, cidr, &addr) != 1 || prefix > 32 || inet_pton(AF_INET, node, &r->node.sin_addr) != 1) {
		fprintf(stderr, "cnb-flannel-udp: bad route %s\n", arg);
		exit(2);
	}
	r->mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
	r->network = ntohl(addr.s_addr) & r->mask;
	r->node.sin_family = AF_INET;
}

static const struct sockaddr_in *node_for(uint32_t daddr)
{
	for (int i = 0; i < route_count; i++)
		if ((daddr & routes[i].mask) == routes[i].network)
			return &routes[i].node;
	return NULL;
}

int main(int argc, char **argv)
{
	static unsigned char packet[MAX_PACKET];
	if (argc < 5) {
		fprintf(stderr, "usage: cnb-flannel-udp <tun> <local-ipv4> <port> <cidr>=<node-ipv4>...\n");
		return 2;
	}
	uint16_t port = (uint16_t)atoi(argv[3]);
	for (int i = 4; i < argc; i++)
		parse_route(argv[i]);
	for (int i = 0; i < route_count; i++)
		routes[i].node.sin_port = htons(port);

	int tun = open_tun(argv[1]);
	int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (udp < 0 || inet_pton(AF_INET, argv[2], &local.sin_addr) != 1)
		die("socket");
	if (bind(udp, (struct sockaddr *)&local, sizeof local) < 0)
		die("bind");

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fprintf(stderr, "cnb-flannel-udp: %s on %s:%u, %d routes\n", argv[1], argv[2], port, route_count);

	struct pollfd fds[2] = { { .fd = tun, .events = POLLIN }, { .fd = udp, .events = POLLIN } };
	while (!stopping) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (fds[0].revents & POLLIN) {
			ssize_t n = read(tun, packet, sizeof packet);
			if (n >= (ssize_t)sizeof(struct iphdr)) {
				const struct iphdr *ip = (const struct iphdr *)packet;
				const struct sockaddr_in *node = node_for(ntohl(ip->daddr));
				if (node && sendto(udp, packet, (size_t)n, 0, (const struct sockaddr *)node, sizeof *node) == n)
					sent++;
				else
					unroutable++;
			}
		}
		if (fds[1].revents & POLLIN) {
			ssize_t n = recv(udp, packet, sizeof packet, 0);
			if (n > 0 && write(tun, packet, (size_t)n) == n)
				received++;
		}
	}
	fprintf(stderr, "cnb-flannel-udp: stopping; %llu sent, %llu received, %llu unroutable\n", sent, received, unroutable);
	return 0;
}
