// (7) Random scenarios with fixed seeds: crashes, restarts, partitions,
// disk stalls, CPU freezes and clean stops, in random harsh environments.
// Checked: the safety invariant at every dead declaration; at most one group
// survives a long partition; after everything heals, the survivors agree.
#include "scenario.h"

using namespace sim;

namespace {

struct Stats {
	int scenarios = 0, fences = 0, deaths = 0, partitions = 0;
};

void random_scenario(uint64_t seed, Stats &st)
{
	Params p = base_params(3, seed);
	{
		Cluster pick(p);	// the seed's own PRNG picks the world
		p.nodes = pick.rand() % 20 == 0 ? 16 : 3 + (int)(pick.rand() % 8);
		p.late_p = pick.rand01() * 0.4;
		p.late_max = (ns)(pick.rand01() * 1.5 * p.interval_ms) * kMs;
		p.disk_mean = pick.rand_range(1, 15) * kMs;
		p.disk_max = pick.rand_range(50, 150) * kMs;
		p.disk_spike_p = pick.rand01() * 0.01;
		p.disk_spike_max = 300 * kMs;
		p.torn_p = pick.rand01() * 0.05;
		p.drop_p = pick.rand01() * 0.1;
		p.net_max = pick.rand_range(1, 30) * kMs;
	}
	Cluster c(p);
	INFO("seed " << seed << ", " << p.nodes << " nodes");
	const int n = p.nodes;
	c.start_all(2 * kSec);

	ns t = 8 * kSec;
	const ns end_actions = 32 * kSec;
	const ns long_part = (ns)(p.idle_timeout_ms + p.keepalive_ms) * kMs + c.grace_ns() +
			     c.detect_bound() + kSec;
	struct Check {
		ns at;
		std::vector<int> groups;
	};
	std::vector<Check> checks;
	while (t < end_actions) {
		uint32_t x = (uint32_t)(c.rand() % (uint64_t)n);
		switch (c.rand() % 6) {
		case 0:
			c.crash(x, t);
			break;
		case 1:
			c.restart(x, t, t + c.rand_range(300 * kMs, 8 * kSec));
			break;
		case 2: {
			int k = 2 + (int)(c.rand() % 2);
			std::vector<int> g(n);
			for (int &v : g)
				v = (int)(c.rand() % (uint64_t)k);
			bool is_long = c.rand() % 2;
			ns len = is_long ? long_part + c.rand_range(0, 3 * kSec) :
					   c.rand_range(500 * kMs, 2500 * kMs);
			c.partition(g, t);
			if (getenv("OCFSX_SIM_VERBOSE"))
				fprintf(stderr, "plan: partition at %.3f for %.3f s, long %d\n",
					(double)t / 1e9, (double)len / 1e9, (int)is_long);
			c.heal(t + len);
			if (is_long)
				checks.push_back({t + len - 1, g});
			st.partitions++;
			t += len;
			break;
		}
		case 3:
			c.stall_disk((int)x, t, c.rand_range(100 * kMs, 3 * kSec));
			break;
		case 4:
			c.freeze(x, t, c.rand_range(100 * kMs, 2500 * kMs));
			break;
		case 5:
			if (c.rand() % 3 == 0)
				c.stop(x, t);
			break;
		}
		t += c.rand_range(500 * kMs, 6 * kSec);
	}
	for (const Check &k : checks) {
		c.run_until(k.at);
		if (getenv("OCFSX_SIM_VERBOSE"))
			fprintf(stderr, "check at %.3f\n", (double)k.at / 1e9);
		std::set<int> groups_alive;
		std::set<uint32_t> surv = survivors(c);
		for (uint32_t s : surv)
			groups_alive.insert(k.groups[s]);
		if (groups_alive.size() > 1)
			FAIL("two groups survive a partition: " << set_str(surv) << "\n" << describe(c));
	}
	const ns end = std::max(t, end_actions) + 15 * kSec;
	c.run_until(end);
	require_safe(c);

	// Settled: every running heartbeating node is joined; survivors agree.
	std::set<uint32_t> surv = survivors(c);
	for (uint32_t s = 0; s < (uint32_t)n; s++) {
		int i = holder(c, s);
		if (i >= 0 && c.running(i) && c.hb_state(i) == OCFSX_HB_ACTIVE && !c.joined(i))
			FAIL("node " << s << " heartbeats but never joined\n" << describe(c));
	}
	require_agreement(c, surv);
	st.scenarios++;
	st.fences += (int)c.fences.size();
	st.deaths += (int)c.downs.size();
}

}  // namespace

TEST_CASE("random scenarios", "[sim][random]")
{
	// OCFSX_SIM_SOAK=<n> runs n scenarios instead (and other seeds).
	const char *soak = getenv("OCFSX_SIM_SOAK");
	uint64_t count = soak ? strtoull(soak, nullptr, 0) : 300;
	uint64_t first = soak ? 0x50a40000 : 0x5eed0000;
	Stats st;
	for (uint64_t seed = 1; seed <= count; seed++)
		random_scenario(first + seed, st);
	printf("sim: %d random scenarios, %d partitions, %d dead declarations, %d fences\n",
	       st.scenarios, st.partitions, st.deaths, st.fences);
}

// Replays one seed with every log line: OCFSX_SIM_SEED=<seed> sim_tests "[.replay]"
TEST_CASE("replay one random scenario", "[.replay]")
{
	const char *s = getenv("OCFSX_SIM_SEED");
	if (!s)
		return;
	setenv("OCFSX_SIM_VERBOSE", "1", 1);
	Stats st;
	random_scenario(strtoull(s, nullptr, 0), st);
}
