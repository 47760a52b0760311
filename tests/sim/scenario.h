// Helpers shared by the simulator tests.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim.h"

namespace sim {

constexpr ns kSec = 1000 * kMs;

inline Params base_params(int nodes, uint64_t seed)
{
	Params p;
	p.nodes = nodes;
	p.seed = seed;
	return p;
}

// A harsh but survivable environment: the tolerance the defaults promise.
inline Params harsh_params(int nodes, uint64_t seed)
{
	Params p = base_params(nodes, seed);
	p.late_p = 0.3;
	p.late_max = (ns)p.interval_ms * kMs * 3 / 2;	// 1.5 x interval
	p.disk_mean = 10 * kMs;
	p.disk_max = 100 * kMs;
	p.disk_spike_p = 0.005;
	p.disk_spike_max = 250 * kMs;
	p.torn_p = 0.02;
	p.net_max = 20 * kMs;
	p.drop_p = 0.05;
	return p;
}

inline std::string describe(const Cluster &c)
{
	std::ostringstream o;
	o << "seed " << c.params().seed << ", " << c.params().nodes << " nodes\n";
	for (size_t k = 0; k < c.violations.size() && k < 10; k++)
		o << "VIOLATION: " << c.violations[k] << "\n";
	for (int i = 0; i < c.instances(); i++) {
		const Inst &x = c.inst(i);
		o << "instance " << i << ": node " << x.num << (x.crashed ? " crashed" : "")
		  << (x.fenced ? " fenced" : "") << ", hb state " << c.hb_state(i)
		  << (c.joined(i) ? ", joined" : "") << ", live view {";
		for (uint32_t n = 0; n < (uint32_t)c.params().nodes; n++)
			if (c.live_view(i, n))
				o << " " << n;
		o << " }\n";
	}
	o << "last log lines:\n" << c.log_tail();
	return o.str();
}

// The safety invariant is checked on every dead declaration.
inline void require_safe(const Cluster &c)
{
	if (!c.violations.empty())
		FAIL(describe(c));
}

// The instance that holds node number n: the newest one still running and
// heartbeating, else the newest one (a newcomer that found the number in use
// stops, and the older holder keeps it).
inline int holder(const Cluster &c, uint32_t n)
{
	for (int i = c.instances() - 1; i >= 0; i--)
		if (c.inst(i).num == n && c.running(i) && c.hb_state(i) == OCFSX_HB_ACTIVE)
			return i;
	return c.current(n);
}

// Node numbers whose newest instance is running, heartbeating and joined.
// (Its I/O gate may be closed for a moment while a late heartbeat write
// completion is processed; that is a pause, not a fence.)
inline std::set<uint32_t> survivors(const Cluster &c)
{
	std::set<uint32_t> s;
	for (uint32_t n = 0; n < (uint32_t)c.params().nodes; n++) {
		int i = holder(c, n);
		if (i >= 0 && c.running(i) && c.hb_state(i) == OCFSX_HB_ACTIVE &&
		    c.joined(i))
			s.insert(n);
	}
	return s;
}

inline std::string set_str(const std::set<uint32_t> &s)
{
	std::string o = "{";
	for (uint32_t n : s)
		o += (o.size() > 1 ? "," : "") + std::to_string(n);
	return o + "}";
}

// Every survivor sees exactly the other survivors as live.
inline void require_agreement(const Cluster &c, const std::set<uint32_t> &alive)
{
	for (uint32_t r : alive) {
		int i = holder(c, r);
		for (uint32_t n : alive) {
			if (n == r)
				continue;
			if (!c.live_view(i, n))
				FAIL("node " << r << " does not see node " << n
					     << " live\n" << describe(c));
		}
		for (uint32_t n = 0; n < (uint32_t)c.params().nodes; n++)
			if (!alive.count(n) && c.live_view(i, n))
				FAIL("node " << r << " still sees node " << n
					     << " live\n" << describe(c));
	}
}

}  // namespace sim
