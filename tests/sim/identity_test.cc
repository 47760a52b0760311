// (5) Two nodes with one node number. (6) Restart: down, then up with a new
// generation. Plus a clean stop.
#include "scenario.h"

using namespace sim;

namespace {

bool reported_same_node(const Cluster &c, int inst, uint32_t node)
{
	for (const Rec &r : c.same_node)
		if (r.inst == inst && r.node == node)
			return true;
	return false;
}

}  // namespace

TEST_CASE("a newcomer with a node number already in use stops and reports", "[sim][identity]")
{
	for (int n : {3, 5}) {
		for (uint64_t seed = 1; seed <= 4; seed++) {
			Params p = seed % 2 ? base_params(n, 900 * (uint64_t)n + seed) :
					      harsh_params(n, 900 * (uint64_t)n + seed);
			Cluster c(p);
			INFO("seed " << p.seed << ", " << n << " nodes");
			c.start_all(2 * kSec);
			uint32_t dup = (uint32_t)(c.rand() % (uint64_t)n);
			c.start(dup, 10 * kSec);
			c.run_until(25 * kSec);
			require_safe(c);
			int newcomer = c.current(dup);
			int old = -1;
			for (int i = 0; i < c.instances(); i++)
				if (c.inst(i).num == dup && i != newcomer)
					old = i;
			REQUIRE(old >= 0);
			// The newcomer never wrote: it reported and stopped.
			CHECK(reported_same_node(c, newcomer, dup));
			CHECK(c.hb_state(newcomer) == OCFSX_HB_CONFLICT);
			// Nobody else noticed anything.
			CHECK(c.fences.empty());
			CHECK(c.downs.empty());
			CHECK(c.hb_state(old) == OCFSX_HB_ACTIVE);
			CHECK(c.joined(old));
		}
	}
}

TEST_CASE("two nodes starting with the same number at once: at least one stops and reports",
	  "[sim][identity]")
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		Params p = base_params(4, 950 + seed);
		Cluster c(p);
		INFO("seed " << p.seed);
		for (uint32_t x : {0u, 1u, 3u})
			c.start(x, c.rand_range(0, 2 * kSec));
		// Node 2 twice, at most 100 ms apart: neither sees the other
		// before it starts writing.
		ns t2 = c.rand_range(0, 2 * kSec);
		c.start(2, t2);
		c.start(2, t2 + c.rand_range(0, 100 * kMs));
		c.run_until(25 * kSec);
		require_safe(c);
		int a = -1, b = -1;
		for (int i = 0; i < c.instances(); i++)
			if (c.inst(i).num == 2)
				(a < 0 ? a : b) = i;
		REQUIRE(b >= 0);
		// At least one reports and stops at once; a lone remaining one
		// then is the only writer of the number, which is consistent.
		int stopped = 0, active = 0;
		for (int i : {a, b}) {
			if (c.hb_state(i) == OCFSX_HB_ACTIVE) {
				active++;
			} else {
				stopped++;
				CHECK(reported_same_node(c, i, 2));
			}
		}
		CHECK(stopped >= 1);
		CHECK(active <= 1);
		// The other nodes carry on and agree on node 2.
		std::set<uint32_t> surv = survivors(c);
		surv.erase(2);
		CHECK(set_str(surv) == "{0,1,3}");
		for (uint32_t r : {0u, 1u, 3u})
			CHECK(c.live_view(c.current(r), 2) == (active == 1));
		for (int i : {a, b})
			if (c.hb_state(i) == OCFSX_HB_ACTIVE)
				CHECK(c.joined(i));
	}
}

TEST_CASE("a restarted node goes down, then comes up with a new generation", "[sim][identity]")
{
	for (int n : {2, 3, 5, 8}) {
		for (uint64_t seed = 1; seed <= 4; seed++) {
			Params p = seed <= 2 ? base_params(n, 1100 * (uint64_t)n + seed) :
					       harsh_params(n, 1100 * (uint64_t)n + seed);
			Cluster c(p);
			INFO("seed " << p.seed << ", " << n << " nodes");
			c.start_all(2 * kSec);
			uint32_t x = (uint32_t)(c.rand() % (uint64_t)n);
			// Fast (before it is declared dead) or slow restart.
			ns back = seed % 2 ? 300 * kMs : 6 * kSec;
			c.restart(x, 10 * kSec, 10 * kSec + back);
			c.run_until(30 * kSec);
			require_safe(c);
			REQUIRE(c.fences.empty());
			int old_i = -1, new_i = c.current(x);
			for (int i = 0; i < c.instances(); i++)
				if (c.inst(i).num == x && i != new_i)
					old_i = i;
			uint64_t g_old = c.inst(old_i).gen, g_new = c.inst(new_i).gen;
			REQUIRE(g_old != g_new);
			for (uint32_t s = 0; s < (uint32_t)n; s++) {
				if (s == x)
					continue;
				int r = c.current(s);
				ns t_down = -1, t_up = -1;
				for (const Rec &d : c.downs)
					if (d.inst == r && d.node == x && d.gen == g_old)
						t_down = d.t;
				for (const Rec &u : c.ups)
					if (u.inst == r && u.node == x && u.gen == g_new)
						t_up = u.t;
				INFO("survivor " << s << ": down at " << t_down << ", up at " << t_up);
				CHECK(t_down > 0);
				CHECK(t_up > t_down);
			}
			std::set<uint32_t> all;
			for (uint32_t s = 0; s < (uint32_t)n; s++)
				all.insert(s);
			CHECK(set_str(survivors(c)) == set_str(all));
			require_agreement(c, all);
		}
	}
}

TEST_CASE("a clean stop is seen at once, without waiting for the dead time", "[sim][identity]")
{
	for (uint64_t seed = 1; seed <= 4; seed++) {
		Params p = base_params(4, 1300 + seed);
		Cluster c(p);
		INFO("seed " << p.seed);
		c.start_all(2 * kSec);
		c.stop(3, 10 * kSec);
		c.run_until(20 * kSec);
		require_safe(c);
		REQUIRE(c.fences.empty());
		for (const Rec &d : c.downs) {
			CHECK(d.node == 3);
			CHECK(d.reason == OCFSX_REASON_STOPPED);
			CHECK(d.t - 10 * kSec < c.dead_ns());
		}
		CHECK(c.downs.size() == 3);
		CHECK(set_str(survivors(c)) == "{0,1,2}");
	}
}
