// mounted.ocfsx: lists ocfsx volumes (detect mode) and which nodes have each
// one mounted (full mode: slot map cross-checked with the heartbeat area).
//
// Finding volumes: libblkid has no ocfsx prober, so neither its cache nor a
// blkid_probe lookup ever reports TYPE=ocfsx. We therefore take the device
// list from /proc/partitions (what blkid's own scan starts from) and probe
// each device with libocfsx's superblock reader: one read at 64 KiB plus a
// full checksum check, which is cheaper than a blkid probe of every known
// type and cannot mistake another filesystem for ours.
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ocfsx/endian.h"
#include "ocfsx/inspect.h"
#include "ocfsx/status.h"
#include "ocfsx/volume.h"

namespace {

using ocfsx::Le32;
using ocfsx::Volume;
namespace inspect = ocfsx::inspect;

constexpr const char* kProg = "mounted.ocfsx";

void Usage(FILE* out) {
  std::fprintf(out,
               "Usage: %s [-d|-f] [DEVICE...]\n"
               "  -d   detect: device, cluster stack and name, flags, UUID and label (default)\n"
               "  -f   full: the node numbers that have each volume mounted\n"
               "  -V   print the version\n"
               "  -h   this help\n"
               "Without DEVICE, every block device in /proc/partitions is probed.\n",
               kProg);
}

// Block devices to probe: $OCFSX_SCAN_DEVICES (colon-separated, for tests)
// or every name in /proc/partitions as /dev/NAME.
std::vector<std::string> ScanCandidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("OCFSX_SCAN_DEVICES"); env && *env) {
    std::stringstream ss(env);
    std::string d;
    while (std::getline(ss, d, ':'))
      if (!d.empty()) out.push_back(d);
    return out;
  }
  std::ifstream parts("/proc/partitions");
  std::string line;
  while (std::getline(parts, line)) {
    std::istringstream ls(line);
    std::string major, minor, blocks, name;
    // The header line and the blank line after it do not parse as numbers.
    if (!(ls >> major >> minor >> blocks >> name) || major.find_first_not_of("0123456789") != std::string::npos) continue;
    std::replace(name.begin(), name.end(), '!', '/');  // e.g. cciss!c0d0
    out.push_back("/dev/" + name);
  }
  return out;
}

struct Found {
  std::string path;
  std::unique_ptr<Volume> vol;
  bool check_hb = false;                // the heartbeat area on this volume is in use
  std::vector<inspect::HbBlock> first;  // heartbeat sample before the wait
  std::vector<inspect::Liveness> live;  // judged after the wait
  bool hb_ok = false;
};

std::string OrNone(std::string s) { return s.empty() ? "None" : s; }

// Columns separated by two spaces, each as wide as its widest cell; the
// last column is not padded so lines carry no trailing blanks.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); i++) {
      if (width.size() <= i) width.resize(i + 1);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); i++) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
}

