// Deterministic simulator of the cluster protocol cores: see sim.h.
#include "sim.h"

#include <algorithm>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstdarg>
#include <cstdio>
#include <sstream>

namespace sim {

namespace {

extern "C" ocfsx_ns_t env_now(void *priv)
{
	auto *in = static_cast<Inst *>(priv);
	return in->c->local_now(*in);
}

extern "C" __attribute__((format(printf, 3, 4))) void env_log(void *priv, int level,
							     const char *fmt, ...)
{
	auto *in = static_cast<Inst *>(priv);
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	in->c->log(*in, level, buf);
}

extern "C" void env_hb_event(void *priv, const ocfsx_proto_event *ev)
{
	auto *in = static_cast<Inst *>(priv);
	in->c->on_hb_event(*in, ev);
}

extern "C" void env_quo_event(void *priv, const ocfsx_proto_event *ev)
{
	auto *in = static_cast<Inst *>(priv);
	in->c->on_quo_event(*in, ev);
}

}  // namespace

Cluster::Cluster(const Params &p) : p_(p), rng_(p.seed * 0x9E3779B97F4A7C15ULL + 1)
{
	group_.assign(p_.nodes, 0);
	disk_.resize(p_.nodes);
	// Every block starts as a stale, valid block of an earlier incarnation.
	for (int n = 0; n < p_.nodes; n++) {
		ocfsx_hb_sample s{};
		s.valid = true;
		s.generation = rand() | 1;
		s.seq = 1 + rand() % 1000;
		s.interval_ms = p_.interval_ms;
		s.dead_ms = p_.interval_ms * p_.dead_threshold;
		disk_[n].push_back({-1, s});
	}
}

Cluster::~Cluster() = default;

uint64_t Cluster::rand()
{
	// splitmix64: tiny, fast and identical everywhere.
	uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

double Cluster::rand01()
{
	return (double)(rand() >> 11) * (1.0 / 9007199254740992.0);
}

ns Cluster::rand_range(ns lo, ns hi)
{
	if (hi <= lo)
		return lo;
	return lo + (ns)(rand() % (uint64_t)(hi - lo + 1));
}

ns Cluster::interval_ns() const { return (ns)p_.interval_ms * kMs; }
ns Cluster::dead_ns() const { return interval_ns() * p_.dead_threshold; }

ns Cluster::grace_ns() const
{
	uint32_t g = p_.grace_ms ? p_.grace_ms :
		     ocfsx_quo_default_grace_ms(p_.interval_ms, p_.dead_threshold);
	return (ns)g * kMs;
}

ns Cluster::detect_bound() const
{
	// docs/cluster-protocol.md §5: dead time + 2 intervals, plus one write
	// and two read latencies, plus the lateness of two of the reader's
	// ticks and of the processing of a read completion.
	ns io = std::max(p_.disk_max, p_.disk_spike_max) * 2;
	return dead_ns() + 2 * interval_ns() + 3 * io + 3 * p_.late_max;
}

ns Cluster::local_now(const Inst &in) const { return now_ + in.offset; }

void Cluster::at(ns t, std::function<void()> fn)
{
	q_.push(Ev{std::max(t, now_), seq_++, std::move(fn)});
}

ns Cluster::lateness()
{
	if (p_.late_max <= 0 || rand01() >= p_.late_p)
		return 0;
	return rand_range(0, p_.late_max);
}

// Run fn on instance i at virtual time t, as late as its CPU makes it. A
// starved node is one thread that cannot run for a while: whatever becomes
// ready meanwhile runs when the window ends, in the order it became ready.
void Cluster::on_node(int i, ns t, std::function<void(Inst &)> fn)
{
	at(t, [this, i, fn = std::move(fn)]() mutable { run_node(i, std::move(fn), false); });
}

void Cluster::run_node(int i, std::function<void(Inst &)> fn, bool deferred)
{
	Inst &in = *inst_[i];
	if (in.crashed || in.fenced)
		return;
	if (!deferred || in.frozen_until > now_) {	/* frozen again meanwhile */
		if (!deferred && in.frozen_until <= now_) {
			ns late = lateness();
			if (late > 0)
				in.frozen_until = now_ + late;
		}
		if (in.frozen_until > now_) {
			at(in.frozen_until, [this, i, fn = std::move(fn)]() mutable {
				run_node(i, std::move(fn), true);
			});
			return;
		}
	}
	fn(in);
	if (!in.crashed && !in.fenced)
		after_call(in);
}

// Re-arm each core's timer for its next deadline.
void Cluster::arm(Inst &in, int which, ns d)
{
	Inst::Timer &tm = in.timers[which];
	if (d == OCFSX_NS_NEVER) {
		tm.token = 0;	// cancel
		return;
	}
	ns t = d - in.offset;
	if (tm.token && tm.at == t)
		return;
	uint64_t tok = ++tm.seq;
	tm.token = tok;
	tm.at = t;
	on_node(in.id, t, [which, tok](Inst &x) {
		if (x.timers[which].token != tok)
			return;
		x.timers[which].token = 0;
		if (which == 0)
			ocfsx_hb_tick(&x.hb);
		else
			ocfsx_quo_tick(&x.q);
	});
}

void Cluster::after_call(Inst &in)
{
	arm(in, 0, ocfsx_hb_next_deadline(&in.hb));
	if (!in.fenced)
		arm(in, 1, ocfsx_quo_next_deadline(&in.q));
}

void Cluster::log(Inst &in, int level, const char *line)
{
	char head[64];
	snprintf(head, sizeof(head), "%9.3f i%d ", (double)now_ / 1e9, in.id);
	std::string s = head + std::string(line);
	if (p_.verbose || getenv("OCFSX_SIM_VERBOSE") ||
	    (level == OCFSX_LOG_ERR && getenv("OCFSX_SIM_ERRLOG")))
		fprintf(stderr, "%s\n", s.c_str());
	log_.push_back(std::move(s));
	if (log_.size() > 400)
		log_.pop_front();
}

std::string Cluster::log_tail(size_t lines) const
{
	std::string out;
	size_t from = log_.size() > lines ? log_.size() - lines : 0;
	for (size_t k = from; k < log_.size(); k++)
		out += log_[k] + "\n";
	return out;
}

int Cluster::current(uint32_t node) const
{
	for (int i = (int)inst_.size() - 1; i >= 0; i--)
		if (inst_[i]->num == node)
			return i;
	return -1;
}

bool Cluster::running(int i) const
{
	return !inst_[i]->crashed && !inst_[i]->fenced;
}

bool Cluster::io_allowed(int i) const
{
	const Inst &in = *inst_[i];
	return running(i) && ocfsx_hb_io_allowed(&in.hb, local_now(in));
}

bool Cluster::joined(int i) const
{
	return running(i) && ocfsx_quo_joined(&inst_[i]->q);
}

bool Cluster::live_view(int i, uint32_t node) const
{
	return ocfsx_hb_node_live(&inst_[i]->hb, node);
}

uint32_t Cluster::hb_state(int i) const { return ocfsx_hb_state(&inst_[i]->hb); }

// ---------------------------------------------------------------- actions

void Cluster::start(uint32_t node, ns t)
{
	at(t, [this, node]() {
		auto in = std::make_unique<Inst>();
		Inst &x = *in;
		x.c = this;
		x.id = (int)inst_.size();
		x.num = node;
		x.gen = rand() | 1;
		x.offset = rand_range(1000, 100000) * kMs * 1000;
		x.started = now_;
		x.env_hb = {&x, env_now, env_log, env_hb_event};
		x.env_q = {&x, env_now, env_log, env_quo_event};
		ocfsx_hb_config hc{};
		hc.self = node;
		hc.nr_nodes = (uint32_t)p_.nodes;
		hc.interval_ms = p_.interval_ms;
		hc.dead_threshold = p_.dead_threshold;
		hc.fence_margin_ms = p_.fence_margin_ms;
		hc.generation = x.gen;
		ocfsx_quo_config qc{};
		qc.self = node;
		qc.nr_nodes = (uint32_t)p_.nodes;
		qc.grace_ms = (uint32_t)(grace_ns() / kMs);
		x.last_rx.assign(p_.nodes, 0);
		x.down_at.assign(p_.nodes, INT64_MIN / 2);
		x.conn.assign(p_.nodes, 0);
		inst_.push_back(std::move(in));
		if (ocfsx_hb_init(&x.hb, &x.env_hb, &hc) ||
		    ocfsx_quo_init(&x.q, &x.env_q, &qc)) {
			violations.push_back("core init refused the configuration");
			x.crashed = true;
			return;
		}
		x.t0 = now_;
		int i = x.id;
		on_node(i, now_, [this](Inst &y) { hb_tick(y.id, 0); });
		on_node(i, now_ + rand_range(0, (ns)p_.keepalive_ms * kMs),
			[this](Inst &y) { net_tick(y.id); });
		on_node(i, now_ + rand_range(0, 250 * kMs),
			[this](Inst &y) { idle_tick(y.id); });
	});
}

void Cluster::start_all(ns spread)
{
	for (int n = 0; n < p_.nodes; n++)
		start((uint32_t)n, rand_range(0, spread));
}

void Cluster::do_crash(Inst &in)
{
	if (in.crashed)
		return;
	in.crashed = true;
	crashes.push_back({in.num, in.id, now_});
}

void Cluster::crash(uint32_t node, ns t)
{
	at(t, [this, node]() {
		for (auto &in : inst_)
			if (in->num == node && !in->crashed && !in->fenced)
				do_crash(*in);
	});
}

void Cluster::restart(uint32_t node, ns t_crash, ns t_start)
{
	crash(node, t_crash);
	start(node, t_start);
}

void Cluster::partition(const std::vector<int> &group_of_node, ns t)
{
	at(t, [this, group_of_node]() { group_ = group_of_node; });
}

void Cluster::heal(ns t)
{
	at(t, [this]() { group_.assign(p_.nodes, 0); });
}

void Cluster::stall_disk(int node, ns from, ns len)
{
	stalls_.push_back({node, from, from + len});
}

void Cluster::freeze(uint32_t node, ns from, ns len)
{
	at(from, [this, node, from, len]() {
		for (auto &in : inst_)
			if (in->num == node)
				in->frozen_until = std::max(in->frozen_until, from + len);
	});
}

void Cluster::stop(uint32_t node, ns t)
{
	int i = -1;
	at(t, [this, node, i]() mutable {
		i = current(node);
		if (i >= 0)
			on_node(i, now_, [](Inst &x) { ocfsx_hb_stop(&x.hb); });
	});
}

void Cluster::run_until(ns t)
{
	while (!q_.empty() && q_.top().t <= t) {
		Ev e = std::move(const_cast<Ev &>(q_.top()));
		q_.pop();
		now_ = e.t;
		e.fn();
	}
	now_ = t;
}

// ---------------------------------------------------------------- disk

// Latency of one phase of one I/O submitted now by node.
ns Cluster::disk_phase(int node)
{
	ns stall = 0;
	for (const Stall &s : stalls_)
		if ((s.node < 0 || s.node == node) && now_ >= s.from && now_ < s.to)
			stall = std::max(stall, s.to - now_);
	ns lat;
	if (p_.disk_spike_max > 0 && rand01() < p_.disk_spike_p) {
		lat = rand_range(0, p_.disk_spike_max);
	} else {
		double u = rand01();
		double e = -std::log1p(-u) * (double)p_.disk_mean;
		lat = std::min<ns>(p_.disk_min + (ns)e, p_.disk_max);
	}
	return stall + lat;
}

void Cluster::hb_tick(int i, uint64_t k)
{
	Inst &in = *inst_[i];
	// The next tick is on the absolute schedule, whatever this one did.
	on_node(i, in.t0 + (ns)(k + 1) * interval_ns(),
		[this, k](Inst &y) { hb_tick(y.id, k + 1); });
	uint32_t st = ocfsx_hb_state(&in.hb);
	if (st == OCFSX_HB_STOPPED || st == OCFSX_HB_CONFLICT || st == OCFSX_HB_FENCED)
		return;
	ocfsx_hb_write w{};
	if (!in.write_busy && ocfsx_hb_prepare_write(&in.hb, &w) && !in.fenced)
		hb_write(i, w);
	if (!in.read_busy && !in.fenced) {
		in.read_busy = true;
		ns issue = local_now(in);
		ns from_v = now_;
		ns done_v = now_ + disk_phase((int)in.num) + disk_phase((int)in.num);
		at(done_v, [this, i, issue, from_v, done_v]() {
			// Completion callback: timestamp now, process when the
			// thread gets the CPU.
			ns t_done = local_now(*inst_[i]);
			inst_[i]->read_busy = false;
			on_node(i, done_v, [this, issue, from_v, done_v, t_done](Inst &y) {
				hb_read_done(y.id, issue, t_done, from_v, done_v);
			});
		});
	}
}

void Cluster::hb_write(int i, const ocfsx_hb_write &w)
{
	Inst &in = *inst_[i];
	uint32_t node = in.num;
	ns effect = now_ + disk_phase((int)node);
	ns done = effect + disk_phase((int)node);
	in.write_busy = true;
	// Torn while in progress: the block reads invalid for a moment first.
	if (p_.torn_p > 0 && rand01() < p_.torn_p) {
		at(effect - std::min<ns>(effect - now_, 20 * kMs), [this, node]() {
			ocfsx_hb_sample t = disk_[node].back().s;
			t.valid = false;
			disk_[node].push_back({now_, t});
		});
	}
	at(effect, [this, node, w, i]() {
		ocfsx_hb_sample s{};
		// A write in flight when its node died may not land, or land
		// torn for good.
		if (inst_[i]->crashed || inst_[i]->fenced) {
			uint64_t r = rand() % 4;
			if (r < 2)
				return;
			s.valid = r == 2;
		} else {
			s.valid = true;
		}
		s.seq = w.seq;
		s.generation = w.generation;
		s.flags = w.flags;
		s.interval_ms = w.interval_ms;
		s.dead_ms = w.dead_ms;
		auto &h = disk_[node];
		h.push_back({now_, s});
		// Keep ~20 s of history.
		if (h.size() > 256 && h[h.size() - 256].t < now_ - 20000 * kMs)
			h.erase(h.begin(), h.end() - 128);
	});
	at(done, [this, i, w, done]() {
		// Completion callback: timestamp, free the slot for the next
		// write; the thread processes it when it gets the CPU (before
		// its next tick, like a real thread would).
		ns t_complete = local_now(*inst_[i]);
		inst_[i]->write_busy = false;
		on_node(i, done, [w, t_complete](Inst &y) {
			ocfsx_hb_write_done(&y.hb, &w, t_complete, 0);
		});
	});
}

// The read sampled each block at its own instant in [from_v, done_v].
void Cluster::hb_read_done(int i, ns issue, ns t_done, ns from_v, ns done_v)
{
	Inst &in = *inst_[i];
	std::vector<ocfsx_hb_sample> samples(p_.nodes);
	for (int n = 0; n < p_.nodes; n++) {
		ns pt = rand_range(from_v, done_v);
		const auto &h = disk_[n];
		auto it = std::upper_bound(h.begin(), h.end(), pt,
					   [](ns t, const Block &b) { return t < b.t; });
		samples[n] = std::prev(it)->s;
	}
	ocfsx_hb_round r{};
	r.t_issue = issue;
	r.t_done = t_done;
	r.nr = (uint32_t)p_.nodes;
	r.samples = samples.data();
	ocfsx_hb_read_done(&in.hb, &r);
}

// ---------------------------------------------------------------- network

void Cluster::net_tick(int i)
{
	Inst &in = *inst_[i];
	on_node(i, now_ + (ns)p_.keepalive_ms * kMs, [this](Inst &y) { net_tick(y.id); });
	for (int n = 0; n < p_.nodes; n++)
		if ((uint32_t)n != in.num)
			send(i, (uint32_t)n);
}

void Cluster::send(int from, uint32_t to)
{
	uint32_t src = inst_[from]->num;
	if (group_[src] != group_[to] || rand01() < p_.drop_p)
		return;
	ns t = now_ + rand_range(p_.net_min, p_.net_max);
	at(t, [this, src, to, t]() {
		// Whoever holds that node number now receives it.
		if (group_[src] != group_[to])
			return;		// partitioned while in flight
		for (auto &in : inst_)
			if (in->num == to && !in->crashed && !in->fenced)
				on_node(in->id, t, [this, src](Inst &y) { deliver(y.id, src); });
	});
}

void Cluster::deliver(int i, uint32_t from)
{
	Inst &in = *inst_[i];
	ns now = local_now(in);
	in.last_rx[from] = now;
	if (!in.conn[from] && now - in.down_at[from] >= (ns)p_.reconnect_ms * kMs) {
		in.conn[from] = 1;
		ocfsx_quo_conn_up(&in.q, from);
	}
}

void Cluster::idle_tick(int i)
{
	Inst &in = *inst_[i];
	on_node(i, now_ + 250 * kMs, [this](Inst &y) { idle_tick(y.id); });
	ns now = local_now(in);
	for (int n = 0; n < p_.nodes; n++) {
		if (!in.conn[n] || now - in.last_rx[n] <= (ns)p_.idle_timeout_ms * kMs)
			continue;
		in.conn[n] = 0;
		in.down_at[n] = now;
		ocfsx_quo_conn_down(&in.q, (uint32_t)n);
		if (in.fenced)
			return;
	}
}

// ---------------------------------------------------------------- events

void Cluster::check_down(Inst &r, const ocfsx_proto_event *ev)
{
	// Only a node that may still do I/O acts on a death (recovery).
	if (!ocfsx_hb_io_allowed(&r.hb, local_now(r)))
		return;
	for (auto &x : inst_) {
		if (x->num != ev->node || x->gen != ev->generation)
			continue;
		if (!x->crashed && !x->fenced &&
		    ocfsx_hb_io_allowed(&x->hb, local_now(*x))) {
			char buf[256];
			snprintf(buf, sizeof(buf),
				 "t=%.3f: instance %d (node %u) declared instance %d (node %u) dead (%s) while it may still do I/O",
				 (double)now_ / 1e9, r.id, r.num, x->id, x->num,
				 ocfsx_proto_reason_name(ev->reason));
			violations.push_back(buf);
		}
	}
}

void Cluster::on_hb_event(Inst &in, const ocfsx_proto_event *ev)
{
	Rec rec{now_, in.id, ev->node, ev->generation, ev->reason};
	switch (ev->type) {
	case OCFSX_EV_NODE_UP:
		ups.push_back(rec);
		ocfsx_quo_node_up(&in.q, ev->node);
		break;
	case OCFSX_EV_NODE_DOWN:
		downs.push_back(rec);
		check_down(in, ev);
		ocfsx_quo_node_down(&in.q, ev->node);
		break;
	case OCFSX_EV_SELF_LIVE:
		ocfsx_quo_start(&in.q);
		break;
	case OCFSX_EV_SAME_NODE:
		same_node.push_back(rec);
		break;
	case OCFSX_EV_FENCE:
		// fence_method: the machine stops dead.
		fences.push_back(rec);
		in.fenced = true;
		break;
	default:
		break;
	}
}

void Cluster::on_quo_event(Inst &in, const ocfsx_proto_event *ev)
{
	Rec rec{now_, in.id, ev->node, ev->generation, ev->reason};
	if (ev->type == OCFSX_EV_JOINED) {
		joins.push_back(rec);
	} else if (ev->type == OCFSX_EV_FENCE) {
		if (ev->reason == OCFSX_REASON_JOIN_FAILED) {
			lefts.push_back(rec);
			ocfsx_hb_stop(&in.hb);
		} else {
			ocfsx_hb_fence(&in.hb, ev->reason);
		}
	}
}

}  // namespace sim
