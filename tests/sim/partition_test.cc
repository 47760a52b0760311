// (3) Network partitions: the dead-declaration safety invariant holds at
// every instant, at most one group survives, and the group the rule favours
// survives whole. (4) Even splits: the half with the lowest node survives.
#include "scenario.h"

using namespace sim;

namespace {

ns g_max_stall = 0;	// partition -> last survivor declares the losers dead

// Groups of group_of (size nodes); returns the survivors after settling.
std::set<uint32_t> run_partition(Cluster &c, const std::vector<int> &group_of)
{
	const Params &p = c.params();
	c.start_all(2 * kSec);
	ns t_p = 10 * kSec + c.rand_range(0, kSec);
	c.partition(group_of, t_p);
	// Connection loss is seen after the idle timeout (+ a keepalive period),
	// the rule applies after the grace, the losers' heartbeat then dies.
	ns settle = t_p + (ns)(p.idle_timeout_ms + p.keepalive_ms) * kMs + c.grace_ns() +
		    c.detect_bound() + 3 * kSec;
	c.run_until(settle);
	require_safe(c);
	std::set<uint32_t> surv = survivors(c);

	std::set<int> groups_alive;
	for (uint32_t n : surv)
		groups_alive.insert(group_of[n]);
	if (groups_alive.size() > 1)
		FAIL("two groups survive: " << set_str(surv) << "\n" << describe(c));

	// Which group the rule favours (nobody crashed: every node is live).
	int n = p.nodes, favoured = -1;
	for (int g = 0; g < 3; g++) {
		int size = 0;
		bool lowest = group_of[0] == g;
		for (int x : group_of)
			size += x == g;
		if (2 * size > n || (2 * size == n && lowest))
			favoured = g;
	}
	if (favoured >= 0) {
		std::set<uint32_t> want;
		for (uint32_t x = 0; x < (uint32_t)n; x++)
			if (group_of[x] == favoured)
				want.insert(x);
		if (surv != want)
			FAIL("survivors " << set_str(surv) << ", the rule favours "
					  << set_str(want) << "\n" << describe(c));
		for (const Rec &d : c.downs) {
			const Inst &r = c.inst(d.inst);
			if (want.count(r.num) && !want.count(d.node))
				g_max_stall = std::max(g_max_stall, d.t - t_p);
		}
	}
	// Heal: the losers stay fenced, the survivors agree.
	c.heal(settle);
	c.run_until(settle + 10 * kSec);
	require_safe(c);
	if (survivors(c) != surv)
		FAIL("after healing, survivors " << set_str(survivors(c)) << ", before "
						 << set_str(surv) << "\n" << describe(c));
	require_agreement(c, surv);
	return surv;
}

std::vector<int> random_groups(Cluster &c, int nodes, int k)
{
	std::vector<int> g(nodes);
	for (;;) {
		std::vector<int> size(k, 0);
		for (int x = 0; x < nodes; x++)
			size[g[x] = (int)(c.rand() % (uint64_t)k)]++;
		if (std::all_of(size.begin(), size.end(), [](int s) { return s > 0; }))
			return g;
	}
}

}  // namespace

TEST_CASE("random partitions into 2 or 3 groups: at most one group survives, safely",
	  "[sim][partition]")
{
	g_max_stall = 0;
	for (int n : {3, 4, 5, 6, 7, 9, 12}) {
		for (uint64_t seed = 1; seed <= 6; seed++) {
			Params p = seed % 2 ? base_params(n, 500 * (uint64_t)n + seed) :
					      harsh_params(n, 500 * (uint64_t)n + seed);
			Cluster c(p);
			INFO("seed " << p.seed << ", " << n << " nodes");
			int k = n >= 3 && seed % 3 == 0 ? 3 : 2;
			run_partition(c, random_groups(c, n, k));
		}
	}
	printf("sim: partition -> majority declares the minority dead: max %lld ms\n",
	       (long long)(g_max_stall / kMs));
}

TEST_CASE("even split: the half holding the lowest node number survives", "[sim][partition]")
{
	for (int n : {2, 4, 6, 8, 10}) {
		for (uint64_t seed = 1; seed <= 3; seed++) {
			Params p = seed == 2 ? harsh_params(n, 600 * (uint64_t)n + seed) :
					       base_params(n, 600 * (uint64_t)n + seed);
			Cluster c(p);
			INFO("seed " << p.seed << ", " << n << " nodes");
			std::vector<int> g(n, 1);
			// Random half; node 0 may be on either side.
			std::vector<uint32_t> order;
			for (uint32_t x = 0; x < (uint32_t)n; x++)
				order.push_back(x);
			for (size_t a = order.size(); a > 1; a--)
				std::swap(order[a - 1], order[c.rand() % a]);
			for (int x = 0; x < n / 2; x++)
				g[order[x]] = 0;
			std::set<uint32_t> want;
			for (uint32_t x = 0; x < (uint32_t)n; x++)
				if (g[x] == g[0])
					want.insert(x);
			REQUIRE(set_str(run_partition(c, g)) == set_str(want));
		}
	}
}

TEST_CASE("a node live on disk but cut from the network fences itself", "[sim][partition]")
{
	for (int n : {3, 4, 5, 8}) {
		for (uint64_t seed = 1; seed <= 2; seed++) {
			Params p = base_params(n, 700 * (uint64_t)n + seed);
			Cluster c(p);
			INFO("seed " << p.seed << ", " << n << " nodes");
			std::vector<int> g(n, 0);
			uint32_t lonely = (uint32_t)(c.rand() % (uint64_t)n);
			g[lonely] = 1;
			std::set<uint32_t> surv = run_partition(c, g);
			REQUIRE(!surv.count(lonely));
			REQUIRE(surv.size() == (size_t)n - 1);
		}
	}
}

TEST_CASE("two nodes, node 0 cut from the network: node 0 survives (documented failure mode)",
	  "[sim][partition]")
{
	Params p = base_params(2, 800);
	Cluster c(p);
	REQUIRE(set_str(run_partition(c, {1, 0})) == "{0}");
}
