// (2) Crashes: every survivor declares every crashed node dead within the
// derived bound, and no survivor fences.
#include "scenario.h"

using namespace sim;

namespace {

ns g_max_detect = 0;

void run_crashes(const Params &p, int k)
{
	INFO("seed " << p.seed << ", " << p.nodes << " nodes, " << k << " crashes");
	Cluster c(p);
	c.start_all(2 * kSec);
	// Distinct victims, crashed at random times once the cluster is steady.
	std::vector<uint32_t> order;
	for (uint32_t n = 0; n < (uint32_t)p.nodes; n++)
		order.push_back(n);
	for (size_t a = order.size(); a > 1; a--)
		std::swap(order[a - 1], order[c.rand() % a]);
	std::set<uint32_t> victims(order.begin(), order.begin() + k);
	for (uint32_t v : victims)
		c.crash(v, c.rand_range(10 * kSec, 20 * kSec));
	c.run_until(20 * kSec + c.detect_bound() + 2 * kSec);
	require_safe(c);
	if (!c.fences.empty() || !c.lefts.empty())
		FAIL(c.fences.size() << " fences, " << c.lefts.size() << " left\n" << describe(c));
	REQUIRE(c.crashes.size() == victims.size());

	std::set<uint32_t> alive;
	for (uint32_t n = 0; n < (uint32_t)p.nodes; n++)
		if (!victims.count(n))
			alive.insert(n);
	REQUIRE(set_str(survivors(c)) == set_str(alive));
	for (const auto &cr : c.crashes) {
		uint64_t gen = c.inst(cr.inst).gen;
		for (uint32_t s : alive) {
			int r = c.current(s);
			const Rec *d = nullptr;
			for (const Rec &x : c.downs)
				if (x.inst == r && x.node == cr.node && x.gen == gen) {
					d = &x;
					break;
				}
			if (!d)
				FAIL("node " << s << " never declared crashed node " << cr.node
					     << " dead\n" << describe(c));
			ns took = d->t - cr.t;
			g_max_detect = std::max(g_max_detect, took);
			if (took > c.detect_bound() || took <= 0)
				FAIL("node " << s << " declared node " << cr.node << " dead after "
					     << took / kMs << " ms, bound " << c.detect_bound() / kMs
					     << " ms\n" << describe(c));
		}
	}
	require_agreement(c, alive);
}

}  // namespace

TEST_CASE("crashed nodes are declared dead in time by every survivor", "[sim][crash]")
{
	g_max_detect = 0;
	ns bound = 0;
	for (int n : {2, 3, 4, 5, 8, 16, 32}) {
		for (uint64_t seed = 1; seed <= (n >= 16 ? 1u : 4u); seed++) {
			Params p = base_params(n, 200 * (uint64_t)n + seed);
			Cluster probe(p);
			bound = probe.detect_bound();
			int k = 1 + (int)(seed % (uint64_t)std::max(1, n - 1));
			run_crashes(p, std::min(k, n - 1));
		}
	}
	printf("sim: crash detection, quiet cluster: max %lld ms (bound %lld ms)\n",
	       (long long)(g_max_detect / kMs), (long long)(bound / kMs));
}

TEST_CASE("crashes under CPU starvation and a slow disk are still detected in time",
	  "[sim][crash]")
{
	g_max_detect = 0;
	ns bound = 0;
	for (int n : {2, 3, 5, 8, 16}) {
		for (uint64_t seed = 1; seed <= (n >= 16 ? 1u : 4u); seed++) {
			Params p = harsh_params(n, 300 * (uint64_t)n + seed);
			Cluster probe(p);
			bound = probe.detect_bound();
			int k = 1 + (int)(seed % (uint64_t)std::max(1, n - 1));
			run_crashes(p, std::min(k, n - 1));
		}
	}
	printf("sim: crash detection, starved cluster: max %lld ms (bound %lld ms)\n",
	       (long long)(g_max_detect / kMs), (long long)(bound / kMs));
}

TEST_CASE("crash of the lowest node in a two-node cluster: the other survives", "[sim][crash]")
{
	for (uint64_t seed = 1; seed <= 5; seed++) {
		Params p = harsh_params(2, 400 + seed);
		Cluster c(p);
		INFO("seed " << p.seed);
		c.start_all(kSec);
		c.crash(0, 10 * kSec);
		c.run_until(30 * kSec);
		require_safe(c);
		REQUIRE(c.fences.empty());
		REQUIRE(set_str(survivors(c)) == "{1}");
	}
}