// The Nodes column: slot holders by node number, "(stale)" when the node's
// heartbeat is not live, then live heartbeats that hold no slot.
std::string NodesCell(const Found& f, int* rc) {
  auto slots = inspect::ReadSlotMap(*f.vol);
  if (!slots.ok()) {
    std::fprintf(stderr, "%s: %s: %s\n", kProg, f.path.c_str(), slots.status().message().c_str());
    *rc = 1;
    return "Unknown";
  }
  std::vector<uint32_t> held;
  for (const auto& e : *slots)
    if (!e.free()) held.push_back(e.node);
  std::sort(held.begin(), held.end());
  const bool judged = f.check_hb && f.hb_ok;
  std::vector<std::string> parts;
  for (uint32_t n : held) {
    std::string p = std::to_string(n);
    if (n >= OCFSX_MAX_NODES)
      p += " (invalid)";
    else if (judged && f.live[n] != inspect::Liveness::kLive)
      p += " (stale)";
    parts.push_back(p);
  }
  if (judged)
    for (uint32_t n = 0; n < f.live.size(); n++)
      if (f.live[n] == inspect::Liveness::kLive && !std::binary_search(held.begin(), held.end(), n))
        parts.push_back(std::to_string(n) + " (no slot)");
  if (parts.empty()) return "Not mounted";
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : ", ") + p;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  bool full = false;
  int c;
  opterr = 0;
  while ((c = getopt(argc, argv, "dfVh")) != -1) {
    switch (c) {
      case 'd': full = false; break;
      case 'f': full = true; break;
      case 'V': std::printf("%s %s\n", kProg, OCFSX_VERSION); return 0;
      case 'h': Usage(stdout); return 0;
      default:
        std::fprintf(stderr, "%s: unknown option -%c (see -h)\n", kProg, optopt ? optopt : '?');
        return 1;
    }
  }
  const bool explicit_devices = optind < argc;
  std::vector<std::string> devices = explicit_devices ? std::vector<std::string>(argv + optind, argv + argc) : ScanCandidates();

  int rc = 0;
  int denied = 0;
  std::vector<Found> found;
  for (const auto& dev : devices) {
    struct stat st;
    Volume::Options o;
    // Other nodes write the shared disk behind our page cache: read block
    // devices with O_DIRECT so the slot map and heartbeat are current.
    o.direct = ::stat(dev.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
    auto v = Volume::Open(dev, o);
    if (!v.ok()) {
      if (explicit_devices) {
        std::fprintf(stderr, "%s: %s\n", kProg, v.status().message().c_str());
        rc = 1;
      } else if (v.status().err() == EACCES || v.status().err() == EPERM) {
        denied++;
      }
      continue;
    }
    Found f;
    f.path = dev;
    f.vol = std::move(v).value();
    const auto& sb = f.vol->super();
    f.check_hb = !sb.has_feature_incompat(OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT) &&
                 !(Le32(sb.raw().s_cluster.ci_flags) & OCFSX_CLUSTER_F_GLOBAL_HB);
    found.push_back(std::move(f));
  }

  if (full) {
    // One wait covers every volume: sample all, wait once, sample all.
    uint32_t wait = 0;
    for (auto& f : found) {
      if (!f.check_hb) continue;
      auto a = inspect::SampleHeartbeat(*f.vol);
      if (!a.ok()) {
        std::fprintf(stderr, "%s: %s: heartbeat: %s\n", kProg, f.path.c_str(), a.status().message().c_str());
        rc = 1;
        continue;
      }
      f.first = std::move(a).value();
      wait = std::max(wait, inspect::LivenessWaitMs(f.first));
    }
    if (wait) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    for (auto& f : found) {
      if (!f.check_hb || f.first.empty()) continue;
      auto b = inspect::SampleHeartbeat(*f.vol);
      if (!b.ok()) {
        std::fprintf(stderr, "%s: %s: heartbeat: %s\n", kProg, f.path.c_str(), b.status().message().c_str());
        rc = 1;
        continue;
      }
      f.live = inspect::JudgeLiveness(f.first, *b);
      f.hb_ok = true;
    }
  }

  std::vector<std::vector<std::string>> rows;
  if (full)
    rows.push_back({"Device", "Stack", "Cluster", "F", "Nodes"});
  else
    rows.push_back({"Device", "Stack", "Cluster", "F", "UUID", "Label"});
  for (auto& f : found) {
    const auto& sb = f.vol->super();
    const auto& raw = sb.raw();
    const bool local = sb.has_feature_incompat(OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT);
    const bool global = Le32(raw.s_cluster.ci_flags) & OCFSX_CLUSTER_F_GLOBAL_HB;
    std::string stack = OrNone(inspect::FixedString(raw.s_cluster.ci_stack, sizeof(raw.s_cluster.ci_stack)));
    std::string cluster = OrNone(inspect::FixedString(raw.s_cluster.ci_cluster, sizeof(raw.s_cluster.ci_cluster)));
    if (local) stack = cluster = "None";
    std::string flags = local ? "L" : global ? "G" : "";
    if (full)
      rows.push_back({f.path, stack, cluster, flags, NodesCell(f, &rc)});
    else
      rows.push_back({f.path, stack, cluster, flags, inspect::UuidHex(raw.s_uuid),
                      inspect::FixedString(raw.s_label, sizeof(raw.s_label))});
  }
  PrintTable(rows);
  if (!explicit_devices && denied && found.empty())
    std::fprintf(stderr, "%s: %d device(s) could not be opened (permission denied); run as root\n", kProg, denied);
  return rc;
}
