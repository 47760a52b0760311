// mkfs.ocfsx: command line, safety checks and summary; the layout itself is
// in layout.cc.
#include <dirent.h>
#include <getopt.h>
#include <uuid/uuid.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "mkfs.h"
#include "ocfsx/device.h"
#include "ocfsx/status.h"
#include "ocfsx_fs.h"

namespace {

constexpr const char* kProg = "mkfs.ocfsx";

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", kProg, msg.c_str());
  std::exit(1);
}

void Usage(FILE* out) {
  std::fprintf(out,
               "Usage: %s [options] DEVICE [BLOCKS]\n"
               "  -b SIZE             block size: 512, 1K, 2K or 4K (default 4K)\n"
               "  -C SIZE             cluster size: 4K .. 1M, a power of two (default 4K)\n"
               "  -N SLOTS            node slots, 1..255 (default by volume size)\n"
               "  -L LABEL            volume label (up to 63 bytes)\n"
               "  -U UUID             volume UUID (default: random)\n"
               "  -J size=SIZE        journal size per slot (min 4M; default by volume size)\n"
               "  -T mail|datafiles|vmstore  tune sizes for a workload\n"
               "  -M cluster|local    cluster volume (default) or single-node volume\n"
               "  --cluster-name NAME cluster name (default: the running cluster, else \"ocfsx\")\n"
               "  --cluster-stack STK cluster stack: o2cb (default), ocfsx or pcmk\n"
               "  --global-heartbeat  the cluster runs global heartbeat (o2cbx heartbeat-mode global)\n"
               "  -F                  force: skip the mounted/in-use/signature checks\n"
               "  -n                  dry run: print what would be made, write nothing\n"
               "  -q                  quiet\n"
               "  -v                  verbose (progress even when not on a terminal)\n"
               "  -V                  print the version\n"
               "  -h                  this help\n",
               kProg);
}

// "4096", "4K", "64k", "1M", "2GiB"; binary units. 0 on garbage.
bool ParseSize(const std::string& text, uint64_t* out) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno) return false;
  std::string suffix(end);
  int shift = 0;
  if (!suffix.empty()) {
    switch (std::toupper(static_cast<unsigned char>(suffix[0]))) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      case 'B': shift = 0; break;
      default: return false;
    }
    std::string rest = suffix.substr(1);
    if (std::toupper(static_cast<unsigned char>(suffix[0])) == 'B') {
      if (!rest.empty()) return false;
    } else if (!(rest.empty() || rest == "B" || rest == "b" || rest == "iB" || rest == "ib")) {
      return false;
    }
  }
  if (shift && v > (~0ULL >> shift)) return false;
  *out = static_cast<uint64_t>(v) << shift;
  return true;
}

bool IsPow2(uint64_t v) { return v && !(v & (v - 1)); }

uint32_t Log2(uint64_t v) {
  uint32_t b = 0;
  while ((1ULL << b) < v) b++;
  return b;
}

std::string CheckClusterNameRule(const std::string& name) {
  if (name.empty() || name.size() > OCFSX_CLUSTER_NAME_LEN)
    return "cluster name \"" + name + "\" must be 1 to 16 characters";
  if (!std::isalnum(static_cast<unsigned char>(name[0])))
    return "cluster name \"" + name + "\" must start with a letter or digit";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return "cluster name \"" + name + "\" may contain only letters, digits, '-' and '_'";
  return "";
}

// The cluster the running stack has online, when there is exactly one.
std::string RunningClusterName() {
  DIR* d = opendir("/sys/kernel/config/cluster");
  if (!d) return "";
  std::string found;
  int n = 0;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    found = e->d_name;
    n++;
  }
  closedir(d);
  return n == 1 ? found : "";
}

