// (1) A stable cluster: no false deaths, no fences, everyone joined.
#include "scenario.h"

using namespace sim;

namespace {

void run_stable(const Params &p, ns duration)
{
	INFO("seed " << p.seed << ", " << p.nodes << " nodes");
	Cluster c(p);
	c.start_all(2 * kSec);
	c.run_until(duration);
	require_safe(c);
	if (!c.downs.empty() || !c.fences.empty() || !c.lefts.empty()) {
		FAIL(c.downs.size() << " deaths, " << c.fences.size() << " fences, "
				    << c.lefts.size() << " left\n" << describe(c));
	}
	// Everyone came up in everyone's view exactly once, and joined.
	REQUIRE(c.ups.size() == (size_t)(p.nodes * (p.nodes - 1)));
	REQUIRE(c.joins.size() == (size_t)p.nodes);
	std::set<uint32_t> all;
	for (uint32_t n = 0; n < (uint32_t)p.nodes; n++)
		all.insert(n);
	REQUIRE(set_str(survivors(c)) == set_str(all));
	require_agreement(c, all);
}

}  // namespace

TEST_CASE("stable cluster of 3 to 32 nodes: no false deaths", "[sim][liveness]")
{
	for (int n : {3, 4, 5, 8, 16, 32}) {
		for (uint64_t seed = 1; seed <= 2; seed++)
			run_stable(base_params(n, 100 * (uint64_t)n + seed),
				   n >= 16 ? 30 * kSec : 60 * kSec);
	}
}

TEST_CASE("stable cluster under CPU starvation (timers up to 1.5 intervals late), slow disk and lossy network",
	  "[sim][liveness]")
{
	for (int n : {3, 5, 8, 16}) {
		for (uint64_t seed = 1; seed <= 3; seed++)
			run_stable(harsh_params(n, 1000 * (uint64_t)n + seed),
				   n >= 16 ? 30 * kSec : 60 * kSec);
	}
}

TEST_CASE("stable cluster with the configfs defaults of 500 ms x 5 and 4 s idle timeout",
	  "[sim][liveness]")
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		Params p = harsh_params(5, 7000 + seed);
		p.interval_ms = 500;
		p.dead_threshold = 5;
		p.idle_timeout_ms = 4000;
		p.late_max = 750 * kMs;
		run_stable(p, 60 * kSec);
	}
}
