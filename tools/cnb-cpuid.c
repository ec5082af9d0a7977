// SPDX-License-Identifier: Apache-2.0
/*
 * cnb-cpuid: the hypervisor's own signature, read with the CPUID instruction (leaf 0x40000000 and the leaves a
 * hypervisor may stack above it in steps of 0x100, as the Linux kernel scans them). Unlike the kernel's boot message,
 * which scrolls out of the ring buffer, CPUID answers the same every time, so a machine's fingerprint stays the same
 * from run to run.
 *
 *   cnb-cpuid     prints {"hypervisorBit":true,"signatures":["KVMKVMKVM"]}
 */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
			putchar(*s);
		else
			printf("\\u%04x", (unsigned char)*s);
	}
	putchar('"');
}

int main(void)
{
	unsigned int a, b, c, d;
	__cpuid(1, a, b, c, d);
	int hypervisor = (c >> 31) & 1;
	printf("{\"hypervisorBit\":%s,\"signatures\":[", hypervisor ? "true" : "false");
	const char *sep = "";
	for (unsigned int leaf = 0x40000000; hypervisor && leaf < 0x40010000; leaf += 0x100) {
		__cpuid(leaf, a, b, c, d);
		if (a < leaf)
			continue; /* no hypervisor leaf here: the CPU returns the highest basic leaf's data instead */
		char signature[13];
		memcpy(signature, &b, 4);
		memcpy(signature + 4, &c, 4);
		memcpy(signature + 8, &d, 4);
		signature[12] = '\0';
		if (signature[0] == '\0')
			continue;
		fputs(sep, stdout);
		print_json_string(signature);
		sep = ",";
	}
	puts("]}");
	return 0;
}