std::string Human(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  double v = static_cast<double>(bytes);
  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  mkfs::Options opts;
  uint64_t bsize = 0, csize = 0;
  enum { kOptClusterName = 1000, kOptClusterStack, kOptGlobalHeartbeat };
  static const struct option longopts[] = {
      {"block-size", required_argument, nullptr, 'b'},
      {"cluster-size", required_argument, nullptr, 'C'},
      {"node-slots", required_argument, nullptr, 'N'},
      {"label", required_argument, nullptr, 'L'},
      {"uuid", required_argument, nullptr, 'U'},
      {"journal-options", required_argument, nullptr, 'J'},
      {"fs-feature-level", required_argument, nullptr, 'T'},
      {"mount", required_argument, nullptr, 'M'},
      {"cluster-name", required_argument, nullptr, kOptClusterName},
      {"cluster-stack", required_argument, nullptr, kOptClusterStack},
      {"global-heartbeat", no_argument, nullptr, kOptGlobalHeartbeat},
      {"force", no_argument, nullptr, 'F'},
      {"dry-run", no_argument, nullptr, 'n'},
      {"quiet", no_argument, nullptr, 'q'},
      {"verbose", no_argument, nullptr, 'v'},
      {"version", no_argument, nullptr, 'V'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  opterr = 0;
  int c;
  bool stack_set = false;
  while ((c = getopt_long(argc, argv, ":b:C:N:L:U:J:T:M:FnqvVh", longopts, nullptr)) != -1) {
    std::string arg = optarg ? optarg : "";
    switch (c) {
      case 'b':
        if (!ParseSize(arg, &bsize) || !IsPow2(bsize) || bsize < OCFSX_MIN_BLOCKSIZE || bsize > OCFSX_MAX_BLOCKSIZE)
          Die("invalid block size \"" + arg + "\": must be a power of two from 512 to 4096");
        break;
      case 'C':
        if (!ParseSize(arg, &csize) || !IsPow2(csize) || csize < (1U << OCFSX_MIN_CLUSTERSIZE_BITS) ||
            csize > (1U << OCFSX_MAX_CLUSTERSIZE_BITS))
          Die("invalid cluster size \"" + arg + "\": must be a power of two from 4K to 1M");
        break;
      case 'N': {
        char* end = nullptr;
        errno = 0;
        long v = std::strtol(arg.c_str(), &end, 10);
        if (arg.empty() || *end || errno || v < 1 || v > OCFSX_MAX_SLOTS)
          Die("invalid number of node slots \"" + arg + "\": must be 1 to 255");
        opts.slots = static_cast<int>(v);
        break;
      }
      case 'L':
        if (arg.size() >= OCFSX_LABEL_LEN) Die("label \"" + arg + "\" is too long: at most 63 bytes");
        opts.label = arg;
        break;
      case 'U':
        if (uuid_parse(arg.c_str(), opts.uuid) != 0) Die("invalid UUID \"" + arg + "\"");
        opts.uuid_set = true;
        break;
      case 'J': {
        if (arg.rfind("size=", 0) != 0) Die("invalid journal option \"" + arg + "\": expected size=SIZE");
        if (!ParseSize(arg.substr(5), &opts.journal_bytes) || opts.journal_bytes == 0)
          Die("invalid journal size \"" + arg.substr(5) + "\"");
        break;
      }
      case 'T':
        if (arg != "mail" && arg != "datafiles" && arg != "vmstore")
          Die("invalid filesystem type \"" + arg + "\": use mail, datafiles or vmstore");
        opts.type = arg;
        break;
      case 'M':
        if (arg == "local") opts.local = true;
        else if (arg == "cluster") opts.local = false;
        else Die("invalid mount type \"" + arg + "\": use cluster or local");
        break;
      case kOptClusterName: {
        std::string err = CheckClusterNameRule(arg);
        if (!err.empty()) Die("invalid " + err);
        opts.cluster_name = arg;
        break;
      }
      case kOptClusterStack:
        if (arg != "o2cb" && arg != "ocfsx" && arg != "pcmk")
          Die("invalid cluster stack \"" + arg + "\": use o2cb, ocfsx or pcmk");
        opts.cluster_stack = arg;
        stack_set = true;
        break;
      case kOptGlobalHeartbeat: opts.global_heartbeat = true; break;
      case 'F': opts.force = true; break;
      case 'n': opts.dry_run = true; break;
      case 'q': opts.quiet = true; break;
      case 'v': opts.verbose = true; break;
      case 'V':
        std::printf("%s %s (ocfsx format %d.%d)\n", kProg, OCFSX_VERSION, OCFSX_FORMAT_MAJOR, OCFSX_FORMAT_MINOR);
        return 0;
      case 'h': Usage(stdout); return 0;
      case ':': Die(std::string("option -") + static_cast<char>(optopt ? optopt : '?') + " needs an argument (see -h)");
      default:
        if (optopt) Die(std::string("unknown option -") + static_cast<char>(optopt) + " (see -h)");
        Die(std::string("unknown option ") + argv[optind - 1] + " (see -h)");
    }
  }
  if (optind >= argc) Die("no device given (usage: mkfs.ocfsx [options] DEVICE [BLOCKS])");
  if (argc - optind > 2) Die("too many arguments (usage: mkfs.ocfsx [options] DEVICE [BLOCKS])");
  opts.device = argv[optind];
  if (argc - optind == 2) {
    std::string b = argv[optind + 1];
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(b.c_str(), &end, 10);
    if (b.empty() || !std::isdigit(static_cast<unsigned char>(b[0])) || *end || errno || v == 0)
      Die("invalid block count \"" + b + "\"");
    opts.blocks = v;
  }

  // -T presets first; explicit -b/-C/-J win.
  if (opts.type == "mail") opts.journal_scale = 1;
  if (opts.type == "datafiles") {
    opts.cbits = 17;
    opts.journal_scale = -1;
  }
  if (opts.type == "vmstore") {
    opts.cbits = 20;
    opts.journal_scale = -1;
  }
  if (bsize) opts.bbits = Log2(bsize);
  if (csize) opts.cbits = Log2(csize);
  if (opts.cbits < opts.bbits)
    Die("cluster size " + std::to_string(1U << opts.cbits) + " is smaller than the block size " +
        std::to_string(1U << opts.bbits));
  if (opts.local) {
    if (!opts.cluster_name.empty() || stack_set || opts.global_heartbeat)
      Die("--cluster-name, --cluster-stack and --global-heartbeat do not apply to -M local");
  } else if (opts.cluster_name.empty()) {
    opts.cluster_name = RunningClusterName();
    if (opts.cluster_name.empty() || !CheckClusterNameRule(opts.cluster_name).empty()) opts.cluster_name = "ocfsx";
  }
  if (!opts.uuid_set) uuid_generate(opts.uuid);

  ocfsx::DeviceOptions dopts;
  dopts.writable = !opts.dry_run;
  dopts.exclusive = !opts.dry_run;
  auto dev = ocfsx::Device::Open(opts.device, dopts);
  if (!dev.ok()) Die(dev.status().message());
  auto plan = mkfs::MakePlan(opts, (*dev)->size());
  if (!plan.ok()) Die(plan.status().message());

  if (!opts.force) {
    for (auto check : {mkfs::CheckNotMounted, mkfs::CheckNoSignature, mkfs::CheckNoLiveHeartbeat}) {
      ocfsx::Status st = check(**dev);
      if (!st.ok()) Die(st.message());
    }
  }

  const mkfs::Plan& p = *plan;
  if (!opts.quiet) {
    char uuid_text[37];
    uuid_unparse_lower(opts.uuid, uuid_text);
    uint64_t last = p.clusters - (p.groups - 1) * p.cpg;
    std::printf("%s %s\n", kProg, OCFSX_VERSION);
    std::printf("Label: %s\n", opts.label.c_str());
    std::printf("UUID: %s\n", uuid_text);
    std::printf("Features: backup-super inline-data indexed-dirs xattr%s\n", opts.local ? " local" : "");
    std::printf("Block size: %u (%u bits)\n", 1U << p.bbits, p.bbits);
    std::printf("Cluster size: %u (%u bits)\n", 1U << p.cbits, p.cbits);
    std::printf("Volume size: %llu bytes (%s), %llu clusters, %llu blocks\n",
                static_cast<unsigned long long>(p.clusters << p.cbits), Human(p.clusters << p.cbits).c_str(),
                static_cast<unsigned long long>(p.clusters),
                static_cast<unsigned long long>(p.clusters << (p.cbits - p.bbits)));
    std::printf("Cluster groups: %llu (tail covers %llu clusters, rest cover %u clusters)\n",
                static_cast<unsigned long long>(p.groups), static_cast<unsigned long long>(last), p.cpg);
    std::printf("Journal size: %llu bytes (%s) per slot\n", static_cast<unsigned long long>(p.journal_clusters << p.cbits),
                Human(p.journal_clusters << p.cbits).c_str());
    std::printf("Node slots: %u\n", p.slots);
    std::printf("Backup superblocks: %u\n", p.backups);
    if (opts.local) {
      std::printf("Mount type: local\n");
    } else {
      std::printf("Cluster stack: %s\n", opts.cluster_stack.c_str());
      std::printf("Cluster name: %s\n", opts.cluster_name.c_str());
      std::printf("Heartbeat: %s\n", opts.global_heartbeat ? "global" : "local");
    }
  }
  if (opts.dry_run) {
    if (!opts.quiet) std::printf("Dry run: nothing was written.\n");
    return 0;
  }
  ocfsx::Status st = mkfs::WriteVolume(**dev, opts, p);
  if (!st.ok()) Die(st.message());
  if (!opts.quiet) std::printf("%s successful\n", kProg);
  return 0;
}
