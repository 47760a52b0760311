// Deterministic discrete-event simulator for the cluster protocol cores
// (kernel/cluster/hb_core.c and quorum_core.c, compiled as C).
//
// One virtual clock; N nodes each with their own monotonic clock (a random
// offset from the virtual one); a shared disk of heartbeat blocks with
// random per-I/O latency and stalls; a network of per-pair links with delay,
// drops and partitions; crashes, restarts and CPU starvation (every action a
// node takes runs late by a random amount). Everything is driven by one
// seeded PRNG, so a seed replays a run exactly.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "hb_core.h"
#include "quorum_core.h"
}

namespace sim {

using ns = int64_t;
constexpr ns kMs = 1000000;

struct Params {
	int nodes = 3;
	uint64_t seed = 1;
	// Protocol configuration (what configfs would hold).
	uint32_t interval_ms = OCFSX_HB_DEFAULT_INTERVAL_MS;
	uint32_t dead_threshold = OCFSX_HB_DEFAULT_DEAD_THRESHOLD;
	uint32_t fence_margin_ms = 0;	// 0: core default
	uint32_t idle_timeout_ms = 3000;
	uint32_t keepalive_ms = 1000;
	uint32_t reconnect_ms = 500;
	uint32_t grace_ms = 0;		// 0: ocfsx_quo_default_grace_ms()
	// Disk: each I/O has two phases (submit -> effect, effect -> done), each
	// min + exponential(mean), capped at max; with spike_p one phase takes
	// up to spike_max instead.
	ns disk_min = kMs / 5;
	ns disk_mean = 3 * kMs;
	ns disk_max = 40 * kMs;
	double disk_spike_p = 0.0;
	double torn_p = 0.0;		// a write reads invalid just before it lands
	ns disk_spike_max = 0;
	// CPU starvation: with late_p, an action finding the node's CPU free
	// starts a window of up to late_max in which the node runs nothing;
	// what became ready meanwhile then runs in order.
	double late_p = 0.0;
	ns late_max = 0;
	// Network: one-way delay uniform in [min, max]; each message dropped
	// with drop_p.
	ns net_min = kMs / 10;
	ns net_max = 2 * kMs;
	double drop_p = 0.0;
	bool verbose = false;
};

struct Rec {
	ns t;			// virtual time
	int inst;		// reporting instance
	uint32_t node;
	uint64_t gen;
	uint32_t reason;
};

struct Inst;

class Cluster {
public:
	explicit Cluster(const Params &p);
	~Cluster();

	const Params &params() const { return p_; }
	ns now() const { return now_; }

	// Scheduled actions (at virtual time t).
	void start(uint32_t node, ns t);		// a new instance
	void start_all(ns spread);			// every node in [0, spread]
	void crash(uint32_t node, ns t);		// every instance of node
	void restart(uint32_t node, ns t_crash, ns t_start);
	void partition(const std::vector<int> &group_of_node, ns t);
	void heal(ns t);
	void stall_disk(int node_or_all, ns from, ns len);	// -1: all
	void freeze(uint32_t node, ns from, ns len);	// CPU fully starved
	void stop(uint32_t node, ns t);			// clean stop

	void run_until(ns t);

	// Results.
	std::vector<std::string> violations;
	std::vector<Rec> ups, downs, fences, lefts, same_node, joins;
	struct CrashRec {
		uint32_t node;
		int inst;
		ns t;
	};
	std::vector<CrashRec> crashes;

	int instances() const { return (int)inst_.size(); }
	const Inst &inst(int i) const { return *inst_[i]; }
	int current(uint32_t node) const;	// newest instance, or -1
	bool running(int i) const;		// not crashed, not fenced
	bool io_allowed(int i) const;		// at virtual now
	bool joined(int i) const;
	bool live_view(int i, uint32_t node) const;
	uint32_t hb_state(int i) const;
	std::string log_tail(size_t lines = 60) const;
	uint64_t rand();			// the simulator's PRNG
	double rand01();
	ns rand_range(ns lo, ns hi);		// [lo, hi]

	// Bounds derived from the configuration (docs/cluster-protocol.md).
	ns dead_ns() const;
	ns interval_ns() const;
	ns grace_ns() const;
	ns detect_bound() const;	// crash -> every survivor's DOWN

	// Internal, used by the C callbacks.
	void on_hb_event(Inst &in, const ocfsx_proto_event *ev);
	void on_quo_event(Inst &in, const ocfsx_proto_event *ev);
	void log(Inst &in, int level, const char *line);
	ns local_now(const Inst &in) const;

private:
	struct Ev {
		ns t;
		uint64_t seq;
		std::function<void()> fn;
		bool operator>(const Ev &o) const
		{
			return t != o.t ? t > o.t : seq > o.seq;
		}
	};
	void at(ns t, std::function<void()> fn);
	void on_node(int i, ns t, std::function<void(Inst &)> fn);
	void run_node(int i, std::function<void(Inst &)> fn, bool deferred);
	void after_call(Inst &in);
	void arm(Inst &in, int which, ns d);
	void hb_tick(int i, uint64_t k);
	void hb_read_done(int i, ns issue, ns t_done, ns from_v, ns done_v);
	void hb_write(int i, const ocfsx_hb_write &w);
	void net_tick(int i);
	void idle_tick(int i);
	void send(int from, uint32_t to);
	void deliver(int i, uint32_t from);
	ns disk_phase(int node);
	ns lateness();
	void do_crash(Inst &in);
	void check_down(Inst &r, const ocfsx_proto_event *ev);

	Params p_;
	ns now_ = 0;
	uint64_t seq_ = 0;
	uint64_t rng_;
	std::priority_queue<Ev, std::vector<Ev>, std::greater<Ev>> q_;
	std::vector<std::unique_ptr<Inst>> inst_;
	std::vector<int> group_;		// partition group per node
	struct Stall {
		int node;
		ns from, to;
	};
	std::vector<Stall> stalls_;
	// Heartbeat blocks: per node, (effect time, content) in time order.
	struct Block {
		ns t;
		ocfsx_hb_sample s;
	};
	std::vector<std::vector<Block>> disk_;
	std::deque<std::string> log_;
};

struct Inst {
	Cluster *c;
	int id;
	uint32_t num;
	uint64_t gen;
	ns offset;		// local clock = virtual + offset
	ns started;
	bool crashed = false;
	bool fenced = false;
	ns frozen_until = 0;
	ocfsx_proto_env env_hb{}, env_q{};
	ocfsx_hb_core hb{};
	ocfsx_quo_core q{};
	// Heartbeat thread.
	ns t0 = 0;		// virtual time of tick 0
	bool write_busy = false;
	bool read_busy = false;
	// One timer per core (0: hb, 1: quorum) for its next deadline.
	struct Timer {
		uint64_t seq = 0, token = 0;
		ns at = 0;
	} timers[2];
	// TCP layer view, per peer node number (local times).
	std::vector<ns> last_rx;
	std::vector<ns> down_at;
	std::vector<char> conn;
};

}  // namespace sim
